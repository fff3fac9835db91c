// Hostile or careless configs: inputs that could make the loader take exponential time or
// memory, and error messages that must not echo secrets.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';
import { ProxyError } from '../../src/errors.js';
import { parseRouteUrl, redactUrlText } from '../../src/config/route-url.js';

const TMP = mkdtempSync(path.join(os.tmpdir(), 'nrp-hardening-'));

function tmpFile(name: string, text: string): string {
  const f = path.join(TMP, name);
  writeFileSync(f, text);
  return f;
}

/** Runs f, returning what it threw (or undefined) and how long it took. */
function timed(f: () => unknown): { err: unknown; ms: number } {
  const t0 = performance.now();
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  return { err, ms: performance.now() - t0 };
}

// The time bounds are generous on purpose: they catch the exponential blowups these inputs
// caused (seconds to minutes), not speed, and must hold on a loaded 2-core machine.
t.test('YAML alias bomb: refused fast with a positioned ERR_CONFIG_PARSE', async (t) => {
  const lines = ['a0: &a0 [x,x,x,x,x,x,x,x,x,x]'];
  for (let i = 1; i <= 6; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]`);
  const f = tmpFile('bomb.yaml', lines.join('\n') + '\n');
  const { err, ms } = timed(() => loadConfigFile(f));
  t.ok(err instanceof ProxyError, 'refused');
  t.equal((err as ProxyError).code, 'ERR_CONFIG_PARSE');
  t.match((err as Error).message, new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: too many alias expansions \\(more than 1000\\): YAML alias bombs are refused$`));
  t.ok(ms < 5000, `fast (${ms.toFixed(0)} ms)`);
});

t.test('YAML: one wide anchor aliased many times is refused too', async (t) => {
  const wide = Array(5000).fill('x').join(',');
  const f = tmpFile('wide.yaml', `a: &a [${wide}]\nb: [${Array(100).fill('*a').join(',')}]\n`);
  const { err, ms } = timed(() => loadConfigFile(f));
  t.equal((err as ProxyError).code, 'ERR_CONFIG_PARSE');
  t.match((err as Error).message, /:2:\d+: alias expansions produce too many values \(more than 100000\): YAML alias bombs are refused$/);
  t.ok(ms < 5000, `fast (${ms.toFixed(0)} ms)`);
});

t.test('YAML: ordinary aliases still work', async (t) => {
  const f = tmpFile('ok.yaml', [
    'subjects: &subj ["a.>", "b.*"]',
    'cluster:',
    '  port: 6222',
    '  permissions:',
    '    import: *subj',
    '    export: *subj',
    '  routes: &r ["nats://h1:6222", "nats://h2:6222"]',
    'other: *r',
  ].join('\n') + '\n');
  const m = loadConfigFile(f);
  const cluster = m.entries.get('cluster')!.value;
  t.equal(cluster.type, 'map');
  if (cluster.type !== 'map') return;
  const perms = cluster.entries.get('permissions')!.value;
  t.equal(perms.type, 'map');
  if (perms.type !== 'map') return;
  const imp = perms.entries.get('import')!.value;
  t.same(imp.type === 'array' ? imp.items.map((i) => i.type === 'string' && i.value) : imp, ['a.>', 'b.*']);
  t.same(imp.pos, { file: f, line: 5, column: 13 }, 'the alias keeps its own position');
});

/** Parses and builds NATS-language text; every error and warning as printed. */
function build(text: string) {
  const r = buildOptions(parseConfigText(text, 'f.conf', { env: {} }), {}, { configFile: 'f.conf' });
  return { options: r.options, errors: r.errors.map(formatIssue), warnings: r.warnings.map(formatIssue) };
}

/** `a0 = [1 ×10 ]`, `aN = [$aN-1 ×10 ]`: a few hundred bytes naming 10^(n+1) values. */
function sharedArrays(n: number): string {
  const lines = [`a0 = [${Array(10).fill('1').join(',')} ]`];
  for (let i = 1; i <= n; i++) lines.push(`a${i} = [${Array(10).fill(`$a${i - 1}`).join(',')} ]`);
  return lines.join('\n') + '\n';
}

t.test('permissions given a huge shared array: a short message, fast', async (t) => {
  let r: ReturnType<typeof build> | undefined;
  const { err, ms } = timed(() => { r = build(`${sharedArrays(8)}cluster { port: 6222, permissions: $a8 }\n`); });
  t.equal(err, undefined);
  t.equal(r!.errors.length, 1);
  const msg = r!.errors[0]!;
  t.ok(msg.startsWith('f.conf:10:23: Expected permissions to be a map/struct, got [[[[[[[[[1 1 1 1 1 1 1 1 1 1] [1 1'), msg.slice(0, 120));
  t.ok(msg.endsWith('...'), 'cut with ...');
  t.ok(msg.length < 320, `short (${msg.length} chars)`);
  t.ok(ms < 5000, `fast (${ms.toFixed(0)} ms)`);
});

t.test('permissions given a short array: shown whole, as nats-server does', async (t) => {
  const r = build('cluster { port: 6222, permissions: [a, 1, [2.5, true] ] }\n');
  t.same(r.errors, ['f.conf:1:23: Expected permissions to be a map/struct, got [a 1 [2.5 true]]']);
});

t.test('shared arrays elsewhere in cluster {}: errors stay few and fast', async (t) => {
  for (const key of ['routes', 'accounts', 'compression', 'tls', 'authorization']) {
    let r: ReturnType<typeof build> | undefined;
    const { err, ms } = timed(() => { r = build(`${sharedArrays(8)}cluster { port: 6222, ${key}: $a8 }\n`); });
    t.equal(err, undefined, key);
    t.ok(r!.errors.length >= 1 && r!.errors.length <= 10, `${key}: ${r!.errors.length} errors`);
    t.ok(r!.errors.every((e) => e.length < 400), `${key}: short messages`);
    t.ok(ms < 5000, `${key}: fast (${ms.toFixed(0)} ms)`);
  }
});

t.test('redactUrlText: the user info ends at the last @, whatever the password holds', async (t) => {
  t.equal(redactUrlText('nats://u:s3cr#et@host:6222'), 'nats://u:[REDACTED]@host:6222');
  t.equal(redactUrlText('nats://u:pa/ss@h:1'), 'nats://u:[REDACTED]@h:1');
  t.equal(redactUrlText('nats://u:pa?s@s@h:1/p'), 'nats://u:[REDACTED]@h:1/p');
  t.equal(redactUrlText('nats://u@h:1'), 'nats://u@h:1', 'no password');
  t.equal(redactUrlText('nats://h:1/a'), 'nats://h:1/a', 'no user info');
  t.equal(redactUrlText('u:pw@h:1'), 'u:[REDACTED]@h:1', 'no "://": still hidden');
  t.same(parseRouteUrl('nats://u:s3cr#et@host:6222'), { error: 'error parsing route url ["nats://u:[REDACTED]@host:6222"]' });
});

/** Every error and warning text of a build, joined, for "the secret is nowhere" checks. */
const allText = (r: ReturnType<typeof build>) => [...r.errors, ...r.warnings].join('\n');

t.test('route URLs in the file: no password bytes in errors or duplicate warnings', async (t) => {
  for (const [u, secret] of [['nats://u:s3cr#et@host:6222', 's3cr'], ['nats://u:pa/ss@h:1', 'pa/ss'], ['nats://u:s3cr%et@host:1', 's3cr']]) {
    const r = build(`cluster { port: 6222, routes: ["${u}", "${u}"] }\n`);
    t.equal(r.errors.length, 1, u);
    t.equal(r.warnings.length, 1, u);
    t.notOk(allText(r).includes(secret), allText(r));
    t.ok(r.warnings[0]!.includes('"nats://u:[REDACTED]@'), r.warnings[0]);
  }
});

t.test('--routes and --cluster: no password bytes in messages', async (t) => {
  const over = (ov: { routes?: string; cluster?: string }) => {
    const r = buildOptions(parseConfigText('', 'f.conf', { env: {} }), ov);
    return [...r.errors, ...r.warnings].map(formatIssue);
  };
  t.same(over({ cluster: 'nats://127.0.0.1:1', routes: 'nats://u:pa/ss@h:1' }), ['--routes: error parsing route url ["nats://u:[REDACTED]@h:1"]']);
  t.same(over({ cluster: 'nats://u:s3cret@host:bad#x' }), ['parse "nats://u:[REDACTED]@host:bad#x": invalid port ":bad" after host'], 'a fragment outside the password stays');
  t.same(over({ cluster: 'nats://u:s3cr#et@host:1' }), ['parse "nats://u:[REDACTED]@host:1": invalid port after host']);
  t.same(over({ cluster: 'nats://u:s3cr%et@host:1' }), ['parse "nats://u:[REDACTED]@host:1": invalid URL escape']);
  t.same(over({ cluster: 'nats://u:1:2/x@host:1' }), ['address in "nats://u:[REDACTED]@host:1": too many colons in address']);
  t.same(over({ cluster: 'nats://h:bad' }), ['parse "nats://h:bad": invalid port ":bad" after host'], 'no password: Go\'s message as is');
  t.same(over({ cluster: 'nats://h:1/%zz' }), ['parse "nats://h:1/%zz": invalid URL escape "%zz"'], 'no password: Go\'s message as is');
});

t.test('environment variables referencing each other: each parsed once per parse', async (t) => {
  const env: Record<string, string> = { N0: '1' };
  for (let i = 1; i <= 9; i++) env[`N${i}`] = `[${Array(5).fill(`$N${i - 1}`).join(',')} ]`;
  let m: ReturnType<typeof parseConfigText> | undefined;
  const { err, ms } = timed(() => { m = parseConfigText('\na: $N9\n', 'f.conf', { env }); });
  t.equal(err, undefined);
  t.ok(ms < 5000, `fast (${ms.toFixed(0)} ms)`);
  let v = m!.entries.get('a')!.value;
  t.same(v.pos, { file: 'f.conf', line: 2, column: 4 }, 'the value points at the reference');
  for (let depth = 9; depth > 0; depth--) {
    t.ok(v.type === 'array' && v.items.length === 5, `level ${depth}: 5 items`);
    if (v.type !== 'array') return;
    v = v.items[4]!;
  }
  t.same(v.type === 'int' && v.value, 1);
  t.same(v.pos.file, 'f.conf', 'inner values point into the file, not at the variable text');
});

t.test('environment variables: cycles are still found, small values still copied per reference', async (t) => {
  t.throws(() => parseConfigText('\n\na: $A\n', 'f.conf', { env: { A: '[$B ]', B: '[1, $A ]' } }), {
    code: 'ERR_CONFIG_PARSE',
    message: "f.conf:3:4: variable reference for 'A' on line 3 could not be parsed: variable reference for 'B' on line 1 could not be parsed: variable reference for 'A' on line 1 could not be parsed: variable reference cycle for 'A'",
  });
  const m = parseConfigText('a: $A\nb: $A\n', 'f.conf', { env: { A: '[$B, 2 ]', B: '{ x: 1 }' } });
  const b = m.entries.get('b')!.value;
  t.ok(b.type === 'array' && b.items.every((i) => i.pos.line === 2), 'every value of the second reference is at line 2');
  t.not(m.entries.get('a')!.value, b, 'not the same object');
});

t.test('number-like passwords are not echoed in parse errors', async (t) => {
  const secret = '98765432109876543210987';
  const cases: Array<[string, string]> = [
    [`password: ${secret}\n`, "f.conf:1:11: integer '[REDACTED]' is out of the range"],
    [`cluster {\n  authorization { user: a, PASS: ${secret} }\n}\n`, "f.conf:2:34: integer '[REDACTED]' is out of the range"],
    [`Pass: [1, ${secret} ]\n`, "f.conf:1:11: integer '[REDACTED]' is out of the range"],
    [`password: $PW\n`, "f.conf:1:11: variable reference for 'PW' on line 1 could not be parsed: integer '[REDACTED]' is out of the range"],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseConfigText(text, 'f.conf', { env: { PW: secret } }), { code: 'ERR_CONFIG_PARSE', message }, text);
  }
  t.throws(() => parseConfigText(`port: ${secret}\n`, 'f.conf', { env: {} }),
    { message: `f.conf:1:7: integer '${secret}' is out of the range` }, 'other keys still show the value');

  const y = tmpFile('pw.yaml', `cluster:\n  port: 6222\n  authorization:\n    user: a\n    Password: ${secret}\n`);
  t.throws(() => loadConfigFile(y), { code: 'ERR_CONFIG_PARSE', message: `${y}:5:15: integer '[REDACTED]' is out of the range` });
  const j = tmpFile('pw.json', '{"cluster": {"authorization": {"pass": 1e999}}}\n');
  t.throws(() => loadConfigFile(j), { message: `${j}:1:40: float '[REDACTED]' is out of the range` });
});

t.test('the same file included over and over is parsed once', async (t) => {
  const dir = mkdtempSync(path.join(TMP, 'inc-'));
  // f0 includes f1 ten times, f1 includes f2 ten times... : 10^7 includes without a cache.
  for (let i = 0; i < 7; i++) {
    const body = i === 6 ? 'cluster { port: 6222 }\n' : Array(10).fill(`include f${i + 1}.conf\n`).join('');
    writeFileSync(path.join(dir, `f${i}.conf`), body);
  }
  const main = path.join(dir, 'f0.conf');
  let m: ReturnType<typeof loadConfigFile> | undefined;
  const { err, ms } = timed(() => { m = loadConfigFile(main, { env: {} }); });
  t.equal(err, undefined);
  t.ok(ms < 5000, `fast (${ms.toFixed(0)} ms)`);
  t.same(m!.entries.get('cluster')!.keyPos, { file: path.join(dir, 'f6.conf'), line: 1, column: 1 });

  // A key used as a variable at one include site is still an unknown field at another.
  writeFileSync(path.join(dir, 'v.conf'), 'shared_name: n1\n');
  writeFileSync(path.join(dir, 'a.conf'), 'include v.conf\ncluster { port: 6222, name: $shared_name }\n');
  writeFileSync(path.join(dir, 'b.conf'), 'include a.conf\ninclude v.conf\n');
  const r = buildOptions(loadConfigFile(path.join(dir, 'b.conf'), { env: {} }));
  t.same(r.errors.map(formatIssue), [`${path.join(dir, 'v.conf')}:1:1: unknown field "shared_name"`]);
});
