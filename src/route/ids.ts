import { randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const NUID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomString(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[bytes[i]! % alphabet.length];
  return s;
}

/** A server id shaped like nats-server's (56 chars, 'N' + base32) so it never looks odd in /routez. */
export function newServerId(): string {
  return 'N' + randomString(BASE32, 55);
}

/** A 22-character NUID-like token (used for generated names and nonces). */
export function nuid(length = 22): string {
  return randomString(NUID_ALPHABET, length);
}
