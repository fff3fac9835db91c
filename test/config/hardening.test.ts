// Hostile or careless configs: inputs that could make the loader take exponential time or
// memory, and error messages that must not echo secrets.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../src/config/load.js';
import { ProxyError } from '../../src/errors.js';

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

t.test('YAML alias bomb: refused fast with a positioned ERR_CONFIG_PARSE', async (t) => {
  const lines = ['a0: &a0 [x,x,x,x,x,x,x,x,x,x]'];
  for (let i = 1; i <= 6; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]`);
  const f = tmpFile('bomb.yaml', lines.join('\n') + '\n');
  const { err, ms } = timed(() => loadConfigFile(f));
  t.ok(err instanceof ProxyError, 'refused');
  t.equal((err as ProxyError).code, 'ERR_CONFIG_PARSE');
  t.match((err as Error).message, new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: too many alias expansions \\(more than 1000\\): YAML alias bombs are refused$`));
  t.ok(ms < 500, `fast (${ms.toFixed(0)} ms)`);
});

t.test('YAML: one wide anchor aliased many times is refused too', async (t) => {
  const wide = Array(5000).fill('x').join(',');
  const f = tmpFile('wide.yaml', `a: &a [${wide}]\nb: [${Array(100).fill('*a').join(',')}]\n`);
  const { err, ms } = timed(() => loadConfigFile(f));
  t.equal((err as ProxyError).code, 'ERR_CONFIG_PARSE');
  t.match((err as Error).message, /:2:\d+: alias expansions produce too many values \(more than 100000\): YAML alias bombs are refused$/);
  t.ok(ms < 1000, `fast (${ms.toFixed(0)} ms)`);
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
