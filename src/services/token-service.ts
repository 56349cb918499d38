import DataLoader from 'dataloader';
import { InputError, NotFoundError, UnauthorizedError } from '../domain/errors.js';
import { formatRef } from '../domain/model.js';
import type { Page } from '../domain/page.js';
import { pageFrom } from '../domain/page.js';
import type { Policy } from '../domain/policy.js';
import { SCOPES, SCOPES_OF, type Caller, type Principal, type PrincipalType, type Scope } from '../domain/principal.js';
import { hashTokenSecret, newTokenSecret, secretMatches } from '../domain/token-secret.js';
import type { TokenCredential, TokenRow } from '../repositories/token-repository.js';
import type { UnitOfWork } from '../repositories/store.js';

const DAY_MS = 24 * 60 * 60_000;

export interface IssuedToken extends Omit<TokenRow, 'revokedAt'> {
  /** Shown once, here; only its hash is stored. */
  secret: string;
}

/** A consumer's API key as the legacy routes show it: a consumer token. */
export interface IssuedKey {
  id: number;
  consumer: string;
  secret: string;
  prefix: string;
  createdAt: string;
}

export interface TokenListQuery {
  team?: string;
  consumer?: string;
  limit: number;
  after?: { id: number };
}

/** A token to issue, as the adapters parse it (src/contracts/tokens.ts). */
export interface TokenRequest {
  name: string;
  team?: string;
  consumer?: string;
  scopes: Scope[];
  /** ISO 8601; omitted: the default lifetime; null: never expires. */
  expiresAt?: string | null;
}

export interface TokenOptions {
  /** DEPCAT_ADMIN_TOKEN: an admin token that is not stored. */
  adminToken: string | undefined;
  /** How long a token lives when its creation names no expiry. */
  ttlDays: number;
}

/** What the first start did about an admin token (see bootstrap). */
export type Bootstrap = { created: false } | { created: true; secret: string; name: string };

/** The name of the admin token a first start creates. */
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap-admin';

/** Tokens: who a secret is, and issuing, listing and revoking them (admin only). */
export class TokenService {
  private readonly adminHash: string | undefined;
  /**
   * Authentications arriving together share one statement (cache off: every request
   * reads the table as of a statement that started after it arrived, so a revocation
   * counts from the next request on). Batches gather until the next turn of the event
   * loop, as the access check's do (access-repository.ts).
   */
  private readonly byHash: DataLoader<string, TokenCredential | null>;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly policy: Policy,
    private readonly options: TokenOptions,
  ) {
    this.adminHash = options.adminToken === undefined ? undefined : hashTokenSecret(options.adminToken);
    this.byHash = new DataLoader((hashes) => this.uow.read.tokens.byHashes(hashes), {
      cache: false,
      maxBatchSize: 500,
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    });
  }

  /**
   * The principal a bearer secret stands for. 401 for a secret that is unknown, revoked
   * or expired; a stored token is found by its hash, then compared in constant time.
   */
  async authenticate(secret: string): Promise<Principal> {
    if (this.adminHash !== undefined && secretMatches(secret, this.adminHash))
      return { type: 'admin', name: 'admin', tokenId: null, scopes: SCOPES };
    const token = await this.byHash.load(hashTokenSecret(secret));
    if (!token || !secretMatches(secret, token.secretHash)) throw new UnauthorizedError('the token is not known');
    if (token.revokedAt !== null) throw new UnauthorizedError(`the token "${token.name}" has been revoked`);
    if (token.expired) throw new UnauthorizedError(`the token "${token.name}" expired at ${token.expiresAt}`);
    const base = { name: token.name, tokenId: token.id, scopes: token.scopes };
    if (token.team !== null) return { ...base, type: 'team', team: token.team };
    if (token.consumerId !== null) return { ...base, type: 'consumer', consumer: token.consumer!, consumerId: token.consumerId };
    return { ...base, type: 'admin' };
  }

  async create(caller: Caller, body: TokenRequest, now = new Date()): Promise<IssuedToken> {
    this.policy.manageTokens(caller.principal);
    const type: PrincipalType = body.team !== undefined ? 'team' : body.consumer !== undefined ? 'consumer' : 'admin';
    const allowed = SCOPES_OF[type];
    const foreign = body.scopes.find((scope) => !allowed.includes(scope));
    if (foreign) throw InputError.field('scopes', `a ${type} token may hold ${allowed.join(', ')}, not ${foreign}`);
    let expiresAt: string | null;
    if (body.expiresAt === undefined) expiresAt = new Date(now.getTime() + this.options.ttlDays * DAY_MS).toISOString();
    else if (body.expiresAt === null) expiresAt = null;
    else {
      const at = new Date(body.expiresAt);
      if (at.getTime() <= now.getTime()) throw InputError.field('expiresAt', 'must be in the future');
      expiresAt = at.toISOString();
    }
    const consumerId = body.consumer === undefined ? null : await this.consumerId(body.consumer, 'consumer');
    return this.issue({ name: body.name, team: body.team ?? null, consumerId, scopes: [...body.scopes], expiresAt });
  }

  async list(caller: Caller, query: TokenListQuery): Promise<Page<TokenRow, { id: number }>> {
    this.policy.manageTokens(caller.principal);
    const consumerId = query.consumer === undefined ? undefined : await this.consumerId(query.consumer);
    const rows = await this.uow.read.tokens.list({ team: query.team, consumerId, afterId: query.after?.id, limit: query.limit + 1 });
    return pageFrom(rows, query.limit, (last) => ({ id: last.id }));
  }

  async revoke(caller: Caller, id: number): Promise<void> {
    this.policy.manageTokens(caller.principal);
    if (!(await this.uow.autocommit.tokens.revoke(id))) throw new NotFoundError(`there is no token ${id}`);
  }

  // Consumers' API keys (the routes under /v1/assets/consumer/{name}/keys): consumer tokens
  // that read, write their consumer and report its reads, issued by the consumer's owner.

  async issueKey(caller: Caller, consumer: string): Promise<IssuedKey> {
    const id = await this.consumerOwnedBy(caller, consumer);
    const { secret, prefix, hash } = newTokenSecret();
    const row = await this.uow.autocommit.tokens.create({
      name: `consumer:${consumer}/${prefix}`,
      team: null,
      consumerId: id,
      scopes: ['read', 'write', 'ingest'],
      prefix,
      secretHash: hash,
      expiresAt: null,
    });
    return { id: row.id, consumer, secret, prefix, createdAt: row.createdAt };
  }

  async listKeys(caller: Caller, consumer: string): Promise<TokenRow[]> {
    const consumerId = await this.consumerOwnedBy(caller, consumer);
    // A consumer has a handful of keys; the legacy route never paged them.
    return this.uow.read.tokens.list({ consumerId, limit: 1000 });
  }

  async revokeKey(caller: Caller, consumer: string, keyId: number): Promise<void> {
    const consumerId = await this.consumerOwnedBy(caller, consumer);
    if (!(await this.uow.autocommit.tokens.revoke(keyId, consumerId)))
      throw new NotFoundError(`consumer:${consumer} has no key ${keyId}`);
  }

  /**
   * On start: DEPCAT_ADMIN_TOKEN is the admin token if set; otherwise, unless a live
   * admin token is stored, one is created (once, even when replicas start together).
   */
  async bootstrap(): Promise<Bootstrap> {
    if (this.adminHash !== undefined) return { created: false };
    return this.uow.transaction(async (store) => {
      await store.tokens.lockBootstrap();
      if (await store.tokens.hasLiveAdmin()) return { created: false };
      const { secret, prefix, hash } = newTokenSecret();
      // A revoked or expired bootstrap token keeps its name: the new one is numbered.
      const name = `${BOOTSTRAP_TOKEN_NAME}-${prefix.slice(-8)}`;
      await store.tokens.create({ name, team: null, consumerId: null, scopes: [...SCOPES], prefix, secretHash: hash, expiresAt: null });
      return { created: true, secret, name };
    });
  }

  private async issue(token: { name: string; team: string | null; consumerId: number | null; scopes: TokenRow['scopes']; expiresAt: string | null }): Promise<IssuedToken> {
    const { secret, prefix, hash } = newTokenSecret();
    const { revokedAt: _revoked, ...row } = await this.uow.autocommit.tokens.create({ ...token, prefix, secretHash: hash });
    return { ...row, secret };
  }

  private async consumerId(name: string, field?: string): Promise<number> {
    const [found] = await this.uow.read.assets.resolve([{ kind: 'consumer', name }]);
    if (found) return found.id;
    if (field) throw InputError.field(field, `consumer:${name} does not exist`);
    throw new NotFoundError(`consumer:${name} does not exist`);
  }

  private async consumerOwnedBy(caller: Caller, name: string): Promise<number> {
    const ref = { kind: 'consumer' as const, name };
    const found = await this.uow.read.assets.findByRef(ref);
    if (!found) throw new NotFoundError(`${formatRef(ref)} does not exist`);
    this.policy.manageConsumer(caller.principal, { ref: found.ref, owner: found.owner });
    return found.id;
  }
}
