// The open-file limit against what the configured caps need (issue 13). Node has no setrlimit, but
// Node itself raises the soft RLIMIT_NOFILE to the hard limit at startup (src/node.cc PlatformInit),
// so what /proc/self/limits shows is already the most this process can get: if it is short, only the
// operator can raise it (systemd LimitNOFILE=, ulimit -n). We say so at start and lower the cap on
// accepted connections to what fits, because libuv drops accepts silently on EMFILE.
import { readFileSync } from 'node:fs';

/** File descriptors beyond route sockets: stdio, log file, epoll, worker, monitoring listener, TLS files… */
export const FD_RESERVE = 64;

export interface FdLimit { soft: number; hard: number }

/** Parses the "Max open files" line of /proc/<pid>/limits; undefined where there is none. */
export function parseFdLimit(text: string): FdLimit | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}

export function readFdLimit(): FdLimit | undefined {
  try {
    return parseFdLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined; // not Linux: nothing to check
  }
}

/** FD_RESERVE + routes + gossip can leave less; accepting a few connections beats accepting none. */
export const MIN_CONNECTIONS = 8;

/**
 * The cap on accepted connections that fits the soft fd limit next to the dialed ones:
 * max_connections (0 = none), lowered to soft - FD_RESERVE - dialed when that is less.
 */
export function connectionCap(limit: FdLimit | undefined, maxConnections: number, dialed: number): { cap: number; warning?: string } {
  if (!limit || !Number.isFinite(limit.soft)) return { cap: maxConnections };
  const fits = Math.max(limit.soft - FD_RESERVE - dialed, MIN_CONNECTIONS);
  if (maxConnections > 0 && maxConnections <= fits) return { cap: maxConnections };
  const asked = maxConnections > 0 ? `max_connections ${maxConnections}` : 'no max_connections';
  return {
    cap: fits,
    warning: `Open file limit ${limit.soft} (hard ${limit.hard}) cannot hold ${asked} beside ${dialed} dialed routes `
      + `(max_gossiped_routes and configured routes) and ${FD_RESERVE} other descriptors: accepting at most ${fits} route connections `
      + `(raise LimitNOFILE= or ulimit -n to lift this)`,
  };
}
