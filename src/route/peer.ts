// A remote route peer (one server_id). It owns its connections: today a single no-pool
// connection; pooled slots and pinned-account connections attach here later. It knows the
// peer's capabilities, so callers hand it interest and messages without knowing the wire form.
import type { InterestOp, RouteInfo, RoutedMessage } from '../protocol/types.js';
import { encodeInterest, encodeMsgLine, messageBuffers } from '../protocol/encode.js';
import type { AggregateDelta } from '../interest/aggregate.js';
import { InterestTable } from '../interest/interest-table.js';
import type { RouteConnection } from './connection.js';

/** A nats-server of our own site, or another nats-route-proxy. */
export type PeerKind = 'server' | 'proxy';

export class RoutePeer {
  readonly interest = new InterestTable();
  readonly connectedAt = Date.now();

  constructor(
    readonly id: string,
    readonly kind: PeerKind,
    public info: RouteInfo,
    public main: RouteConnection,
  ) {}

  get name(): string {
    return this.info.server_name ?? this.id;
  }

  /** Every live connection of this peer (for fan-out of control traffic and shutdown). */
  connections(): RouteConnection[] {
    return [this.main];
  }

  /**
   * Advertises one interest change. A peer without `lnoc` gets leafnode-origin interest as
   * plain RS± (nats-server falls back the same way); LS- carries the origin only with `lnocu`.
   */
  sendInterest(d: AggregateDelta): void {
    const op: InterestOp = { add: d.add, leaf: d.leaf && this.info.lnoc === true, account: d.account, subject: d.subject };
    if (d.queue !== undefined) op.queue = d.queue;
    if (d.weight !== undefined) op.weight = d.weight;
    if (d.origin !== undefined) op.origin = d.origin;
    this.main.sendControl(encodeInterest(op, false, this.info.lnocu === true));
  }

  /**
   * Forwards a routed message, listing `queues` (the groups this peer must serve; undefined =
   * plain subscribers only). The original control line is reused when nothing changes for
   * this peer. Returns false when the peer's bounded queue refused it (slow consumer).
   */
  forward(msg: RoutedMessage, queues: string[] | undefined): boolean {
    let verb = msg.verb;
    let data = msg.data;
    let hdrSize = msg.hdrSize;
    if (verb === 'LMSG' && this.info.lnoc !== true) verb = 'HMSG';
    if (verb !== 'RMSG' && this.info.headers !== true) {
      // A peer without header support gets the payload only (client.go:deliverMsg).
      data = data.subarray(hdrSize);
      hdrSize = 0;
      verb = 'RMSG';
    }
    const sameQueues = queues === undefined
      ? msg.queues === undefined || msg.queues.length === 0
      : msg.queues !== undefined && queues.length === msg.queues.length;
    let line = msg.line;
    if (verb !== msg.verb || !sameQueues) {
      line = encodeMsgLine({
        verb,
        origin: verb === 'LMSG' ? msg.origin : undefined,
        account: msg.account,
        subject: msg.subject,
        reply: msg.reply,
        queues,
        hdrSize,
        size: data.length,
      });
    }
    return this.main.sendMessage(messageBuffers(line, data), line.length + data.length + 4);
  }
}
