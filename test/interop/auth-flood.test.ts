// bcrypt off the event loop (issue 13): 100 wrong-password CONNECTs at cost 11 must neither stall
// the daemon's event loop nor keep a real nats-server with the right password from joining.
// Before the fix bcrypt ran on the loop: ~17 s for the flood (more on a loaded machine), and the
// loop was busy in 100 ms chunks the whole time.
import t from 'tap';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { SERVER_VERSIONS, startServer, waitFor } from '../helpers/nats-server.js';
import { startProxy } from '../helpers/proxy.js';

const version = SERVER_VERSIONS[SERVER_VERSIONS.length - 1]!;
const HASH = bcrypt.hashSync('pw-flood', 11);

let sentCount = 0;

/** A wrong-password CONNECT; resolves with what the proxy sent once it closed us. */
function wrongPassword(port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let sent = false;
    sock.on('error', () => {});
    sock.on('data', (b) => {
      data += b.toString('latin1');
      if (!sent && data.includes('\r\n')) {
        sent = true;
        sock.write('CONNECT {"user":"ru","pass":"guess","cluster":"c1"}\r\n', () => sentCount++);
      }
    });
    sock.on('close', () => resolve(data));
  });
}

t.test(`100 wrong bcrypt passwords beside a joining nats-server ${version}`, async (t) => {
  const proxy = await startProxy(t, `server_name: pf
cluster { name: c1, listen: "127.0.0.1:-1", authorization { user: ru, password: "${HASH}", timeout: 10 } }
`, { level: 'info' });
  const lateness = monitorEventLoopDelay({ resolution: 10 });
  lateness.enable();
  const t0 = Date.now();
  const flood = Array.from({ length: 100 }, () => wrongPassword(proxy.port));
  await waitFor(() => sentCount === 100, { what: 'the flood sent' });
  const s = await startServer(t, { version, name: 'healthy', cluster: { name: 'c1', routes: [`nats-route://ru:pw-flood@127.0.0.1:${proxy.port}`] } });
  const id = (await s.varz()).server_id as string;
  await waitFor(() => proxy.daemon.routes.getPeer(id), { what: 'the healthy server joins', timeoutMs: 15_000 });
  const joinMs = Date.now() - t0;
  const answers = await Promise.all(flood);
  lateness.disable();
  const p99 = lateness.percentile(99) / 1e6;
  const max = lateness.max / 1e6;
  t.comment(`join after ${joinMs} ms; event loop delay p50 ${(lateness.percentile(50) / 1e6).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
  t.ok(joinMs < 10_000, `the healthy server joined within 10 s (${joinMs} ms)`);
  t.ok(p99 < 250, `the event loop kept turning (p99 delay ${p99.toFixed(1)} ms)`);
  const denied = answers.filter((a) => a.endsWith("-ERR 'Authorization Violation'\r\n")).length;
  const busy = proxy.daemon.routes.refusals.count('auth_busy');
  t.ok(denied >= 1, `${denied} checked and denied with nats-server's -ERR`);
  // The flood's refusals, plus the healthy server's own tries while the checks were busy (about one a second).
  t.ok(denied + busy >= 100 && busy <= 100 - denied + 15, `the other ${100 - denied} refused unchecked, counted (${busy} refusals)`);
  t.ok(proxy.logs().some((l) => /password checks already in flight/.test(l)), 'refusals logged');
});
