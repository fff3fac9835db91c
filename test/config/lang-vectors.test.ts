// config-format.md §6 test vectors V1..V14 at the parse level, the seed example, and YAML/JSON equivalents.
import t from 'tap';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { toPlain, type ConfEntry, type ConfMap, type ConfValue } from '../../src/config/tree.js';
import { V1 } from './vectors.js';

const FIX = fileURLToPath(new URL('../../../test/config/fixtures/lang/', import.meta.url));

function entry(m: ConfMap, dotted: string): ConfEntry {
  let cur: ConfValue = m;
  let e: ConfEntry | undefined;
  for (const k of dotted.split('.')) {
    if (cur.type !== 'map') throw new Error(`${k}: not a map`);
    e = cur.entries.get(k);
    if (!e) throw new Error(`missing key ${dotted}`);
    cur = e.value;
  }
  return e!;
}
const at = (e: { line: number; column: number }): string => `${e.line}:${e.column}`;

function errOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}

const V1_PLAIN = {
  cluster: {
    name: 'example',
    listen: 'localhost:4244',
    authorization: { user: 'route_user', password: 'pwd', timeout: 0.5 },
    routes: ['nats://route_user:pwd@127.0.0.1:4245', 'nats://route_user:pwd@127.0.0.1:4246'],
  },
};

t.test('V1 seed example: structure, types and positions (1-based columns everywhere)', async (t) => {
  const m = parseConfigText(V1, 'v1.conf');
  t.same(toPlain(m), V1_PLAIN);
  t.equal(JSON.stringify(toPlain(m)), JSON.stringify(V1_PLAIN), 'key order follows the file');
  t.equal(entry(m, 'cluster.authorization.timeout').value.type, 'float');
  t.equal(entry(m, 'cluster.name').value.type, 'string');
  const expected: Record<string, string> = {
    cluster: '1:1', 'cluster.name': '2:3', 'cluster.listen': '3:3', 'cluster.authorization': '4:3',
    'cluster.authorization.user': '5:5', 'cluster.authorization.password': '6:5',
    'cluster.authorization.timeout': '7:5', 'cluster.routes': '9:3',
  };
  for (const [k, p] of Object.entries(expected)) {
    const e = entry(m, k);
    t.equal(at(e.keyPos), p, `${k} key position`);
    t.equal(e.keyPos.file, 'v1.conf');
  }
  t.equal(at(entry(m, 'cluster.name').value.pos), '2:9', 'a value remembers its own position');
  t.equal(at(entry(m, 'cluster').value.pos), '1:9', 'a map value is at its {');
  const routes = entry(m, 'cluster.routes').value;
  if (routes.type !== 'array') throw new Error('routes');
  t.equal(at(routes.pos), '9:12');
  t.same(routes.items.map((i) => at(i.pos)), ['10:5', '11:5'], 'array elements keep their own positions');
  t.equal(at(m.pos), '1:1');
});

t.test('seed example from the issue, with comments and blank lines, parses like V1', async (t) => {
  const text = `cluster {
  name: example

  # host/port for inbound route connections from other server
  listen: localhost:4244

  authorization {
    user: route_user
    password: pwd
    timeout: 0.5
  }

  routes = [
    nats://route_user:pwd@127.0.0.1:4245
    nats://route_user:pwd@127.0.0.1:4246
  ]
}`;
  const m = parseConfigText(text, 'seed.conf');
  t.same(toPlain(m), V1_PLAIN);
  t.equal(at(entry(m, 'cluster.listen').keyPos), '5:3');
  t.equal(at(entry(m, 'cluster.authorization.timeout').keyPos), '10:5');
  t.equal(at(entry(m, 'cluster.routes').keyPos), '13:3');
  const fromFile = loadConfigFile(path.join(FIX, 'seed.conf'));
  t.same(toPlain(fromFile), V1_PLAIN);
  t.equal(entry(fromFile, 'cluster.name').keyPos.file, path.join(FIX, 'seed.conf'));
});

t.test('V2 sizes and booleans', async (t) => {
  const m = parseConfigText(
    'max_payload: 1MB\nmax_pending: 64mb\nmax_connections: 64K\nn1: 1k\nn2: 1Ki\nn3: 2GiB\nn4: 1e\nb1: yes\nb2: Off\nb3: TRUE\n', 'v2.conf');
  t.same(toPlain(m), {
    max_payload: 1048576, max_pending: 67108864, max_connections: 64000, n1: 1000, n2: 1024,
    n3: 2147483648, n4: 1e18, b1: true, b2: false, b3: true,
  });
  for (const k of ['max_payload', 'n3', 'n4']) t.equal(entry(m, k).value.type, 'int');
  t.equal(entry(m, 'b2').value.type, 'bool');
});

t.test('V3 duration quirk: 1m is the integer 1000000', async (t) => {
  const m = parseConfigText('cluster {\n  port: 6222\n  ping_interval: 1m\n  write_deadline: "2s"\n  ping_max: 3\n}\n', 'v3.conf');
  t.same(toPlain(m), { cluster: { port: 6222, ping_interval: 1000000, write_deadline: '2s', ping_max: 3 } });
  t.equal(entry(m, 'cluster.ping_interval').value.type, 'int');
  t.equal(at(entry(m, 'cluster.ping_interval').keyPos), '3:3');
  const m2 = parseConfigText('a: 2s\nb: 10ms\nc: 1h30m\nd: "1m"\n', 'x');
  t.same(toPlain(m2), { a: '2s', b: '10ms', c: '1h30m', d: '1m' });
});

t.test('V4 cluster name with a space', async (t) => {
  const e = errOf(() => parseConfigText('cluster {\n  name: my cluster\n}\n', 'v4.conf'));
  t.equal(e.code, 'ERR_CONFIG_PARSE');
  t.equal(e.message, `v4.conf:2:12: Expected a map value terminator "," or a map terminator "}", but got 'c' instead.`);
  const m = parseConfigText('cluster {\n  name: "my cluster"\n  port: 6222\n}\n', 'v4.conf');
  t.equal(entry(m, 'cluster.name').value.type, 'string');
  t.same(toPlain(m), { cluster: { name: 'my cluster', port: 6222 } });
  t.equal(at(entry(m, 'cluster.name').keyPos), '2:3');
});

t.test('V5 listen alone', async (t) => {
  const m = parseConfigText('cluster {\n  listen: 4244\n}\n', 'v5.conf');
  t.same(toPlain(m), { cluster: { listen: 4244 } });
  t.equal(entry(m, 'cluster.listen').value.type, 'int');
  t.same(toPlain(parseConfigText('cluster {\n  listen: "localhost"\n}\n', 'v5.conf')), { cluster: { listen: 'localhost' } });
});

t.test('V6 token authorization parses', async (t) => {
  const m = parseConfigText('cluster {\n  port: 6222\n  authorization {\n    token: "s3cr3t"\n  }\n}\n', 'v6.conf');
  t.same(toPlain(m), { cluster: { port: 6222, authorization: { token: 's3cr3t' } } });
  t.equal(at(entry(m, 'cluster.authorization').keyPos), '3:3');
});

t.test('V7 route URLs keep their element positions', async (t) => {
  const m = parseConfigText(
    'cluster {\n  port: 6222\n  routes = [\n    nats://127.0.0.1:6223\n    nats://127.0.0.1:6223\n    "0.0.0.0:XXXX"\n  ]\n}\n', 'v7.conf');
  const routes = entry(m, 'cluster.routes').value;
  if (routes.type !== 'array') throw new Error('routes');
  t.same(toPlain(routes), ['nats://127.0.0.1:6223', 'nats://127.0.0.1:6223', '0.0.0.0:XXXX']);
  t.same(routes.items.map((i) => at(i.pos)), ['4:5', '5:5', '6:6']);
});

t.test('V8 compression map form', async (t) => {
  const m = parseConfigText('cluster {\n  port: 6222\n  compression: {\n    mode: s2_auto\n    rtt_thresholds: [10ms, 50ms, 100ms]\n  }\n}\n', 'v8.conf');
  t.same(toPlain(m), { cluster: { port: 6222, compression: { mode: 's2_auto', rtt_thresholds: ['10ms', '50ms', '100ms'] } } });
  t.same(toPlain(parseConfigText('cluster { compression: {mode: s2_auto, rtt_thresholds: [50ms, 10ms]} }', 'x')),
    { cluster: { compression: { mode: 's2_auto', rtt_thresholds: ['50ms', '10ms'] } } });
  t.same(toPlain(parseConfigText('a: on\nb: enabled\nc: 123\n', 'x')), { a: true, b: 'enabled', c: 123 });
});

const V9 = `ROUTE_PASS: $2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG
cluster {
  port: $ROUTE_PORT
  authorization {
    user: route_user
    password: $ROUTE_PASS
  }
}
`;
const HASH = '$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG';

t.test('V9 variables, environment and bcrypt', async (t) => {
  const m = parseConfigText(V9, 'v9.conf', { env: { ROUTE_PORT: '6222' } });
  t.same(toPlain(m), { ROUTE_PASS: HASH, cluster: { port: 6222, authorization: { user: 'route_user', password: HASH } } });
  t.equal(entry(m, 'cluster.port').value.type, 'int');
  t.equal(at(entry(m, 'cluster.port').value.pos), '3:9', 'the value points at the $reference');
  t.equal(entry(m, 'ROUTE_PASS').usedAsVariable, true, 'referenced key is marked used');
  t.equal(entry(m, 'cluster.authorization.user').usedAsVariable, false);
  t.equal(at(entry(m, 'cluster.authorization.password').value.pos), '6:15');

  const e = errOf(() => parseConfigText(V9, 'v9.conf', { env: {} }));
  t.equal(e.code, 'ERR_CONFIG_PARSE');
  t.equal(e.message, `v9.conf:3:9: variable reference for 'ROUTE_PORT' on line 3 can not be found`);

  const b = errOf(() => parseConfigText(V9.replace('$2a$', '$2b$'), 'v9.conf', { env: { ROUTE_PORT: '6222' } }));
  t.equal(b.message, `v9.conf:1:13: variable reference for '2b$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG' on line 1 can not be found`);

  // the process environment is the default source
  process.env.NRP_TEST_ROUTE_PORT = '7222';
  t.teardown(() => { delete process.env.NRP_TEST_ROUTE_PORT; });
  t.same(toPlain(parseConfigText('p: $NRP_TEST_ROUTE_PORT', 'x')), { p: 7222 });
});

t.test('V10 include relative to the including file (fixture files)', async (t) => {
  const main = path.join(FIX, 'v10', 'main.conf');
  const m = loadConfigFile(main);
  t.same(toPlain(m), { port: 4222, CNAME: 'fromvar', from_b: true, cluster: { port: 6222, routes: ['nats://x:6222'], name: 'fromvar' } });
  t.equal(entry(m, 'from_b').keyPos.file, path.join(FIX, 'v10', 'sub', 'b.conf'), 'nested include resolved in sub/');
  t.equal(at(entry(m, 'from_b').keyPos), '1:1');
  t.equal(entry(m, 'CNAME').keyPos.file, path.join(FIX, 'v10', 'sub', 'a.conf'));
  t.equal(entry(m, 'CNAME').usedAsVariable, true);
  t.equal(entry(m, 'cluster.routes').keyPos.file, path.join(FIX, 'v10', 'sub', 'cluster_inner.conf'));
  t.equal(at(entry(m, 'cluster.routes').keyPos), '2:1');
  t.equal(entry(m, 'cluster.name').keyPos.file, main);
  t.equal(at(entry(m, 'cluster.name').keyPos), '5:3');
});

t.test('V10 include error cases', async (t) => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'nrp-lang-'));
  mkdirSync(path.join(d, 'sub'));
  writeFileSync(path.join(d, 'sub', 'b.conf'), 'from_b: yes\n');
  // absolute paths are joined onto the including file's directory, like nats-server
  writeFileSync(path.join(d, 'abs.conf'), `x: 1\ninclude ${path.join(d, 'sub', 'b.conf')}\n`);
  const e = errOf(() => loadConfigFile(path.join(d, 'abs.conf')));
  t.equal(e.code, 'ERR_CONFIG_PARSE');
  t.equal(e.message, `${path.join(d, 'abs.conf')}:2:1: error parsing include file '${path.join(d, 'sub', 'b.conf')}', ` +
    `open ${path.join(d, d, 'sub', 'b.conf')}: no such file or directory`);
  writeFileSync(path.join(d, 'missing.conf'), 'cluster {\n  include "nothere.conf"\n}\n');
  t.equal(errOf(() => loadConfigFile(path.join(d, 'missing.conf'))).message,
    `${path.join(d, 'missing.conf')}:2:3: error parsing include file 'nothere.conf', open ${path.join(d, 'nothere.conf')}: no such file or directory`);
  // an error inside an included file names both the include site and the inner position
  writeFileSync(path.join(d, 'sub', 'bad.conf'), 'a: 1\nb: [1 2 ]\n');
  writeFileSync(path.join(d, 'outer.conf'), 'include sub/bad.conf\n');
  t.equal(errOf(() => loadConfigFile(path.join(d, 'outer.conf'))).message,
    `${path.join(d, 'outer.conf')}:1:1: error parsing include file 'sub/bad.conf', ${path.join(d, 'sub', 'bad.conf')}:2:7: ` +
    `Expected an array value terminator "," or an array terminator "]", but got '2' instead.`);
  // include cycles are an error rather than endless recursion
  writeFileSync(path.join(d, 'c1.conf'), 'include c2.conf\n');
  writeFileSync(path.join(d, 'c2.conf'), 'include c1.conf\n');
  const cyc = errOf(() => loadConfigFile(path.join(d, 'c1.conf')));
  t.match(cyc.message, /c2\.conf:1:1: error parsing include file 'c1\.conf', include cycle: .*c1\.conf -> .*c2\.conf -> .*c1\.conf$/);
  // keys from an include are visible as variables afterwards, and include works with a string source
  writeFileSync(path.join(d, 'vars.conf'), 'PORT: 6222\n');
  const m = parseConfigText(`include '${path.relative(process.cwd(), path.join(d, 'vars.conf'))}'\ncluster { port: $PORT }`, '');
  t.same(toPlain(m), { PORT: 6222, cluster: { port: 6222 } });
  t.equal(entry(m, 'PORT').usedAsVariable, true);
  t.equal(entry(m, 'cluster').keyPos.file, '');
  // `include: x` (separator right after the word) is an ordinary key
  t.same(toPlain(parseConfigText('include: foo\nInclude= bar', 'x')), { include: 'foo', Include: 'bar' });
  // unreadable main file
  const r = errOf(() => loadConfigFile(path.join(d, 'nope.conf')));
  t.equal(r.code, 'ERR_CONFIG_READ');
  t.equal(r.message, `${path.join(d, 'nope.conf')}: no such file or directory`);
});

t.test('V11 integer immediately before ]', async (t) => {
  const e = errOf(() => parseConfigText('cluster {\n  port: 6222\n  accounts: [A, B]\n  codes: [1, 2]\n}\n', 'v11.conf'));
  t.equal(e.code, 'ERR_CONFIG_PARSE');
  t.equal(e.message, `v11.conf:5:1: Expected an array value terminator "," or an array terminator "]", but got '}' instead.` +
    ` (an integer directly before ']' is read as text by nats-server, see '2]' at 4:14; write '[1, 2 ]')`);
  const m = parseConfigText('cluster {\n  port: 6222\n  accounts: [A, B]\n  codes: [1, 2 ]\n}\n', 'v11.conf');
  t.same(toPlain(m), { cluster: { port: 6222, accounts: ['A', 'B'], codes: [1, 2] } });
  const j = errOf(() => parseConfigText('{"a": [1, 2], "b": 3}', 'v11.json.conf'));
  t.match(j.message, /^v11\.json\.conf:1:18: Expected an array value terminator "," or an array terminator "\]", but got ':' instead\. \(an integer/);
  // when nothing breaks, the quirk's result is kept: ["1]"]
  t.same(toPlain(parseConfigText('a: [1]\n]\n', 'x')), { a: ['1]'] });
  t.same(toPlain(parseConfigText('a: [1.5]\nb: [true]\nc: [x]\nd: [10ms]\ne: [1k]\nf: [ 1k ]\n', 'x')),
    { a: [1.5], b: [true], c: ['x'], d: ['10ms'], e: ['1k'], f: [1000] });
});

t.test('V12 duplicate keys and a block string', async (t) => {
  const m = parseConfigText('cluster {\n  name: first\n  name: second\n}\nbanner: (\nmulti\n  line\n)\n', 'v12.conf');
  t.same(toPlain(m), { cluster: { name: 'second' }, banner: '\nmulti\n  line\n' });
  t.equal(at(entry(m, 'cluster.name').keyPos), '3:3', 'the last duplicate wins, with its own position');
  t.same(toPlain(parseConfigText('c { x: 1 }\nc { y: 2 }', 'x')), { c: { y: 2 } }, 'maps are not merged');
});

t.test('V13 pool_size and accounts', async (t) => {
  const m = parseConfigText('cluster {\n  port: 6222\n  pool_size: -1\n  accounts: [A, B, A]\n}\n', 'v13.conf');
  t.same(toPlain(m), { cluster: { port: 6222, pool_size: -1, accounts: ['A', 'B', 'A'] } });
});

t.test('V14 listen with port/host: three separate keys', async (t) => {
  const m = parseConfigText('cluster {\n  port: 6222\n  listen: 4244\n  host: 127.0.0.1\n}\n', 'v14.conf');
  t.same(toPlain(m), { cluster: { port: 6222, listen: 4244, host: '127.0.0.1' } });
  t.equal(entry(m, 'cluster.host').value.type, 'string');
});

t.test('YAML and JSON equivalents of the seed example', async (t) => {
  const y = loadConfigFile(path.join(FIX, 'seed.yaml'));
  const j = loadConfigFile(path.join(FIX, 'seed.json'));
  t.same(toPlain(y), V1_PLAIN);
  t.same(toPlain(j), V1_PLAIN);
  t.equal(entry(y, 'cluster.authorization.timeout').value.type, 'float');
  t.equal(entry(j, 'cluster.authorization.timeout').value.type, 'float');
  t.equal(entry(y, 'cluster').keyPos.file, path.join(FIX, 'seed.yaml'));
  t.equal(at(entry(y, 'cluster').keyPos), '1:1');
  t.equal(at(entry(y, 'cluster.name').keyPos), '2:3');
  t.equal(at(entry(y, 'cluster.authorization.password').keyPos), '7:5');
  t.equal(at(entry(y, 'cluster.authorization.password').value.pos), '7:15');
  const yr = entry(y, 'cluster.routes').value;
  if (yr.type !== 'array') throw new Error('routes');
  t.same(yr.items.map((i) => at(i.pos)), ['10:7', '11:7']);
  t.equal(at(entry(j, 'cluster').keyPos), '2:3', 'JSON keys point at their opening quote');
  t.equal(at(entry(j, 'cluster.authorization.timeout').keyPos), '8:7');
  t.equal(entry(j, 'cluster.name').keyPos.file, path.join(FIX, 'seed.json'));
});

t.test('YAML/JSON types and errors', async (t) => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'nrp-yaml-'));
  const f = (name: string, text: string): string => {
    const p = path.join(d, name);
    writeFileSync(p, text);
    return p;
  };
  const m = loadConfigFile(f('t.yml', 'i: 3\nfl: 3.0\nb: true\ns: "3"\nn: [1, {x: y}]\n'));
  t.same(toPlain(m), { i: 3, fl: 3, b: true, s: '3', n: [1, { x: 'y' }] });
  t.same(['i', 'fl', 'b', 's', 'n'].map((k) => entry(m, k).value.type), ['int', 'float', 'bool', 'string', 'array']);
  const bad = errOf(() => loadConfigFile(f('bad.yaml', 'a: 1\nb: c: d\n')));
  t.equal(bad.code, 'ERR_CONFIG_PARSE');
  t.equal(bad.message, `${path.join(d, 'bad.yaml')}:2:4: Nested mappings are not allowed in compact mappings`);
  t.equal(errOf(() => loadConfigFile(f('dup.yaml', 'a: 1\na: 2\n'))).message, `${path.join(d, 'dup.yaml')}:2:1: Map keys must be unique`);
  const bj = errOf(() => loadConfigFile(f('bad.json', '{\n  "a": 1,\n  "b": }\n')));
  t.equal(bj.code, 'ERR_CONFIG_PARSE');
  t.match(bj.message, new RegExp(`^${path.join(d, 'bad.json').replace(/[.]/g, '\\.')}:3:\\d+: `));
  t.equal(errOf(() => loadConfigFile(f('big.json', '{"a": 9007199254740993}'))).message,
    `${path.join(d, 'big.json')}:1:7: integer '9007199254740993' is out of the range`);
  t.equal(errOf(() => loadConfigFile(f('null.yaml', 'a:\n'))).message,
    `${path.join(d, 'null.yaml')}:1:3: null values are not supported; quote the value or remove the key`);
  t.equal(errOf(() => loadConfigFile(f('list.json', '[1]'))).message,
    `${path.join(d, 'list.json')}:1:1: the top level of the configuration must be a map`);
  t.same(toPlain(loadConfigFile(f('empty.yaml', ''))), {});
  // JSON arrays with an integer before ']' are fine in JSON files (the NATS-language quirk does not apply)
  t.same(toPlain(loadConfigFile(f('arr.json', '{"a": [1, 2], "b": 3}'))), { a: [1, 2], b: 3 });
});
