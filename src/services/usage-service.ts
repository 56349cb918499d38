import { hashKeySecret, isKeySecret } from '../domain/api-key.js';
import { InputError, NotFoundError, type FieldIssue } from '../domain/errors.js';
import { formatRef, type Ref } from '../domain/model.js';
import type { UsageEvent } from '../domain/usage-schemas.js';
import type { UndeclaredRow, UsageAggregate } from '../repositories/usage-repository.js';
import type { UnitOfWork } from '../repositories/store.js';
import type { UndeclaredReader, UndeclaredReadersSource } from './lineage-service.js';
import type { UndeclaredRead } from './findings-service.js';
import type { ReadBuffer } from './read-buffer.js';

/** How many undeclared readers `/consumers` shows for one asset (the most recent). */
const UNDECLARED_PER_ASSET = 1000;

export interface UndeclaredListQuery {
  asset?: Ref;
  since?: Date;
  after?: { assetId: number; identity: string };
  limit: number;
}

export interface UsageReceipt {
  /** Events accepted. */
  events: number;
  /** Reads they stand for (the sum of their counts). */
  reads: number;
  /** Distinct (identity, asset) pairs they were summed into. */
  pairs: number;
}

const toRead = (row: UndeclaredRow): UndeclaredRead => ({
  identity: row.identity,
  assetRef: row.asset,
  count: row.count,
  lastSeen: row.lastSeen,
});

/** Ingestion of observed reads and the undeclared consumers they reveal. */
export class UsageService implements UndeclaredReadersSource {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly checks: ReadBuffer,
  ) {}

  /**
   * Validates every event against the catalog, then adds them all in one statement: a
   * batch with any bad event writes nothing. An API key used as the identity counts as
   * its consumer (even once revoked: the read happened); an unknown key is refused
   * rather than stored, since it may be someone's secret.
   */
  async ingest(events: UsageEvent[], now = new Date()): Promise<UsageReceipt> {
    const refs = new Map<string, Ref>(events.map((e) => [formatRef(e.asset), e.asset]));
    const secrets = [...new Set(events.map((e) => e.consumer).filter(isKeySecret))];
    const hashes = secrets.map(hashKeySecret);
    const [assets, owners] = await Promise.all([
      this.uow.read.assets.resolve([...refs.values()]),
      this.uow.read.apiKeys.ownersOf(hashes),
    ]);
    const assetIds = new Map(assets.map((a) => [formatRef(a), a.id]));
    const ownerByHash = new Map(owners.map((o) => [o.hash, o.consumer]));
    const ownerBySecret = new Map(secrets.map((s, i) => [s, ownerByHash.get(hashes[i])]));

    const issues: FieldIssue[] = [];
    events.forEach((event, i) => {
      const ref = formatRef(event.asset);
      if (!assetIds.has(ref)) issues.push({ in: 'body', field: `events[${i}].asset`, message: `${ref} does not exist` });
      if (isKeySecret(event.consumer) && !ownerBySecret.get(event.consumer))
        issues.push({ in: 'body', field: `events[${i}].consumer`, message: 'is not a known API key' });
    });
    if (issues.length > 0)
      throw new InputError(issues.slice(0, 10).map((i) => `${i.field}: ${i.message}`).join('; '), issues);

    const pairs = new Map<string, UsageAggregate>();
    let reads = 0;
    for (const event of events) {
      const assetId = assetIds.get(formatRef(event.asset))!;
      const identity = isKeySecret(event.consumer) ? ownerBySecret.get(event.consumer)! : event.consumer;
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

  async undeclared(query: UndeclaredListQuery): Promise<UndeclaredRow[]> {
    let assetId: number | undefined;
    if (query.asset) {
      const [found] = await this.uow.read.assets.resolve([query.asset]);
      if (!found) throw new NotFoundError(`${formatRef(query.asset)} does not exist`);
      assetId = found.id;
    }
    await this.checks.flush();
    return this.uow.read.usage.undeclared({ assetId, since: query.since, after: query.after, limit: query.limit });
  }

  /** For the findings: every undeclared read, paged through in keyset order. */
  async allUndeclared(): Promise<UndeclaredRead[]> {
    const reads: UndeclaredRead[] = [];
    let after: UndeclaredListQuery['after'];
    for (;;) {
      const page = await this.undeclared({ after, limit: 10_000 });
      reads.push(...page.map(toRead));
      if (page.length < 10_000) return reads;
      const last = page[page.length - 1];
      after = { assetId: last.assetId, identity: last.identity };
    }
  }

  /** For the findings of one asset, by ref; an unknown asset has none. */
  async undeclaredOfRef(ref: Ref): Promise<UndeclaredRead[]> {
    const [found] = await this.uow.read.assets.resolve([ref]);
    if (!found) return [];
    await this.checks.flush();
    return (await this.uow.read.usage.undeclaredOf(found.id, UNDECLARED_PER_ASSET)).map(toRead);
  }

  /** For `/consumers`: who reads the asset without a direct declared dependency on it. */
  async forAsset(assetId: number): Promise<UndeclaredReader[]> {
    await this.checks.flush();
    const rows = await this.uow.read.usage.undeclaredOf(assetId, UNDECLARED_PER_ASSET);
    return rows.map(({ identity, firstSeen, lastSeen, count }) => ({ identity, firstSeen, lastSeen, count }));
  }
}
