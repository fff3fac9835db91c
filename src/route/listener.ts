// The route listener: accepts TCP connections on cluster host:port, at most max_connections at once
// (issue 13). Past the cap a connection gets nats-server's max_connections answer
// (-ERR 'maximum connections exceeded') and is closed. On EMFILE libuv accepts and closes pending
// connections itself without telling Node (its "emfile trick"), so the cap is what keeps us from ever
// reaching the fd limit (src/route/fd-limit.ts); accept errors that do reach Node are reported.
import net from 'node:net';
import { ProxyError } from '../errors.js';
import { adoptWithReusedReads } from './socket-reads.js';

export const MAX_CONNECTIONS_ERR = 'maximum connections exceeded';

export interface ListenerHooks {
  /** A connection refused by the cap (already answered and closing). */
  refused?(socket: net.Socket, open: number): void;
  /** The listener failed to accept a connection. */
  acceptError?(err: NodeJS.ErrnoException): void;
}

export class RouteListener {
  private server: net.Server | undefined;
  /** Accepted connections not yet closed. */
  open = 0;
  /** Accepted connections open at once; 0 = no limit. */
  maxConnections = 0;

  /**
   * `reuseReads`: accepted sockets read into a reused buffer (socket-reads.ts); for plain TCP only,
   * a TLS socket reads through Node's TLS layer.
   */
  constructor(
    private readonly onSocket: (socket: net.Socket) => void,
    private readonly hooks: ListenerHooks = {},
    private readonly reuseReads = false,
  ) {}

  private accept(socket: net.Socket): void {
    const max = this.maxConnections;
    if (max > 0 && this.open >= max) {
      socket.on('error', () => {});
      socket.resume(); // paused on accept: read (and drop) so the peer's FIN is seen
      socket.end(`-ERR '${MAX_CONNECTIONS_ERR}'\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref(); // a peer that never reads must not hold the fd
      this.hooks.refused?.(socket, this.open);
      return;
    }
    if (this.reuseReads) socket = adoptWithReusedReads(socket);
    this.open++;
    socket.once('close', () => this.open--);
    this.onSocket(socket);
  }

  /** Binds and resolves with the bound address; a bind failure is an ERR_LISTEN error. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    // Paused on accept so that nothing is read before a socket gets its reused read buffer.
    const server = net.createServer({ noDelay: true, pauseOnConnect: this.reuseReads }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      const bindError = (err: NodeJS.ErrnoException) => {
        reject(new ProxyError('ERR_LISTEN', `Error listening on port: ${host}:${port}, "${err.message}"`, { cause: err }));
      };
      server.once('error', bindError);
      // nats-server's port -1 means "any free port".
      server.listen({ host, port: port < 0 ? 0 : port }, () => {
        server.removeListener('error', bindError);
        server.on('error', (err: NodeJS.ErrnoException) => this.hooks.acceptError?.(err));
        const addr = server.address() as net.AddressInfo;
        resolve({ host, port: addr.port });
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
