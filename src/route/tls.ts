// Route TLS (route-protocol.md §1.1, §8.2, §8.3): TLS comes first on both roles, before any
// protocol byte; always mutual (one certificate for both roles, the CA for both directions).
// Node verifies nothing by itself here: chain, EKU, hostname and pins are checked in verifyPeer()
// so that every rejection is logged with its real reason (a Node TLS server that rejects a client
// certificate on its own just drops the socket, "socket hang up").
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { RouteTlsOptions, RouteUrl } from '../config/options.js';
import { GO_CURVES, GO_INSECURE_CIPHERS, GO_SECURE_CIPHERS } from '../config/tls-option.js';
import { ProxyError } from '../errors.js';
import {
  dnsNameMatchesHost, identityCandidates, missingEku, spkiSha256,
} from './tls-identity.js';

/** nats-server's warning (route.go clusterTLSInsecureWarning). */
export const CLUSTER_TLS_INSECURE_WARNING = 'TLS certificate chain and hostname of solicited routes will not be verified. DO NOT USE IN PRODUCTION!';

export class TlsHandshakeError extends ProxyError {
  constructor(message: string) {
    super('ERR_ROUTE_TLS', message);
  }
}

/** Node secure-context options for a route tls map; reads the files (throws with a plain message). */
export function secureContextOptions(o: RouteTlsOptions): tls.SecureContextOptions {
  if (!o.certFile || !o.keyFile) {
    throw new Error('cluster.tls needs cert_file and key_file: routes always use mutual TLS (the certificate is presented as server and as client)');
  }
  const out: tls.SecureContextOptions = {
    cert: readFileSync(o.certFile),
    key: readFileSync(o.keyFile),
    minVersion: o.minVersion === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
  };
  if (o.caFile) out.ca = readFileSync(o.caFile);
  if (o.cipherSuites) {
    // Go applies cipher_suites to TLS 1.0-1.2 only; TLS 1.3 suites are always all enabled.
    const tls12 = o.cipherSuites
      .map((n) => GO_SECURE_CIPHERS[n] ?? GO_INSECURE_CIPHERS[n])
      .filter((n): n is string => n !== undefined && !n.startsWith('TLS_'));
    if (tls12.length > 0) out.ciphers = tls12.join(':');
    else out.minVersion = 'TLSv1.3'; // only TLS 1.3 names: no TLS 1.2 suite is left, as in Go
  }
  if (o.curvePreferences) out.ecdhCurve = o.curvePreferences.map((n) => GO_CURVES[n]!).join(':');
  return out;
}

/** What the acceptor side reports: a verified TLS socket, or a failed handshake and why. */
export interface AcceptHandlers {
  secure(socket: tls.TLSSocket): void;
  failed(address: string, reason: string): void;
}

/** The TLS layer of the route manager: one per daemon, its certificates reloadable. */
export class RouteTls {
  private opts: RouteTlsOptions;
  private clientContext: tls.SecureContext;
  private readonly server: tls.Server;
  /** The last TLS error of a dialed socket after its handshake (TLS 1.3 rejects our certificate late). */
  private readonly lateErrors = new WeakMap<object, Error>();

  /** Throws ProxyError(ERR_CONFIG_INVALID) when the files cannot be turned into a context. */
  constructor(
    opts: RouteTlsOptions,
    /** Configured route hosts (for verify_cert_and_check_known_urls and the §8.2 server name). */
    private readonly routeHosts: () => string[],
    accepted: AcceptHandlers,
  ) {
    this.opts = opts;
    const ctx = RouteTls.contextOptions(opts);
    this.clientContext = tls.createSecureContext(ctx);
    // A tls.Server that never listens: accepted sockets are handed to it (emit 'connection'), so
    // the handshake timeout and setSecureContext (reload) are Node's own.
    this.server = tls.createServer({
      ...ctx,
      requestCert: true,
      rejectUnauthorized: false, // verifyPeer() decides, with a reason for the log
      handshakeTimeout: opts.timeoutMs,
    });
    this.server.on('secureConnection', (socket: tls.TLSSocket) => {
      const err = this.verifyPeer(socket, 'server');
      if (err) {
        accepted.failed(addressOf(socket), err.message);
        socket.destroy();
        return;
      }
      accepted.secure(socket);
    });
    this.server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      accepted.failed(addressOf(socket), describeTlsError(err, 'server'));
      socket.destroy();
    });
  }

  private static contextOptions(opts: RouteTlsOptions): tls.SecureContextOptions {
    try {
      const ctx = secureContextOptions(opts);
      tls.createSecureContext(ctx); // surfaces key/cert/CA/cipher problems now, not per connection
      return ctx;
    } catch (err) {
      throw new ProxyError('ERR_CONFIG_INVALID', `cluster.tls: ${(err as Error).message}`, { cause: err });
    }
  }

  get options(): RouteTlsOptions {
    return this.opts;
  }

  /**
   * Re-reads certificate, key and CA (SIGHUP): new connections use them, established ones keep
   * theirs. On error nothing changes and a ProxyError is thrown.
   */
  reload(opts: RouteTlsOptions = this.opts): void {
    const ctx = RouteTls.contextOptions(opts);
    this.clientContext = tls.createSecureContext(ctx);
    this.server.setSecureContext(ctx);
    this.opts = opts;
  }

  /** Acceptor: starts the TLS server handshake on an accepted socket (results go to AcceptHandlers). */
  accept(socket: net.Socket): void {
    this.server.emit('connection', socket);
  }

  /** Dialer: TLS client handshake on a connected socket; resolves once the server is verified. */
  connect(socket: net.Socket, url: RouteUrl): Promise<tls.TLSSocket> {
    const { servername, names } = this.serverNames(url.host);
    return new Promise<tls.TLSSocket>((resolve, reject) => {
      const opts: tls.ConnectionOptions = {
        socket,
        secureContext: this.clientContext,
        rejectUnauthorized: false, // verifyPeer() decides
        checkServerIdentity: () => undefined,
      };
      if (servername) opts.servername = servername;
      const s = tls.connect(opts);
      const timer = setTimeout(() => fail(new TlsHandshakeError('TLS handshake timeout')), this.opts.timeoutMs);
      timer.unref();
      const fail = (err: Error) => {
        clearTimeout(timer);
        s.removeListener('secureConnect', onSecure);
        s.destroy();
        socket.destroy();
        reject(err instanceof TlsHandshakeError ? err : new TlsHandshakeError(describeTlsError(err, 'client')));
      };
      const onError = (err: Error) => fail(err);
      const onClose = () => fail(new TlsHandshakeError('connection closed by the peer during the TLS handshake'));
      const onSecure = () => {
        clearTimeout(timer);
        s.removeListener('error', onError);
        s.removeListener('close', onClose);
        const err = this.verifyPeer(s, 'client', names);
        if (err) {
          s.destroy();
          socket.destroy();
          return reject(err);
        }
        // Passive: records, does not consume or change the flow of the stream.
        s.on('error', (e: Error) => this.lateErrors.set(s, e));
        resolve(s);
      };
      s.once('secureConnect', onSecure);
      s.once('error', onError);
      s.once('close', onClose);
    });
  }

  /**
   * §8.2: the URL's hostname; for an IP, the first hostname among the configured routes (Go's
   * routeTLSName), and the IP itself stays acceptable (Go drops the fallback after a hostname error).
   */
  private serverNames(host: string): { servername?: string; names: string[] } {
    if (net.isIP(host) === 0) return { servername: host, names: [host] };
    const fallback = this.routeHosts().find((h) => h !== '' && net.isIP(h) === 0);
    return fallback ? { servername: fallback, names: [fallback, host] } : { names: [host] };
  }

  /** Chain (ca_file), EKU, hostname (dialer) and pinned keys; undefined when the peer is accepted. */
  private verifyPeer(s: tls.TLSSocket, role: 'server' | 'client', names: string[] = []): TlsHandshakeError | undefined {
    const cert = s.getPeerCertificate(false);
    if (!cert || Object.keys(cert).length === 0) return new TlsHandshakeError('peer presented no certificate (a Go peer sends none when its certificate is not issued by a CA in our ca_file)');
    const peerRole = role === 'server' ? 'clientAuth' : 'serverAuth';
    const skipChain = role === 'client' && this.opts.insecure;
    if (!skipChain) {
      const missing = missingEku(cert.ext_key_usage);
      if (missing.includes(peerRole)) {
        return new TlsHandshakeError(`peer certificate "${subjectLine(cert)}" lacks the ${peerRole} extended key usage (it has ${(cert.ext_key_usage ?? []).join(', ')})`);
      }
      if (!s.authorized) {
        return new TlsHandshakeError(`peer certificate "${subjectLine(cert)}": ${describeVerifyError(String(s.authorizationError))}`);
      }
      if (role === 'client') {
        const errs = names.map((n) => tls.checkServerIdentity(n, cert));
        if (errs.every((e) => e !== undefined)) {
          return new TlsHandshakeError(`hostname mismatch: ${errs[0]!.message}`);
        }
      }
    }
    const pins = this.opts.pinnedCerts;
    if (pins && pins.length > 0) {
      const x509 = s.getPeerX509Certificate();
      const hash = x509 ? spkiSha256(x509) : '';
      if (!pins.includes(hash)) {
        return new TlsHandshakeError(`peer certificate "${subjectLine(cert)}" is not in pinned_certs (SPKI sha256 ${hash})`);
      }
    }
    return undefined;
  }

  /**
   * verify_and_map / verify_cert_and_check_known_urls (§8.3): the certificate decides instead of
   * CONNECT user/pass. Returns undefined when accepted, else the reason.
   */
  authorizeByCertificate(socket: unknown, user: string | undefined): string | undefined {
    if (!(socket instanceof tls.TLSSocket)) return 'no TLS connection state';
    const cert = socket.getPeerCertificate(false);
    if (!cert || Object.keys(cert).length === 0) return 'no peer certificate';
    const candidates = identityCandidates(cert);
    const hosts = this.opts.verifyCertAndCheckKnownUrls ? this.routeHosts() : [];
    for (const c of candidates) {
      if (c.value === '') continue; // the route callback refuses an empty identity
      if (c.dns && hosts.some((h) => dnsNameMatchesHost(c.value, h))) return undefined;
      if (this.opts.verifyAndMap && user !== undefined && user !== '' && c.value === user) return undefined;
    }
    const list = candidates.map((c) => JSON.stringify(c.value)).join(', ');
    return this.opts.verifyAndMap
      ? `certificate identity does not match cluster user ${JSON.stringify(user ?? '')} (candidates: ${list})`
      : `no DNS name of the certificate matches a configured route host (candidates: ${list})`;
  }

  /**
   * Why a dialed TLS route closed before the peer's INFO: under TLS 1.3 the server checks our
   * certificate after our `secureConnect`, so its rejection arrives as a later alert.
   */
  lateRejection(socket: object): string | undefined {
    const err = this.lateErrors.get(socket);
    if (!err) return undefined;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      return 'connection reset by the peer after the TLS handshake, before its INFO (under TLS 1.3: did it reject our certificate?)';
    }
    return describeTlsError(err, 'client');
  }

  close(): void {
    this.server.close();
  }
}

function addressOf(s: net.Socket): string {
  const host = (s.remoteAddress ?? '?').replace(/^::ffff:/, '');
  return `${host.includes(':') ? `[${host}]` : host}:${s.remotePort ?? '?'}`;
}

function subjectLine(cert: tls.PeerCertificate): string {
  const cn = cert.subject?.CN;
  return Array.isArray(cn) ? cn.join('+') : cn ?? '';
}

/** OpenSSL verify results as an operator reads them. */
function describeVerifyError(code: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED': return 'certificate has expired (CERT_HAS_EXPIRED)';
    case 'CERT_NOT_YET_VALID': return 'certificate is not yet valid (CERT_NOT_YET_VALID)';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `certificate is not signed by a CA in ca_file (unknown CA, ${code})`;
    case 'INVALID_PURPOSE': return 'certificate is not valid for this purpose (extended key usage, INVALID_PURPOSE)';
    default: return `certificate verification failed (${code})`;
  }
}

/** A handshake error without OpenSSL's file/line noise, naming the usual causes. */
export function describeTlsError(err: Error, role: 'server' | 'client'): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'TLS handshake timeout';
  if (['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_HTTPS_PROXY_REQUEST',
    'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_UNKNOWN_PROTOCOL', 'ERR_SSL_RECORD_LAYER_FAILURE'].includes(code)) {
    return `peer does not speak TLS (a plaintext route on the other side?): ${opensslReason(err.message)}`;
  }
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  if (alert) {
    const what = alert[1]!.toLowerCase().replace(/_/g, ' ');
    return `peer rejected the handshake (TLS alert "${what}")${role === 'client' ? ': does it trust our certificate?' : ''}`;
  }
  if (code === 'ECONNRESET' || /socket hang up|disconnected before secure/.test(err.message)) {
    return 'connection closed by the peer during the TLS handshake';
  }
  return opensslReason(err.message) + (code ? ` (${code})` : '');
}

function opensslReason(message: string): string {
  // "80FC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…" → "wrong version number"
  const m = /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  return (m ? m[1]! : message.split('\n')[0]!).trim();
}
