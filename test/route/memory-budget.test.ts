// The process-wide memory budget (issue 13): twelve peers each sending the start of a 20 MB
// routed message cannot make the daemon hold 240 MB; what does not fit is skipped unbuffered,
// counted and logged, and a healthy pair keeps exchanging messages meanwhile.
import t from 'tap';
import net from 'node:net';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/nats-server.js';
import { hello } from '../helpers/raw-peer.js';


t.test('many large partial messages stay within max_memory; healthy peers are unaffected', async (t) => {
  const MB = 1024 * 1024;
  const proxy = await startProxy(t, `cluster { name: c1, listen: "127.0.0.1:-1" }\nproxy { max_pending: 100MB, max_memory: 32MB }\n`, { level: 'info' });
  const open = (): net.Socket => {
    const s = net.connect(proxy.port, '127.0.0.1');
    s.on('error', () => {});
    t.teardown(() => { s.destroy(); });
    return s;
  };
  // A healthy server peer that wants `check`, and a healthy proxy peer that publishes it.
  const server = open();
  let got = 0;
  server.on('data', (b) => {
    const text = b.toString('latin1');
    got += (text.match(/RMSG \$G check 2\r\nok\r\n/g) ?? []).length;
    if (text.includes('PING\r\n')) server.write('PONG\r\n');
  });
  server.write(hello('NHEALTHYSERVER') + 'RS+ $G check\r\n');
  const remote = open();
  remote.on('data', (b) => { if (b.toString().includes('PING\r\n')) remote.write('PONG\r\n'); });
  remote.write(hello('NHEALTHYPROXY', true));
  await waitFor(() => proxy.daemon.routes.getPeer('NHEALTHYSERVER') && proxy.daemon.routes.getPeer('NHEALTHYPROXY'));

  const rss0 = process.memoryUsage().rss;
  const budget = proxy.daemon.routes.memory;
  const chunk = Buffer.alloc(MB, 0x78);
  const floods = Array.from({ length: 12 }, (_v, i) => {
    const s = open();
    s.write(hello(`NBIG${i}`));
    s.write(`RMSG $G big 20971520\r\n`);
    // 19 MB of the 20 MB payload: every message stays partial.
    return new Promise<void>((resolve) => {
      let n = 0;
      const more = () => {
        while (n < 19) {
          n++;
          if (!s.write(chunk)) return s.once('drain', more);
        }
        resolve();
      };
      more();
    });
  });
  await Promise.all(floods);
  await waitFor(() => budget.refusedPayloads >= 1 && proxy.logs().some((l) => /process memory budget/.test(l)),
    { what: 'a payload refused by the budget', timeoutMs: 20_000 });
  remote.write('RMSG $G check 2\r\nok\r\n');
  await waitFor(() => got === 1, { what: 'healthy delivery during the flood' });
  t.ok(budget.peak <= 32 * MB, `what was held never passed max_memory (peak ${budget.peak} bytes)`);
  const grown = process.memoryUsage().rss - rss0;
  t.ok(grown < 150 * MB, `RSS grew by ${Math.round(grown / MB)} MB for 228 MB of partial messages`);
  t.ok(budget.refusedPayloads >= 10, `payloads over the budget skipped and counted (${budget.refusedPayloads})`);
  t.ok(proxy.daemon.routes.getPeer('NBIG0'), 'the flooding peers keep their routes (the message is skipped, as an oversize one)');
});
