// A bare client-protocol connection for bulk SUB/UNSUB (interest-scale test, interest bench).
import net from 'node:net';

/** Lines per socket write. */
const CHUNK = 20_000;

/**
 * A bare client-protocol connection for the bulk SUB/UNSUB: nats.js takes ~60 µs per subscribe
 * (measured: 200,000 in 17 s against a lone server), which would make this test minutes long
 * and measure the client. The caller writes the protocol lines (and picks the sids); a flush is a
 * PING answered by PONG. What else the server sends (MSG…) is read and ignored.
 */
export class BulkClient {
  private pongs = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private sent = 0;
  private tail = '';
  readonly errors: string[] = [];
  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (b: Buffer) => {
      const text = this.tail + b.toString('latin1');
      const lines = text.split('\r\n');
      this.tail = lines.pop()!;
      for (const l of lines) {
        if (l === 'PING') sock.write('PONG\r\n');
        else if (l === 'PONG') this.pongs++;
        else if (l.startsWith('-ERR')) this.errors.push(l);
      }
      this.waiters = this.waiters.filter((w) => (w.n <= this.pongs ? (w.resolve(), false) : true));
    });
  }

  static async open(s: { clientPort: number }): Promise<BulkClient> {
    const sock = net.connect(s.clientPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    sock.on('error', () => {});
    const c = new BulkClient(sock);
    sock.write('CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n');
    await c.flush();
    return c;
  }

  /** Writes `lines` (each ending in CRLF) in chunks, honouring the socket's backpressure, then flushes. */
  async send(n: number, line: (i: number) => string): Promise<void> {
    for (let i = 0; i < n;) {
      let chunk = '';
      const end = Math.min(n, i + CHUNK);
      for (; i < end; i++) chunk += line(i);
      if (!this.sock.write(chunk)) await new Promise((r) => this.sock.once('drain', r));
    }
    await this.flush();
  }

  flush(): Promise<void> {
    const n = ++this.sent;
    this.sock.write('PING\r\n');
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  close(): void {
    this.sock.destroy();
  }
}
