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
  /** Peers without lnocu only: wire key → the aggregate entries that share it. */
  private readonly collapsed = new Map<string, Map<string, AggregateDelta>>();
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

  /**
   * Advertises one interest change (`bulk`: part of the snapshot sent at registration, exempt
   * from the control-traffic bound). A peer without `lnoc` gets leafnode-origin interest as
   * plain RS± (nats-server falls back the same way); LS- carries the origin only with `lnocu`.
   */
  sendInterest(d: AggregateDelta, bulk = false): void {
    if (this.info.lnocu === true) {
      this.writeInterest(d, bulk);
      return;
    }
    // Without lnocu a server keys route interest by (account, subject, queue) only, whether it
    // came as RS or as LS from any origin: contributions that collapse onto one key are counted
    // here so that the first adds it, the last removes it, and a queue carries the summed weight.
    const wireKey = `${d.account} ${d.subject} ${d.queue ?? ''}`;
    const contributor = `${d.leaf ? 'L' : 'R'} ${d.origin ?? ''}`;
    let group = this.collapsed.get(wireKey);
    if (d.add) {
      const first = group === undefined;
      group ??= new Map();
      this.collapsed.set(wireKey, group);
      group.set(contributor, d);
      if (first) this.writeInterest(d, bulk);
      else if (d.queue !== undefined) this.writeInterest(collapsedQueue(group), bulk);
      return;
    }
    if (!group?.delete(contributor)) return;
    if (group.size === 0) {
      this.collapsed.delete(wireKey);
      this.writeInterest(d, bulk);
    } else if (d.queue !== undefined) {
      this.writeInterest(collapsedQueue(group), bulk);
    }
  }

  private writeInterest(d: AggregateDelta, bulk: boolean): void {
    const op: InterestOp = { add: d.add, leaf: d.leaf && this.info.lnoc === true, account: d.account, subject: d.subject };
    if (d.queue !== undefined) op.queue = d.queue;
    if (d.weight !== undefined) op.weight = d.weight;
    if (d.origin !== undefined) op.origin = d.origin;
    this.main.sendControl(encodeInterest(op, false, this.info.lnocu === true), !bulk);
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

/** The add to send for a collapsed queue key: the first contributor's form, the summed weight. */
function collapsedQueue(group: Map<string, AggregateDelta>): AggregateDelta {
  let weight = 0;
  for (const d of group.values()) weight += d.weight ?? 1;
  const first = group.values().next().value as AggregateDelta;
  return { ...first, add: true, weight };
}
