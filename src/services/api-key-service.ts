import { newKeySecret } from '../domain/api-key.js';
import { NotFoundError } from '../domain/errors.js';
import type { ApiKeyRow } from '../repositories/api-key-repository.js';
import type { UnitOfWork } from '../repositories/store.js';

export interface IssuedKey {
  id: number;
  consumer: string;
  /** Shown once, here; only its hash is stored. */
  secret: string;
  prefix: string;
  createdAt: string;
}

/** Issuing, listing and revoking consumers' API keys. Keys are not part of the graph. */
export class ApiKeyService {
  constructor(private readonly uow: UnitOfWork) {}

  private async consumerId(name: string): Promise<number> {
    const [found] = await this.uow.read.assets.resolve([{ kind: 'consumer', name }]);
    if (!found) throw new NotFoundError(`consumer:${name} does not exist`);
    return found.id;
  }

  async issue(consumer: string): Promise<IssuedKey> {
    const id = await this.consumerId(consumer);
    const { secret, prefix, hash } = newKeySecret();
    const row = await this.uow.autocommit.apiKeys.create(id, prefix, hash);
    return { id: row.id, consumer, secret, prefix, createdAt: row.createdAt };
  }

  async list(consumer: string): Promise<ApiKeyRow[]> {
    return this.uow.read.apiKeys.list(await this.consumerId(consumer));
  }

  async revoke(consumer: string, keyId: number): Promise<void> {
    const revoked = await this.uow.autocommit.apiKeys.revoke(await this.consumerId(consumer), keyId);
    if (!revoked) throw new NotFoundError(`consumer:${consumer} has no key ${keyId}`);
  }
}
