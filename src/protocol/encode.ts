// Encoders for everything a route sends (route-protocol.md §1.5, §1.6, §2). Go always writes single
// spaces and CRLF; interest keys on the receiving side are the raw argument bytes, so RS+ and RS-
// (and LS+/LS-) must be formatted identically.

import { stringifyRouteConnect, stringifyRouteInfo } from './schemas.js';
import type { Interest, RouteConnect, RouteInfo } from './types.js';

export { parseConnect, parseInfo } from './json.js';

export const CRLF = Buffer.from('\r\n');
export const PING = Buffer.from('PING\r\n');
export const PONG = Buffer.from('PONG\r\n');

/** First INFO on a route: `INFO <json> \r\n`, with the space before CRLF (util.go:generateInfoJSON). */
export function encodeInfo(info: RouteInfo): Buffer {
  return Buffer.from(`INFO ${stringifyRouteInfo(info)} \r\n`);
}

/** Gossip / async INFO: `INFO <json>\r\n` (InfoProto), no space before CRLF. */
export function encodeGossipInfo(info: RouteInfo): Buffer {
  return Buffer.from(`INFO ${stringifyRouteInfo(info)}\r\n`);
}

export function encodeConnect(connect: RouteConnect): Buffer {
  return Buffer.from(`CONNECT ${stringifyRouteConnect(connect)}\r\n`);
}

/** `-ERR '<text>'\r\n` (client.go:sendErr). Any -ERR makes a Go peer close the route. */
export function encodeErr(text: string): Buffer {
  return Buffer.from(`-ERR '${text}'\r\n`);
}

// ---- interest ----

function interestTail(subject: string, queue: string | undefined, weight: number | undefined, add: boolean): string {
  if (queue === undefined) return subject;
  // A queue RS+/LS+ without a weight is a parse error for Go; RS-/LS- must not carry one.
  return add ? `${subject} ${queue} ${weight ?? 1}` : `${subject} ${queue}`;
}

function accountPart(account: string | undefined): string {
  return account === undefined ? '' : `${account} `;
}

/** `RS+ [<account>] <subject> [<queue> <weight>]`; account undefined = pinned-account form. */
export function encodeRsAdd(account: string | undefined, subject: string, queue?: string, weight?: number): Buffer {
  return Buffer.from(`RS+ ${accountPart(account)}${interestTail(subject, queue, weight, true)}\r\n`);
}

/** `RS- [<account>] <subject> [<queue>]`. */
export function encodeRsDel(account: string | undefined, subject: string, queue?: string): Buffer {
  return Buffer.from(`RS- ${accountPart(account)}${interestTail(subject, queue, undefined, false)}\r\n`);
}

/** `LS+ <origin> [<account>] <subject> [<queue> <weight>]`; LS+ always carries the origin. */
export function encodeLsAdd(
  account: string | undefined,
  subject: string,
  queue: string | undefined,
  weight: number | undefined,
  origin: string,
): Buffer {
  return Buffer.from(`LS+ ${origin} ${accountPart(account)}${interestTail(subject, queue, weight, true)}\r\n`);
}

/** `LS- [<origin>] [<account>] <subject> [<queue>]`; origin only towards a peer that advertised lnocu. */
export function encodeLsDel(account: string | undefined, subject: string, queue?: string, origin?: string): Buffer {
  const o = origin === undefined ? '' : `${origin} `;
  return Buffer.from(`LS- ${o}${accountPart(account)}${interestTail(subject, queue, undefined, false)}\r\n`);
}

/**
 * Encodes an interest event for one peer. `pinned`: the connection is pinned to op.account (drop the
 * token); `peerLnocu`: the peer advertised lnocu (LS- carries the origin).
 */
export function encodeInterest(op: Interest, pinned: boolean, peerLnocu: boolean): Buffer {
  const acc = pinned ? undefined : op.account;
  if (!op.leaf) {
    return op.add ? encodeRsAdd(acc, op.subject, op.queue, op.weight) : encodeRsDel(acc, op.subject, op.queue);
  }
  if (op.add) return encodeLsAdd(acc, op.subject, op.queue, op.weight, op.origin ?? '');
  return encodeLsDel(acc, op.subject, op.queue, peerLnocu ? op.origin : undefined);
}

// ---- messages ----

export interface MsgLineSpec {
  verb: 'RMSG' | 'HMSG' | 'LMSG';
  origin?: string; // LMSG only
  account: string | undefined; // undefined = pinned-account form
  subject: string;
  reply?: string;
  queues?: string[]; // non-empty → `+ reply q…` or `| q…`
  hdrSize?: number; // HMSG/LMSG
  size: number; // total bytes (headers + payload)
}

/**
 * The control line of a routed message, without CRLF (client.go:msgHeaderForRouteOrLeaf). Builds
 * a string: for tests and tools; the relay writes lines straight into slabs (route/msg-writer.ts).
 */
export function encodeMsgLine(m: MsgLineSpec): Buffer {
  let s = m.verb === 'LMSG' ? `LMSG ${m.origin ?? ''} ` : `${m.verb} `;
  if (m.account !== undefined) s += `${m.account} `;
  s += m.subject;
  if (m.queues !== undefined && m.queues.length > 0) {
    s += m.reply !== undefined ? ` + ${m.reply} ` : ' | ';
    s += m.queues.join(' ');
  } else if (m.reply !== undefined) {
    s += ` ${m.reply}`;
  }
  if (m.verb !== 'RMSG') s += ` ${m.hdrSize ?? 0}`;
  s += ` ${m.size}`;
  return Buffer.from(s);
}
