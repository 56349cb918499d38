import { InputError, NotFoundError, type FieldIssue } from '../domain/errors.js';
import { formatRef, type Ref } from '../domain/model.js';
import { pageFrom, type Page } from '../domain/page.js';
import type { Policy } from '../domain/policy.js';
import type { Caller } from '../domain/principal.js';
import { hashTokenSecret, isTokenSecret } from '../domain/token-secret.js';
import type { UsageEvent } from '../domain/usage-schemas.js';
import type { UndeclaredRow, UsageAggregate } from '../repositories/usage-repository.js';
import type { UnitOfWork } from '../repositories/store.js';
import type { ReadBuffer } from './read-buffer.js';

/** The undeclared-consumer list continues after this (asset, identity) pair. */
export interface UndeclaredPosition {
  assetId: number;
  identity: string;
}

export interface UndeclaredListQuery {
  asset?: Ref;
  since?: Date;
  after?: UndeclaredPosition;
  limit: number;
}

export type UndeclaredConsumer = Omit<UndeclaredRow, 'assetId'>;

export interface UsageReceipt {
  /** Events accepted. */
  events: number;
  /** Reads they stand for (the sum of their counts). */
  reads: number;
  /** Distinct (identity, asset) pairs they were summed into. */
  pairs: number;
}

/** Ingestion of observed reads and the undeclared consumers they reveal. */
export class UsageService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly checks: ReadBuffer,
    private readonly policy: Policy,
  ) {}

  /**
   * Validates every event against the catalog, then adds them all in one statement: a
   * batch with any bad event writes nothing. A consumer token's secret used as the
   * identity counts as its consumer (even once revoked: the read happened); an unknown
   * one is refused rather than stored, since it may be someone's secret. The caller needs
   * `ingest`; a consumer token reports only its own reads.
   */
  async ingest(caller: Caller, events: UsageEvent[], now = new Date()): Promise<UsageReceipt> {
    this.policy.ingestUsage(caller.principal, []);
    const refs = new Map<string, Ref>(events.map((e) => [formatRef(e.asset), e.asset]));
    const secrets = [...new Set(events.map((e) => e.consumer).filter(isTokenSecret))];
    const hashes = secrets.map(hashTokenSecret);
    const [assets, owners] = await Promise.all([
      this.uow.read.assets.resolve([...refs.values()]),
      this.uow.read.tokens.ownersOf(hashes),
    ]);
    const assetIds = new Map(assets.map((a) => [formatRef(a), a.id]));
    const ownerByHash = new Map(owners.map((o) => [o.hash, o.consumer]));
    const ownerBySecret = new Map(secrets.map((s, i) => [s, ownerByHash.get(hashes[i])]));

    const issues: FieldIssue[] = [];
    events.forEach((event, i) => {
      const ref = formatRef(event.asset);
      if (!assetIds.has(ref)) issues.push({ in: 'body', field: `events[${i}].asset`, message: `${ref} does not exist` });
      if (isTokenSecret(event.consumer) && !ownerBySecret.get(event.consumer))
        issues.push({ in: 'body', field: `events[${i}].consumer`, message: "is not a known consumer's token" });
    });
    if (issues.length > 0)
      throw new InputError(issues.slice(0, 10).map((i) => `${i.field}: ${i.message}`).join('; '), issues);
    const identityOf = (event: UsageEvent) => (isTokenSecret(event.consumer) ? ownerBySecret.get(event.consumer)! : event.consumer);
    this.policy.ingestUsage(
      caller.principal,
      events.map((event, i) => ({ identity: identityOf(event), field: `events[${i}].consumer` })),
    );

    const pairs = new Map<string, UsageAggregate>();
    let reads = 0;
    for (const event of events) {
      const assetId = assetIds.get(formatRef(event.asset))!;
      const identity = identityOf(event);
      const at = event.at ?? now;
      const count = event.count ?? 1;
      reads += count;
      const key = `${assetId}\u0000${identity}`;
      const pair = pairs.get(key);
      if (!pair) pairs.set(key, { assetId, identity, firstSeen: at, lastSeen: at, count });
      else {
        pair.count += count;
        if (at < pair.firstSeen) pair.firstSeen = at;
        if (at > pair.lastSeen) pair.lastSeen = at;
      }
    }
    await this.uow.autocommit.usage.add([...pairs.values()]);
    return { events: events.length, reads, pairs: pairs.size };
  }

  /** Identities reading assets without a direct declared dependency, by asset then identity. */
  async undeclared(query: UndeclaredListQuery): Promise<Page<UndeclaredConsumer, UndeclaredPosition>> {
    let assetId: number | undefined;
    if (query.asset) {
      const [found] = await this.uow.read.assets.resolve([query.asset]);
      if (!found) throw new NotFoundError(`${formatRef(query.asset)} does not exist`);
      assetId = found.id;
    }
    await this.checks.flush();
    const rows = await this.uow.read.usage.undeclared({ assetId, since: query.since, after: query.after, limit: query.limit + 1 });
    const page = pageFrom(rows, query.limit, (last) => ({ assetId: last.assetId, identity: last.identity }));
    return { items: page.items.map(({ assetId: _id, ...item }) => item), nextCursor: page.nextCursor };
  }
}
