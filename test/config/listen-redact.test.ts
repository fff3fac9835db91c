// issue 13: a listen/http address written as a URL with user info must not print its password.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';
import type { CliOverrides } from '../../src/config/options.js';

function errors(text: string, ov: CliOverrides = {}): string[] {
  const r = buildOptions(parseConfigText(text, 'f.conf', { env: {} }), ov, { configFile: 'f.conf' });
  return r.errors.map(formatIssue);
}

const SECRET = 's3cr3t-pw';

t.test('cluster.listen with user:password never shows the password', async (t) => {
  for (const v of [`nats://u:${SECRET}@127.0.0.1:6222`, `u:${SECRET}@127.0.0.1:6222`, `nats://u:${SECRET}@host`, `u:${SECRET}@h:x`]) {
    const errs = errors(`cluster {\n  listen: "${v}"\n}\n`);
    t.ok(errs.length > 0, `${v} is refused`);
    t.notOk(errs.join('\n').includes(SECRET), `no password in: ${errs.join(' | ')}`);
    t.match(errs.join('\n'), /\[REDACTED\]/, 'the redaction is visible');
  }
});

t.test('http and --http with user:password never show the password', async (t) => {
  const errs = [
    ...errors(`http: "nats://u:${SECRET}@127.0.0.1:8222"\ncluster { port: 6222 }\n`),
    ...errors('cluster { port: 6222 }\n', { http: `u:${SECRET}@127.0.0.1:8222` }),
  ];
  t.equal(errs.length, 2);
  t.notOk(errs.join('\n').includes(SECRET), errs.join(' | '));
});

t.test('messages without a password are unchanged', async (t) => {
  t.same(errors('cluster {\n  listen: "localhost"\n}\n'), ['f.conf:2:3: could not parse address string "localhost"']);
  t.same(errors('cluster {\n  listen: "localhost:x"\n}\n'), ['f.conf:2:3: could not parse port "x"']);
});
