// Both ends of a flood in processes of their own (so they never share the event loop of what is
// measured). `node flood.js pub <url> <user> <pass> <subject> <bytes>` publishes at full speed;
// `node flood.js sub <url> <user> <pass> <subject>` prints "ready", then its count every 100 ms.
// Both run until killed.
import { connect } from '@nats-io/transport-node';

const [mode, url, user, pass, subject, bytes] = process.argv.slice(2);
const nc = await connect({ servers: url!, user: user!, pass: pass! });
if (mode === 'sub') {
  let n = 0;
  nc.subscribe(subject!, { callback: () => { n++; } });
  await nc.flush();
  process.stdout.write('ready\n');
  setInterval(() => process.stdout.write(`${n}\n`), 100);
} else {
  const body = new Uint8Array(Number(bytes ?? 1024));
  for (;;) {
    for (let i = 0; i < 500; i++) nc.publish(subject!, body);
    await nc.flush();
  }
}
