// The native bench report: issue 7's targets evaluated on one run, a Markdown report with the
// machine described, and the charts a lab would put on a slide.
import { join } from 'node:path';
import { machineLine } from '../bench/machine.js';
import { sizeLabel } from '../bench/streams.js';
import { compact, writeChart } from './bench-native-charts.js';
import { renderHol, renderPool } from './bench-native-pool-report.js';
import type { CompressionComparison, NativeReport, ScenarioResult, TargetCheck, TlsComparison } from './bench-native-types.js';

/** A scenario of this run; `payload` defaults to the main matrix's (older JSON has none: fill). */
const find = (r: NativeReport, topology: ScenarioResult['topology'], size: number, mode: ScenarioResult['mode'], payload = r.settings.payload ?? 'fill') =>
  r.scenarios.find((s) => s.topology === topology && s.size === size && s.mode === mode && (s.payload ?? 'fill') === payload);

const cpuOf = (s: ScenarioResult | undefined, label: string) => s?.cpu.find((c) => c.label === label)?.usPerMsg;

/** A nats-server's CPU per routed message: the mean of the two servers of the direct route. */
export function serverUsPerMsg(s: ScenarioResult | undefined): number | undefined {
  const a = cpuOf(s, 'A1');
  const b = cpuOf(s, 'B1');
  return a === undefined || b === undefined ? undefined : (a + b) / 2;
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const f1 = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${f1(Math.abs(v))}`;
const f2 = (v: number) => v.toFixed(2);
const int = (v: number) => Math.round(v).toLocaleString('en-US');

/** Issue 7's targets ("Targets"), as ratios measured in this run. */
export function evaluateTargets(r: NativeReport): TargetCheck[] {
  const out: TargetCheck[] = [];
  const ratio = (size: number, min: number, aim?: number) => {
    const d = find(r, 'direct', size, 'full');
    const p = find(r, 'proxies', size, 'full');
    const name = `throughput through two proxies at ${sizeLabel(size)}`;
    const target = `≥ ${pct(min)} of direct${aim ? ` (aim ${pct(aim)})` : ''}`;
    if (!d || !p || d.msgsPerSec === 0) return out.push({ name, target, measured: 'not measured', pass: undefined });
    const x = p.msgsPerSec / d.msgsPerSec;
    out.push({ name, target, measured: `${pct(x)} (${int(p.msgsPerSec)} vs ${int(d.msgsPerSec)} msg/s)`, pass: x >= min });
  };
  ratio(128, 0.7, 0.85);
  ratio(16384, 0.9);

  {
    const d = find(r, 'direct', 128, 'full');
    const p = find(r, 'proxies', 128, 'full');
    const server = serverUsPerMsg(d);
    const pa = cpuOf(p, 'proxy A');
    const pb = cpuOf(p, 'proxy B');
    const name = 'proxy CPU per relayed 128 B message';
    const target = '≤ 50% of a nats-server per routed message';
    if (server === undefined || pa === undefined || pb === undefined || server === 0) out.push({ name, target, measured: 'not measured', pass: undefined });
    else {
      const worst = Math.max(pa, pb);
      out.push({
        name, target, pass: worst / server <= 0.5,
        measured: `proxy A ${f2(pa)} µs, proxy B ${f2(pb)} µs vs nats-server ${f2(server)} µs (${pct(worst / server)})`,
      });
    }
  }

  for (const size of r.settings.sizes) {
    const d = find(r, 'direct', size, 'half');
    const p = find(r, 'proxies', size, 'half');
    if (!d || !p) continue;
    const added = p.latencyUs.p99 - d.latencyUs.p99;
    out.push({
      name: `p99 latency at half load, ${sizeLabel(size)}`,
      target: '≤ direct p99 + 1 ms',
      measured: `${f1(p.latencyUs.p99)} µs vs ${f1(d.latencyUs.p99)} µs (${signed(added)} µs at ${int(p.rate)} msg/s)`,
      pass: added <= 1000,
    });
  }

  {
    const d = find(r, 'direct', 128, 'full');
    const name = 'route parser alone, 128 B RMSG';
    const target = '≥ 5× the direct route\'s 128 B rate';
    if (!d || r.parser128MsgsPerSec === undefined || d.msgsPerSec === 0) out.push({ name, target, measured: 'not measured', pass: undefined });
    else {
      const x = r.parser128MsgsPerSec / d.msgsPerSec;
      out.push({ name, target, measured: `${f1(x)}× (${int(r.parser128MsgsPerSec)} vs ${int(d.msgsPerSec)} msg/s)`, pass: x >= 5 });
    }
  }

  for (const c of r.compression ?? []) {
    const what = `${c.topology === 's2' ? `S2 (${c.mode})` : 'LZ4'} proxy link, ${sizeLabel(c.size)} JSON`;
    out.push({
      name: `throughput, ${what}`,
      target: '≥ 60% of the uncompressed two-proxy path',
      measured: c.vsUncompressed === undefined ? 'not measured'
        : `${pct(c.vsUncompressed)} (${int(c.msgsPerSec)} msg/s${c.rounds.length > 1 ? `; median of ${c.rounds.length} rounds: ${c.rounds.map((q) => (q.vsUncompressed === undefined ? '–' : pct(q.vsUncompressed))).join(', ')}` : ''})`,
      pass: c.vsUncompressed === undefined ? undefined : c.vsUncompressed >= 0.6,
    });
    out.push({
      name: `bytes on the proxy link, ${what}`,
      target: 'aim < 40% of uncompressed',
      measured: c.wireVsUncompressed === undefined ? 'not measured' : `${pct(c.wireVsUncompressed)} (${f1(c.wireBytesPerMsg)} B/msg)`,
      pass: c.wireVsUncompressed === undefined ? undefined : c.wireVsUncompressed < 0.4,
    });
  }

  const full = r.scenarios.filter((s) => s.mode === 'full' && s.size <= 16384);
  if (full.length) {
    const bad = full.filter((s) => s.lost > 0 || s.duplicates > 0);
    out.push({
      name: 'loss and duplicates at full speed, up to 16 KiB',
      target: 'zero in every scenario',
      measured: bad.length === 0 ? 'none' : bad.map((s) => `${s.topology} ${sizeLabel(s.size)}: ${int(s.lost)} lost (${pct(s.lost / s.count)}), ${s.duplicates} dup`).join('; '),
      pass: bad.length === 0,
    });
  }
  return out;
}

/** Issue 10: the TLS path at each size as ratios to the plaintext two-proxy path and the direct route of this run. */
export function compareTls(r: NativeReport, sizes: number[]): TlsComparison[] {
  const out: TlsComparison[] = [];
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
  for (const size of sizes) {
    const t = find(r, 'tls', size, 'full');
    if (!t) continue;
    const p = find(r, 'proxies', size, 'full');
    const d = find(r, 'direct', size, 'full');
    const share = (s: ScenarioResult) => (s.count > 0 ? s.lost / s.count : 0);
    const c: TlsComparison = {
      size, msgsPerSec: t.msgsPerSec,
      proxyA: {}, proxyB: {},
      lossShare: { tls: share(t) },
    };
    const set = <K extends keyof TlsComparison>(o: TlsComparison, k: K, v: TlsComparison[K] | undefined) => {
      if (v !== undefined) o[k] = v;
    };
    set(c, 'vsProxies', ratio(t.msgsPerSec, p?.msgsPerSec));
    set(c, 'vsDirect', ratio(t.msgsPerSec, d?.msgsPerSec));
    for (const [k, label] of [['proxyA', 'proxy A'], ['proxyB', 'proxy B']] as const) {
      const us = cpuOf(t, label);
      if (us !== undefined) c[k].usPerMsg = us;
      const x = ratio(us, cpuOf(p, label));
      if (x !== undefined) c[k].vsProxies = x;
    }
    if (p) c.lossShare.proxies = share(p);
    if (d) c.lossShare.direct = share(d);
    set(c, 'lossVsProxies', ratio(c.lossShare.tls, c.lossShare.proxies || undefined));
    out.push(c);
  }
  return out;
}

/** Median of the defined values (undefined when none). */
function median(xs: Array<number | undefined>): number | undefined {
  const v = xs.filter((x): x is number => x !== undefined).sort((p, q) => p - q);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
}

/** The reference runs (uncompressed two-proxy path, JSON payloads) of one size, by round. */
const references = (r: NativeReport, size: number) =>
  r.scenarios.filter((s) => s.topology === 'proxies' && s.size === size && s.mode === 'full' && s.payload === 'json');

/**
 * Issue 9: each compressed proxy link against the uncompressed two-proxy path with the same
 * (JSON) payloads, per round against that round's reference, then the median over the rounds.
 */
export function compareCompression(r: NativeReport, sizes: number[]): CompressionComparison[] {
  const out: CompressionComparison[] = [];
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
  for (const size of sizes) {
    const refs = references(r, size);
    const refOf = (s: ScenarioResult) => refs.find((x) => x.round === s.round) ?? refs[0];
    for (const topology of ['s2', 'lz4'] as const) {
      const runs = r.scenarios.filter((s) => s.topology === topology && s.size === size && s.mode === 'full' && s.payload === 'json');
      if (runs.length === 0) continue;
      const cmp: CompressionComparison = {
        size, payload: 'json', topology, mode: runs[0]!.proxyLink?.compression ?? '',
        msgsPerSec: median(runs.map((s) => s.msgsPerSec))!,
        wireBytesPerMsg: median(runs.map((s) => s.proxyLink?.wireBytesPerMsg)) ?? 0,
        proxyA: {}, proxyB: {}, lost: runs.reduce((a, s) => a + s.lost, 0),
        rounds: runs.map((s) => {
          const x: { msgsPerSec: number; vsUncompressed?: number } = { msgsPerSec: s.msgsPerSec };
          const v = ratio(s.msgsPerSec, refOf(s)?.msgsPerSec);
          if (v !== undefined) x.vsUncompressed = v;
          return x;
        }),
      };
      const v = median(cmp.rounds.map((x) => x.vsUncompressed));
      if (v !== undefined) cmp.vsUncompressed = v;
      const w = median(runs.map((s) => ratio(s.proxyLink?.wireBytesPerMsg, refOf(s)?.proxyLink?.wireBytesPerMsg)));
      if (w !== undefined) cmp.wireVsUncompressed = w;
      for (const [k, label] of [['proxyA', 'proxy A'], ['proxyB', 'proxy B']] as const) {
        const us = median(runs.map((s) => cpuOf(s, label)));
        if (us !== undefined) cmp[k].usPerMsg = us;
        const x = median(runs.map((s) => { const ref = refOf(s); return ref ? ratio(cpuOf(s, label), cpuOf(ref, label)) : undefined; }));
        if (x !== undefined) cmp[k].vsUncompressed = x;
      }
      out.push(cmp);
    }
  }
  return out;
}

function table(head: string[], rows: string[][], textColumns = 2): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i < textColumns ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

const rss = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

export function renderMarkdown(r: NativeReport): string {
  const md: string[] = [];
  md.push(`# nats-route-proxy native benchmark${r.settings.quick ? ' (quick)' : ''}`);
  md.push('');
  md.push(`- Machine: ${machineLine(r.machine)}`);
  md.push(`- ${r.versions.natsServer}; load: libnats ${r.versions.libnats} C client (${r.versions.cc})`);
  md.push(`- nats-route-proxy ${r.versions.proxy} at ${r.versions.proxyCommit}, proxies run as \`node dist/src/cli.js -c <conf>\` with the default proxy options`);
  md.push(`- Loopback; publisher on site A server A1, subscriber on site B server B1. Direct: A1 and B1 in one cluster. Proxies: A1 → proxy A → proxy B → B1.`);
  const subjects = r.settings.subjects ?? 1;
  md.push(subjects > 1
    ? `- Subjects: the publisher sends on ${subjects} subjects in turn (no two consecutive messages share one; the subscriber takes them all with a wildcard).`
    : '- Subjects: one per scenario, so every control line repeats the one before it up to the size (the proxies then skip tokenizing it and reuse the relay decision; `--subjects N` rotates over N).');
  md.push(`- Throughput: delivered unique messages / (last receive − first publish). CPU per message: utime+stime from /proc/<pid>/stat over the scenario, divided by the messages published. Latency: one-way (receive − publish timestamp in the payload), HDR-style histogram. ${r.settings.halfLoadRule}.${r.settings.warmup ? ` Warm-up: ${r.settings.warmup}.` : ''}`);
  md.push(`- Slow consumers (where a loss happened): \`B1 client\` is the subscriber's own connection on B1 (the load generator fell behind, not the path under test); \`route\` counts and \`proxy A/B\` (its "Slow Consumer Detected" log lines) are the path's.`);
  md.push(`- The machine's load average when the run started is in the first line: on a shared machine only ratios within one run are comparable.`);
  md.push(`- Run took ${r.durationSeconds.toFixed(0)} s.`);
  md.push('');
  if (r.errors.length) {
    md.push('## Failed scenarios');
    md.push('');
    for (const e of r.errors) md.push(`- ${e}`);
    md.push('');
  }
  md.push('## Targets (issues 7 and 9), measured in this run');
  md.push('');
  md.push(table(['target', 'wanted', 'measured', ''], r.targets.map((t) => [t.name, t.target, t.measured, t.pass === undefined ? '–' : t.pass ? 'met' : '**missed**']), 4));
  md.push('');
  const fulls = r.scenarios.filter((s) => s.mode === 'full');
  // Runs with only the pool/hol sections (issue 8) have no main-matrix scenarios.
  if (fulls.length) {
    md.push('## Full speed');
    md.push('');
    md.push(table(
      ['payload', 'path', 'messages', 'msg/s', 'MB/s', 'vs direct', 'lost', 'dup', 'p50 µs', 'p99 µs', 'proxy peak RSS', 'slow consumers'],
      fulls.map((s) => {
        const d = find(r, 'direct', s.size, 'full', s.payload ?? 'fill');
        const vs = s.topology !== 'direct' && d && d.msgsPerSec > 0 ? pct(s.msgsPerSec / d.msgsPerSec) : '';
        return [
          `${sizeLabel(s.size)}${s.payload === 'json' ? ' JSON' : ''}`, s.topology, int(s.count), int(s.msgsPerSec), f1(s.mbPerSec), vs,
          s.lost ? `**${int(s.lost)}**` : '0', s.duplicates ? `**${s.duplicates}**` : '0',
          f1(s.latencyUs.p50), f1(s.latencyUs.p99), s.peakRss.map((p) => `${p.label} ${rss(p.bytes)}`).join(', '), s.slowConsumers,
        ];
      }),
    ));
    md.push('');
    md.push('## CPU per message (µs of CPU per published message, every process)');
    md.push('');
    const labels = ['publisher', 'A1', 'proxy A', 'proxy B', 'B1', 'subscriber'];
    md.push(table(['payload', 'path', ...labels], fulls.map((s) => [
      `${sizeLabel(s.size)}${s.payload === 'json' ? ' JSON' : ''}`, s.topology, ...labels.map((l) => {
        const v = cpuOf(s, l);
        return v === undefined ? '' : f2(v);
      }),
    ])));
    md.push('');
    md.push(...renderBudget(r, fulls, labels));
  }
  if (r.tls?.length) {
    md.push('## Route TLS on the proxy link (issue 10), as ratios to plaintext in this run');
    md.push('');
    md.push('Path `tls`: the two-proxy path with route TLS (default versions and suites, EC P-256 certificates made by openssl for this run). A proxy has one `cluster.tls` for all its routes, as nats-server does, so A1 → proxy A and proxy B → B1 run TLS too; A1 and B1 pay for their leg, the proxies for both of theirs. Ratios are TLS / plaintext; CPU is µs per published message.');
    md.push('');
    const x = (v: number | undefined) => (v === undefined ? '–' : `${f2(v)}×`);
    const us = (v: number | undefined) => (v === undefined ? '–' : f2(v));
    const share = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(2)}%`);
    md.push(table(
      ['payload', 'TLS msg/s', 'vs two proxies', 'vs direct', 'proxy A µs/msg', 'vs plaintext', 'proxy B µs/msg', 'vs plaintext', 'lost: TLS', 'two proxies', 'direct', 'loss vs plaintext'],
      r.tls.map((c) => [
        sizeLabel(c.size), int(c.msgsPerSec), x(c.vsProxies), x(c.vsDirect), us(c.proxyA.usPerMsg), x(c.proxyA.vsProxies),
        us(c.proxyB.usPerMsg), x(c.proxyB.vsProxies), share(c.lossShare.tls), share(c.lossShare.proxies), share(c.lossShare.direct),
        c.lossVsProxies === undefined ? (c.lossShare.tls === 0 ? 'none lost' : 'plaintext lost none') : x(c.lossVsProxies),
      ]), 1,
    ));
    md.push('');
  }
  if (r.compression?.length) {
    md.push('## Proxy-link compression (issue 9), as ratios to the uncompressed proxy link in this run');
    md.push('');
    const rounds = r.settings.compressionRounds ?? 1;
    const roundsNote = rounds > 1
      ? `${rounds} interleaved rounds of (uncompressed, s2, lz4); every figure is the median over the rounds, each ratio against its own round's uncompressed run (a shared machine's load moves single runs: the per-round ratios are listed). `
      : '';
    md.push(roundsNote + 'Paths `s2` (both proxies `compression: s2_auto`, which a proxy link runs at its fixed default level) and `lz4` (both `proxy { lz4: true }`): only the proxy link is compressed, the site servers say `compression: off`. Payloads: JSON-like events from `nb_pub --payload json` (a pool of distinct payloads, random ids, amounts, times; the first 16 bytes are the binary sequence and timestamp), the same for the reference, which is the uncompressed two-proxy path run right before. Link bytes: both directions of proxy A\'s connection to proxy B (its /routez wire counters) per published message. CPU is µs per published message.');
    md.push('');
    const x = (v: number | undefined) => (v === undefined ? '–' : `${f2(v)}×`);
    const us = (v: number | undefined) => (v === undefined ? '–' : f2(v));
    md.push(table(
      ['payload', 'path', 'link mode', 'msg/s', 'vs uncompressed', 'per round', 'link B/msg', 'vs uncompressed', 'proxy A µs/msg', 'vs uncompressed', 'proxy B µs/msg', 'vs uncompressed', 'lost'],
      [
        ...[...new Set(r.compression.map((c) => c.size))].flatMap((size) => {
          const refs = references(r, size);
          if (refs.length === 0) return [];
          const p = refs[0]!;
          const m = (f: (s: ScenarioResult) => number | undefined) => median(refs.map(f));
          const bpm = m((s) => s.proxyLink?.wireBytesPerMsg);
          return [[
            `${sizeLabel(size)} JSON`, 'proxies (uncompressed)', p.proxyLink?.compression || 'off', int(m((s) => s.msgsPerSec)!), '1.00×',
            refs.map((s) => int(s.msgsPerSec)).join(', '), bpm === undefined ? '–' : f1(bpm), '1.00×',
            us(m((s) => cpuOf(s, 'proxy A'))), '1.00×', us(m((s) => cpuOf(s, 'proxy B'))), '1.00×', int(refs.reduce((a, s) => a + s.lost, 0)),
          ]];
        }),
        ...r.compression.map((c) => [
          `${sizeLabel(c.size)} JSON`, c.topology, c.mode, int(c.msgsPerSec), x(c.vsUncompressed),
          c.rounds.map((q) => (q.vsUncompressed === undefined ? '–' : f2(q.vsUncompressed))).join(', '), f1(c.wireBytesPerMsg), x(c.wireVsUncompressed),
          us(c.proxyA.usPerMsg), x(c.proxyA.vsUncompressed), us(c.proxyB.usPerMsg), x(c.proxyB.vsUncompressed), int(c.lost),
        ]),
      ], 3,
    ));
    md.push('');
  }
  const halves = r.scenarios.filter((s) => s.mode === 'half');
  if (halves.length) {
    md.push('## Latency at half load (one-way, µs)');
    md.push('');
    md.push(table(['payload', 'path', 'rate msg/s', 'messages', 'p50', 'p90', 'p99', 'p99.9', 'max', 'lost'], halves.map((s) => [
      sizeLabel(s.size), s.topology, int(s.rate), int(s.count), f1(s.latencyUs.p50), f1(s.latencyUs.p90), f1(s.latencyUs.p99),
      f1(s.latencyUs.p999), f1(s.latencyUs.max), String(s.lost),
    ])));
    md.push('');
  }
  if (r.pool) md.push(...renderPool(r.pool));
  if (r.hol) md.push(...renderHol(r.hol));
  if (r.profile) {
    const p = r.profile;
    md.push(`## Where proxy A spends its CPU (node --cpu-prof, ${sizeLabel(p.scenario.size)} full speed)`);
    md.push('');
    md.push(`Profiled run: ${int(p.scenario.msgsPerSec)} msg/s, ${int(p.scenario.lost)} lost (profiling slows the proxy; not part of the figures above). Busy ${f1(p.busyMs)} ms of ${f1(p.totalMs)} ms sampled${p.windowed ? ' from first publish to last receive (start-up and shutdown left out)' : ' (whole process lifetime)'}. Profile: \`${p.file}\`.`);
    md.push('');
    md.push(table(['stage', 'self ms', 'share of busy'], p.stages.slice(0, 14).map((s) => [s.stage, f1(s.selfMs), `${f1(s.selfPercent)}%`]), 1));
    md.push('');
    md.push(table(['function', 'where', 'stage', 'self ms', 'share'], p.top.slice(0, 20).map((f) => [
      `\`${f.function}\``, f.location, f.stage, f1(f.selfMs), `${f1(f.selfPercent)}%`,
    ]), 3));
    md.push('');
  }
  if (r.parser128MsgsPerSec !== undefined) {
    md.push(`Route parser alone (micro harness, 128 B RMSG in 64 KiB chunks, same run): ${int(r.parser128MsgsPerSec)} msg/s.`);
    md.push('');
  }
  if (r.charts.length) {
    md.push('## Charts');
    md.push('');
    for (const c of r.charts) md.push(`![${c}](${c})`);
    md.push('');
  }
  return md.join('\n');
}

/** Throughput, bandwidth, latency and CPU charts (SVG + PNG); returns the file names for the report. */
export async function renderCharts(r: NativeReport, dir: string): Promise<string[]> {
  const sizes = r.settings.sizes;
  const cats = sizes.map(sizeLabel);
  // The charts are over the main matrix; the compressed paths have their own table (one size, JSON payloads).
  const paths: Array<ScenarioResult['topology']> = (r.settings.topologies as Array<ScenarioResult['topology']>)
    .filter((t) => t === 'direct' || t === 'proxies' || t === 'tls');
  if (!r.scenarios.length) return []; // only the issue 8 sections: they have tables, no charts
  const pathName = (t: string) => (t === 'direct' ? 'direct route' : t === 'tls' ? 'two proxies, route TLS' : t === 's2' ? 'two proxies, S2 link'
    : t === 'lz4' ? 'two proxies, LZ4 link' : 'two proxies');
  const sub = `${r.machine.cores} cores, ${r.machine.cpuModel}, ${r.versions.natsServer.replace(/^nats-server: /, 'nats-server ')}, nats-route-proxy ${r.versions.proxyCommit}`;
  const files: string[] = [];
  const emit = async (name: string, c: Parameters<typeof writeChart>[1]) => {
    const res = await writeChart(join(dir, name), c);
    files.push(res.png ? `${name}.png` : `${name}.svg`);
  };
  const val = (t: ScenarioResult['topology'], size: number, mode: ScenarioResult['mode'], f: (s: ScenarioResult) => number | undefined) => {
    const s = find(r, t, size, mode);
    return s ? f(s) : undefined;
  };
  await emit('throughput', {
    title: 'Throughput vs payload size (full speed)', subtitle: sub, categories: cats, yLabel: 'messages / s', log: true,
    series: paths.map((t) => ({ name: pathName(t), values: sizes.map((z) => val(t, z, 'full', (s) => s.msgsPerSec)) })),
  });
  await emit('bandwidth', {
    title: 'Payload bandwidth vs payload size (full speed)', subtitle: sub, categories: cats, yLabel: 'MB / s', log: true,
    series: paths.map((t) => ({ name: pathName(t), values: sizes.map((z) => val(t, z, 'full', (s) => s.mbPerSec)) })),
  });
  if (r.scenarios.some((s) => s.mode === 'half')) {
    const pcts: Array<[string, (s: ScenarioResult) => number]> = [['p50', (s) => s.latencyUs.p50], ['p99', (s) => s.latencyUs.p99], ['p99.9', (s) => s.latencyUs.p999]];
    await emit('latency', {
      title: 'One-way latency at half load', subtitle: sub, categories: cats, yLabel: 'µs', log: true, format: (v) => compact(v),
      series: paths.filter((t) => t !== 'tls').flatMap((t) => pcts.map(([n, f]) => ({ name: `${pathName(t)} ${n}`, values: sizes.map((z) => val(t, z, 'half', f)) }))),
    });
  }
  const procs: Array<[ScenarioResult['topology'], string]> = [
    ['direct', 'A1'], ['direct', 'B1'], ['proxies', 'A1'], ['proxies', 'proxy A'], ['proxies', 'proxy B'], ['proxies', 'B1'],
    ['tls', 'proxy A'], ['tls', 'proxy B'],
  ];
  await emit('cpu', {
    title: 'CPU per message, by process (full speed)', subtitle: sub, categories: cats, yLabel: 'µs CPU / message', log: true,
    series: procs.filter(([t]) => paths.includes(t)).map(([t, l]) => ({
      name: `${t === 'direct' ? 'direct' : t === 'tls' ? 'TLS' : 'proxied'}: ${l}`, values: sizes.map((z) => val(t, z, 'full', (s) => cpuOf(s, l))),
    })),
  });
  return files;
}

/** Throughput targets of issue 7 by payload size (ratio of the two-proxy path to the direct route). */
const RATIO_TARGETS: Record<number, number> = { 128: 0.7, 16384: 0.9 };

/**
 * Every process of a scenario runs on the same few cores and each is CPU-bound at full speed, so
 * the throughput of a path is about cores / (CPU per message summed over its processes). This
 * table sets that prediction beside the measured ratio, and says how much CPU the two proxies
 * together may cost per message for a throughput target to be reachable at all on this machine.
 */
function renderBudget(r: NativeReport, fulls: ScenarioResult[], labels: string[]): string[] {
  const rows: string[][] = [];
  const cores = r.machine.cores;
  for (const p of fulls) {
    if (p.topology !== 'proxies') continue;
    const d = find(r, 'direct', p.size, 'full', p.payload ?? 'fill');
    if (!d || d.msgsPerSec <= 0 || p.msgsPerSec <= 0) continue;
    const sum = (s: ScenarioResult) => labels.reduce((n, l) => n + (cpuOf(s, l) ?? 0), 0);
    const td = sum(d);
    const tp = sum(p);
    const proxies = (cpuOf(p, 'proxy A') ?? 0) + (cpuOf(p, 'proxy B') ?? 0);
    const target = RATIO_TARGETS[p.size];
    // Proxies' allowance: the path's total may be at most td / target; the other processes keep their cost.
    const allowed = target === undefined ? undefined : td / target - (tp - proxies);
    rows.push([
      `${sizeLabel(p.size)}${p.payload === 'json' ? ' JSON' : ''}`, f2(td), f2(tp),
      pct((d.msgsPerSec * td) / 1e6 / cores), pct((p.msgsPerSec * tp) / 1e6 / cores),
      pct(td / tp), pct(p.msgsPerSec / d.msgsPerSec),
      target === undefined ? '' : pct(target), allowed === undefined ? '' : allowed > 0 ? f2(allowed) : 'none', f2(proxies),
    ]);
  }
  if (rows.length === 0) return [];
  return [
    `## CPU budget (${cores} cores shared by every process)`,
    '',
    'Each process is CPU-bound at full speed, so a path carries about cores ÷ (CPU per message summed over its processes). '
      + '"busy" is the share of the cores that sum accounts for at the measured rate; "predicted" is the direct sum over the proxies\' sum. '
      + '"proxies may cost" is the CPU per message both proxies together may use for the target ratio to be reachable on this machine, the other processes costing what they did.',
    '',
    table(['payload', 'direct µs/msg (sum)', 'proxies path µs/msg (sum)', 'direct busy', 'proxies busy', 'predicted', 'measured', 'target', 'proxies may cost µs', 'proxies cost µs'],
      rows, 1),
    '',
  ];
}
