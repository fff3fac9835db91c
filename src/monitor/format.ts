// nats-server's text forms for times in monitoring output.
import { formatGoDuration } from '../config/duration.js';

/** nats-server myUptime: "3s", "2m3s", "1h2m3s", "4d1h2m3s", "1y4d1h2m3s". */
export function uptime(ms: number): string {
  const tsecs = Math.max(0, Math.floor(ms / 1000));
  const tmins = Math.floor(tsecs / 60);
  const thrs = Math.floor(tmins / 60);
  const tdays = Math.floor(thrs / 24);
  const tyrs = Math.floor(tdays / 365);
  if (tyrs > 0) return `${tyrs}y${tdays % 365}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (tdays > 0) return `${tdays}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (thrs > 0) return `${thrs}h${tmins % 60}m${tsecs % 60}s`;
  if (tmins > 0) return `${tmins}m${tsecs % 60}s`;
  return `${tsecs}s`;
}

/** A Go time.Duration String() of a millisecond value (nats-server's rtt: "289µs", "1.5ms"). */
export function goDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return '0s';
  return formatGoDuration(BigInt(Math.round(ms * 1e6)));
}

/** RFC 3339 with nanoseconds as Go prints it (we know milliseconds). */
export function timeText(ms: number): string {
  return new Date(ms).toISOString();
}
