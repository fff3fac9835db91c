// Why a route connection closed, modelled on nats-server's ClosedState (server/client.go): `text` is
// nats-server's ClosedState.String() wording, for logs (`rid:N - Route connection closed: <text>`);
// `label` is a stable snake_case name for metrics; `code` is the ErrorCode of a close the peer or
// operator caused (none for ordinary closes). Labels and codes never change once released.
import type { ErrorCode } from '../errors.js';

export interface CloseReason {
  readonly text: string;
  readonly label: string;
  readonly code: ErrorCode | undefined;
}

const reason = (text: string, label: string, code?: ErrorCode): CloseReason => Object.freeze({ text, label, code });

export const CloseReasons = Object.freeze({
  // nats-server's states that our routes hit (only those: each is used in src/), with its texts.
  ClientClosed: reason('Client Closed', 'client_closed'),
  AuthenticationTimeout: reason('Authentication Timeout', 'authentication_timeout', 'ERR_ROUTE_AUTH'),
  AuthenticationViolation: reason('Authentication Failure', 'authentication_violation', 'ERR_ROUTE_AUTH'),
  TLSHandshakeError: reason('TLS Handshake Failure', 'tls_handshake_error', 'ERR_ROUTE_TLS'),
  SlowConsumerWriteDeadline: reason('Slow Consumer (Write Deadline)', 'slow_consumer_write_deadline', 'ERR_SLOW_CONSUMER'),
  ReadError: reason('Read Error', 'read_error'),
  StaleConnection: reason('Stale Connection', 'stale_connection'),
  ProtocolViolation: reason('Protocol Violation', 'protocol_violation', 'ERR_ROUTE_PROTOCOL'),
  WrongPort: reason('Incorrect Port', 'wrong_port', 'ERR_ROUTE_PROTOCOL'),
  DuplicateRoute: reason('Duplicate Route', 'duplicate_route'),
  RouteRemoved: reason('Route Removed', 'route_removed'),
  ServerShutdown: reason('Server Shutdown', 'server_shutdown'),
  WrongGateway: reason('Wrong Gateway', 'wrong_gateway', 'ERR_ROUTE_PROTOCOL'),
  ClusterNameConflict: reason('Cluster Name Conflict', 'cluster_name_conflict', 'ERR_ROUTE_CLUSTER_NAME'),
  DuplicateServerName: reason('Duplicate Server Name', 'duplicate_server_name'),
  // Ours: closes nats-server has no state for. A peer's -ERR gets its own reason (nats-server
  // says Parse Error) so that an operator can tell "the peer refused us" from "we could not parse".
  RouteError: reason('Route Error', 'route_error'),
  HandshakeTimeout: reason('Handshake Timeout', 'handshake_timeout'),
  AuthenticationBusy: reason('Authentication Busy', 'authentication_busy'),
  InternalError: reason('Internal Error', 'internal_error'),
});

export type CloseReasonName = keyof typeof CloseReasons;

/** The log text of a close: nats-server's wording, then our detail (never a password). */
export function closeText(r: CloseReason, detail?: string): string {
  return detail === undefined || detail === '' ? r.text : `${r.text}: ${detail}`;
}
