// `nats-route-proxy -t -c FILE | head -1`: a reader that goes away early is not a crash.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

t.test('closed stdout: quiet exit, no stack trace', async (t) => {
  const child = spawn(process.execPath, ['dist/src/cli.js', '-t', '-c', 'config/route-proxy.conf'], { cwd: root });
  child.stdout.destroy(); // the reader is gone before the first write
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  t.equal(code, 0, 'the configuration is valid, so still exit 0');
  t.notMatch(stderr, /EPIPE|Error|    at /, 'no stack trace');
});
