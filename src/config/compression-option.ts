// cluster.compression: parsed like nats-server's parseCompression and normalized like its
// validateAndNormalizeCompressionOption. nats-server runs the second step only at start
// (so `-t` misses `compression: gzip`); we have one step and run both.
import type { CompressionMode } from './options.js';
import type { ConfEntry } from './tree.js';
import { goTypeName } from './tree.js';
import { formatGoDuration, nsToMs, parseGoDuration } from './duration.js';
import { goQuote } from './go-text.js';
import type { IssueSink } from './issues.js';

/** As written in the file: mode '' means "not set" (→ accept). */
export interface CompressionSetting {
  mode: string;
  rttThresholdsNs: bigint[];
}

const DEFAULT_RTT_NS = [10_000_000n, 50_000_000n, 100_000_000n];

/** Returns undefined when the value was rejected (the error is in the sink). */
export function parseCompression(entry: ConfEntry, sink: IssueSink): CompressionSetting | undefined {
  const v = entry.value;
  switch (v.type) {
    case 'string':
      return { mode: v.value, rttThresholdsNs: [] };
    case 'bool':
      return { mode: v.value ? 's2_fast' : 'off', rttThresholdsNs: [] };
    case 'map': {
      const out: CompressionSetting = { mode: '', rttThresholdsNs: [] };
      let ok = true;
      for (const [key, e] of v.entries) {
        switch (key.toLowerCase()) {
          case 'mode':
            if (e.value.type !== 'string') { sink.typeMismatch(e.keyPos, e.value, 'string'); ok = false; break; }
            out.mode = e.value.value;
            break;
          case 'rtt_thresholds': case 'thresholds': case 'rtts': case 'rtt': {
            if (e.value.type !== 'array') { sink.typeMismatch(e.keyPos, e.value, '[]interface {}'); ok = false; break; }
            for (const item of e.value.items) {
              if (item.type !== 'string') { sink.typeMismatch(item.pos, item, 'string'); ok = false; break; }
              const d = parseGoDuration(item.value);
              if ('error' in d) { sink.error(e.keyPos, d.error); ok = false; break; }
              out.rttThresholdsNs.push(d.ns);
            }
            break;
          }
          default:
            if (!e.usedAsVariable) { sink.error(e.keyPos, `unknown field ${goQuote(key)}`); ok = false; }
        }
      }
      return ok ? out : undefined;
    }
    default:
      sink.error(entry.keyPos, `field ${goQuote(entry.key)} should be a boolean or a structure, got ${goTypeName(v)}`);
      return undefined;
  }
}

export type NormalizedCompression = { mode: CompressionMode; rttThresholdsMs: number[] };

/** validateAndNormalizeCompressionOption(c, "s2_fast"); '' → accept (setBaselineOptions). */
export function normalizeCompression(c: CompressionSetting): NormalizedCompression | { error: string } {
  let m = c.mode.toLowerCase();
  if (m === '') return { mode: 'accept', rttThresholdsMs: [] };
  if (m === 'on' || m === 'enabled' || m === 'true') m = 's2_fast';
  switch (m) {
    case 'not supported': case 'not_supported':
      return { mode: 'not supported', rttThresholdsMs: [] };
    case 'off': case 'disabled': case 'false':
      return { mode: 'off', rttThresholdsMs: [] };
    case 'accept':
      return { mode: 'accept', rttThresholdsMs: [] };
    case 's2_fast': case 'fast':
      return { mode: 's2_fast', rttThresholdsMs: [] };
    case 's2_better': case 'better':
      return { mode: 's2_better', rttThresholdsMs: [] };
    case 's2_best': case 'best':
      return { mode: 's2_best', rttThresholdsMs: [] };
    case 's2_auto': case 'auto': {
      if (c.rttThresholdsNs.length === 0) return { mode: 's2_auto', rttThresholdsMs: DEFAULT_RTT_NS.map(nsToMs) };
      const given = `[${c.rttThresholdsNs.map(formatGoDuration).join(' ')}]`;
      let rtts: bigint[] = [];
      for (let n of c.rttThresholdsNs) {
        if (n < 0n) n = 0n; // negative means "skip this level", like 0
        if (rtts.length > 0 && n !== 0n && rtts.some((v) => n < v)) {
          return { error: `RTT threshold values ${given} should be in ascending order` };
        }
        rtts.push(n);
      }
      let stop = rtts.length - 1;
      while (stop >= 0 && rtts[stop] === 0n) stop--;
      rtts = rtts.slice(0, stop + 1);
      if (rtts.length > 4) {
        return { error: `compression mode ${goQuote(c.mode)} should have no more than 4 RTT thresholds: ${given}` };
      }
      if (rtts.length === 0) return { error: `compression mode ${goQuote(c.mode)} requires at least one RTT threshold` };
      return { mode: 's2_auto', rttThresholdsMs: rtts.map(nsToMs) };
    }
    default:
      return { error: `unsupported compression mode ${goQuote(c.mode)}` };
  }
}
