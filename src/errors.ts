// Errors a user can see carry a stable code (design.md §4). Codes never change meaning once released.
export type ErrorCode =
  | 'ERR_CONFIG_PARSE' // the NATS config language: lexer/parser/include/variable errors
  | 'ERR_CONFIG_INVALID' // a parsed option has a wrong type or value
  | 'ERR_CONFIG_READ' // the file cannot be opened or read
  | 'ERR_CLI_USAGE' // bad command-line arguments
  | 'ERR_LISTEN' // the route listener cannot bind
  | 'ERR_ROUTE_AUTH' // a route failed authorization
  | 'ERR_ROUTE_TLS' // a route TLS handshake or peer certificate check failed
  | 'ERR_ROUTE_PROTOCOL' // a peer sent something the route protocol forbids
  | 'ERR_ROUTE_CLUSTER_NAME' // cluster name mismatch
  | 'ERR_SLOW_CONSUMER' // a connection's outbound queue overflowed
  | 'ERR_COMPRESSION'; // a peer's compressed stream is corrupt or exceeds our bounds (src/compression)

export class ProxyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ProxyError';
  }
}
