import { toView, type Asset, type AssetView, type Warning } from '../../domain/asset.js';
import { todayUtc } from '../../domain/deprecation.js';
import { NotFoundError } from '../../domain/errors.js';
import { formatRef, type Ref } from '../../domain/model.js';
import { pageFrom, type Page } from '../../domain/page.js';
import type { AssetListQuery } from '../../repositories/asset-repository.js';
import type { UnitOfWork } from '../../repositories/store.js';
import type { LineageService } from '../lineage-service.js';
import { dependsOnDeprecated } from './deprecation-warnings.js';

/** Reading and listing assets, each with the deprecation warnings of what it depends on. */
export class AssetReads {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly lineage: LineageService,
  ) {}

  async get(ref: Ref): Promise<AssetView> {
    const asset = await this.uow.read.assets.findByRef(ref);
    if (!asset) throw new NotFoundError(`${formatRef(ref)} does not exist`);
    const warnings = await this.warningsFor([asset]);
    return toView(asset, warnings.get(asset.id));
  }

  /** Many assets by ref in a bounded number of queries; unknown refs are absent. */
  async getMany(refs: Ref[]): Promise<AssetView[]> {
    const assets = await this.uow.read.assets.findByRefs(refs);
    const warnings = await this.warningsFor(assets);
    return assets.map((asset) => toView(asset, warnings.get(asset.id)));
  }

  async list(query: AssetListQuery): Promise<Page<AssetView, Ref>> {
    const rows = await this.uow.read.assets.list({ ...query, limit: query.limit + 1 });
    const { items, nextCursor } = pageFrom(rows, query.limit, (last): Ref => ({ kind: last.kind, name: last.name }));
    const warnings = await this.warningsFor(items);
    return { items: items.map((asset) => toView(asset, warnings.get(asset.id))), nextCursor };
  }

  /**
   * Deprecation warnings for a page of assets: each asset's upstream closure from the
   * in-memory index, where deprecated assets are flagged, then one query for the details
   * of those it found. Nothing deprecated upstream, nothing read.
   */
  async warningsFor(assets: Asset[], as: 'latest' | 'index' = 'latest'): Promise<Map<number, Warning[]>> {
    const warnings = new Map<number, Warning[]>();
    const hits = await this.lineage.upstreamDeprecated(assets.map((a) => a.id), as);
    if (hits.size === 0) return warnings;
    const ids = [...new Set([...hits.values()].flatMap((found) => found.map((hit) => hit.id)))];
    const deprecated = new Map((await this.uow.read.assets.deprecatedAmong(ids)).map((d) => [d.id, d]));
    const today = todayUtc();
    for (const [assetId, found] of hits)
      warnings.set(
        assetId,
        // An asset reinstated since the index was read has no details: no warning for it.
        found.flatMap((hit) => {
          const dep = deprecated.get(hit.id);
          return dep ? [dependsOnDeprecated(dep, hit.distance, hit.path, today)] : [];
        }),
      );
    return warnings;
  }
}
