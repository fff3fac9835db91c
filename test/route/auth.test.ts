// Route credential checks (route-protocol.md §8.1) with bcrypt in a worker and a bound on checks in flight.
import t from 'tap';
import bcrypt from 'bcryptjs';
import { authChecksInFlight, checkRouteCredentials, MAX_AUTH_CHECKS, verifyRouteCredentials } from '../../src/route/auth.js';

const HASH = bcrypt.hashSync('right', 8);
const conf = { user: 'ru', password: HASH };

t.test('plain and bcrypt passwords, wrong users', async (t) => {
  t.equal(await verifyRouteCredentials(undefined, undefined, undefined), 'ok');
  t.equal(await verifyRouteCredentials({ user: 'ru', password: 'p' }, 'ru', 'p'), 'ok');
  t.equal(await verifyRouteCredentials({ user: 'ru', password: 'p' }, 'ru', 'q'), 'denied');
  t.equal(await verifyRouteCredentials(conf, 'x', 'right'), 'denied');
  t.equal(await verifyRouteCredentials(conf, 'ru', 'wrong'), 'denied');
  t.equal(await checkRouteCredentials({ user: 'ru', password: '$2x$' + HASH.slice(4) }, 'ru', 'right'), true, '$2x$ compared as $2a$');
  t.equal(await verifyRouteCredentials({ user: 'ru', password: '$2a$08$broken' }, 'ru', 'right'), 'denied', 'a malformed hash never matches');
});

t.test('past MAX_AUTH_CHECKS in flight: busy at once; a verified password needs no bcrypt', async (t) => {
  t.equal(await verifyRouteCredentials(conf, 'ru', 'right'), 'ok', 'verified once');
  const wrong = Array.from({ length: MAX_AUTH_CHECKS }, () => verifyRouteCredentials(conf, 'ru', 'wrong'));
  t.equal(authChecksInFlight(), MAX_AUTH_CHECKS);
  t.equal(await verifyRouteCredentials(conf, 'ru', 'wrong2'), 'busy', 'one more wrong password is refused unchecked');
  t.equal(await verifyRouteCredentials(conf, 'ru', 'right'), 'ok', 'the known password passes while the queue is full');
  t.same(await Promise.all(wrong), Array(MAX_AUTH_CHECKS).fill('denied'));
  t.equal(authChecksInFlight(), 0);
});

t.test('waiting checks run newest first: a CONNECT after a burst waits for one check, not the burst', async (t) => {
  const fresh = { user: 'ru', password: bcrypt.hashSync('other', 8) };
  const order: string[] = [];
  const run = (name: string, pass: string) => verifyRouteCredentials(fresh, 'ru', pass).then((v) => { order.push(`${name}:${v}`); });
  const all = [run('w1', 'a'), run('w2', 'b'), run('w3', 'c'), run('right', 'other')];
  await Promise.all(all);
  t.same(order, ['w1:denied', 'right:ok', 'w3:denied', 'w2:denied']);
});
