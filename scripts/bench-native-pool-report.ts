// The issue 8 sections of the native bench report: pool3 against pool1 (one account, four
// accounts) and the head-of-line probe, each as ratios measured in the same run.
import { sizeLabel } from '../bench/streams.js';
import type { HolReport, PoolReport } from './bench-native-types.js';

const int = (v: number) => Math.round(v).toLocaleString('en-US');
const f1 = (v: number) => (Math.abs(v) >= 1000 ? int(v) : v.toFixed(1));
const x = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(2)}×`);

function table(head: string[], rows: string[][], textColumns = 2): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i < textColumns ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function renderPool(p: PoolReport): string[] {
  const md: string[] = [];
  md.push('## Route pooling: pool_size 3 vs 1 (issue 8)');
  md.push('');
  md.push(`A1 → proxy A → proxy B → B1, \`pool_size\` 1 or 3 on both servers and both proxies (nats-server 2.10.27 wants equal sizes). `
    + `Full speed; one pub/sub pair in account ${p.accounts[0]}, or ${p.accounts.length} pairs in parallel, one per account (${p.accounts.join(', ')}: `
    + 'FNV-1a mod 3 puts them on pool indexes 2, 1, 1, 0). Summed msg/s: all delivered messages / (last receive of any pair − first publish of any pair). '
    + 'pool1 and pool3 run back to back for each row (which goes first alternates), so the ratio sees the same machine load.');
  md.push('');
  md.push(table(['payload', 'accounts', 'pool1 msg/s', 'pool3 msg/s', 'pool3 / pool1'], p.comparisons.map((c) => [
    sizeLabel(c.size), String(c.accounts), c.pool1MsgsPerSec === undefined ? '–' : int(c.pool1MsgsPerSec),
    c.pool3MsgsPerSec === undefined ? '–' : int(c.pool3MsgsPerSec), x(c.ratio),
  ])));
  md.push('');
  md.push(table(
    ['payload', 'path', 'accounts', 'messages / pair', 'summed msg/s', 'per pair msg/s', 'lost', 'dup', 'p99 µs (worst pair)', 'proxy A µs/msg', 'proxy B µs/msg', 'proxy-link conns used', 'slow consumers'],
    p.runs.map((r) => [
      sizeLabel(r.size), r.topology, String(r.accounts), int(r.count), int(r.msgsPerSec),
      r.pairs.map((q) => `${q.account} ${int(q.msgsPerSec)}`).join(', '),
      int(r.pairs.reduce((n, q) => n + q.lost, 0)), int(r.pairs.reduce((n, q) => n + q.duplicates, 0)),
      f1(Math.max(...r.pairs.map((q) => q.p99Us))), r.proxyUsPerMsg.a.toFixed(2), r.proxyUsPerMsg.b.toFixed(2), `${r.linksUsed} of ${r.links}`, r.slowConsumers || '–',
    ]), 3,
  ));
  md.push('');
  md.push('"proxy-link conns used": proxy A\'s connections to proxy B (pool plus the pinned `$SYS`) that sent at least a tenth of one pair\'s messages in the scenario (from its /routez `out_msgs`).');
  md.push('');
  return md;
}

export function renderHol(h: HolReport): string[] {
  const md: string[] = [];
  md.push('## Head-of-line: request/reply in A while HEAVY floods its pinned connection (issue 8)');
  md.push('');
  md.push(`Accounts A and HEAVY, \`pool_size\` 3, HEAVY pinned (\`cluster.accounts: [HEAVY]\` on servers and proxies). `
    + `nb_rtt sends up to ${int(h.probeCount)} sequential ${sizeLabel(h.probeSize)} requests (at most ${(h.probeMaxMs / 1000).toFixed(0)} s) in A from A1 to a responder on B1, first idle, then while `
    + `nb_pub floods HEAVY A1 → B1 at full speed with ${sizeLabel(h.floodSize)} messages (the loaded probe starts once the flood reaches B1), then with the flood at half the rate the proxy path carried at full speed. `
    + 'Reference: the same servers on a direct route, same flood, same run. Issue 8 wants the proxy path\'s loaded latency within 2× of its idle value.');
  md.push('');
  md.push(table(['path', 'HEAVY offered', 'replies idle / loaded', 'idle p50 µs', 'idle p99 µs', 'loaded p50 µs', 'loaded p99 µs', 'p50 loaded / idle', 'p99 loaded / idle', 'loaded max µs', 'timeouts', 'flood msg/s at B1'],
    h.paths.map((q) => [
      q.path === 'direct' ? 'direct route (reference)' : 'A1 → proxy A → proxy B → B1', q.floodRate ? `${int(q.floodRate)} msg/s` : 'full speed',
      `${int(q.idle.replies)} / ${int(q.loaded.replies)}`, f1(q.idle.p50), f1(q.idle.p99), f1(q.loaded.p50), f1(q.loaded.p99),
      x(q.p50Ratio), x(q.p99Ratio), f1(q.loaded.max), String(q.idle.timeouts + q.loaded.timeouts), int(q.floodMsgsPerSec),
    ]), 2));
  md.push('');
  for (const rate of [...new Set(h.paths.map((q) => q.floodRate))]) {
    const d = h.paths.find((q) => q.path === 'direct' && q.floodRate === rate);
    const p = h.paths.find((q) => q.path === 'proxies' && q.floodRate === rate);
    if (!d || !p || !(d.loaded.p50 > 0 && d.loaded.p99 > 0 && d.idle.p50 > 0 && d.idle.p99 > 0)) continue;
    md.push(`- Proxy path vs direct route, HEAVY ${rate ? `at ${int(rate)} msg/s` : 'at full speed'}: loaded p50 ${x(p.loaded.p50 / d.loaded.p50)}, p99 ${x(p.loaded.p99 / d.loaded.p99)} `
      + `(idle: p50 ${x(p.idle.p50 / d.idle.p50)}, p99 ${x(p.idle.p99 / d.idle.p99)}).`);
  }
  md.push('');
  return md;
}
