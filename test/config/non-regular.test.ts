// A config path or include that names a FIFO, device or directory must fail at once with a
// positioned error, never hang the loader (open() of a FIFO waits for a writer forever).
// Each load runs in a child process with a deadline (generous: node start on a loaded machine), so a
// regression fails instead of hanging tap.
import t from 'tap';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TMP = mkdtempSync(path.join(os.tmpdir(), 'nrp-nonreg-'));
const LOAD = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/config/load.js')).href;

/** Loads `file` in a child; resolves with what it printed: `OK` or `<code> <message>`. */
function loadInChild(file: string): { out: string; timedOut: boolean } {
  const script = `import { loadConfigFile } from ${JSON.stringify(LOAD)};
try { loadConfigFile(${JSON.stringify(file)}); console.log('OK'); }
catch (e) { console.log(e.code + ' ' + e.message); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000, killSignal: 'SIGKILL', encoding: 'utf8' });
  return { out: r.stdout.trim(), timedOut: r.error !== undefined || r.signal !== null };
}

const fifo = path.join(TMP, 'fifo.conf');
execFileSync('mkfifo', [fifo]);

t.test('the main config file is a FIFO: ERR_CONFIG_READ at once', async (t) => {
  const r = loadInChild(fifo);
  t.notOk(r.timedOut, 'did not hang');
  t.equal(r.out, `ERR_CONFIG_READ ${fifo}: not a regular file`);
});

t.test('an include names a FIFO: ERR_CONFIG_PARSE at the include', async (t) => {
  const main = path.join(TMP, 'main.conf');
  writeFileSync(main, 'server_name: a\n  include fifo.conf\n');
  const r = loadInChild(main);
  t.notOk(r.timedOut, 'did not hang');
  t.equal(r.out, `ERR_CONFIG_PARSE ${main}:2:3: error parsing include file 'fifo.conf', open ${fifo}: not a regular file`);
});

t.test('an include names a character device (/dev/zero would never end)', async (t) => {
  const main = path.join(TMP, 'dev.conf');
  writeFileSync(main, 'include ../../../../../../../../dev/zero\n');
  const r = loadInChild(main);
  t.notOk(r.timedOut, 'did not hang');
  t.match(r.out, /^ERR_CONFIG_PARSE .*dev\.conf:1:1: error parsing include file '.*dev\/zero', open \/dev\/zero: not a regular file$/);
});

t.test('a directory keeps its own wording; a regular file still loads', async (t) => {
  t.equal(loadInChild(TMP).out, `ERR_CONFIG_READ ${TMP}: is a directory`);
  const ok = path.join(TMP, 'ok.conf');
  writeFileSync(ok, 'cluster { port: 6222 }\n');
  t.equal(loadInChild(ok).out, 'OK');
});
