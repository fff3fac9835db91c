// Route authorization as nats-server does it (route-protocol.md §8.1): one user/password;
// the password may be a bcrypt hash, otherwise it is compared in constant time.
import { timingSafeEqual, createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

const BCRYPT_RE = /^\$2[abxy]\$\d{2}\$.*/;

export function isBcrypt(password: string): boolean {
  return BCRYPT_RE.test(password);
}

/** Constant-time string equality that does not leak the length through an early exit. */
function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * Checks CONNECT credentials. With no configured user every route is accepted.
 * Async because bcrypt must not block the event loop (other peers' traffic keeps flowing).
 */
export async function checkRouteCredentials(
  configured: { user: string; password: string } | undefined,
  user: string | undefined,
  pass: string | undefined,
): Promise<boolean> {
  if (!configured) return true;
  if (user === undefined || !constantTimeEqual(user, configured.user)) return false;
  const given = pass ?? '';
  if (isBcrypt(configured.password)) {
    // nats-server accepts $2x$/$2y$ as well; bcryptjs understands $2a$/$2b$/$2y$; $2x$ differs only for
    // non-ASCII passwords from a historic bug, so it is compared as $2a$.
    const hash = configured.password.startsWith('$2x$') ? '$2a$' + configured.password.slice(4) : configured.password;
    try {
      return await bcrypt.compare(given, hash);
    } catch {
      return false;
    }
  }
  return constantTimeEqual(given, configured.password);
}
