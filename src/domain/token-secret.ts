import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every token secret starts with this, so a secret is recognisable where an identity is expected. */
export const TOKEN_SECRET_PREFIX = 'dct_';
/** Consumers' API keys, from before tokens, still authenticate as consumer tokens. */
const LEGACY_KEY_PREFIX = 'dck_';
/** How much of a secret a listing shows: the prefix plus 8 characters (48 random bits). */
const LISTED_PREFIX_LENGTH = TOKEN_SECRET_PREFIX.length + 8;

export interface NewTokenSecret {
  secret: string;
  prefix: string;
  hash: string;
}

/**
 * 256 random bits: a secret that cannot be guessed, so a fast unsalted SHA-256 is a safe
 * way to store it (a slow password hash is for low-entropy secrets) and lets
 * authentication find a token with one unique-index probe.
 */
export function newTokenSecret(): NewTokenSecret {
  const secret = TOKEN_SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { secret, prefix: secret.slice(0, LISTED_PREFIX_LENGTH), hash: hashTokenSecret(secret) };
}

export const hashTokenSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export const isTokenSecret = (text: string): boolean =>
  text.startsWith(TOKEN_SECRET_PREFIX) || text.startsWith(LEGACY_KEY_PREFIX);

/** Whether `secret` hashes to `hash`, in time that does not depend on where they differ. */
export function secretMatches(secret: string, hash: string): boolean {
  const given = Buffer.from(hashTokenSecret(secret), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
