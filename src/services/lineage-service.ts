import type { Sla } from '../domain/asset-schemas.js';
import { NotFoundError } from '../domain/errors.js';
import { formatRef, type Kind, type Ref } from '../domain/model.js';
import type { Page } from '../domain/page.js';
import type { ClosureCursor, ClosureIndex, Direction, KindCounts, Traversal } from '../graph/closure-index.js';
import type { GraphSync } from '../graph/graph-sync.js';
import type { NodeState } from '../graph/node-state.js';
import type { AssetRepository } from '../repositories/asset-repository.js';
import type { TransactionStore, UnitOfWork } from '../repositories/store.js';

export interface ClosureItem {
  ref: string;
  kind: Kind;
  name: string;
  owner: string;
  distance: number;
}

export interface ClosurePage extends Page<ClosureItem, ClosureCursor> {
  root: string;
  direction: Direction;
  total: number;
  countsByKind: KindCounts;
}

export interface ConsumerItem {
  ref: string;
  name: string;
  owner: string;
  contact: string | null;
  sla: Sla | null;
  distance: number;
  path: string[];
}

export interface UndeclaredReader {
  identity: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
}

export interface ConsumersReport {
  root: string;
  total: number;
  consumers: ConsumerItem[];
  nextCursor: ClosureCursor | null;
  undeclared: UndeclaredReader[];
}

export interface ImpactReport {
  root: string;
  safeToDelete: boolean;
  total: number;
  countsByKind: KindCounts;
  dependents: ClosureItem[];
  consumers: ConsumerItem[];
  owners: string[];
  nextCursor: ImpactCursor | null;
}

/**
 * Where the next impact page starts: after the last dependent shown and, in `consumers`,
 * after the last consumer shown (null: every consumer has been shown). One cursor pages
 * both lists: consumers are dependents too, so they never run out later than dependents.
 */
export interface ImpactCursor extends ClosureCursor {
  consumers?: ClosureCursor | null;
}

export interface ClosureQuery {
  depth?: number;
  kinds?: ReadonlySet<Kind>;
  limit: number;
  after?: ClosureCursor;
}

/** Who reads an asset without having declared it (`UndeclaredReads`, over the usage table). */
export interface UndeclaredReadersSource {
  readersOf(assetId: number): Promise<UndeclaredReader[]>;
}

const CONSUMER_ONLY: ReadonlySet<Kind> = new Set(['consumer']);

/** Where consumers' contacts come from: the pool, or a write transaction. */
type Contacts = Pick<AssetRepository, 'consumerContacts'>;

/** What a write under the graph lock answers, and the log entries it made, in order. */
export interface LockedWrite<T> {
  value: T;
  committed: NodeState[];
}

/** Transitive questions over the dependency graph, answered from the in-memory index. */
export class LineageService {
  constructor(
    private readonly graph: GraphSync,
    private readonly uow: UnitOfWork,
    private readonly undeclared: UndeclaredReadersSource,
  ) {}

  private async rootOf(ref: Ref): Promise<{ index: ClosureIndex; id: number }> {
    const index = await this.graph.fresh();
    const id = index.idOf(ref.kind, ref.name);
    if (id === undefined) throw new NotFoundError(`${formatRef(ref)} does not exist`);
    return { index, id };
  }

  async closure(ref: Ref, direction: Direction, query: ClosureQuery): Promise<ClosurePage> {
    const { index, id } = await this.rootOf(ref);
    const traversal = index.traverse(id, direction, query.depth);
    const page = traversal.page(query.limit, { after: query.after, kinds: query.kinds });
    return {
      root: formatRef(ref),
      direction,
      total: traversal.total(query.kinds),
      countsByKind: traversal.countsByKind(),
      items: page.nodes.map(toItem),
      nextCursor: page.next,
    };
  }

  async consumers(ref: Ref, query: Omit<ClosureQuery, 'kinds'>): Promise<ConsumersReport> {
    const { index, id } = await this.rootOf(ref);
    const traversal = index.traverse(id, 'downstream', query.depth);
    const page = consumerPage(index, traversal, query);
    const [consumers, undeclared] = await Promise.all([
      withContacts(page.consumers, this.uow.read.assets),
      this.undeclared.readersOf(id),
    ]);
    return {
      root: formatRef(ref),
      total: traversal.total(CONSUMER_ONLY),
      consumers,
      nextCursor: page.next,
      undeclared,
    };
  }

  /** What deleting or changing the asset would touch: every dependent, consumer and owner. */
  async impact(ref: Ref, query: { limit: number; after?: ImpactCursor }): Promise<ImpactReport> {
    const { index, id } = await this.rootOf(ref);
    return impactOf(index, id, query, this.uow.read.assets);
  }

  /**
   * Runs `work` in one transaction holding the graph write lock, with the lineage as that
   * transaction sees it (LockedLineage: exact, no retry). Once it commits, this process's
   * index takes the log entries the work made, as an asset write's do.
   */
  async lockedWrite<T>(work: (store: TransactionStore, lineage: LockedLineage) => Promise<LockedWrite<T>>): Promise<T> {
    // The snapshot loads through the pool: awaited before taking the lock, not while holding it.
    await this.graph.start();
    const { value, committed } = await this.uow.write(async (store) => {
      await this.graph.freshUnderLock(store.graph.underLock());
      return work(store, new LockedLineage(this.graph.index, store.assets));
    });
    this.graph.applyCommitted(committed);
    return value;
  }

  /**
   * The direct dependents of each ref, as sorted refs, from one catch-up of the index:
   * no SQL of their own. A ref that does not exist (any more) has none.
   */
  async dependentsOf(refs: readonly Ref[]): Promise<string[][]> {
    const index = await this.graph.fresh();
    return refs.map((ref) => {
      const id = index.idOf(ref.kind, ref.name);
      return id === undefined ? [] : index.dependentsOf(id).map((dependent) => index.refOf(dependent)).sort();
    });
  }

  /**
   * For each asset, the deprecated (or retired) assets upstream of it, nearest first, with
   * one shortest path each: the index flags them, so nothing is read from the database.
   */
  async upstreamDeprecated(
    assetIds: number[],
    /** `index`: the graph as of a write this process has just committed, for its answer. */
    as: 'latest' | 'index' = 'latest',
  ): Promise<Map<number, { id: number; ref: string; distance: number; path: string[] }[]>> {
    const found = new Map<number, { id: number; ref: string; distance: number; path: string[] }[]>();
    if (assetIds.length === 0) return found;
    const index = as === 'index' ? this.graph.index : await this.graph.fresh();
    if (index.deprecatedTotal === 0) return found;
    const deprecated = { has: (id: number) => index.isDeprecated(id) };
    for (const assetId of assetIds) {
      if (index.kindOf(assetId) === undefined) continue;
      const traversal = index.traverse(assetId, 'upstream');
      const hits = traversal.among(deprecated);
      if (hits.length > 0)
        found.set(
          assetId,
          hits.map((hit) => ({
            id: hit.id,
            ref: index.refOf(hit.id),
            distance: hit.distance,
            path: traversal.pathTo(hit.position).map((step) => index.refOf(step)),
          })),
        );
    }
    return found;
  }
}

/**
 * The lineage inside a write transaction that holds the graph write lock, once the index
 * has caught up through that transaction's own connection (GraphSync.freshUnderLock: never
 * the pool, which writers waiting for the lock may hold). Nothing else can commit before
 * the transaction ends, so every answer is exact for it; contacts are read in it too.
 */
export class LockedLineage {
  constructor(
    private readonly index: ClosureIndex,
    private readonly contacts: Contacts,
  ) {}

  /** The direct dependents of a stored asset. */
  dependentsOf(id: number): number[] {
    return [...this.index.dependentsOf(id)];
  }

  /** Every consumer downstream of a stored asset, with contact, SLA and one shortest path. */
  async consumersOf(id: number): Promise<ConsumerItem[]> {
    const traversal = this.index.traverse(id, 'downstream');
    return withContacts(consumerPage(this.index, traversal, { limit: Number.POSITIVE_INFINITY }).consumers, this.contacts);
  }

  /** The impact report of a stored asset (LineageService.impact). */
  impact(id: number, query: { limit: number; after?: ImpactCursor }): Promise<ImpactReport> {
    return impactOf(this.index, id, query, this.contacts);
  }

  /** A stored asset as the index holds it: what a log entry for it says until it changes. */
  stateOf(id: number): Omit<NodeState, 'seq'> {
    const { index } = this;
    return {
      id,
      kind: index.kindOf(id)!,
      name: index.nameOf(id),
      owner: index.ownerOf(id),
      deprecated: index.isDeprecated(id),
      dependsOn: [...index.dependenciesOf(id)],
    };
  }
}

async function impactOf(
  index: ClosureIndex,
  id: number,
  query: { limit: number; after?: ImpactCursor },
  contacts: Contacts,
): Promise<ImpactReport> {
  const traversal = index.traverse(id, 'downstream');
  const { after } = query;
  const page = traversal.page(query.limit, { after: after && { distance: after.distance, id: after.id } });
  // A cursor without a consumer position continues the consumers after the same dependent.
  const consumersAfter = after?.consumers === undefined ? after : after.consumers;
  const listed =
    consumersAfter === null
      ? { next: null, consumers: [] }
      : consumerPage(index, traversal, {
          limit: query.limit,
          after: consumersAfter && { distance: consumersAfter.distance, id: consumersAfter.id },
        });
  const total = traversal.total();
  return {
    root: index.refOf(id),
    safeToDelete: total === 0,
    total,
    countsByKind: traversal.countsByKind(),
    dependents: page.nodes.map(toItem),
    consumers: await withContacts(listed.consumers, contacts),
    owners: traversal.owners(),
    nextCursor: page.next && { ...page.next, consumers: listed.next },
  };
}

/** Consumer nodes with their paths, taken from the traversal before anything is awaited. */
function consumerPage(index: ClosureIndex, traversal: Traversal, query: { limit: number; after?: ClosureCursor }) {
  const page = traversal.page(query.limit, { after: query.after, kinds: CONSUMER_ONLY });
  return {
    next: page.next,
    consumers: page.nodes.map((node) => ({
      id: node.id,
      ref: formatRef(node),
      name: node.name,
      owner: node.owner,
      distance: node.distance,
      path: traversal.pathTo(node.position).map((step) => index.refOf(step)),
    })),
  };
}

async function withContacts(
  consumers: (Omit<ConsumerItem, 'contact' | 'sla'> & { id: number })[],
  source: Contacts,
): Promise<ConsumerItem[]> {
  const contacts = await source.consumerContacts(consumers.map((c) => c.id));
  return consumers.map(({ id, ...consumer }) => ({
    ...consumer,
    contact: contacts.get(id)?.contact ?? null,
    sla: contacts.get(id)?.sla ?? null,
  }));
}

function toItem(node: { kind: Kind; name: string; owner: string; distance: number }): ClosureItem {
  return { ref: formatRef(node), kind: node.kind, name: node.name, owner: node.owner, distance: node.distance };
}
