// Events the route parser emits and the shapes of INFO/CONNECT (route-protocol.md §1.5, §1.6, §2).
import type { RoutedMsg } from './msg.js';

/** Route INFO as nats-server sends it; unknown fields are kept by the JSON parse and ignored. */
export interface RouteInfo {
  server_id: string;
  server_name?: string;
  version?: string;
  proto?: number;
  go?: string;
  host?: string;
  port?: number;
  ip?: string;
  headers?: boolean;
  auth_required?: boolean;
  tls_required?: boolean;
  tls_verify?: boolean;
  max_payload?: number;
  jetstream?: boolean;
  nonce?: string;
  cluster?: string;
  cluster_dynamic?: boolean;
  connect_urls?: string[];
  ws_connect_urls?: string[];
  ldm?: boolean;
  compression?: string;
  import?: { allow?: string[]; deny?: string[] };
  export?: { allow?: string[]; deny?: string[] };
  lnoc?: boolean;
  lnocu?: boolean;
  route_pool_size?: number;
  route_pool_idx?: number;
  route_account?: string;
  route_acc_add_reqid?: string;
  gossip_mode?: number;
  gateway?: string;
  gateway_url?: string;
  leafnode_urls?: string[];
  /** nats-route-proxy extension: present only when the sender is a proxy (ignored by nats-server). */
  nrp?: ProxyExtension;
}

export interface ProxyExtension {
  v: number; // extension version
  site?: string; // informational
  compression?: string[]; // proxy-link codecs this proxy offers ('lz4'), never sent as a route `compression` value
}

export interface RouteConnect {
  echo?: boolean;
  verbose?: boolean;
  pedantic?: boolean;
  user?: string;
  pass?: string;
  tls_required?: boolean;
  headers?: boolean;
  name?: string; // the sender's server_id
  cluster?: string;
  cluster_dynamic?: boolean;
  lnoc?: boolean;
  lnocu?: boolean;
  // Fields that make an acceptor reject the connection (route-protocol.md §1.6):
  lang?: string;
  gateway?: string;
  account?: string;
  new_account?: boolean;
  nrp?: ProxyExtension;
}

/**
 * The one interest record: what RS+/RS-/LS+/LS- say, what an interest table holds (always
 * `add: true`), what applying one changes and what the aggregate advertises.
 */
export interface Interest {
  add: boolean; // RS+/LS+ vs RS-/LS-
  leaf: boolean; // LS± (leafnode origin)
  origin?: string; // LS+ always; LS- only when the sender advertised lnocu
  account: string; // from the line, or the connection's pinned account
  subject: string;
  queue?: string;
  weight?: number; // queue adds only: the absolute member count, not a delta
}

/** The fields that identify an interest (see interest/key.ts). */
export type InterestKeyFields = Pick<Interest, 'account' | 'subject' | 'queue' | 'origin'> & { readonly leaf?: boolean };

/** What the peer gets when its input is malformed: the -ERR text, or undefined for a silent close. */
export interface ProtocolViolation {
  errText?: string; // exact nats-server wording, without quotes/-ERR framing
  reason: string; // for our log, e.g. 'processRoutedMsgArgs Bad or Missing Size'
}

export interface RouteParserHandler {
  onInfo(json: string): void;
  onConnect(json: string): void;
  onPing(): void;
  onPong(): void;
  onOk(): void;
  onErr(text: string): void; // text without the surrounding quotes
  onInterest(op: Interest): void;
  /** The record is reused: its offsets are valid only during this call. */
  onMessage(msg: RoutedMsg): void;
  onViolation(v: ProtocolViolation): void; // parsing stops; the connection closes
  /** A routed message larger than the parser's maxPayload was skipped (the connection goes on). */
  onOversize?(verb: 'RMSG' | 'HMSG' | 'LMSG', size: number, why?: 'memory budget'): void;
}
