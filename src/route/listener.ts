// The route listener: accepts TCP connections on cluster host:port.
import net from 'node:net';
import { ProxyError } from '../errors.js';

export class RouteListener {
  private server: net.Server | undefined;

  constructor(private readonly onSocket: (socket: net.Socket) => void) {}

  /** Binds and resolves with the bound address; a bind failure is an ERR_LISTEN error. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = net.createServer({ noDelay: true }, (socket) => this.onSocket(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new ProxyError('ERR_LISTEN', `Error listening on port: ${host}:${port}, "${err.message}"`, { cause: err }));
      });
      // nats-server's port -1 means "any free port".
      server.listen({ host, port: port < 0 ? 0 : port }, () => {
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
