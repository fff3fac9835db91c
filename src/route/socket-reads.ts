// Plain-TCP route sockets read into one reused buffer per socket (Node's `onread`) instead of a
// fresh 64 KiB buffer that Node allocates for every read and V8 has to collect again. Measured
// with a Node pass-through on 2 cores (16 KiB writes, the bytes copied into slabs either way):
// 900 → 1,450 MB/s, and 14.8 → 10.7 µs of CPU per 16 KiB, the kernel's part included (a fresh
// buffer is fresh pages to fault in). The bytes are valid only during the callback (LIFE_READ in
// msg.ts): the parser copies what it keeps, outbound queues copy theirs in settleReads().
//
// Node 20 offers `onread` only to sockets it dials. An accepted socket is paused by the listener
// (nothing read yet) and its handle moved into a new net.Socket created with `onread`. TLS
// sockets keep Node's own reads.
import net from 'node:net';

export const READ_BUFFER_SIZE = 64 * 1024;

/** The reads of one socket, forwarded to the connection that took the socket. */
export class SocketReads {
  /** Its own ArrayBuffer, so a chunk is known to be in it by `chunk.buffer`. */
  readonly buffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
  private sink: ((chunk: Buffer) => void) | undefined;
  /** Reads that came before a connection took the socket (copies). */
  private early: Buffer[] = [];

  readonly onread = {
    buffer: this.buffer,
    callback: (n: number, buf: Uint8Array): boolean => {
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      if (this.sink) this.sink(chunk);
      else this.early.push(Buffer.from(chunk));
      return true; // pausing is socket.pause()'s business
    },
  };

  /**
   * `sink` gets every read from now on, valid during the call only. Early reads (none in
   * practice: sockets are handed over before Node's first read) follow on the next tick, after
   * the taker has finished setting up.
   */
  take(sink: (chunk: Buffer) => void): void {
    this.sink = sink;
    if (this.early.length === 0) return;
    const early = this.early;
    this.early = [];
    process.nextTick(() => {
      for (const c of early) sink(c);
    });
  }

  /** Whether `chunk` lies in the reused buffer (so it must not outlive the read callback). */
  holds(chunk: Buffer): boolean {
    return chunk.buffer === this.buffer.buffer;
  }
}

const readsOf = new WeakMap<net.Socket, SocketReads>();

/** The reused-buffer reads of a socket made by this module, if it is one. */
export function socketReads(socket: object): SocketReads | undefined {
  return readsOf.get(socket as net.Socket);
}

/** net.connect with reused-buffer reads. */
export function connectWithReusedReads(opts: net.TcpNetConnectOpts): net.Socket {
  const reads = new SocketReads();
  const socket = net.connect({ ...opts, onread: reads.onread });
  readsOf.set(socket, reads);
  return socket;
}

/**
 * An accepted socket (from a server created with `pauseOnConnect`) as a socket with reused-buffer
 * reads: the same TCP handle in a new net.Socket. The connection starts it with resume().
 */
export function adoptWithReusedReads(accepted: net.Socket): net.Socket {
  const old = accepted as net.Socket & { _handle: unknown; _server: unknown };
  const handle = old._handle;
  if (!handle || accepted.readableLength > 0) return accepted; // already reading: keep Node's reads
  const reads = new SocketReads();
  const opts = { handle, onread: reads.onread, manualStart: true, readable: true, writable: true };
  const socket = new net.Socket(opts as net.SocketConstructorOpts) as net.Socket & { _server: unknown; server: unknown };
  // The server's connection count moves to the new socket (server.close() waits for it).
  const server = old._server;
  old._server = null;
  old._handle = null; // the old object lets go of the handle: destroying it closes nothing
  accepted.destroy();
  socket.server = socket._server = server;
  readsOf.set(socket, reads);
  return socket;
}
