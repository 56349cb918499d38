import { NotFoundError } from '../domain/errors.js';
import { parseRef } from '../domain/model.js';
import type { Policy } from '../domain/policy.js';
import type { Caller } from '../domain/principal.js';
import { newWebhookSecret } from '../domain/webhook-signature.js';
import type { UnitOfWork } from '../repositories/store.js';

/** After a rotation, deliveries are signed with the secret it replaced too, for this long. */
export const PREVIOUS_SECRET_VALID_MS = 24 * 60 * 60_000;

/** A rotation's answer: the only place a secret is ever shown. */
export interface RotatedSecret {
  consumer: string;
  secret: string;
  createdAt: string;
  /** Until when deliveries also carry a signature with the secret this one replaced; absent for a first secret. */
  previousValidUntil?: string;
}

/** What the outbox worker signs with. */
export interface SigningSecrets {
  /** The secrets to sign a delivery to `consumerRef` with, current first; null when the consumer is gone. */
  signingSecrets(consumerRef: string): Promise<string[] | null>;
}

/**
 * Consumers' Standard Webhooks signing secrets. A consumer gets its first secret when a
 * delivery first needs one; `rotate` replaces it and is the only way to see it. Secrets
 * are never logged and never part of an asset.
 */
export class WebhookSecretService implements SigningSecrets {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly policy: Policy,
  ) {}

  /** Makes a new secret for the consumer (its first, or replacing the current one, which stays valid for a day). */
  /** The consumer's owner (a team token) or an admin rotates it. */
  async rotate(caller: Caller, consumer: string): Promise<RotatedSecret> {
    const found = await this.uow.read.assets.findByRef({ kind: 'consumer', name: consumer });
    if (!found) throw new NotFoundError(`consumer:${consumer} does not exist`);
    this.policy.manageConsumer(caller.principal, found);
    const secret = newWebhookSecret();
    const row = await this.uow.autocommit.webhookSecrets.rotate(found.id, secret, PREVIOUS_SECRET_VALID_MS);
    return { consumer, secret, createdAt: row.createdAt, ...(row.previousValidUntil ? { previousValidUntil: row.previousValidUntil } : {}) };
  }

  async signingSecrets(consumerRef: string): Promise<string[] | null> {
    const ref = parseRef(consumerRef);
    if (typeof ref === 'string' || ref.kind !== 'consumer') return null;
    const secrets = await this.uow.read.webhookSecrets.signingSecrets(ref.name);
    if (secrets) return secrets;
    // Insert, then read: of deliveries racing to make the first secret, all sign with the one that won.
    await this.uow.autocommit.webhookSecrets.createIfMissing(ref.name, newWebhookSecret());
    return this.uow.read.webhookSecrets.signingSecrets(ref.name);
  }
}
