import { connect } from '@nats-io/transport-node';
import { startServer } from '../dist/test/helpers/nats-server.js';
const s = await startServer(undefined, { version: '2.15.1', name: 'X' });
const nc = await connect({ servers: s.clientUrl });
const N = 200000, B = 20000;
let t0 = performance.now();
for (let i = 0; i < N; i += B) { for (let j = i; j < i + B; j++) nc.subscribe(`scale.p.${j}`, { callback() {} }); await nc.flush(); }
console.log('nats.js subscribe', N, (performance.now() - t0).toFixed(0), 'ms');
await nc.close(); await s.stop();
