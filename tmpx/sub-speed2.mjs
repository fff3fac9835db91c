import { connect } from '@nats-io/transport-node';
import { startServer } from '../dist/test/helpers/nats-server.js';
const s = await startServer(undefined, { version: '2.15.1', name: 'X' });
const nc = await connect({ servers: s.clientUrl });
const N = 50000;
for (const B of [1000, 5000]) {
let t0 = performance.now();
for (let i = 0; i < N; i += B) { for (let j = i; j < i + B; j++) nc.subscribe(`scale.${B}.${j}`, { callback() {} }); await nc.flush(); }
console.log('B', B, N, (performance.now() - t0).toFixed(0), 'ms');
}
let t0 = performance.now();
for (let j = 0; j < 20000; j++) nc.subscribe(`scale.z.${j}`, { callback() {} });
console.log('no flush sync part', (performance.now() - t0).toFixed(0), 'ms');
await nc.flush();
console.log('with flush', (performance.now() - t0).toFixed(0), 'ms');
await nc.close(); await s.stop();
