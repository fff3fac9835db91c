// The close-reason table (labels stable and unique, texts as nats-server's ClosedState.String()),
// every ErrorCode used in src/, and a close logged with its label and code.
import t from 'tap';
import net from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CloseReasons, closeText } from '../../src/route/close-reason.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/nats-server.js';

// nats-server v2.10/2.11 server/monitor.go ClosedState.String(), for the states we share.
const NATS_SERVER_TEXT: Record<string, string> = {
  ClientClosed: 'Client Closed', AuthenticationTimeout: 'Authentication Timeout',
  AuthenticationViolation: 'Authentication Failure', TLSHandshakeError: 'TLS Handshake Failure',
  SlowConsumerWriteDeadline: 'Slow Consumer (Write Deadline)',
  ReadError: 'Read Error', StaleConnection: 'Stale Connection',
  ProtocolViolation: 'Protocol Violation', WrongPort: 'Incorrect Port',
  DuplicateRoute: 'Duplicate Route', RouteRemoved: 'Route Removed',
  ServerShutdown: 'Server Shutdown', WrongGateway: 'Wrong Gateway', ClusterNameConflict: 'Cluster Name Conflict',
  DuplicateServerName: 'Duplicate Server Name',
};
const OURS = ['RouteError', 'HandshakeTimeout', 'AuthenticationBusy', 'InternalError'];

// Released labels: changing one breaks dashboards and alerts, so this list is edited only to add.
const STABLE_LABELS: Record<string, string> = {
  ClientClosed: 'client_closed', AuthenticationTimeout: 'authentication_timeout',
  AuthenticationViolation: 'authentication_violation', TLSHandshakeError: 'tls_handshake_error',
  SlowConsumerWriteDeadline: 'slow_consumer_write_deadline',
  ReadError: 'read_error', StaleConnection: 'stale_connection',
  ProtocolViolation: 'protocol_violation', WrongPort: 'wrong_port',
  DuplicateRoute: 'duplicate_route', RouteRemoved: 'route_removed',
  ServerShutdown: 'server_shutdown', WrongGateway: 'wrong_gateway', ClusterNameConflict: 'cluster_name_conflict',
  DuplicateServerName: 'duplicate_server_name', RouteError: 'route_error', HandshakeTimeout: 'handshake_timeout',
  AuthenticationBusy: 'authentication_busy', InternalError: 'internal_error',
};

t.test('the table: nats-server texts, stable unique snake_case labels', async (t) => {
  const names = Object.keys(CloseReasons);
  t.same(names.sort(), [...Object.keys(NATS_SERVER_TEXT), ...OURS].sort(), 'every reason is nats-server\'s or listed as ours');
  for (const [name, text] of Object.entries(NATS_SERVER_TEXT)) {
    t.equal(CloseReasons[name as keyof typeof CloseReasons].text, text, `${name} has nats-server's text`);
  }
  for (const [name, r] of Object.entries(CloseReasons)) {
    t.equal(r.label, STABLE_LABELS[name], `${name} keeps its released label`);
    t.match(r.label, /^[a-z][a-z0-9_]*$/, `${name} label is snake_case`);
    t.ok(Object.isFrozen(r), `${name} cannot be mutated`);
  }
  const labels = Object.values(CloseReasons).map((r) => r.label);
  t.equal(new Set(labels).size, labels.length, 'labels unique');
  const texts = Object.values(CloseReasons).map((r) => r.text);
  t.equal(new Set(texts).size, texts.length, 'texts unique');
  t.equal(closeText(CloseReasons.ReadError, 'read ECONNRESET'), 'Read Error: read ECONNRESET');
  t.equal(closeText(CloseReasons.ClientClosed), 'Client Closed');
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

t.test('every ErrorCode is used in src/ outside errors.ts', async (t) => {
  // Tests run from dist/test/…; the sources stay at the repository root.
  const root = process.cwd();
  const errors = readFileSync(join(root, 'src/errors.ts'), 'utf8');
  const union = /export type ErrorCode =([^;]*);/.exec(errors)![1]!;
  const codes = [...union.matchAll(/'(ERR_[A-Z0-9_]+)'/g)].map((m) => m[1]!);
  t.ok(codes.length >= 5, `codes found in errors.ts (${codes.length})`);
  const rest = sourceFiles(join(root, 'src')).filter((f) => f !== join(root, 'src/errors.ts'))
    .map((f) => readFileSync(f, 'utf8')).join('\n');
  for (const code of codes) t.ok(rest.includes(`'${code}'`), `${code} is used in src/`);
  for (const r of Object.values(CloseReasons)) {
    if (r.code !== undefined) t.ok(codes.includes(r.code), `${r.label} carries a declared code`);
  }
  // A reason in the table that no code passes would be a label that never appears.
  for (const name of Object.keys(CloseReasons)) t.ok(rest.includes(`CloseReasons.${name}`), `CloseReasons.${name} is used in src/`);
});

t.test('a close is logged with its label and code, and counted under its label', async (t) => {
  const proxy = await startProxy(t, `server_name: cr
cluster {
  name: c1
  listen: "127.0.0.1:-1"
  authorization { user: ru, password: s3cret }
}
`);
  const closeOf = (re: RegExp) => proxy.records().find((r) => re.test(String(r.msg)) && /Route connection closed/.test(String(r.msg)));
  const send = async (line: string) => {
    const sock = net.connect(proxy.port, '127.0.0.1');
    t.teardown(() => sock.destroy());
    await new Promise((r) => sock.once('connect', r));
    sock.write(line);
  };
  const connect = (fields: Record<string, unknown>) =>
    `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, name: 'NFAKE', cluster: 'c1', user: 'ru', ...fields })}\r\n`;

  await send(connect({ pass: 'nope' }));
  const auth = await waitFor(() => closeOf(/Route connection closed: Authentication Failure$/), { what: 'auth close logged' });
  t.equal(auth.code, 'ERR_ROUTE_AUTH', 'auth close carries its code');
  t.equal(auth.reason, 'authentication_violation', 'and its label');

  await send(connect({ pass: 's3cret', cluster: 'elsewhere' }));
  const name = await waitFor(() => closeOf(/Route connection closed: Cluster Name Conflict$/), { what: 'cluster close logged' });
  t.equal(name.code, 'ERR_ROUTE_CLUSTER_NAME');
  t.equal(name.reason, 'cluster_name_conflict');

  await send(`${connect({ pass: 's3cret' })}RS+ $G\r\n`);
  const proto = await waitFor(() => closeOf(/Route connection closed: Protocol Violation: /), { what: 'protocol close logged' });
  t.equal(proto.code, 'ERR_ROUTE_PROTOCOL');
  t.equal(proto.reason, 'protocol_violation');

  await send(connect({ pass: 's3cret', lang: 'go' }));
  const port = await waitFor(() => closeOf(/Route connection closed: Incorrect Port$/), { what: 'wrong port close logged' });
  t.equal(port.reason, 'wrong_port');
  t.equal(port.code, 'ERR_ROUTE_PROTOCOL');

  // An ordinary close (the peer hung up) has a label but no error code.
  const sock = net.connect(proxy.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.end();
  const bye = await waitFor(() => closeOf(/Route connection closed: Client Closed$/), { what: 'client close logged' });
  t.equal(bye.reason, 'client_closed');
  t.notOk('code' in bye, 'no error code on an ordinary close');
});
