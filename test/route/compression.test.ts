// Route compression on our connection, byte for byte over raw sockets (route-protocol.md §5.3,
// §5.4): the switch points in both roles (including S2 bytes in the same read as the switching
// INFO), the exact -ERR for an unknown mode, a corrupt stream and a decompression bomb closing
// only their own connection, and s2_auto re-picking its level from a PONG's RTT.
import t from 'tap';
import net from 'node:net';
import { createRequire } from 'node:module';
import { S2Decoder, S2Encoder, S2_IDENTIFIER } from '../../src/compression/s2.js';
import { RouteCompression } from '../../src/route/compression.js';
import { CompressionError } from '../../src/compression/errors.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/nats-server.js';

const snappy = createRequire(import.meta.url)('snappy') as { uncompressSync(b: Buffer): Buffer };

function conf(name: string, mode: string, extra = ''): string {
  return `server_name: ${name}
cluster {
  name: rc
  listen: "127.0.0.1:-1"
  compression: ${mode}
  ${extra}
}
`;
}

const infoLine = (o: object): string => `INFO ${JSON.stringify(o)}\r\n`;
const CONNECT = (id: string): string => `CONNECT ${JSON.stringify({ echo: true, verbose: false, pedantic: false, headers: true, name: id, cluster: 'rc', lnoc: true })}\r\n`;
const peerInfo = (id: string, compression: string): object => ({
  server_id: id, server_name: id, version: '2.15.1', proto: 3, host: '127.0.0.1', port: 1, headers: true,
  max_payload: 1048576, cluster: 'rc', lnoc: true, lnocu: true, compression,
});

/** A raw peer: plain bytes until `switchIn()`, then every later byte through an S2 decoder. */
class RawPeer {
  plain = Buffer.alloc(0);
  /** Raw bytes received after the inbound switch. */
  rawS2: Buffer[] = [];
  decoded = '';
  closed = false;
  private dec: S2Decoder | undefined;
  readonly enc = new S2Encoder('s2_fast');
  constructor(readonly sock: net.Socket) {
    sock.on('data', (b: Buffer) => this.onData(b));
    sock.on('close', () => { this.closed = true; });
    sock.on('error', () => {});
  }

  private onData(b: Buffer): void {
    if (!this.dec) {
      this.plain = Buffer.concat([this.plain, b]);
      return;
    }
    this.rawS2.push(b);
    for (const d of this.dec.push(b)) this.decoded += d.toString('latin1');
  }

  /** Everything after the first `\r\n` of `plain` is S2 from here on. */
  switchIn(afterPlainBytes: number): void {
    this.dec = new S2Decoder();
    const rest = this.plain.subarray(afterPlainBytes);
    this.plain = this.plain.subarray(0, afterPlainBytes);
    if (rest.length > 0) this.onData(rest);
  }

  firstLine(): string | undefined {
    const i = this.plain.indexOf('\r\n');
    return i < 0 ? undefined : this.plain.toString('latin1', 0, i + 2);
  }

  s2(text: string): Buffer {
    return this.enc.encode(Buffer.from(text, 'latin1'));
  }
}

/** The JSON of the first INFO line in `text`. */
function firstInfo(text: string): any {
  const m = /INFO ([^\r\n]*)\r\n/.exec(text);
  return m ? JSON.parse(m[1]!) : undefined;
}

t.test('proxy as acceptor (accept) against an s2_fast dialer', async (t) => {
  const proxy = await startProxy(t, conf('acc', 'accept'));
  const peer = new RawPeer(net.connect(proxy.port, '127.0.0.1'));
  t.teardown(() => peer.sock.destroy());
  const line1 = await waitFor(() => peer.firstLine(), { what: 'proxy INFO' });
  t.equal(firstInfo(line1).compression, 'accept', 'first INFO carries the configured mode');
  // CONNECT, the plain negotiation INFO and already-S2 bytes (our second INFO, a PING) in ONE write:
  // the proxy must feed the rest of that read to its decoder.
  const id = 'RAWDIALER1';
  peer.sock.write(Buffer.concat([
    Buffer.from(CONNECT(id) + infoLine(peerInfo(id, 's2_fast'))),
    peer.s2(infoLine(peerInfo(id, 's2_fast')) + 'PING\r\n'),
  ]));
  peer.switchIn(line1.length);
  await waitFor(() => peer.decoded.includes('PONG\r\n'), { what: 'compressed PONG' });
  t.equal(peer.plain.length, line1.length, 'nothing plain after the first INFO (no PING before negotiation)');
  t.ok(peer.rawS2[0]!.subarray(0, S2_IDENTIFIER.length).equals(S2_IDENTIFIER), 'reply starts with the S2 stream identifier');
  t.ok(peer.decoded.startsWith('INFO '), 'the reply INFO is the first S2 content');
  t.equal(firstInfo(peer.decoded).compression, 's2_fast', 'reply INFO carries the negotiated mode');
  const conn = await waitFor(() => proxy.daemon.routes.getPeer(id)?.main, { what: 'registered on the second INFO' });
  t.equal(conn.compressionMode, 's2_fast');
  t.ok(conn.bytesInPlain > conn.bytesInWire - 100, 'plain in counted');
  t.ok(conn.bytesOutWire > 0 && conn.bytesOutPlain > 0, 'out counters');
});

t.test('proxy as dialer (s2_fast) against an accept acceptor', async (t) => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const port = (srv.address() as net.AddressInfo).port;
  const got = new Promise<RawPeer>((r) => srv.once('connection', (s) => r(new RawPeer(s))));
  const proxy = await startProxy(t, conf('dia', 's2_fast', `routes = [ "nats-route://127.0.0.1:${port}" ]`));
  const peer = await got;
  t.teardown(() => peer.sock.destroy());
  const id = 'RAWACCEPT1';
  peer.sock.write(infoLine(peerInfo(id, 'accept')));
  // CONNECT then the plain negotiation INFO, then nothing until our compressed INFO.
  await waitFor(() => /^CONNECT .*\r\nINFO .*\r\n/.test(peer.plain.toString('latin1')), { what: 'CONNECT + INFO' });
  const text = peer.plain.toString('latin1');
  const plainLen = text.indexOf('\r\n', text.indexOf('INFO ')) + 2;
  t.equal(firstInfo(text.slice(text.indexOf('INFO '))).compression, 's2_fast', 'negotiation INFO carries s2_fast');
  peer.switchIn(plainLen);
  t.equal(peer.rawS2.length, 0, 'nothing after the negotiation INFO yet');
  peer.sock.write(peer.s2(infoLine(peerInfo(id, 's2_fast'))));
  await waitFor(() => peer.decoded.includes('INFO '), { what: 'our real INFO, compressed' });
  t.ok(peer.rawS2[0]!.subarray(0, S2_IDENTIFIER.length).equals(S2_IDENTIFIER), 'S2 stream after the switch');
  const conn = await waitFor(() => proxy.daemon.routes.getPeer(id)?.main, { what: 'registered on the second INFO' });
  t.equal(conn.compressionMode, 's2_fast');
  peer.sock.write(peer.s2('PING\r\n'));
  await waitFor(() => peer.decoded.includes('PONG\r\n'), { what: 'compressed PONG' });
  t.pass('PING/PONG over S2');
});

t.test('unknown mode, corrupt stream and bomb close only their own connection', async (t) => {
  const proxy = await startProxy(t, conf('bad', 's2_fast'));
  const healthy = new RawPeer(net.connect(proxy.port, '127.0.0.1'));
  t.teardown(() => healthy.sock.destroy());
  const l1 = await waitFor(() => healthy.firstLine(), { what: 'INFO' });
  healthy.sock.write(CONNECT('HEALTHY') + infoLine(peerInfo('HEALTHY', 's2_fast')));
  healthy.switchIn(l1.length);
  await waitFor(() => healthy.decoded.includes('INFO '), { what: 'compressed reply' });
  healthy.sock.write(healthy.s2(infoLine(peerInfo('HEALTHY', 's2_fast'))));
  await waitFor(() => proxy.daemon.routes.getPeer('HEALTHY'), { what: 'healthy registered' });

  const open = async (id: string, mode: string, after?: Buffer): Promise<RawPeer> => {
    const p = new RawPeer(net.connect(proxy.port, '127.0.0.1'));
    t.teardown(() => p.sock.destroy());
    const l = await waitFor(() => p.firstLine(), { what: 'INFO' });
    p.sock.write(CONNECT(id) + infoLine(peerInfo(id, mode)));
    if (after) {
      p.switchIn(l.length);
      await waitFor(() => p.decoded.includes('INFO '), { what: 'compressed reply' });
      p.sock.write(after);
    }
    await waitFor(() => p.closed, { what: `${id} closed` });
    return p;
  };

  const gz = await open('GZIP', 'gzip');
  t.match(gz.plain.toString('latin1'), /-ERR 'unsupported route compression mode "gzip"'\r\n$/, 'exact -ERR');
  await proxy.waitForLog(/unsupported route compression mode "gzip"/);

  const good = new S2Encoder('s2_fast').encode(Buffer.from('PING\r\n'));
  const corrupt = Buffer.from(good);
  corrupt[S2_IDENTIFIER.length + 4] = corrupt[S2_IDENTIFIER.length + 4]! ^ 0xff; // a CRC byte
  await open('CORRUPT', 's2_fast', corrupt);
  await proxy.waitForLog(/Route connection closed: .*bad_crc/);

  // Decoded bytes reach the parser block by block, so a bomb that decodes to garbage is closed
  // by the parser at its first block: nothing after it is decoded.
  const zeros = new S2Encoder('s2_better', { blockSize: 4 << 20 }).encode(Buffer.alloc(4 << 20));
  await open('ZEROS', 's2_fast', Buffer.concat([zeros, zeros.subarray(S2_IDENTIFIER.length)]));
  await proxy.waitForLog(/Route connection closed: Protocol Violation: unknown protocol operation/);

  // 20 chunks that each declare 4 MiB of valid route traffic (four RMSGs of 1 MiB less 24 bytes
  // of zeros, below max_payload), in a few hundred bytes: the parser accepts all of it, so the
  // per-read output cap (64 MiB) is what stops it.
  const rmsg = Buffer.alloc(1 << 20);
  rmsg.write('RMSG $G bomb 1048552\r\n', 'latin1');
  rmsg.write('\r\n', (1 << 20) - 2, 'latin1');
  const stream = new S2Encoder('s2_better', { blockSize: 4 << 20 }).encode(Buffer.concat([rmsg, rmsg, rmsg, rmsg]));
  const chunk = stream.subarray(S2_IDENTIFIER.length);
  const bomb = Buffer.concat([S2_IDENTIFIER, ...Array.from({ length: 20 }, () => chunk)]);
  t.ok(bomb.length < 2048, `bomb is ${bomb.length} bytes for 80 MiB`);
  await open('BOMB', 's2_fast', bomb);
  await proxy.waitForLog(/Route connection closed: .*output_limit/);

  t.ok(proxy.daemon.routes.getPeer('HEALTHY'), 'the healthy route is still registered');
  healthy.sock.write(healthy.s2('PING\r\n'));
  await waitFor(() => healthy.decoded.includes('PONG\r\n'), { what: 'healthy still answers' });
});

t.test('s2_auto picks the level from the handshake RTT, then from every PONG', async (t) => {
  const c = new RouteCompression({ mode: 's2_auto', rttThresholdsMs: [10, 50, 100] }, () => t.fail('no error'));
  t.same(c.negotiate('accept'), { compress: true, mode: 's2_auto' });
  t.equal(c.infoValue(), 's2_auto', 'INFO always says s2_auto');
  c.startWriting(3);
  t.equal(c.mode, 's2_uncompressed');
  const dec = new S2Decoder();
  const roundTrip = (s: string): string => Buffer.concat(dec.push(Buffer.concat(c.encode([Buffer.from(s)])))).toString();
  t.equal(roundTrip('a'.repeat(1000)), 'a'.repeat(1000));
  c.rtt(30);
  t.equal(c.mode, 's2_fast', '30 ms → fast');
  t.equal(roundTrip('b'.repeat(1000)), 'b'.repeat(1000), 'a new stream after the swap decodes on the same reader');
  c.rtt(70);
  t.equal(c.mode, 's2_better');
  c.rtt(500);
  t.equal(c.mode, 's2_best');
  t.equal(roundTrip('c'.repeat(5000)), 'c'.repeat(5000));
  t.ok(c.wireOut < c.plainOut, 'counters: wire below plain for repetitive data');

  // A proxy peer (it offers codecs in `nrp`, maybe none): s2_auto is the fixed fast level.
  const link = new RouteCompression({ mode: 's2_auto', rttThresholdsMs: [] }, () => t.fail('no error'));
  t.same(link.negotiate('s2_auto', []), { compress: true, mode: 's2_fast' }, 'proxy link: fixed level');
  link.startWriting(500);
  link.rtt(500);
  t.equal(link.mode, 's2_fast', 'no RTT switching on a proxy link');
  const lz = new RouteCompression({ mode: 'off', rttThresholdsMs: [], lz4: true }, () => t.fail('no error'));
  t.same(lz.negotiate('off', undefined), { compress: false, mode: 'off' }, 'never lz4 towards a server (no nrp)');
  const lz2 = new RouteCompression({ mode: 'off', rttThresholdsMs: [], lz4: true }, () => t.fail('no error'));
  t.same(lz2.negotiate('off', ['lz4']), { compress: true, mode: 'lz4' }, 'lz4 when the proxy peer offers it');
  t.equal(lz2.infoValue(), 'off', 'the route compression field never says lz4');

  // On a connection: our PING answered after ~120 ms moves the level to best.
  const proxy = await startProxy(t, conf('auto', '{ mode: s2_auto, rtt_thresholds: [10ms, 50ms, 100ms] }'));
  const peer = new RawPeer(net.connect(proxy.port, '127.0.0.1'));
  t.teardown(() => peer.sock.destroy());
  const l1 = await waitFor(() => peer.firstLine(), { what: 'INFO' });
  t.equal(firstInfo(l1).compression, 's2_auto');
  peer.sock.write(CONNECT('AUTO') + infoLine(peerInfo('AUTO', 'accept')));
  peer.switchIn(l1.length);
  await waitFor(() => peer.decoded.includes('INFO '), { what: 'compressed reply' });
  t.equal(firstInfo(peer.decoded).compression, 's2_auto', 'reply INFO says s2_auto');
  peer.sock.write(peer.s2(infoLine(peerInfo('AUTO', 'accept'))));
  const conn = await waitFor(() => proxy.daemon.routes.getPeer('AUTO')?.main, { what: 'registered' });
  await waitFor(() => peer.decoded.includes('PING\r\n'), { what: 'first PING', timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 120)); // the delay being measured, not a wait for a condition
  peer.sock.write(peer.s2('PONG\r\n'));
  await waitFor(() => conn.compressionMode === 's2_best', { what: `level best after a slow PONG (${conn.compressionMode})` });
  t.ok((conn.rttMs ?? 0) >= 100, `measured RTT ${conn.rttMs}`);
});

t.test('blocks decoded into the reused scratch are relayed intact, many blocks per read', async (t) => {
  // A proxy peer whose stream has S2 repeats (so our TypeScript decoder and its scratch buffer
  // decode it, not native Snappy) in 4 KiB blocks, one write: each socket read holds many blocks,
  // and every block overwrites the one before it in the scratch. The relay defers the frames of
  // a block and must copy them before the next block is decoded (settleReads per block).
  const proxy = await startProxy(t, conf('scr', 'accept'));
  const recv = new RawPeer(net.connect(proxy.port, '127.0.0.1'));
  t.teardown(() => recv.sock.destroy());
  await waitFor(() => recv.firstLine(), { what: 'INFO' });
  recv.sock.write(CONNECT('RECV') + infoLine(peerInfo('RECV', 'off')) + 'RS+ $G scratch.>\r\n');
  await waitFor(() => proxy.daemon.routes.getPeer('RECV'), { what: 'local server registered' });

  const send = new RawPeer(net.connect(proxy.port, '127.0.0.1'));
  t.teardown(() => send.sock.destroy());
  const l1 = await waitFor(() => send.firstLine(), { what: 'INFO' });
  const nrp = { v: 1 };
  const connect = CONNECT('SEND').replace('}\r\n', `,"nrp":${JSON.stringify(nrp)}}\r\n`);
  send.sock.write(connect + infoLine({ ...peerInfo('SEND', 's2_fast'), nrp }));
  send.switchIn(l1.length);
  await waitFor(() => send.decoded.includes('INFO '), { what: 'compressed reply' });
  send.sock.write(send.s2(infoLine({ ...peerInfo('SEND', 's2_fast'), nrp })));
  await waitFor(() => send.decoded.includes('RS+ $G scratch.>'), { what: 'the local interest advertised to the proxy peer' });

  const frames: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const payload = `{"seq":${i},"body":"${'abcdefgh'.repeat(1 + (i % 40))}"}`;
    frames.push(`RMSG $G scratch.${i % 7} ${payload.length}\r\n${payload}\r\n`);
  }
  const plain = frames.join('');
  const stream = new S2Encoder('s2_better', { blockSize: 4096 }).encode(Buffer.from(plain, 'latin1'));
  const blocks = Math.ceil(plain.length / 4096);
  t.ok(stream.length < plain.length / 4, `${blocks} blocks in ${stream.length} bytes: several blocks per 64 KiB read`);
  const decoded = Buffer.concat(new S2Decoder({ nativeFirst: false }).push(stream)).toString('latin1');
  t.equal(decoded, plain, 'the stream itself is sound');
  // The first data chunk is compressed and uses a repeat: native Snappy refuses it as corrupt.
  const first = stream.subarray(S2_IDENTIFIER.length);
  t.equal(first[0], 0x00, 'first chunk compressed');
  const body = first.subarray(8, 4 + (first[1]! | (first[2]! << 8) | (first[3]! << 16)));
  t.throws(() => snappy.uncompressSync(body), 'native Snappy refuses the first block (S2 repeats)');
  send.sock.write(stream);
  const got = (): string => {
    const text = recv.plain.toString('latin1');
    const i = text.indexOf('RMSG ');
    return i < 0 ? '' : text.slice(i);
  };
  await waitFor(() => got().length >= plain.length, { what: `all relayed (${got().length} of ${plain.length} bytes)` });
  t.equal(got(), plain, 'every frame arrives byte for byte, in order');
});

t.test("an error thrown behind the sink is the parser's, not a corrupt stream", async (t) => {
  let corrupt = 0;
  const c = new RouteCompression({ mode: 's2_fast', rttThresholdsMs: [] }, () => { corrupt++; });
  c.negotiate('s2_fast');
  c.startReading();
  const stream = new S2Encoder('s2_fast').encode(Buffer.from('PING\r\n'));
  const own = new CompressionError('bad_block', 'raised by the consumer');
  t.throws(() => c.decode(stream, () => { throw own; }), own, 'rethrown as it is');
  t.equal(corrupt, 0, 'not reported as a corrupt stream');
  const bad = Buffer.from(stream);
  bad[S2_IDENTIFIER.length + 4] = bad[S2_IDENTIFIER.length + 4]! ^ 0xff;
  const c2 = new RouteCompression({ mode: 's2_fast', rttThresholdsMs: [] }, () => { corrupt++; });
  c2.negotiate('s2_fast');
  c2.startReading();
  c2.decode(bad, () => true);
  t.equal(corrupt, 1, 'a bad CRC is');
});

t.test('a decode called from inside its own sink is refused, the outer one goes on', async (t) => {
  const c = new RouteCompression({ mode: 's2_fast', rttThresholdsMs: [] }, () => t.fail('no corrupt-stream error'));
  c.negotiate('s2_fast');
  c.startReading();
  const enc = new S2Encoder('s2_better', { blockSize: 4096 });
  const outer = Buffer.alloc(3 * 4096, 'a');
  let outerBytes = 0;
  let refused: unknown;
  c.decode(enc.encode(outer), (piece) => {
    outerBytes += piece.length;
    if (refused === undefined) {
      try {
        c.decode(enc.encode(Buffer.from('PING\r\n')), () => true);
      } catch (err) {
        refused = err;
      }
    }
    return true;
  });
  t.match(String(refused), /called from inside its sink/, 'the nested call throws');
  t.equal(outerBytes, outer.length, 'the outer decode delivered everything to its sink');
});
