// A raw-socket route peer that speaks compressed routes with our codec, for interop tests
// against real nats-servers. It follows the byte-exact switch points of route-protocol.md §5.4
// in either role and records everything: the INFOs, the raw compressed bytes it received (for
// re-decoding), the messages, and any -ERR.
import net from 'node:net';
import { S2Decoder, S2Encoder, type S2Level } from '../../src/compression/s2.js';
import {
  infoCompressionValue, negotiateRouteCompression, type RouteCompressionMode, type RouteNegotiation,
} from '../../src/compression/negotiate.js';

export interface RouteMsg { verb: 'RMSG' | 'HMSG'; account: string; subject: string; headers?: Buffer; payload: Buffer }

export interface FakePeerOptions {
  serverId: string;
  cluster: string;
  /** Our configured mode (what we negotiate with and advertise). */
  local: RouteCompressionMode;
  /** Level of our own writes until a send names another. */
  writeLevel: S2Level;
  /** Subscriptions we announce once registered. */
  subscribe?: string[];
}

const CRLF = Buffer.from('\r\n');

export class FakeRoutePeer {
  readonly infos: any[] = [];
  readonly msgs: RouteMsg[] = [];
  readonly errors: string[] = [];
  readonly interest: string[] = [];
  /** Every byte received after our inbound switch, as received. */
  readonly compressedIn: Buffer[] = [];
  /** What the decoder made of them, in order. */
  readonly decodedIn: Buffer[] = [];
  negotiation: RouteNegotiation | undefined;
  registered = false;
  closed = false;
  decodeError: Error | undefined;
  private plain: Buffer = Buffer.alloc(0);
  private decoder: S2Decoder | undefined;
  private text: Buffer = Buffer.alloc(0);
  private writeS2 = false;
  private encoder: S2Encoder;
  private waiters: Array<() => void> = [];

  private constructor(private readonly sock: net.Socket, private readonly role: 'dialer' | 'acceptor', private readonly o: FakePeerOptions) {
    this.encoder = new S2Encoder(o.writeLevel);
    sock.on('data', (b: Buffer) => this.onData(b));
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => {});
  }

  /** We dial the server (we are D). */
  static dial(port: number, o: FakePeerOptions): FakeRoutePeer {
    const sock = net.connect(port, '127.0.0.1');
    const p = new FakeRoutePeer(sock, 'dialer', o);
    sock.write(`CONNECT ${JSON.stringify({ echo: true, verbose: false, pedantic: false, tls_required: false, headers: true, name: o.serverId, cluster: o.cluster, lnoc: true })}\r\n`);
    return p;
  }

  /** The server dialled us (we are A): our INFO goes out at once, in plain text. */
  static accept(sock: net.Socket, o: FakePeerOptions): FakeRoutePeer {
    const p = new FakeRoutePeer(sock, 'acceptor', o);
    sock.write(p.infoLine(o.local));
    return p;
  }

  private infoLine(compression: string): string {
    return `INFO ${JSON.stringify({
      server_id: this.o.serverId, server_name: this.o.serverId.toLowerCase(), version: '2.10.27', proto: 2, host: '127.0.0.1',
      port: 1, headers: true, max_payload: 8 << 20, cluster: this.o.cluster, compression, lnoc: true,
    })} \r\n`;
  }

  /** Writes one flush: an S2 stream at `level` once we compress, plain text before. */
  send(data: string | Buffer | Buffer[], level?: S2Level): void {
    const parts = typeof data === 'string' ? [Buffer.from(data)] : Buffer.isBuffer(data) ? [data] : data;
    if (!this.writeS2) {
      this.sock.write(Buffer.concat(parts));
      return;
    }
    if (level && level !== this.encoder.level) this.encoder = new S2Encoder(level);
    this.sock.write(this.encoder.encode(parts));
  }

  close(): void {
    this.sock.destroy();
  }

  async until(cond: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.decodeError) throw this.decodeError;
      if (this.errors.length) throw new Error(`peer sent -ERR ${this.errors.join(', ')} while waiting for ${what}`);
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private onData(b: Buffer): void {
    try {
      if (this.decoder) {
        this.compressedIn.push(b);
        for (const d of this.decoder.push(b)) this.onDecoded(d);
      } else {
        this.onPlain(b);
      }
    } catch (err) {
      this.decodeError = err as Error;
      this.sock.destroy();
    }
    this.wake();
  }

  /** Plain text until the line that switches our reader (§5.4); the rest of that read is S2. */
  private onPlain(b: Buffer): void {
    this.plain = Buffer.concat([this.plain, b]);
    for (;;) {
      const nl = this.plain.indexOf(CRLF);
      if (nl < 0) return;
      const line = this.plain.subarray(0, nl).toString('latin1');
      const rest = this.plain.subarray(nl + 2);
      this.plain = rest;
      if (line.startsWith('-ERR')) {
        this.errors.push(line);
        continue;
      }
      if (this.role === 'acceptor' && line.startsWith('CONNECT ')) continue;
      if (!line.startsWith('INFO ')) throw new Error(`unexpected plain line ${line.slice(0, 80)}`);
      const info = JSON.parse(line.slice(5));
      this.infos.push(info);
      const neg = negotiateRouteCompression(this.o.local, info.compression);
      this.negotiation = neg;
      if (!neg.compress) throw new Error(`no compression negotiated: ${JSON.stringify(neg)}`);
      this.decoder = new S2Decoder();
      this.plain = Buffer.alloc(0);
      if (this.role === 'dialer') {
        // D: our negotiation INFO is the last plain bytes; then nothing until A's S2 INFO arrives.
        this.sock.write(this.infoLine(infoCompressionValue(this.o.local, neg.mode)));
        this.writeS2 = true;
      } else {
        // A: writer first, so the reply INFO is already S2.
        this.writeS2 = true;
        this.send(this.infoLine(infoCompressionValue(this.o.local, neg.mode)));
      }
      if (rest.length) this.onData(rest);
      return;
    }
  }

  private onDecoded(d: Buffer): void {
    this.decodedIn.push(d);
    this.text = this.text.length ? Buffer.concat([this.text, d]) : d;
    let p = 0;
    const t = this.text;
    for (;;) {
      const nl = t.indexOf(CRLF, p);
      if (nl < 0) break;
      const line = t.subarray(p, nl).toString('latin1');
      if (line.startsWith('RMSG ') || line.startsWith('HMSG ')) {
        const f = line.split(' ');
        const hmsg = f[0] === 'HMSG';
        const total = Number(f[f.length - 1]);
        const hdr = hmsg ? Number(f[f.length - 2]) : 0;
        if (t.length < nl + 2 + total + 2) break; // payload not complete yet
        const body = t.subarray(nl + 2, nl + 2 + total);
        const m: RouteMsg = { verb: hmsg ? 'HMSG' : 'RMSG', account: f[1]!, subject: f[2]!, payload: Buffer.from(body.subarray(hdr)) };
        if (hmsg) m.headers = Buffer.from(body.subarray(0, hdr));
        this.msgs.push(m);
        p = nl + 2 + total + 2;
        continue;
      }
      p = nl + 2;
      if (line === 'PING') this.send('PONG\r\n');
      else if (line.startsWith('-ERR')) this.errors.push(line);
      else if (line.startsWith('RS+ ')) this.interest.push(line.slice(4));
      else if (line.startsWith('INFO ')) this.onCompressedInfo(JSON.parse(line.slice(5)));
    }
    this.text = p === t.length ? Buffer.alloc(0) : t.subarray(p);
  }

  private onCompressedInfo(info: any): void {
    this.infos.push(info);
    if (this.registered) return;
    this.registered = true;
    const subs = (this.o.subscribe ?? []).map((s) => `RS+ $G ${s}\r\n`).join('');
    if (this.role === 'dialer') {
      // A's S2 INFO: register, send the delayed INFO and our interest (S2 from here).
      this.send(this.infoLine(infoCompressionValue(this.o.local, this.negotiation && 'mode' in this.negotiation ? this.negotiation.mode : 'off')) + subs);
    } else if (subs) {
      this.send(subs);
    }
  }
}
