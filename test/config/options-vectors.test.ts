// config-format.md §6 vectors at the server level: resolved options, warnings, errors.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';
import { V1 } from './vectors.js';
import { DEFAULT_PROXY_LIMITS } from '../../src/config/limits-option.js';

function build(text: string, env: Record<string, string> = {}) {
  const r = buildOptions(parseConfigText(text, 'f.conf', { env }), {}, { configFile: 'f.conf' });
  return { options: r.options, errors: r.errors.map(formatIssue), warnings: r.warnings.map(formatIssue) };
}


t.test('V1: seed example', async (t) => {
  const r = build(V1);
  t.same(r.errors, []);
  t.same(r.warnings, []);
  const o = r.options!;
  t.match(o.serverName, /^[0-9A-Za-z]{22}$/, 'server name generated');
  t.same({ ...o, serverName: 'x' }, {
    configFile: 'f.conf',
    serverName: 'x',
    systemAccount: '$SYS',
    logging: { debug: false, trace: false, logtime: true },
    proxy: { maxPending: 64 * 1024 * 1024, highWater: 4 * 1024 * 1024, lowWater: 1024 * 1024, stallMs: 1000, slabSize: 256 * 1024, maxMemory: 512 * 1024 * 1024, lz4: false, ...DEFAULT_PROXY_LIMITS },
    cluster: {
      enabled: true,
      name: 'example',
      nameDynamic: false,
      host: 'localhost',
      port: 4244,
      noAdvertise: false,
      routes: [
        {
          display: 'nats://route_user:[REDACTED]@127.0.0.1:4245', protocol: 'nats:', host: '127.0.0.1', port: 4245,
          user: 'route_user', password: 'pwd', pos: { file: 'f.conf', line: 10, column: 5 },
        },
        {
          display: 'nats://route_user:[REDACTED]@127.0.0.1:4246', protocol: 'nats:', host: '127.0.0.1', port: 4246,
          user: 'route_user', password: 'pwd', pos: { file: 'f.conf', line: 11, column: 5 },
        },
      ],
      connectRetries: 0,
      connectBackoff: false,
      authorization: { user: 'route_user', password: 'pwd' },
      authTimeoutMs: 500,
      poolSize: 3,
      accounts: ['$SYS'],
      compression: { mode: 'accept', rttThresholdsMs: [] },
      pingIntervalMs: 30000,
      pingMax: 2,
      writeDeadlineMs: 10000,
      writeTimeout: 'default',
    },
  });
  t.equal(o.http, undefined, 'no monitoring unless configured');
});

t.test('V3: unquoted 1m ping_interval', async (t) => {
  const r = build('cluster {\n  port: 6222\n  ping_interval: 1m\n  write_deadline: "2s"\n  ping_max: 3\n}\n');
  t.same(r.errors, []);
  t.same(r.warnings, [
    'f.conf:3:3: invalid use of field "ping_interval": ping_interval should be converted to a duration',
    `f.conf:3:3: Cluster 'ping_interval' will reset to 30s which is the max for routes`,
  ]);
  t.equal(r.options!.cluster.pingIntervalMs, 30000);
  t.equal(r.options!.cluster.writeDeadlineMs, 2000);
  t.equal(r.options!.cluster.pingMax, 3);
});

t.test('V4b: quoted name with a space', async (t) => {
  const r = build('cluster {\n  name: "my cluster"\n  port: 6222\n}\n');
  t.same(r.errors, ['f.conf:2:3: cluster name cannot contain spaces']);
  t.equal(r.options, undefined);
});

t.test('V5: listen alone, and bad listens', async (t) => {
  const r = build('cluster {\n  listen: 4244\n}\n');
  t.same(r.errors, []);
  t.equal(r.options!.cluster.host, '0.0.0.0');
  t.equal(r.options!.cluster.port, 4244);
  t.equal(r.options!.cluster.nameDynamic, true);
  t.same(build('cluster {\n  listen: "localhost"\n}\n').errors, ['f.conf:2:3: could not parse address string "localhost"']);
  t.same(build('cluster {\n\n    listen = "0.0.0.0:XXXX"\n}\n').errors, ['f.conf:3:5: could not parse port "XXXX"']);
});

t.test('V6: token and users rejected', async (t) => {
  t.same(build('cluster {\n  port: 6222\n  authorization {\n    token: "s3cr3t"\n  }\n}\n').errors,
    ['f.conf:3:3: Cluster authorization does not support tokens']);
  t.same(build('cluster {\n  port: 6222\n  authorization {\n    users = []\n  }\n}\n').errors,
    ['f.conf:3:3: Cluster authorization does not allow multiple users']);
});

t.test('V7: route URL errors and duplicates', async (t) => {
  const r = build('cluster {\n  port: 6222\n  routes = [\n    nats://127.0.0.1:6223\n    nats://127.0.0.1:6223\n    "0.0.0.0:XXXX"\n  ]\n}\n');
  t.same(r.warnings, ['f.conf:5:5: invalid use of field "nats://127.0.0.1:6223": Duplicate route entry detected']);
  t.same(r.errors, ['f.conf:6:6: error parsing route url ["0.0.0.0:XXXX"]']);
  t.equal(r.options, undefined);
});

t.test('V8: compression map form and variants', async (t) => {
  const base = (c: string) => build(`cluster {\n  port: 6222\n  compression: ${c}\n}\n`);
  const r = base('{\n    mode: s2_auto\n    rtt_thresholds: [10ms, 50ms, 100ms]\n  }');
  t.same(r.errors, []);
  t.same(r.options!.cluster.compression, { mode: 's2_auto', rttThresholdsMs: [10, 50, 100] });
  t.same(base('{mode: s2_auto, rtt_thresholds: [50ms, 10ms]}').errors,
    ['f.conf:3:3: RTT threshold values [50ms 10ms] should be in ascending order'], 'checked at load (nats-server: at start)');
  t.equal(base('on').options!.cluster.compression.mode, 's2_fast');
  t.equal(base('enabled').options!.cluster.compression.mode, 's2_fast');
  t.same(base('123').errors, ['f.conf:3:3: field "compression" should be a boolean or a structure, got int64']);
});

t.test('V9: bcrypt password in a variable, port from the environment', async (t) => {
  const text = 'ROUTE_PASS: $2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG\ncluster {\n  port: $ROUTE_PORT\n  authorization {\n    user: route_user\n    password: $ROUTE_PASS\n  }\n}\n';
  const r = build(text, { ROUTE_PORT: '6222' });
  t.same(r.errors, [], 'ROUTE_PASS is used, so not an unknown field');
  t.equal(r.options!.cluster.port, 6222);
  t.equal(r.options!.cluster.authorization!.password, '$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG');
});

t.test('V12: unknown top-level field', async (t) => {
  const r = build('cluster {\n  port: 1\n  name: first\n  name: second\n}\nbanner: (\nmulti\n  line\n)\n');
  t.same(r.errors, ['f.conf:6:1: unknown field "banner"']);
});

t.test('V13: pool_size and accounts', async (t) => {
  t.same(build('cluster {\n  port: 6222\n  pool_size: -1\n  accounts: [A, B, A]\n}\n').errors,
    ['f.conf:3:3: pool_size cannot be negative if pinned accounts are specified']);
  t.same(build('cluster {\n  port: 6222\n  pool_size: 3\n  accounts: [A, B, A]\n}\n').errors,
    ['f.conf:4:3: found duplicate account name "A" in pinned accounts list ["A" "B" "A" "$SYS"]']);
});

t.test('V14: listen with port/host is ambiguous', async (t) => {
  const r = build('cluster {\n  port: 6222\n  listen: 4244\n  host: 127.0.0.1\n}\n');
  t.same(r.errors, ['f.conf:3:3: cannot combine "listen" with "host"/"port": nats-server applies them in random order']);
  const flag = buildOptions(parseConfigText('cluster {\n  port: 6222\n  listen: 4244\n}\n', 'f.conf'), { cluster: 'nats://127.0.0.1:7000' });
  t.same(flag.errors, [], '--cluster overrides both, so there is no ambiguity');
  t.equal(flag.options!.cluster.port, 7000);
});
