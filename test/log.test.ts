// Logging: JSON lines when stdout is not a terminal, human-readable when it is, levels from
// options, and passwords censored in any field.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOG = fileURLToPath(new URL('../src/log.js', import.meta.url));

function run(opts: object, tty: boolean): string {
  const code = `
    const { createLogging } = await import(${JSON.stringify(LOG)});
    const l = createLogging(${JSON.stringify(opts)}, { isTTY: ${tty} });
    l.logger.info({ password: 'hunter2', connect: { pass: 'hunter3' } }, 'hello route');
    l.logger.debug('debug line');
    l.logger.trace('trace line');
    l.flush();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

t.test('JSON lines by default, no credentials', async (t) => {
  const out = run({}, false);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(lines.length, 1, 'info level by default');
  t.equal(lines[0]!.msg, 'hello route');
  t.equal(lines[0]!.level, 'info');
  t.equal(lines[0]!.password, '[REDACTED]');
  t.notOk(out.includes('hunter'), 'no password anywhere');
});

t.test('-D and -V levels', async (t) => {
  t.equal(run({ debug: true }, false).trim().split('\n').length, 2);
  t.equal(run({ trace: true }, false).trim().split('\n').length, 3);
});

t.test('human-readable on a terminal', async (t) => {
  const out = run({}, true);
  t.throws(() => JSON.parse(out.split('\n')[0]!), 'not JSON');
  t.match(out, /INFO.*hello route/);
  t.notOk(out.includes('hunter'), 'no password anywhere');
});
