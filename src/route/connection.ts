// One route connection: handshake state machine (acceptor and dialer), keepalive and
// batched, bounded writes. Policy (who is registered, what interest goes where) belongs
// to the RouteManager; the connection only speaks the protocol (route-protocol.md §1, §2, §7).
import type { Duplex } from 'node:stream';
import { RouteParser } from '../protocol/parser.js';
import { encodeConnect, encodeErr, encodeInfo, PING, PONG } from '../protocol/encode.js';
import { parseConnect, parseInfo } from '../protocol/json.js';
import type {
  InterestOp, ProtocolViolation, RouteConnect, RouteInfo, RouteParserHandler, RoutedMessage,
} from '../protocol/types.js';
import type { Logger } from '../log.js';
import { Keepalive } from './keepalive.js';
import { OutboundQueue } from './outbound.js';

export type ConnectionState = 'handshake' | 'registered' | 'closed';

/** A stage between the socket and the parser (decompression slots in here; TLS is the socket itself). */
export interface InboundStage {
  decode(chunk: Buffer): Buffer[];
}

/** What the owner decides about a connection whose handshake completed. */
export type RegisterVerdict =
  | { ok: true }
  | { ok: false; errText?: string; reason: string; noReconnect?: boolean };

/** Everything the connection asks of its owner (the RouteManager). */
export interface ConnectionOwner {
  /** Acceptor: checks CONNECT (auth, cluster name…); resolves to an -ERR text or undefined if accepted. */
  checkConnect(conn: RouteConnection, connect: RouteConnect): Promise<{ errText: string; reason: string } | undefined>;
  /** The peer's first INFO: decide whether this connection becomes a registered route. */
  register(conn: RouteConnection, info: RouteInfo): RegisterVerdict;
  /** An INFO after registration (gossip, lame duck, pinned-account requests…). */
  asyncInfo(conn: RouteConnection, info: RouteInfo): void;
  interest(conn: RouteConnection, op: InterestOp): void;
  message(conn: RouteConnection, msg: RoutedMessage): void;
  closed(conn: RouteConnection, reason: string): void;
}

export interface ConnectionSettings {
  localInfo: () => RouteInfo; // built fresh: cluster name may be adopted at runtime
  localConnect?: RouteConnect; // dialer only
  authTimeoutMs?: number; // acceptor with a configured user
  handshakeTimeoutMs: number; // any connection that never registers is dropped
  pingIntervalMs: number;
  pingMax: number;
  maxPending: number;
}

export interface ConnectionStats {
  /** Messages skipped because they were larger than max_pending. */
  msgsOversize: number;
  msgsIn: number;
  bytesIn: number;
  msgsOut: number;
  bytesOut: number;
}

let nextRid = 0;

export class RouteConnection implements RouteParserHandler {
  readonly rid = ++nextRid;
  readonly createdAt = Date.now();
  state: ConnectionState = 'handshake';
  /** The peer's INFO as registered (later INFOs do not replace it). */
  remoteInfo: RouteInfo | undefined;
  remoteConnect: RouteConnect | undefined;
  /** Dialer-only: set when the peer must not be dialed again (self route, pinned to no-pool…). */
  noReconnect = false;
  closeReason: string | undefined;
  readonly stats: ConnectionStats = { msgsOversize: 0, msgsIn: 0, bytesIn: 0, msgsOut: 0, bytesOut: 0 };

  private readonly parser: RouteParser;
  readonly out: OutboundQueue;
  /** Set when the peer's bytes must be decoded before parsing (e.g. after S2 is negotiated). */
  inbound: InboundStage | undefined;
  private readonly keepalive: Keepalive;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private connectSeen = false;
  private infoSent = false;
  /** Protocol tracing (trace level) is decided once: the hot path only tests a boolean. */
  private tracing: boolean;
  /** Bytes that arrived while CONNECT was being checked (bcrypt is asynchronous). */
  private held: Buffer[] | undefined;

  constructor(
    readonly socket: Duplex & { remoteAddress?: string; remotePort?: number; destroy(err?: Error): void },
    readonly solicited: boolean,
    private readonly owner: ConnectionOwner,
    private readonly settings: ConnectionSettings,
    readonly log: Logger,
    /** Dialer: the URL (display form) this connection was made to. */
    readonly url?: string,
  ) {
    this.tracing = log.isLevelEnabled('trace');
    // A message larger than max_pending could never be queued for any peer: it is skipped
    // without being buffered, so a peer cannot make us hold up to 1 GB per connection.
    this.parser = new RouteParser(this, { maxPayload: settings.maxPending });
    this.out = new OutboundQueue(
      socket,
      settings.maxPending,
      (pending) => this.log.warn(`${this.label} - Slow Consumer Detected: ${pending} bytes pending (max_pending ${settings.maxPending})`),
      (pending) => this.close(`Slow Consumer: ${pending} bytes pending exceeds twice max_pending`, undefined),
    );
    this.keepalive = new Keepalive(settings.pingIntervalMs, settings.pingMax, {
      sendPing: () => this.sendControl(PING),
      stale: () => this.close('Stale Connection', 'Stale Connection'),
    });
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', (err: Error) => this.close(`Read Error: ${err.message}`, undefined));
    socket.on('close', () => this.close('Client Closed', undefined));
  }

  /** nats-server's trace form: `rid:N - <<- [RS+ $G foo]`; CONNECT passwords never reach the log. */
  private trace(dir: '<<-' | '->>', line: string): void {
    this.log.trace(`${this.label} - ${dir} [${line}]`);
  }

  /** After a reload changed the log level (ops). */
  refreshTracing(): void {
    this.tracing = this.log.isLevelEnabled('trace');
  }

  get label(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'} - rid:${this.rid}`;
  }

  get rttMs(): number | undefined {
    return this.keepalive.rttMs;
  }

  /** Starts the handshake: the acceptor speaks first with INFO, the dialer with CONNECT. */
  start(): void {
    this.log.info(`${this.label} - Route connection created`);
    this.handshakeTimer = setTimeout(() => this.close('Handshake Timeout', undefined), this.settings.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    if (this.solicited) {
      this.sendControl(encodeConnect(this.settings.localConnect ?? {}));
    } else {
      this.parser.expectConnect = true;
      this.sendInfo();
      if (this.settings.authTimeoutMs !== undefined) {
        this.authTimer = setTimeout(
          () => this.close('Authentication Timeout', 'Authentication Timeout'),
          this.settings.authTimeoutMs,
        );
        this.authTimer.unref();
      }
    }
  }

  private sendInfo(): void {
    this.infoSent = true;
    this.sendControl(encodeInfo(this.settings.localInfo()));
  }

  private onBytes(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.stats.bytesIn += chunk.length;
    this.guarded(() => {
      if (!this.inbound) return this.parseChunk(chunk);
      for (const c of this.inbound.decode(chunk)) this.parseChunk(c);
    });
  }

  /** Whatever one peer sent must never take the daemon (and every other peer) down. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.log.error({ err }, `${this.label} - Internal error processing route input: ${(err as Error).message}`);
      this.close(`Internal Error: ${(err as Error).message}`, undefined);
    }
  }

  private parseChunk(chunk: Buffer): void {
    if (this.held) {
      this.held.push(chunk);
      return;
    }
    this.parser.parse(chunk);
    this.takeHeldRemainder();
  }

  /** After an asynchronous CONNECT check started, the rest of the chunk waits for the verdict. */
  private takeHeldRemainder(): void {
    if (!this.held) return;
    const rest = this.parser.takeRemainder();
    if (rest && rest.length > 0) this.held.unshift(rest);
  }

  /** Parses the input held during the CONNECT check (only one CONNECT is ever checked). */
  private replay(chunks: Buffer[]): void {
    for (const chunk of chunks) {
      if (this.parser.failed) return; // closed meanwhile: close() halts the parser
      this.parser.parse(chunk);
    }
  }

  // ── RouteParserHandler ──────────────────────────────────────────────

  onConnect(json: string): void {
    if (this.tracing) this.trace('<<-', `CONNECT ${redactConnectJson(json)}`);
    if (this.solicited || this.connectSeen) return; // nats-server ignores a CONNECT it did not expect
    let connect: RouteConnect;
    try {
      connect = parseConnect(json);
    } catch {
      // A fixed reason: the parser's message could quote the password.
      this.close('Protocol Violation: CONNECT is not valid JSON of the expected shape', undefined);
      return;
    }
    this.connectSeen = true;
    this.remoteConnect = connect;
    this.parser.expectConnect = false;
    this.parser.peerLnocu = connect.lnocu === true;
    // Hold further input until the (possibly bcrypt) check resolves; the socket is paused so that
    // what is held is at most the rest of the current chunk, not whatever the peer streams.
    this.held = [];
    this.parser.stopAfterCurrent();
    this.socket.pause();
    this.owner.checkConnect(this, connect).then(
      (rejection) => {
        if (this.state === 'closed') return;
        if (rejection) {
          this.close(rejection.reason, rejection.errText);
          return;
        }
        if (this.authTimer) clearTimeout(this.authTimer);
        const held = this.held ?? [];
        this.held = undefined;
        this.guarded(() => this.replay(held));
        if (!this.parser.failed) this.socket.resume();
      },
      (err: unknown) => this.close(`Authorization check failed: ${(err as Error).message}`, 'Authorization Violation'),
    );
  }

  onInfo(json: string): void {
    if (this.tracing) this.trace('<<-', `INFO ${json}`);
    let info: RouteInfo;
    try {
      info = parseInfo(json);
    } catch (err) {
      // nats-server: a JSON type error closes without -ERR (route-protocol.md §1.5).
      this.close(`Protocol Violation: INFO ${(err as Error).message}`, undefined);
      return;
    }
    if (this.state === 'registered') {
      this.owner.asyncInfo(this, info);
      return;
    }
    if (this.solicited && !this.infoSent) this.sendInfo();
    this.parser.peerLnocu = info.lnocu === true;
    const verdict = this.owner.register(this, info);
    if (!verdict.ok) {
      if (verdict.noReconnect) this.noReconnect = true;
      this.close(verdict.reason, verdict.errText);
      return;
    }
    // Registering may already have closed us (e.g. the initial interest overflowed): stay closed.
    if (this.parser.failed) return;
    this.remoteInfo = info;
    this.state = 'registered';
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.keepalive.start();
  }

  onPing(): void {
    if (this.tracing) this.trace('<<-', 'PING');
    this.sendControl(PONG);
  }

  onPong(): void {
    if (this.tracing) this.trace('<<-', 'PONG');
    this.keepalive.pong();
  }

  onOk(): void {
    // +OK is parsed and ignored (we always send verbose:false).
  }

  onErr(text: string): void {
    // Any -ERR on a route closes it (nats-server client.go:processErr).
    this.log.error(`${this.label} - Route Error '${text}'`);
    this.close(`Route Error '${text}'`, undefined);
  }

  onInterest(op: InterestOp): void {
    if (this.tracing) this.trace('<<-', describeInterest(op));
    if (this.state !== 'registered') return;
    this.owner.interest(this, op);
  }

  onMessage(msg: RoutedMessage): void {
    if (this.tracing) this.trace('<<-', msg.line.toString('latin1'));
    this.stats.msgsIn++;
    if (this.state !== 'registered') return;
    this.owner.message(this, msg);
  }

  onOversize(verb: RoutedMessage['verb'], size: number): void {
    this.stats.msgsOversize++;
    this.log.warn(`${this.label} - ${verb} of ${size} bytes dropped: larger than max_pending (${this.settings.maxPending})`);
  }

  onViolation(v: ProtocolViolation): void {
    this.close(`Protocol Violation: ${v.reason}`, v.errText);
  }

  // ── sending ─────────────────────────────────────────────────────────

  /** Queues a routed message; false when it was dropped because this peer is a slow consumer. */
  sendMessage(bufs: readonly Buffer[], size: number): boolean {
    if (this.state !== 'registered') return false;
    if (this.tracing) this.trace('->>', bufs[0]!.toString('latin1'));
    const ok = this.out.message(bufs, size);
    if (ok) {
      this.stats.msgsOut++;
      this.stats.bytesOut += size;
    }
    return ok;
  }

  sendControl(buf: Buffer, bounded = true): void {
    if (this.tracing) this.trace('->>', traceText(buf));
    this.out.control(buf, bounded);
  }

  /**
   * Closes the connection once. With errText the peer first gets `-ERR '<errText>'`
   * (nats-server wording); without it the close is silent.
   */
  close(reason: string, errText: string | undefined): void {
    if (this.state === 'closed') return;
    const wasRegistered = this.state === 'registered';
    this.state = 'closed';
    this.closeReason = reason;
    this.parser.halt(); // frames after the fatal one in the same chunk are not processed
    this.keepalive.stop();
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.authTimer) clearTimeout(this.authTimer);
    this.held = undefined;
    if (errText !== undefined) {
      this.sendControl(encodeErr(errText));
      this.out.flush();
      this.socket.end();
      // A peer that never reads must not keep the socket forever.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.out.flush();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 100).unref();
    }
    this.out.close();
    this.socket.resume(); // a socket paused for a CONNECT check must still read the peer's FIN
    const level = wasRegistered || errText ? 'info' : 'debug';
    this.log[level](`${this.label} - Route connection closed: ${reason}`);
    this.owner.closed(this, reason);
  }
}

/**
 * CONNECT JSON for a log: every password field (any letter case, as Go's decoder matches keys)
 * is replaced; text that does not parse is not shown at all.
 */
export function redactConnectJson(json: string): string {
  try {
    const o: unknown = JSON.parse(json);
    if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
      const rec = o as Record<string, unknown>;
      for (const k of Object.keys(rec)) if (/^pass(word)?$/i.test(k)) rec[k] = '[REDACTED]';
      return JSON.stringify(rec);
    }
  } catch {
    // fall through
  }
  return '[REDACTED: not a JSON object]';
}

/** An outbound control line for the trace log (our own CONNECT carries a password). */
function traceText(buf: Buffer): string {
  const line = buf.toString('latin1', 0, buf.length - 2);
  return line.startsWith('CONNECT ') ? `CONNECT ${redactConnectJson(line.slice(8))}` : line;
}

function describeInterest(op: InterestOp): string {
  const verb = `${op.leaf ? 'LS' : 'RS'}${op.add ? '+' : '-'}`;
  const parts = [verb];
  if (op.origin !== undefined) parts.push(op.origin);
  parts.push(op.account, op.subject);
  if (op.queue !== undefined) parts.push(op.queue);
  if (op.add && op.weight !== undefined) parts.push(String(op.weight));
  return parts.join(' ');
}
