import { parseRef } from '../domain/model.js';
import type { UndeclaredRow } from '../repositories/usage-repository.js';
import type { UnitOfWork } from '../repositories/store.js';
import type { UndeclaredRead, UndeclaredReadsSource } from './findings-service.js';
import type { UndeclaredReader, UndeclaredReadersSource } from './lineage-service.js';
import type { ReadBuffer } from './read-buffer.js';

/** How many undeclared readers `/consumers` shows for one asset (the most recent). */
const UNDECLARED_PER_ASSET = 1000;
/** Rows per query when the findings read every undeclared read. */
const PAGE_ROWS = 10_000;

const toRead = (row: UndeclaredRow): UndeclaredRead => ({
  identity: row.identity,
  assetRef: row.asset,
  count: row.count,
  lastSeen: row.lastSeen,
});

/**
 * Who reads assets without having declared them, as the lineage (`/consumers`) and the
 * findings ask it. A service of its own, built before both, so that neither needs the
 * usage service (nor it them). Each answer first writes the reads that access checks have
 * counted, so that it includes every check that has answered.
 */
export class UndeclaredReads implements UndeclaredReadersSource, UndeclaredReadsSource {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly checks: ReadBuffer,
  ) {}

  /** For `/consumers`: who reads the asset without a direct declared dependency on it. */
  async readersOf(assetId: number): Promise<UndeclaredReader[]> {
    await this.checks.flush();
    const rows = await this.uow.read.usage.undeclaredOf(assetId, UNDECLARED_PER_ASSET);
    return rows.map(({ identity, firstSeen, lastSeen, count }) => ({ identity, firstSeen, lastSeen, count }));
  }

  /** For the findings: every undeclared read, paged through in keyset order. */
  async all(): Promise<UndeclaredRead[]> {
    await this.checks.flush();
    const reads: UndeclaredRead[] = [];
    let after: { assetId: number; identity: string } | undefined;
    for (;;) {
      const page = await this.uow.read.usage.undeclared({ after, limit: PAGE_ROWS });
      reads.push(...page.map(toRead));
      if (page.length < PAGE_ROWS) return reads;
      const last = page[page.length - 1];
      after = { assetId: last.assetId, identity: last.identity };
    }
  }

  /** For the findings of one asset, by ref; an unknown asset has none. */
  async forAsset(assetRef: string): Promise<UndeclaredRead[]> {
    const ref = parseRef(assetRef);
    if (typeof ref === 'string') return [];
    const [found] = await this.uow.read.assets.resolve([ref]);
    if (!found) return [];
    await this.checks.flush();
    return (await this.uow.read.usage.undeclaredOf(found.id, UNDECLARED_PER_ASSET)).map(toRead);
  }
}
