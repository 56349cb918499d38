import type { FindingType, Severity } from '../../domain/finding.js';
import { parseRef } from '../../domain/model.js';
import type { ClosureIndex } from '../../graph/closure-index.js';
import { ModelChains, type ChainSummary } from '../../graph/model-chains.js';
import type { EdgeFact } from '../../repositories/findings-repository.js';
import type { AnnotationTable } from './annotation-table.js';

/**
 * A finding before it is put into words: asset ids (in the order shown) plus the few
 * values its message needs. Kept compact because a full pass may hold a million.
 */
export interface FindingRecord {
  type: FindingType;
  severity: Severity;
  /** At most MAX_FINDING_ASSETS: a longer chain or loop keeps its first ones and its last. */
  ids: number[];
  /** How many assets the finding involves in all, when `ids` lists only some of them. */
  total?: number;
  /** Type-specific values: missing labels or fields, an importance, a component size. */
  args?: (string | number)[];
  /** The reading identity of an undeclared consumer (not an asset). */
  identity?: string;
}

export interface RuleContext {
  index: ClosureIndex;
  table: AnnotationTable;
  epsilon: number;
  /** Today as YYYY-MM-DD (UTC): an asset is past its sunset from the day after it. */
  today: string;
}

/**
 * The most assets one finding lists: a correction cascade or a feedback loop may run
 * through thousands of models, and a listing of n cascades each naming its whole chain
 * is quadratic. A longer one lists its first MAX_FINDING_ASSETS - 1 and its last.
 */
export const MAX_FINDING_ASSETS = 20;

/** `ids` cut down to MAX_FINDING_ASSETS (its first ones and its last), with the count in all when cut. */
const bounded = (ids: number[]): { ids: number[]; total?: number } =>
  ids.length <= MAX_FINDING_ASSETS
    ? { ids }
    : { ids: [...ids.slice(0, MAX_FINDING_ASSETS - 1), ids[ids.length - 1]], total: ids.length };

const missingLabels = (table: AnnotationTable, from: number, to: number): string[] => {
  const wanted = table.labels(from);
  const offered = table.labels(to);
  return [...wanted].filter((label) => !offered.has(label)).sort();
};

/**
 * The findings rules. Each rule is written once, over one asset or one edge, and called
 * either for every asset and edge (a full pass) or only for those touching one asset.
 */
export class FindingRules {
  readonly chains: ModelChains;

  constructor(
    private readonly ctx: RuleContext,
    private readonly emit: (record: FindingRecord) => void,
  ) {
    this.chains = new ModelChains(ctx.index);
  }

  /** Rules about one asset on its own. */
  node(id: number): void {
    const { index, table } = this.ctx;
    if (!table.has(id) || !table.isProduction(id)) return;
    const kind = index.kindOf(id);
    if ((kind === 'source' || kind === 'feature') && index.dependentsOf(id).length === 0)
      this.emit({ type: 'unused', severity: 'info', ids: [id] });
    const missing: string[] = [];
    if (table.lacksDescription(id)) missing.push('description');
    if (table.lacksValueType(id)) missing.push('valueType');
    if (table.platformsCode(id) === 0) missing.push('platforms');
    if (table.domainsCode(id) === 0) missing.push('domains');
    if (missing.length > 0) this.emit({ type: 'missing_annotations', severity: 'info', ids: [id], args: missing });
  }

  /** Rules about one declared dependency, `dependent` → `dependency`. */
  edge(dependent: number, dependency: number): void {
    const { table } = this.ctx;
    if (!table.has(dependent) || !table.has(dependency)) return;
    const ids = [dependent, dependency];

    if (table.isRetired(dependency)) this.emit({ type: 'past_sunset_in_use', severity: 'error', ids });
    else if (table.isDeprecated(dependency)) {
      const sunset = table.sunsetOf(dependency);
      if (sunset !== undefined && sunset < this.ctx.today) this.emit({ type: 'past_sunset_in_use', severity: 'error', ids });
      else this.emit({ type: 'deprecated_in_use', severity: 'warning', ids });
    }

    const wantedPlatforms = table.platformsCode(dependent);
    const offeredPlatforms = table.platformsCode(dependency);
    // Code 0 is "unknown": an unknown set never mismatches. Equal codes are equal sets.
    if (wantedPlatforms !== 0 && offeredPlatforms !== 0 && wantedPlatforms !== offeredPlatforms) {
      const missing = missingLabels(table, wantedPlatforms, offeredPlatforms);
      if (missing.length > 0) this.emit({ type: 'platform_mismatch', severity: 'error', ids, args: missing });
    }
    const wantedDomains = table.domainsCode(dependent);
    const offeredDomains = table.domainsCode(dependency);
    if (wantedDomains !== 0 && offeredDomains !== 0 && wantedDomains !== offeredDomains) {
      const missing = missingLabels(table, wantedDomains, offeredDomains);
      if (missing.length > 0) this.emit({ type: 'domain_mismatch', severity: 'warning', ids, args: missing });
    }

    if (table.isProduction(dependent) && table.isExperimental(dependency))
      this.emit({ type: 'experimental_in_production', severity: 'warning', ids });

    this.legacy(dependent, dependency);
  }

  /** `dependent` uses `old` side by side with the asset recorded as replacing it. */
  legacy(dependent: number, old: number): void {
    const { index, table } = this.ctx;
    const replacement = table.replacementOf(old);
    if (replacement === undefined) return;
    const ref = parseRef(replacement);
    if (typeof ref === 'string') return;
    const replacementId = index.idOf(ref.kind, ref.name);
    if (replacementId === undefined || replacementId === old || replacementId === dependent) return;
    if (index.dependenciesOf(dependent).includes(replacementId))
      this.emit({ type: 'legacy_feature', severity: 'warning', ids: [dependent, old, replacementId] });
  }

  unpinnedVolatile(edge: EdgeFact): void {
    if (!this.exists(edge)) return;
    this.emit({ type: 'unpinned_volatile', severity: 'warning', ids: [edge.dependentId, edge.dependencyId] });
  }

  negligibleImportance(edge: EdgeFact): void {
    if (!this.exists(edge) || edge.importance === null || !(edge.importance < this.ctx.epsilon)) return;
    this.emit({
      type: 'negligible_importance',
      severity: 'info',
      ids: [edge.dependentId, edge.dependencyId],
      args: [edge.importance],
    });
  }

  /** The chain below a model that depends on at least one model, summed up to MAX_FINDING_ASSETS. */
  cascade(model: number): ChainSummary | null {
    if (this.ctx.index.kindOf(model) !== 'model' || this.chains.modelDependencies(model).length === 0) return null;
    return this.chains.chainFrom(model, MAX_FINDING_ASSETS);
  }

  emitCascade(chain: ChainSummary): void {
    // The brief: one hop (two models) is info; a chain of three or more models a warning.
    this.emit({
      type: 'correction_cascade',
      severity: chain.length >= 3 ? 'warning' : 'info',
      ids: chain.ids,
      ...(chain.length > chain.ids.length ? { total: chain.length } : {}),
    });
  }

  feedbackLoop(cycle: number[], componentSize: number): void {
    this.emit({ type: 'feedback_loop', severity: 'warning', ...bounded(cycle), args: [componentSize] });
  }

  undeclared(assetId: number, read: { identity: string; count: number; lastSeen: string }): void {
    this.emit({
      type: 'undeclared_consumer',
      severity: 'warning',
      ids: [assetId],
      identity: read.identity,
      args: [read.count, read.lastSeen],
    });
  }

  private exists(edge: EdgeFact): boolean {
    const { index } = this.ctx;
    return index.kindOf(edge.dependentId) !== undefined && index.kindOf(edge.dependencyId) !== undefined;
  }
}
