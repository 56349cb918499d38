import { todayUtc } from '../domain/deprecation.js';
import { NotFoundError } from '../domain/errors.js';
import type { Finding, FindingCursor, FindingType, Severity } from '../domain/finding.js';
import { formatRef, parseRef, type Ref } from '../domain/model.js';
import type { Page } from '../domain/page.js';
import type { ClosureIndex } from '../graph/closure-index.js';
import { canonicalCycle, componentOf, cyclicComponents } from '../graph/cycles.js';
import type { GraphSync } from '../graph/graph-sync.js';
import type { FindingsRepository } from '../repositories/findings-repository.js';
import type { UnitOfWork } from '../repositories/store.js';
import { AnnotationTable } from './findings/annotation-table.js';
import { cursorOf, fitting, selectPage, sortGroup, toListing, type Listing } from './findings/finding-page.js';
import { FindingRules, type FindingRecord, type RuleContext } from './findings/finding-rules.js';
import { describe } from './findings/finding-text.js';

export interface FindingsQuery {
  types?: ReadonlySet<FindingType>;
  severities?: ReadonlySet<Severity>;
  /** Only the findings that name this asset (or, for a feedback loop, include it). */
  asset?: Ref;
  /** Only the findings naming at least one asset of this owner. */
  owner?: string;
  limit: number;
  after?: FindingCursor;
}

export interface FindingsPage extends Page<Finding, FindingCursor> {
  /** How many findings match the filters, over all pages. */
  total: number;
}

/** An identity seen reading an asset without a direct declared dependency on it. */
export interface UndeclaredRead {
  identity: string;
  assetRef: string;
  count: number;
  lastSeen: string;
}

/** Where undeclared reads come from (`UndeclaredReads`, over the usage table). */
export interface UndeclaredReadsSource {
  all(): Promise<UndeclaredRead[]>;
  forAsset(assetRef: string): Promise<UndeclaredRead[]>;
}

interface FullPass {
  ctx: RuleContext;
  listing: Listing;
}


/**
 * The ML-debt findings of the paper "Hidden Technical Debt in Machine Learning Systems",
 * read off the dependency graph. A full pass reads every asset's annotations in bulk and
 * does the graph work on the in-memory index; it is cached until the graph change log,
 * any asset, or the date moves. Findings about one asset look only at its edges, its
 * strongly connected component and its model chains.
 */
export class FindingsService {
  private cache: { key: string; pass: FullPass } | null = null;
  /** Full passes run one at a time: a second request waits and reuses the first's result. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly graph: GraphSync,
    private readonly uow: UnitOfWork,
    private readonly undeclared: UndeclaredReadsSource,
    private readonly options: { importanceEpsilon: number; now?: () => Date },
  ) {}

  private today(): string {
    return todayUtc(this.options.now?.() ?? new Date());
  }

  async list(query: FindingsQuery): Promise<FindingsPage> {
    const wantsUndeclared = !query.types || query.types.has('undeclared_consumer');
    const filter = { types: query.types, severities: query.severities, owner: query.owner };
    if (query.asset) {
      const ref = formatRef(query.asset);
      const { ctx, records } = await this.forAsset(query.asset, wantsUndeclared ? this.undeclared.forAsset(ref) : null);
      return this.page(toListing(records), ctx, filter, query);
    }
    const reads = wantsUndeclared ? await this.undeclared.all() : [];
    return this.withFullPass((pass) => {
      // Undeclared reads change without any asset changing, so they are never cached.
      const listing = new Map(pass.listing);
      const records: FindingRecord[] = [];
      const rules = new FindingRules(pass.ctx, (record) => records.push(record));
      for (const read of reads) {
        const ref = parseRef(read.assetRef);
        const id = typeof ref === 'string' ? undefined : pass.ctx.index.idOf(ref.kind, ref.name);
        if (id !== undefined) rules.undeclared(id, read);
      }
      sortGroup(records);
      if (records.length > 0) listing.set('undeclared_consumer', records);
      return this.page(listing, pass.ctx, filter, query);
    });
  }

  private page(
    listing: Listing,
    ctx: RuleContext,
    filter: Parameters<typeof selectPage>[2],
    query: FindingsQuery,
  ): FindingsPage {
    const { records, next, total } = selectPage(listing, ctx.index, filter, query.limit, query.after);
    const items = records.map((record) => describe(record, ctx));
    const kept = fitting(items);
    if (kept < items.length) return { items: items.slice(0, kept), total, nextCursor: cursorOf(records[kept - 1]) };
    return { items, total, nextCursor: next };
  }

  /**
   * Runs `use` on a full pass that matches the index as it is while `use` runs: either
   * the cached one, when nothing changed, or a new one. `use` must not await.
   */
  private withFullPass<T>(use: (pass: FullPass) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const marker = await this.uow.read.findings.annotationsMarker();
      const stamp = `${marker.count}|${marker.revisions}|${marker.lastUpdate}|${this.today()}`;
      let index = await this.graph.fresh();
      if (this.cache?.key === `${this.graph.stats().appliedSeq}|${stamp}`) return use(this.cache.pass);

      const table = AnnotationTable.dense(index.capacity);
      // Two connections at once: the edges query runs while the annotations stream in.
      const [, edges] = await Promise.all([
        this.uow.read.findings.streamAnnotations((rows) => {
          for (const row of rows) table.add(row);
        }),
        this.uow.read.findings.notableEdges(this.options.importanceEpsilon),
      ]);
      index = await this.graph.fresh();
      // From here on nothing awaits: the index cannot move under the pass.
      const ctx: RuleContext = { index, table, epsilon: this.options.importanceEpsilon, today: this.today() };
      const records: FindingRecord[] = [];
      const rules = new FindingRules(ctx, (record) => records.push(record));
      fullPass(rules, index, edges);
      const pass = { ctx, listing: toListing(records) };
      // The marker was read before the annotations: if anything changed since, the next
      // request sees a different marker and computes again.
      this.cache = { key: `${this.graph.stats().appliedSeq}|${stamp}`, pass };
      return use(pass);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Every finding that names the asset (or has it in its feedback loop). */
  private async forAsset(
    ref: Ref,
    undeclared: Promise<UndeclaredRead[]> | null,
  ): Promise<{ ctx: RuleContext; records: FindingRecord[] }> {
    const text = formatRef(ref);
    const before = await this.graph.fresh();
    const known = before.idOf(ref.kind, ref.name);
    if (known === undefined) throw new NotFoundError(`${text} does not exist`);
    const around = [known, ...before.dependenciesOf(known), ...before.dependentsOf(known)];
    const [rows, edges, reads] = await Promise.all([
      this.uow.read.findings.annotationsAround(around, text),
      this.uow.read.findings.notableEdges(this.options.importanceEpsilon, { id: known, dependents: before.dependentsOf(known) }),
      undeclared ?? [],
    ]);
    // From here on nothing awaits. The index may have moved on while we waited; it is
    // still one consistent state, and the rules only look at what the table holds.
    const index = this.graph.index;
    const id = index.idOf(ref.kind, ref.name);
    if (id !== known) throw new NotFoundError(`${text} does not exist`);
    const table = AnnotationTable.sparse();
    for (const row of rows) table.add(row);
    const replaced = rows.filter((row) => row.replacedBy === text).map((row) => row.id);
    const ctx: RuleContext = { index, table, epsilon: this.options.importanceEpsilon, today: this.today() };
    const records: FindingRecord[] = [];
    const rules = new FindingRules(ctx, (record) => records.push(record));

    rules.node(id);
    for (const dependency of index.dependenciesOf(id)) rules.edge(id, dependency);
    for (const dependent of index.dependentsOf(id)) rules.edge(dependent, id);
    // As the replacement in a legacy triple: dependents of the assets it replaces.
    for (const old of replaced) for (const dependent of index.dependentsOf(old)) rules.legacy(dependent, old);
    for (const edge of edges.unpinnedVolatile) rules.unpinnedVolatile(edge);
    for (const edge of edges.negligible) rules.negligibleImportance(edge);

    if (index.kindOf(id) === 'model')
      // Every cascade whose chain passes through it, also where the listing is cut short before it.
      for (const model of rules.chains.modelsThrough(id)) {
        const chain = rules.cascade(model);
        if (chain) rules.emitCascade(chain);
      }

    const members = componentOf(index, id);
    if (members.length > 0) rules.feedbackLoop(canonicalCycle(index, members), members.length);
    for (const read of reads) rules.undeclared(id, read);
    return { ctx, records };
  }
}

function fullPass(
  rules: FindingRules,
  index: ClosureIndex,
  edges: Awaited<ReturnType<FindingsRepository['notableEdges']>>,
): void {
  const n = index.capacity;
  for (let id = 0; id < n; id++) {
    const kind = index.kindOf(id);
    if (kind === undefined) continue;
    rules.node(id);
    for (const dependency of index.dependenciesOf(id)) rules.edge(id, dependency);
    if (kind === 'model') {
      const chain = rules.cascade(id);
      if (chain) rules.emitCascade(chain);
    }
  }
  for (const edge of edges.unpinnedVolatile) rules.unpinnedVolatile(edge);
  for (const edge of edges.negligible) rules.negligibleImportance(edge);
  for (const members of cyclicComponents(index)) rules.feedbackLoop(canonicalCycle(index, members), members.length);
}
