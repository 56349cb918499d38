import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

// Standard Webhooks (https://www.standardwebhooks.com) signing: the secret's form and the
// `webhook-signature` header, through the specification's own library, so that what we
// sign is what its verifiers check.

/** The specification's prefix: receivers' libraries strip it before decoding the key. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (the specification asks for 24 to 64). */
export const newWebhookSecret = (): string => WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');

/** The `webhook-timestamp` of a delivery made at `at`: whole seconds since the epoch. */
export const webhookTimestamp = (at: Date): string => String(Math.floor(at.getTime() / 1000));

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` for each
 * secret, space-separated (a receiver accepts the message if any one verifies: that is how
 * a rotation overlaps).
 */
export function signatureHeader(secrets: readonly string[], id: string, at: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' ');
}
