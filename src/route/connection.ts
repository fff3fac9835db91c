// One route connection: handshake state machine (acceptor and dialer), keepalive, slab
// writes with flow control. Policy (who is registered, what interest goes where) belongs
// to the RouteManager; the connection only speaks the protocol (route-protocol.md §1, §2, §7).
import type { Duplex } from 'node:stream';
import { RouteParser } from '../protocol/parser.js';
import { encodeConnect, encodeErr, encodeInfo, encodeInterest, PING, PONG } from '../protocol/encode.js';
import { parseConnect, parseInfo } from '../protocol/json.js';
import { describeMsg, LIFE_READ, LIFE_STABLE, type Life, type MsgVerb, type RoutedMsg } from '../protocol/msg.js';
import type {
  Interest, ProtocolViolation, RouteConnect, RouteInfo, RouteParserHandler,
} from '../protocol/types.js';
import type { Logger } from '../log.js';
import { FlowControl, type Pausable } from './flow.js';
import { Keepalive } from './keepalive.js';
import { writeChanged, writeUnchanged } from './msg-writer.js';
import type { MemoryBudget } from './memory-budget.js';
import { Outbound, settleReads } from './outbound.js';
import { socketReads, type SocketReads } from './socket-reads.js';
import { CloseReasons, closeText, type CloseReason } from './close-reason.js';
import type { RoutePeer } from './peer.js';
import { RouteCompression, type RouteCompressionConfig } from './compression.js';
import type { DecodedSink } from '../compression/index.js';
import { InterestQueue } from './interest-queue.js';

export type ConnectionState = 'handshake' | 'registered' | 'closed';

/** A stage between the socket and the parser (decompression slots in here; TLS is the socket itself). */
export interface InboundStage {
  /** Hands each decoded piece to `sink` in order; a `reused` piece is valid only until the sink returns. */
  decode(chunk: Buffer, sink: DecodedSink): void;
}

/** What the owner decides about a connection whose handshake completed. */
export type RegisterVerdict =
  | { ok: true }
  | { ok: false; errText?: string; reason: CloseReason; detail?: string; noReconnect?: boolean };

/** Everything the connection asks of its owner (the RouteManager). */
export interface ConnectionOwner {
  /** Acceptor: checks CONNECT (auth, cluster name…); resolves to an -ERR text or undefined if accepted. */
  checkConnect(conn: RouteConnection, connect: RouteConnect): Promise<{ errText?: string; reason: CloseReason; detail?: string } | undefined>;
  /** The peer's (final) INFO: decide whether this connection becomes a registered route, and place it in its peer. */
  register(conn: RouteConnection, info: RouteInfo): RegisterVerdict;
  /** After a successful register, once our delayed INFO is queued: interest, gossip, pool pacing. */
  activated(conn: RouteConnection): void;
  /** The PONG to a pool-pacing PING (§3.4): the next pooled connection may be dialed. */
  poolPong(conn: RouteConnection): void;
  /** An INFO after registration (gossip, lame duck, pinned-account requests…). */
  asyncInfo(conn: RouteConnection, info: RouteInfo): void;
  interest(conn: RouteConnection, op: Interest): void;
  /** The record is the parser's, valid only during the call. */
  message(conn: RouteConnection, msg: RoutedMsg): void;
  closed(conn: RouteConnection, reason: string): void;
}

export interface ConnectionSettings {
  localInfo: () => RouteInfo; // built fresh: cluster name may be adopted at runtime
  localConnect?: RouteConnect; // dialer only
  /** Dialer: this connection is the dedicated one of a pinned account (§4.1). */
  pinnedAccount?: string;
  authTimeoutMs?: number; // acceptor with a configured user
  handshakeTimeoutMs: number; // any connection that never registers is dropped
  pingIntervalMs: number;
  pingMax: number;
  /** Bytes queued for a slow consumer before its messages are dropped; also the largest inbound message. */
  maxPending: number;
  flow: FlowSettings;
  /** Process-wide: large inbound payloads and outbound queues are accounted here. */
  budget?: MemoryBudget;
  /** cluster.compression; absent = off (no field in our INFO handling beyond `off`). */
  compression?: RouteCompressionConfig;
}

/** Flow-control marks (proxy {} options) and the write deadline (cluster options). */
export interface FlowSettings {
  slabSize: number;
  highWater: number;
  lowWater: number;
  stallMs: number;
  writeDeadlineMs: number;
  writeTimeout: 'default' | 'close' | 'retry';
}

export interface ConnectionStats {
  /** Messages skipped because they were larger than max_pending. */
  msgsOversize: number;
  msgsIn: number;
  bytesIn: number;
  msgsOut: number;
  bytesOut: number;
  /** Messages for this peer dropped while it was a slow consumer past max_pending. */
  msgsDropped: number;
  bytesDropped: number;
  /** Milliseconds this connection's input was paused by flow control, and how often. */
  pausedMs: number;
  pauses: number;
}

let nextRid = 0;

/** Bytes one connection may read per event-loop turn before it lets the others read (yieldInput). */
const READ_SLICE = 128 * 1024;

export class RouteConnection implements RouteParserHandler, Pausable {
  readonly rid = ++nextRid;
  readonly createdAt = Date.now();
  /** When the peer's bytes last arrived (monitoring's last_activity). */
  lastActivityAt = this.createdAt;
  state: ConnectionState = 'handshake';
  /** The peer's INFO as registered (later INFOs do not replace it). */
  remoteInfo: RouteInfo | undefined;
  remoteConnect: RouteConnect | undefined;
  /** Dialer-only: set when the peer must not be dialed again (self route, pinned to no-pool…). */
  noReconnect = false;
  /** The close's log text (nats-server's wording, then any detail). */
  closeReason: string | undefined;
  /** The close's stable snake_case label (close-reason.ts), for metrics. */
  closeLabel: string | undefined;
  readonly stats: ConnectionStats = {
    msgsOversize: 0, msgsIn: 0, bytesIn: 0, msgsOut: 0, bytesOut: 0, msgsDropped: 0, bytesDropped: 0, pausedMs: 0, pauses: 0,
  };
  /** The registered peer this connection belongs to (set by the owner at registration). */
  peer: RoutePeer | undefined;
  /** Pool index of a pooled connection (set at registration; -1 for no-pool and pinned connections). */
  poolIdx = -1;
  /** The account of a pinned-account connection: its lines carry no account token (§4.2). */
  pinnedAccount: string | undefined;
  /** Accounts this connection delivered interest for: withdrawn when it closes and its peer stays. */
  readonly interestAccounts = new Set<string>();
  /** A pool-pacing PING is outstanding: its PONG lets the next pooled connection be dialed. */
  private poolPing = false;

  private readonly parser: RouteParser;
  readonly out: Outbound;
  readonly flow: FlowControl;
  /** Reasons the input is paused (flow control of the targets it feeds, a CONNECT check). */
  private pausedBy = 0;
  private pausedAt = 0;
  /** Set when the peer's bytes must be decoded before parsing (e.g. after S2 is negotiated). */
  inbound: InboundStage | undefined;
  private readonly keepalive: Keepalive;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private connectSeen = false;
  /** Route compression (§5): negotiated on the peer's first INFO; then registration waits for its second. */
  readonly compression: RouteCompression;
  private compressionNegotiated = false;
  /** The INFO that switches our reader was just parsed: the rest of its chunk is S2. */
  private switchReader = false;
  /** Protocol tracing (trace level) is decided once: the hot path only tests a boolean. */
  private tracing: boolean;
  /** Bytes read since this connection last yielded its turn (see yieldInput). */
  private sliceBytes = 0;
  private yielded = false;
  /** Bytes that arrived while CONNECT was being checked (bcrypt is asynchronous). */
  private held: Buffer[] | undefined;
  /** The socket's reused read buffer, when it has one (plain TCP). */
  private reads: SocketReads | undefined;
  /** Interest updates held (coalesced) while the outbound is congested; written as it drains. */
  readonly interestQueue = new InterestQueue((op) => this.sendControl(encodeInterest(op, this.pinnedAccount !== undefined, this.interestLnocu)));
  private interestLnocu = false;
  /** One-shot callbacks for the next drain that leaves room (a streamed interest snapshot). */
  private drainWaiters: Array<() => void> = [];

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
    const budget = settings.budget;
    this.parser = new RouteParser(this, {
      maxPayload: settings.maxPending,
      reserve: budget ? (n) => budget.reserve(n) : undefined,
      release: budget ? (n) => budget.add(-n) : undefined,
    });
    const f = settings.flow;
    this.out = new Outbound(socket, { ...f, budget }, {
      congested: () => this.flow.congested(),
      drained: () => this.drained(),
      writeDeadline: (progress) => this.writeDeadlineExceeded(progress),
    });
    this.flow = new FlowControl(this, f.stallMs, () => this.log.warn(
      `${this.label} - Slow Consumer Detected: ${this.out.pending} bytes pending after ${this.flow.stallMs} ms of backpressure; `
        + `messages beyond max_pending (${settings.maxPending}) are dropped until it drains`,
    ));
    this.keepalive = new Keepalive(settings.pingIntervalMs, settings.pingMax, {
      sendPing: () => this.sendControl(PING),
      stale: () => this.close(CloseReasons.StaleConnection, 'Stale Connection'),
    });
    this.compression = new RouteCompression(settings.compression ?? { mode: 'off', rttThresholdsMs: [] }, (err) => {
      this.log.warn(`${this.label} - Decompression error (${err.reason}): ${err.message}`);
      this.close(CloseReasons.ReadError, undefined, `decompression ${err.reason}: ${err.message}`);
    });
    if (settings.pinnedAccount !== undefined) this.setPinned(settings.pinnedAccount);
    socket.on('error', (err: Error) => this.close(CloseReasons.ReadError, undefined, err.message));
    socket.on('close', () => this.close(CloseReasons.ClientClosed, undefined));
    const reads = socketReads(socket);
    if (reads) {
      this.reads = reads;
      reads.take((chunk) => this.onBytes(chunk, LIFE_READ));
      // read(0), not resume(): it starts the handle and marks the stream as reading, so the
      // resume() Node would otherwise queue cannot restart reads after a pause in the same tick.
      socket.read(0);
    } else {
      socket.on('data', (chunk: Buffer) => this.onBytes(chunk, LIFE_STABLE));
      socket.resume(); // an accepted socket may come paused (pauseOnConnect)
    }
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
    this.handshakeTimer = setTimeout(() => this.close(CloseReasons.HandshakeTimeout, undefined), this.settings.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    if (this.solicited) {
      this.sendControl(encodeConnect(this.settings.localConnect ?? {}));
    } else {
      this.parser.expectConnect = true;
      this.sendInfo();
      if (this.settings.authTimeoutMs !== undefined) {
        this.authTimer = setTimeout(
          () => this.close(CloseReasons.AuthenticationTimeout, 'Authentication Timeout'),
          this.settings.authTimeoutMs,
        );
        this.authTimer.unref();
      }
    }
  }

  private sendInfo(): void {
    const info = this.settings.localInfo();
    info.compression = this.compression.infoValue();
    if (this.solicited) {
      // Only the dialer names the slot (0 is omitted) or the pinned account (§3.3, §4.1).
      if (this.poolIdx > 0) info.route_pool_idx = this.poolIdx;
      if (this.pinnedAccount !== undefined) info.route_account = this.pinnedAccount;
    }
    this.sendControl(encodeInfo(info));
  }

  /** This connection carries one account only: its lines omit the account token. */
  setPinned(account: string): void {
    this.pinnedAccount = account;
    this.parser.pinnedAccount = account;
  }

  /** Pool pacing (§3.4): a PING whose PONG proves the handshake before the next connection is dialed. */
  sendPoolPing(): void {
    this.poolPing = true;
    this.sendControl(PING);
  }

  /** Negotiated mode as /routez shows it (the level in use for s2_auto), and wire vs plain byte counts. */
  get compressionMode(): string {
    return this.compression.mode;
  }

  get bytesInWire(): number {
    return this.stats.bytesIn;
  }

  get bytesInPlain(): number {
    return this.stats.bytesIn - this.compression.wireIn + this.compression.plainIn;
  }

  get bytesOutWire(): number {
    return this.out.stats.bytesFlushed;
  }

  get bytesOutPlain(): number {
    return this.out.stats.bytesFlushed - this.compression.wireOut + this.compression.plainOut;
  }

  /** nats-server: a route is closed only when a write made no progress, or with write_timeout: close. */
  private writeDeadlineExceeded(progress: boolean): void {
    const f = this.settings.flow;
    const msg = `${this.label} - Slow Consumer Detected: WriteDeadline of ${f.writeDeadlineMs / 1000}s exceeded with ${this.out.pending} bytes pending`;
    if (progress && f.writeTimeout !== 'close') {
      this.log.warn(msg);
      return;
    }
    this.log.warn(msg);
    this.close(CloseReasons.SlowConsumerWriteDeadline, undefined);
  }

  /** Below low water: producers resume, held interest goes out, then anyone waiting for room. */
  private drained(): void {
    this.flow.drained();
    if (!this.interestQueue.writeOut(() => !this.out.congested) || this.out.congested) return;
    const waiters = this.drainWaiters;
    if (waiters.length === 0) return;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Whether more interest now would only be held (a snapshot writer waits for room instead). */
  get interestCongested(): boolean {
    return this.out.congested || this.interestQueue.size > 0;
  }

  /** Calls `fn` once at the next drain that leaves room; never if the connection closes first. */
  whenDrained(fn: () => void): void {
    if (this.state === 'closed') return;
    this.drainWaiters.push(fn);
  }

  // ── input flow control ─────────────────────────────────────────────

  pauseInput(): void {
    if (this.pausedBy++ === 0) {
      this.pausedAt = performance.now();
      this.stats.pauses++;
      this.socket.pause();
    }
  }

  resumeInput(): void {
    if (this.pausedBy === 0) return;
    if (--this.pausedBy === 0) {
      this.stats.pausedMs += performance.now() - this.pausedAt;
      if (this.state !== 'closed' && !this.yielded) this.socket.resume();
    }
  }

  get inputPaused(): boolean {
    return this.pausedBy > 0;
  }

  /** Reload: new proxy {} bounds and flow marks take effect on this connection at once. */
  updateBounds(maxPending: number, flow: Pick<FlowSettings, 'highWater' | 'lowWater' | 'stallMs'>): void {
    this.settings.maxPending = maxPending;
    this.parser.maxPayload = maxPending;
    this.out.limits.highWater = flow.highWater;
    this.out.limits.lowWater = flow.lowWater;
    this.flow.stallMs = flow.stallMs * this.stallFactor;
  }

  /**
   * Towards another proxy the stall budget is doubled: that proxy pauses us on purpose while one of
   * its own targets uses up its budget, and it must release us (declaring that target slow) before
   * we would declare the whole link slow and drop what every other server behind it should get.
   */
  private stallFactor = 1;

  /** Called at registration when the peer is a proxy (see stallFactor). */
  towardsProxy(): void {
    this.stallFactor = 2;
    this.flow.stallMs = this.settings.flow.stallMs * 2;
  }

  /** Memory this connection holds: outbound slabs and references, the parser's assembly buffers, the decoder's scratch. */
  get heldBytes(): number {
    return this.out.held + this.parser.heldBytes + this.compression.heldBytes;
  }

  /** `life`: LIFE_READ for the socket's reused read buffer (socket-reads.ts), else LIFE_STABLE. */
  private onBytes(chunk: Buffer, life: Life): void {
    if (this.state === 'closed') return;
    this.stats.bytesIn += chunk.length;
    this.lastActivityAt = Date.now();
    try {
      this.feed(chunk, life);
    } catch (err) {
      this.internalError(err as Error);
    } finally {
      // Whatever the relay deferred from the read buffer is copied before the next read reuses it.
      if (life === LIFE_READ) settleReads();
    }
    this.sliceBytes += chunk.length;
    if (this.sliceBytes >= READ_SLICE) this.yieldInput();
  }

  /**
   * Fairness between the connections of one event loop: libuv reads up to 32 × 64 KiB from one
   * socket before it looks at the next, so a flooded connection (a heavy account's) would make
   * every other one wait behind 2 MB of work per turn. Past READ_SLICE bytes the socket stops
   * reading until the next turn; the others get their turn meanwhile.
   */
  private yieldInput(): void {
    this.sliceBytes = 0;
    if (this.yielded || this.state === 'closed') return;
    this.yielded = true;
    this.socket.pause();
    setImmediate(this.endYield);
  }

  private readonly endYield = (): void => {
    this.yielded = false;
    if (this.pausedBy === 0 && this.state !== 'closed') this.socket.resume();
  };

  private feed(chunk: Buffer, life: Life): void {
    if (!this.inbound) return this.parseChunk(chunk, life);
    this.inbound.decode(chunk, this.onDecoded);
  }

  /**
   * A decoded piece: a block in the decoder's reused scratch buffer (read-lifetime: what the
   * relay deferred from it is copied before the next block overwrites it), a buffer of its own
   * (native decoders), or a view of the input (uncompressed chunks: the input's lifetime).
   */
  private readonly onDecoded = (c: Buffer, reused: boolean): boolean => {
    if (this.state === 'closed') return false; // closed by an earlier piece: decode no further
    if (reused) {
      this.parseChunk(c, LIFE_READ);
      settleReads();
    } else {
      const reads = this.reads;
      this.parseChunk(c, reads !== undefined && reads.holds(c) ? LIFE_READ : LIFE_STABLE);
    }
    return (this.state as ConnectionState) !== 'closed'; // parsing may have closed it
  };

  /** Whatever one peer sent must never take the daemon (and every other peer) down. */
  private internalError(err: Error): void {
    this.log.error({ err }, `${this.label} - Internal error processing route input: ${err.message}`);
    this.close(CloseReasons.InternalError, undefined, err.message);
  }

  private parseChunk(chunk: Buffer, life: Life): void {
    if (this.held) {
      this.held.push(life === LIFE_STABLE ? chunk : Buffer.from(chunk));
      return;
    }
    this.parser.parse(chunk, life);
    this.takeHeldRemainder(life);
    if (this.switchReader) {
      // §5.4: every byte after the switching INFO is S2, including the rest of this chunk.
      this.switchReader = false;
      const rest = this.parser.takeRemainder();
      if (rest && rest.length > 0 && this.state !== 'closed') this.feed(rest, life);
    }
  }

  /** After an asynchronous CONNECT check started, the rest of the chunk waits for the verdict. */
  private takeHeldRemainder(life: Life): void {
    if (!this.held) return;
    const rest = this.parser.takeRemainder();
    if (rest && rest.length > 0) this.held.unshift(life === LIFE_STABLE ? rest : Buffer.from(rest));
  }

  /** Parses the input held during the CONNECT check (only one CONNECT is ever checked). */
  private replay(chunks: Buffer[]): void {
    for (const chunk of chunks) {
      if (this.parser.failed) return; // closed meanwhile: close() halts the parser
      this.feed(chunk, LIFE_STABLE); // raw socket bytes (copies): the reader may switch to S2 within them
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
      this.close(CloseReasons.ProtocolViolation, undefined, 'CONNECT is not valid JSON of the expected shape');
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
    this.pauseInput();
    this.owner.checkConnect(this, connect).then(
      (rejection) => {
        if (this.state === 'closed') return;
        if (rejection) {
          this.close(rejection.reason, rejection.errText, rejection.detail);
          return;
        }
        if (this.authTimer) clearTimeout(this.authTimer);
        const held = this.held ?? [];
        this.held = undefined;
        try {
          this.replay(held);
        } catch (err) {
          this.internalError(err as Error);
        }
        if (!this.parser.failed) this.resumeInput();
      },
      (err: unknown) => this.close(CloseReasons.AuthenticationViolation, 'Authorization Violation', `check failed: ${(err as Error).message}`),
    );
  }

  onInfo(json: string): void {
    if (this.tracing) this.trace('<<-', `INFO ${json}`);
    let info: RouteInfo;
    try {
      info = parseInfo(json);
    } catch (err) {
      // nats-server: a JSON type error closes without -ERR (route-protocol.md §1.5).
      this.close(CloseReasons.ProtocolViolation, undefined, `INFO ${(err as Error).message}`);
      return;
    }
    if (this.state === 'registered') {
      this.owner.asyncInfo(this, info);
      return;
    }
    if (!this.compressionNegotiated) {
      this.compressionNegotiated = true;
      if (this.negotiateCompression(info)) return;
    }
    this.parser.peerLnocu = info.lnocu === true;
    const verdict = this.owner.register(this, info);
    if (!verdict.ok) {
      if (verdict.noReconnect) this.noReconnect = true;
      this.close(verdict.reason, verdict.errText, verdict.detail);
      return;
    }
    // The dialer's delayed INFO (compressed when negotiated) names the pool slot it just took, and
    // goes out before any interest (route.go:addRoute "sendDelayedInfo").
    if (this.solicited) this.sendInfo();
    this.remoteInfo = info;
    this.state = 'registered';
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.keepalive.start();
    this.owner.activated(this);
  }

  /**
   * §5.3 on the peer's first INFO; true when this INFO ends here (an error, or compression: the
   * route registers on the peer's next INFO). Switch points as §5.4 for both roles.
   */
  private negotiateCompression(info: RouteInfo): boolean {
    // A proxy peer shows itself in the acceptor's INFO, or (we accept) in the dialer's CONNECT.
    const nrp = this.solicited ? info.nrp : this.remoteConnect?.nrp;
    const n = this.compression.negotiate(info.compression, nrp ? nrp.compression ?? [] : undefined);
    if ('error' in n) {
      this.close(CloseReasons.ProtocolViolation, n.error, n.error);
      return true;
    }
    if (!n.compress) return false;
    const rtt = Date.now() - this.createdAt;
    if (this.solicited) {
      // Dialer: the plain negotiation INFO goes out alone and completely, then we write S2.
      this.sendInfo();
      this.out.flush();
      this.compression.startWriting(rtt);
      this.out.stage = this.compression;
    } else {
      // Acceptor: our first INFO is long flushed; the writer switches first, so the reply INFO is S2.
      this.out.flush();
      this.compression.startWriting(rtt);
      this.out.stage = this.compression;
      this.sendInfo();
    }
    const budget = this.settings.budget;
    this.compression.startReading(budget ? (n) => budget.add(n) : undefined);
    this.inbound = this.compression;
    this.switchReader = true;
    this.parser.stopAfterCurrent();
    this.log.debug(`${this.label} - Route compression negotiated: ${this.compression.mode}`);
    return true;
  }

  onPing(): void {
    if (this.tracing) this.trace('<<-', 'PING');
    this.sendControl(PONG);
  }

  onPong(): void {
    if (this.tracing) this.trace('<<-', 'PONG');
    this.keepalive.pong();
    const rtt = this.keepalive.rttMs;
    if (rtt !== undefined && this.compression.active) this.compression.rtt(rtt);
    if (this.poolPing && this.state === 'registered') {
      this.poolPing = false;
      this.owner.poolPong(this);
    }
  }

  onOk(): void {
    // +OK is parsed and ignored (we always send verbose:false).
  }

  onErr(text: string): void {
    // Any -ERR on a route closes it (nats-server client.go:processErr).
    this.log.error(`${this.label} - Route Error '${text}'`);
    this.close(CloseReasons.RouteError, undefined, `'${text}'`);
  }

  onInterest(op: Interest): void {
    if (this.tracing) this.trace('<<-', describeInterest(op));
    if (this.state !== 'registered') return;
    this.owner.interest(this, op);
  }

  onMessage(msg: RoutedMsg): void {
    if (this.tracing) this.trace('<<-', describeMsg(msg).line);
    this.stats.msgsIn++;
    if (this.state !== 'registered') {
      msg.memoStamp = -1; // not relayed: the next repeat must not reuse what the relay memorized before
      return;
    }
    this.owner.message(this, msg);
  }

  onOversize(verb: string, size: number, why?: 'memory budget'): void {
    this.stats.msgsOversize++;
    if (why === 'memory budget') {
      const b = this.settings.budget!;
      this.log.warn(`${this.label} - ${verb} of ${size} bytes dropped: the process memory budget (max_memory ${b.limit}) is spent (${b.used} bytes held)`);
      return;
    }
    this.log.warn(`${this.label} - ${verb} of ${size} bytes dropped: larger than max_pending (${this.settings.maxPending})`);
  }

  onViolation(v: ProtocolViolation): void {
    this.close(CloseReasons.ProtocolViolation, v.errText, v.reason);
  }

  // ── sending ─────────────────────────────────────────────────────────

  /**
   * Queues a routed message fed by connection `from`, unchanged (`verb` undefined) or with another
   * control line (see writeChanged). False when it was dropped: this peer is a slow consumer past
   * max_pending. While this connection is congested, `from` is paused (backpressure).
   */
  sendMessage(
    m: RoutedMsg, from: Pausable, verb?: MsgVerb, account?: Buffer | null, sel: Uint8Array | null = null,
  ): boolean {
    if (this.state !== 'registered') return false;
    const out = this.out;
    if (out.congested) {
      // A slow consumer past its own bound, or any slow consumer while the process is over its budget.
      if (this.flow.slow && (out.pending > this.settings.maxPending || this.settings.budget?.over === true)) {
        this.stats.msgsDropped++;
        this.stats.bytesDropped += m.size;
        return false;
      }
      this.flow.producer(from);
    }
    if (verb === undefined) writeUnchanged(out, m);
    else writeChanged(out, m, verb, account, sel);
    this.stats.msgsOut++;
    this.stats.bytesOut += m.size;
    if (this.tracing) this.trace('->>', describeMsg(m).line);
    return true;
  }

  /**
   * Queues a control line (INFO, PING, RS±…). Never dropped (that would corrupt interest state):
   * when it comes on behalf of another connection `from`, that one is paused while we are congested.
   */
  sendControl(buf: Buffer, from?: Pausable): void {
    if (this.state === 'closed' && buf !== this.lastErr) return;
    if (this.tracing) this.trace('->>', traceText(buf));
    this.out.bytes(buf);
    if (from !== undefined && this.out.congested) this.flow.producer(from);
  }

  /**
   * Queues one interest update (RS±/LS±) on behalf of `from`, coalesced while this connection is
   * congested (interest-queue.ts). `lnocu`: the peer's LS- carries the origin (and keys by it).
   */
  sendInterestOp(op: Interest, from: Pausable | undefined, lnocu: boolean): void {
    if (this.state === 'closed') return;
    this.interestLnocu = lnocu;
    if (this.out.congested || this.interestQueue.size > 0) {
      if (this.tracing) this.trace('->>', `(held) ${describeInterest(op)}`);
      this.interestQueue.hold(op, !lnocu);
      if (from !== undefined) this.flow.producer(from);
      return;
    }
    this.sendControl(encodeInterest(op, this.pinnedAccount !== undefined, lnocu), from);
  }

  /** The -ERR sent by close() still goes out after the state changed. */
  private lastErr: Buffer | undefined;

  /**
   * Closes the connection once. With errText the peer first gets `-ERR '<errText>'`
   * (nats-server wording); without it the close is silent.
   */
  close(reason: CloseReason, errText: string | undefined, detail?: string): void {
    if (this.state === 'closed') return;
    const wasRegistered = this.state === 'registered';
    this.state = 'closed';
    const text = closeText(reason, detail);
    this.closeReason = text;
    this.closeLabel = reason.label;
    this.parser.halt(); // frames after the fatal one in the same chunk are not processed
    this.keepalive.stop();
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.authTimer) clearTimeout(this.authTimer);
    this.held = undefined;
    this.flow.close();
    this.interestQueue.clear();
    this.drainWaiters = [];
    if (errText !== undefined) {
      this.lastErr = encodeErr(errText);
      this.sendControl(this.lastErr);
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
    this.compression.release();
    this.socket.resume(); // a paused socket must still read the peer's FIN
    const level = wasRegistered || errText ? 'info' : 'debug';
    // The stable label and, for a close the peer or operator caused, its ErrorCode ride along as fields.
    const fields = reason.code === undefined ? { reason: reason.label } : { code: reason.code, reason: reason.label };
    this.log[level](fields, `${this.label} - Route connection closed: ${text}`);
    this.owner.closed(this, text);
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

function describeInterest(op: Interest): string {
  const verb = `${op.leaf ? 'LS' : 'RS'}${op.add ? '+' : '-'}`;
  const parts = [verb];
  if (op.origin !== undefined) parts.push(op.origin);
  parts.push(op.account, op.subject);
  if (op.queue !== undefined) parts.push(op.queue);
  if (op.add && op.weight !== undefined) parts.push(String(op.weight));
  return parts.join(' ');
}
