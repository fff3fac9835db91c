// The benchmark entry points still run end to end (tiny sizes), so they cannot rot: the micro
// harness over every bench/*.bench.js with --quick, and the native harness on one tiny 128 B
// scenario per path (direct route, two proxy processes, the same with route TLS) with --cpu-prof,
// plus the compressed proxy links (S2, LZ4) at 1 KiB JSON-like payloads; then, in a second run,
// issue 8's pooled paths (pool1, pool3) and the head-of-line probe (hol). Nothing here asserts
// performance; only that each produced its report, JSON and charts.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [join(dist, 'scripts', script), ...args], { maxBuffer: 16 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function tmp(t: { teardown(fn: () => unknown): void }, name: string): string {
  const d = mkdtempSync(join(tmpdir(), `nrp-${name}-`));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('npm run bench (micro, --quick) measures every group and writes JSON', async (t) => {
  const out = tmp(t, 'micro');
  const r = await run('bench-micro.js', ['--quick', '--out', out]);
  t.equal(r.code, 0, `exit 0\n${r.stderr}`);
  t.match(r.stdout, /ops\/s\s+ns\/op/, 'table header printed');
  const json = JSON.parse(readFileSync(join(out, 'micro.json'), 'utf8'));
  t.ok(json.machine.cores >= 1 && json.machine.cpuModel && json.machine.node === process.version, 'machine described');
  const files = readdirSync(join(dist, 'bench')).filter((f) => f.endsWith('.bench.js')).sort();
  t.same(json.files, files, 'every compiled bench/*.bench.js was picked up');
  const groups = new Set(json.results.map((x: { group: string }) => x.group));
  for (const g of ['parser RMSG 128 B', 'parser RMSG 16 KiB', 'interest match, 10 k subscriptions', 'relay decision (1 message, fake peers)', 'outbound writer', 'encoders', 'pool hashing']) {
    t.ok(groups.has(g), `group "${g}" measured`);
  }
  const bad = json.results.filter((x: { error?: string; opsPerSec: number }) => x.error || !(x.opsPerSec > 0));
  t.same(bad, [], 'every case completed with a rate');
  t.ok(json.results.some((x: { ratio?: number }) => x.ratio === 1), 'reference cases carry ratio 1');
});

t.test('npm run bench:native (one tiny scenario, --cpu-prof) writes report, JSON and charts', async (t) => {
  const out = tmp(t, 'native');
  const r = await run('bench-native.js', ['--quick', '--sizes', '128', '--count', '1000', '--compression-sizes', '1024', '--cpu-prof',
    '--topologies', 'direct,proxies,tls,s2,lz4,interest', '--out', out]);
  t.equal(r.code, 0, `exit 0\n${r.stderr.slice(-4000)}`);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  t.match(md, /## Targets \(issues 7 and 9\)/, 'report has the targets table');
  t.match(md, /Where proxy A spends its CPU/, 'report has the profile summary');
  const j = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  t.match(j.versions.natsServer, /2\.10\.27/, 'nats-server version recorded');
  t.ok(j.machine.cores >= 1 && j.machine.cpuModel, 'machine described');
  const kinds = j.scenarios.map((s: { topology: string; mode: string }) => `${s.topology}/${s.mode}`).sort();
  t.same(kinds, ['direct/full', 'direct/half', 'lz4/full', 'proxies/full', 'proxies/full', 'proxies/half', 's2/full', 'tls/full'],
    'plain paths at full speed and half load, TLS and the compressed links at full speed, plus their uncompressed reference');
  for (const s of j.scenarios) {
    t.ok(s.delivered > 0 && s.msgsPerSec > 0, `${s.topology}/${s.mode}: messages delivered`);
    t.equal(s.delivered + s.lost, s.count, `${s.topology}/${s.mode}: delivered + lost = published`);
    const labels = s.cpu.map((c: { label: string }) => c.label);
    t.same(labels, s.topology === 'direct'
      ? ['publisher', 'A1', 'B1', 'subscriber']
      : ['publisher', 'A1', 'proxy A', 'proxy B', 'B1', 'subscriber'], `${s.topology}: CPU of every process`);
    if (s.topology !== 'direct') t.ok(s.peakRss.length === 2 && s.peakRss.every((p: { bytes: number }) => p.bytes > 0), 'proxies peak RSS');
    t.ok(s.latencyUs.count > 0 && s.latencyUs.p99 >= s.latencyUs.p50, `${s.topology}/${s.mode}: latency percentiles`);
  }
  t.ok(j.profile && j.profile.windowed && j.profile.stages.length > 0 && j.profile.top.length > 0, 'cpu profile summarized over the traffic window');
  t.ok(j.targets.length >= 5, 'targets evaluated');
  // Interest propagation (issue 12): both paths converged, as a ratio.
  t.match(md, /## Interest propagation \(20000 distinct subjects/, 'report has the interest section');
  t.same(j.interest?.paths.map((p: { path: string }) => p.path), ['direct', 'proxies'], 'interest measured on both paths');
  t.ok(j.interest.subscribeRatio > 0 && j.interest.unsubscribeRatio > 0, 'interest rates as ratios to the direct route');
  // The TLS path: its ratios in the JSON and the report, and its proxies really configured for TLS
  // (never negotiated: with tls on both ends, and on A1 and B1, a route that came up is a TLS route).
  t.equal(j.tls?.length, 1, 'one TLS comparison (128 B)');
  const c = j.tls[0];
  t.equal(c.size, 128);
  t.ok(c.msgsPerSec > 0 && c.vsProxies > 0 && c.vsDirect > 0, 'TLS throughput as ratios to both plaintext paths');
  t.ok(c.proxyA.usPerMsg >= 0 && c.proxyB.usPerMsg >= 0 && 'tls' in c.lossShare && 'proxies' in c.lossShare, 'CPU per proxy and loss shares');
  t.match(md, /## Route TLS on the proxy link \(issue 10\)/, 'report has the TLS section');
  // Issue 9: the compressed links against the uncompressed path with the same JSON payloads.
  const json = j.scenarios.filter((s: { payload: string }) => s.payload === 'json').map((s: { topology: string; size: number }) => `${s.topology}/${s.size}`).sort();
  t.same(json, ['lz4/1024', 'proxies/1024', 's2/1024'], 'JSON payloads on the compressed paths and their reference');
  t.same(j.compression?.map((c: { topology: string; mode: string }) => `${c.topology}:${c.mode}`), ['s2:s2_fast', 'lz4:lz4'], 'the links ran S2 at the default proxy-link level and LZ4');
  for (const c of j.compression) {
    t.ok(c.msgsPerSec > 0 && c.vsUncompressed > 0, `${c.topology}: throughput as a ratio to the uncompressed link`);
    // JSON-like text compresses: fewer bytes on the link than uncompressed (no ratio target asserted).
    t.ok(c.wireBytesPerMsg > 0 && c.wireVsUncompressed > 0 && c.wireVsUncompressed < 1, `${c.topology}: link bytes ${c.wireBytesPerMsg} B/msg, ${c.wireVsUncompressed} of uncompressed`);
  }
  const ref = j.scenarios.find((s: { topology: string; payload: string }) => s.topology === 'proxies' && s.payload === 'json');
  t.equal(ref.proxyLink.compression, 'off', 'the reference link is uncompressed');
  t.ok(ref.proxyLink.wireBytesPerMsg > 1024, 'and carries more than the payload per message');
  t.match(md, /## Proxy-link compression \(issue 9\)/, 'report has the compression section');
  t.match(readFileSync(join(out, 'logs', 'proxy-A-s2.conf'), 'utf8'), /compression: s2_auto/, 'S2 path configured');
  t.match(readFileSync(join(out, 'logs', 'proxy-A-lz4.conf'), 'utf8'), /proxy \{ lz4: true \}/, 'LZ4 path configured');
  for (const n of ['proxy-A-tls', 'proxy-B-tls']) t.match(readFileSync(join(out, 'logs', `${n}.conf`), 'utf8'), /tls \{ cert_file: .*ca_file:/, `${n} runs route TLS`);
  t.ok(existsSync(join(out, 'tls', 'ca.pem')), 'certificates generated into the results folder');
  t.match(readFileSync(join(out, 'throughput.svg'), 'utf8'), /two proxies, route TLS/, 'TLS series in the throughput chart');
  for (const c of ['throughput', 'bandwidth', 'latency', 'cpu']) {
    t.match(readFileSync(join(out, `${c}.svg`), 'utf8'), /^<svg /, `${c}.svg`);
    const png = readFileSync(join(out, `${c}.png`));
    t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${c}.png is a PNG`);
  }
  t.ok(existsSync(join(out, 'logs')), 'proxy logs kept');
  // Built by the same run: the latency histogram's own self-test.
  const hist = await new Promise<{ code: number; out: string }>((res) => {
    execFile(join(dist, '..', 'native-bench', 'build', 'hist_test'), (err, stdout) => res({ code: err ? 1 : 0, out: stdout }));
  });
  t.equal(hist.code, 0, `histogram percentiles within their stated error\n${hist.out}`);
});

t.test('npm run bench:native --subjects: the publisher rotates over subjects and everything arrives', async (t) => {
  const out = tmp(t, 'native-subjects');
  const r = await run('bench-native.js', ['--quick', '--sizes', '128', '--count', '1000', '--topologies', 'direct,proxies', '--no-latency', '--subjects', '5', '--out', out]);
  t.equal(r.code, 0, `exit 0\n${r.stderr.slice(-4000)}`);
  const j = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  t.equal(j.settings.subjects, 5);
  t.same(j.scenarios.map((s: { topology: string; delivered: number; lost: number }) => [s.topology, s.delivered, s.lost]), [['direct', 1000, 0], ['proxies', 1000, 0]]);
  t.match(readFileSync(join(out, 'report.md'), 'utf8'), /sends on 5 subjects in turn/);
});

t.test('npm run bench:native pool1,pool3,hol (issue 8): pool ratios for 1 and 4 accounts, head-of-line idle vs loaded', async (t) => {
  const out = tmp(t, 'native-pool');
  const r = await run('bench-native.js', ['--quick', '--topologies', 'pool1,pool3,hol', '--count', '1000', '--out', out]);
  t.equal(r.code, 0, `exit 0\n${r.stderr.slice(-4000)}`);
  const j = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  t.same(j.scenarios, [], 'no main-matrix scenario was asked for');
  const runs = j.pool.runs.map((x: { topology: string; accounts: number; size: number }) => `${x.topology}/${x.accounts}/${x.size}`).sort();
  t.same(runs, ['pool1/1/128', 'pool1/4/128', 'pool3/1/128', 'pool3/4/128'], 'both pool sizes, one and four accounts, 128 B');
  for (const x of j.pool.runs) {
    t.equal(x.pairs.length, x.accounts, `${x.topology}/${x.accounts}: one result per pair`);
    for (const p of x.pairs) t.equal(p.delivered + p.lost, 1000, `${x.topology} ${p.account}: delivered + lost = published`);
    t.ok(x.msgsPerSec > 0, `${x.topology}/${x.accounts}: summed rate`);
    // With pool 3 the four accounts (FNV-1a indexes 2, 1, 1, 0) use all three pooled connections;
    // with pool 1 everything shares one (the pinned $SYS connection carries no bench traffic).
    if (x.topology === 'pool3') t.equal(x.links, 4, 'pool3: three pooled connections and $SYS between the proxies');
    if (x.topology === 'pool1') t.equal(x.links, 2, 'pool1: one pooled connection and $SYS between the proxies');
    if (x.topology === 'pool1' || x.accounts === 1) t.equal(x.linksUsed, 1, `${x.topology}/${x.accounts}: one connection carried the traffic`);
    else t.equal(x.linksUsed, 3, 'pool3, four accounts: spread over all three pooled connections');
  }
  t.same(j.pool.comparisons.map((c: { accounts: number; ratio: number }) => [c.accounts, c.ratio > 0]), [[1, true], [4, true]], 'pool3 / pool1 ratios');
  t.same(j.hol.paths.map((p: { path: string; floodRate: number }) => `${p.path}/${p.floodRate > 0 ? 'half' : 'full'}`),
    ['proxies/full', 'direct/full', 'proxies/half', 'direct/half'], 'head-of-line on the proxies and the direct reference, full speed and half rate');
  for (const p of j.hol.paths) {
    t.ok(p.idle.replies > 0 && p.loaded.replies > 0 && p.loaded.p99 >= p.loaded.p50, `${p.path}: both probes answered`);
    t.ok(p.p50Ratio > 0 && p.p99Ratio > 0 && p.floodMsgsPerSec > 0, `${p.path}: ratios and the flood rate`);
  }
  t.match(readFileSync(join(out, 'logs', 'proxy-A-hol.conf'), 'utf8'), /pool_size: 3\n  accounts: \[ HEAVY \]/, 'HEAVY pinned on the proxies');
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  t.match(md, /## Route pooling: pool_size 3 vs 1 \(issue 8\)/, 'report has the pooling section');
  t.match(md, /## Head-of-line/, 'report has the head-of-line section');
});
