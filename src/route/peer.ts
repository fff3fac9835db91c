// A remote route peer (one server_id). It owns its connections: today a single no-pool
// connection; pooled slots and pinned-account connections attach here later. It knows the
// peer's capabilities, so callers hand it interest and messages without knowing the wire form.
import type { Interest, RouteInfo } from '../protocol/types.js';
import { VERB_HMSG, VERB_LMSG, VERB_RMSG, type MsgVerb, type RoutedMsg } from '../protocol/msg.js';
import { InterestTable } from '../interest/interest-table.js';
import { interestKey } from '../interest/key.js';
import type { RouteConnection } from './connection.js';
import type { Pausable } from './flow.js';

/** A nats-server of our own site, or another nats-route-proxy. */
export type PeerKind = 'server' | 'proxy';

export class RoutePeer {
  readonly interest = new InterestTable();
  /** Peers without lnocu only: wire key → the aggregate entries that share it. */
  private readonly collapsed = new Map<string, Map<string, Interest>>();
  readonly connectedAt = Date.now();
  /** Capabilities, read once: they decide the frame form on every message. */
  private readonly lnoc: boolean;
  private readonly headers: boolean;

  constructor(
    readonly id: string,
    readonly kind: PeerKind,
    public info: RouteInfo,
    public main: RouteConnection,
  ) {
    this.lnoc = info.lnoc === true;
    this.headers = info.headers === true;
  }

  get name(): string {
    return this.info.server_name ?? this.id;
  }

  /**
   * Advertises one interest change; `from` is the connection it came from (paused while this
   * peer is congested). A peer without `lnoc` gets leafnode-origin interest as plain RS±
   * (nats-server falls back the same way); LS- carries the origin only with `lnocu`.
   */
  sendInterest(d: Interest, from?: Pausable): void {
    if (this.info.lnocu === true) {
      this.writeInterest(d, from);
      return;
    }
    // Without lnocu a server keys route interest by (account, subject, queue) only, whether it
    // came as RS or as LS from any origin: contributions that collapse onto one key are counted
    // here so that the first adds it, the last removes it, and a queue carries the summed weight.
    const wireKey = interestKey({ account: d.account, subject: d.subject, queue: d.queue });
    const contributor = `${d.leaf ? 'L' : 'R'} ${d.origin ?? ''}`;
    let group = this.collapsed.get(wireKey);
    if (d.add) {
      const first = group === undefined;
      group ??= new Map();
      this.collapsed.set(wireKey, group);
      group.set(contributor, d);
      if (first) this.writeInterest(d, from);
      else if (d.queue !== undefined) this.writeInterest(collapsedQueue(group), from);
      return;
    }
    if (!group?.delete(contributor)) return;
    if (group.size === 0) {
      this.collapsed.delete(wireKey);
      this.writeInterest(d, from);
    } else if (d.queue !== undefined) {
      this.writeInterest(collapsedQueue(group), from);
    }
  }

  private writeInterest(d: Interest, from: Pausable | undefined): void {
    const op: Interest = { add: d.add, leaf: d.leaf && this.info.lnoc === true, account: d.account, subject: d.subject };
    if (d.queue !== undefined) op.queue = d.queue;
    if (d.weight !== undefined) op.weight = d.weight;
    if (d.origin !== undefined) op.origin = d.origin;
    this.main.sendInterestOp(op, from, this.info.lnocu === true);
  }

  /**
   * Forwards a routed message fed by `from`, with the queue groups `sel[k] !== 0` of its list
   * (null: all of them, as received). The input frame is passed on unchanged unless this peer
   * needs another form. False when the peer's bounded queue refused it (slow consumer).
   */
  forward(m: RoutedMsg, from: Pausable, sel: Uint8Array | null): boolean {
    let verb: MsgVerb = m.verb;
    if (verb === VERB_LMSG && !this.lnoc) verb = VERB_HMSG;
    // A peer without header support gets the payload only (client.go:deliverMsg).
    if (verb !== VERB_RMSG && !this.headers) verb = VERB_RMSG;
    if (verb === m.verb && sel === null) return this.main.sendMessage(m, from);
    return this.main.sendMessage(m, from, verb, undefined, sel);
  }
}

/** The add to send for a collapsed queue key: the first contributor's form, the summed weight. */
function collapsedQueue(group: Map<string, Interest>): Interest {
  let weight = 0;
  for (const d of group.values()) weight += d.weight ?? 1;
  const first = group.values().next().value as Interest;
  return { ...first, add: true, weight };
}
