import { createHash, randomBytes } from 'node:crypto';

/** Every secret starts with this, so a secret is recognisable where an identity is expected. */
export const KEY_SECRET_PREFIX = 'dck_';
/** How much of a secret a listing shows: the prefix plus 8 characters (48 random bits). */
const LISTED_PREFIX_LENGTH = KEY_SECRET_PREFIX.length + 8;

export interface NewKeySecret {
  secret: string;
  prefix: string;
  hash: string;
}

/**
 * 256 random bits: a secret that cannot be guessed, so a fast unsalted SHA-256 is a
 * safe way to store it (a slow password hash is for low-entropy secrets) and lets
 * the access check find a key with one indexed lookup.
 */
export function newKeySecret(): NewKeySecret {
  const secret = KEY_SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { secret, prefix: secret.slice(0, LISTED_PREFIX_LENGTH), hash: hashKeySecret(secret) };
}

export const hashKeySecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export const isKeySecret = (text: string): boolean => text.startsWith(KEY_SECRET_PREFIX);
