import type { AssetBody } from '../../domain/asset-schemas.js';
import { toView, type AssetView } from '../../domain/asset.js';
import type { Ref } from '../../domain/model.js';
import type { Policy } from '../../domain/policy.js';
import type { Caller } from '../../domain/principal.js';
import type { Page } from '../../domain/page.js';
import type { GraphSync } from '../../graph/graph-sync.js';
import type { AssetListQuery } from '../../repositories/asset-repository.js';
import type { UnitOfWork } from '../../repositories/store.js';
import type { OutboxDelivery } from '../consumer-notices.js';
import type { LineageService } from '../lineage-service.js';
import { AssetDeletion, type DeleteOptions } from './asset-deletion.js';
import { AssetReads } from './asset-reads.js';
import { AssetWrites, type ImportResult, type WriteOptions } from './asset-writes.js';
import type { NotifyUrlGuard } from './notify-urls.js';
import type { WriteItem } from './write-item.js';
import type { WriteResult, WriteStatus } from './write-plan.js';

// The service's own parts, by job (each route reaches its rules in two hops):
//   asset-reads.ts        get, getMany, list, and read-time deprecation warnings
//   write-item.ts         a write item, its dependencies parsed once where it is built
//   write-rules.ts        every rule a write must pass, pure (tests beside it)
//   write-plan.ts         a write run, and a chunk planned from what it read
//   notify-urls.ts        the sla.notify address check, made before a write's transaction
//   asset-writes.ts       the write transaction and the import pipeline: the writer and the index
//   asset-deletion.ts     deletion, its precondition and its notices
export { writeItem, type WriteItem } from './write-item.js';
export { IMPORT_ISSUES_LISTED } from './write-rules.js';
export type { WriteResult, WriteStatus } from './write-plan.js';
export type { ImportResult, WriteOptions } from './asset-writes.js';
export type { DeleteOptions } from './asset-deletion.js';

/** Registration, reading, listing and deletion of assets: what the adapters call. */
export class AssetService {
  private readonly reads: AssetReads;
  private readonly writes: AssetWrites;
  private readonly deletion: AssetDeletion;

  /** `delivery` is told of the notices a forced deletion queues; `notifyUrls` judges webhook addresses. */
  constructor(
    uow: UnitOfWork,
    lineage: LineageService,
    graph: GraphSync,
    policy: Policy,
    delivery: OutboxDelivery,
    notifyUrls: NotifyUrlGuard,
  ) {
    this.reads = new AssetReads(uow, lineage);
    this.writes = new AssetWrites(uow, graph, policy, notifyUrls);
    this.deletion = new AssetDeletion(lineage, policy, delivery);
  }

  get(ref: Ref): Promise<AssetView> {
    return this.reads.get(ref);
  }

  /** Many assets by ref in a bounded number of queries; unknown refs are absent. */
  getMany(refs: Ref[]): Promise<AssetView[]> {
    return this.reads.getMany(refs);
  }

  list(query: AssetListQuery): Promise<Page<AssetView, Ref>> {
    return this.reads.list(query);
  }

  /** Creates or replaces one asset; `created` tells 201 from 200. */
  async put(ref: Ref, body: AssetBody, options: WriteOptions): Promise<{ asset: AssetView; status: WriteStatus }> {
    const { asset, result } = await this.writes.put(ref, body, options);
    // The answer reflects the graph as of this write's commit, which the index holds now:
    // the write caught it up under the lock and then applied itself (see AssetWrites.writeRun).
    const standing = (await this.reads.warningsFor([asset], 'index')).get(asset.id) ?? [];
    return { asset: toView(asset, [...result.warnings, ...standing]), status: result.status };
  }

  /** Writes many assets atomically; dependencies may name assets later in the same batch. */
  batch(items: WriteItem[], caller: Caller): Promise<WriteResult[]> {
    return this.writes.batch(items, caller);
  }

  /** Writes a stream of chunks in one transaction, all or nothing (see AssetWrites.import). */
  import(chunks: AsyncIterable<WriteItem[]>, caller: Caller): Promise<ImportResult> {
    return this.writes.import(chunks, caller);
  }

  /**
   * Deletes an asset; refused while anything depends on it, unless forced with a reason
   * (which notifies the consumers downstream), and when `ifMatch` is stale.
   */
  delete(ref: Ref, options: DeleteOptions): Promise<void> {
    return this.deletion.delete(ref, options);
  }
}
