import { isDeprecated } from '../../domain/deprecation.js';
import type { AssetBody } from '../../domain/asset-schemas.js';
import type { Asset, Warning } from '../../domain/asset.js';
import type { FieldIssue } from '../../domain/errors.js';
import type { Ref } from '../../domain/model.js';
import type { AssetWriteFacts, Policy } from '../../domain/policy.js';
import { actorOf, type Caller } from '../../domain/principal.js';
import type { GraphSync } from '../../graph/graph-sync.js';
import { COLLECT_AFTER_ASSETS, collectGarbageSoon } from '../../heap.js';
import type { EdgeWrite, ResolvedRef } from '../../repositories/asset-repository.js';
import type { AssetWriter } from '../../repositories/asset-writer.js';
import type { NodeState } from '../../graph/node-state.js';
import type { UnitOfWork } from '../../repositories/store.js';
import { NotifyUrlCheck, type NotifyUrlGuard } from './notify-urls.js';
import { writeItem, type WriteItem } from './write-item.js';
import { chunkReads, planChunk, writtenAsset, WriteRun, type ChunkRead, type Plan, type PlannedChunk, type WriteResult, type WriteStatus } from './write-plan.js';
import { checkDeferred, deprecatedDependencyRules, shapeIssues } from './write-rules.js';

// The one module that knows the writer and the graph sync: the write transaction, the
// import pipeline, storing chunks, linking deferred edges, and handing the committed
// writes to this process's index. What to write is decided in write-plan.ts and
// write-rules.ts, without I/O.

export interface ImportResult {
  counts: Record<WriteStatus, number>;
  /** New dependencies on deprecated assets: how many, and the first assets that declared some. */
  warnings: { total: number; items: { ref: string; warnings: Warning[] }[] };
}

/** Assets with warnings listed in an import's answer; the total counts them all. */
const IMPORT_WARNINGS_LISTED = 100;

export interface WriteOptions {
  /** Who writes: the history's actor, and whom the policy judges for each item. */
  caller: Caller;
  /** The revision the client last saw; `*` means "must exist". */
  ifMatch?: number | '*';
}

/** A stored chunk: its items' results, and the transaction's time. */
interface Stored {
  results: WriteResult[];
  at: string;
}

/** Creating and replacing assets: one, a batch, or an import's stream. */
export class AssetWrites {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly graph: GraphSync,
    private readonly policy: Policy,
    private readonly notifyUrls: NotifyUrlGuard,
  ) {}

  /**
   * Problems visible before the transaction: the shape rules, and webhook URLs that point
   * inside (DNS is asked here, so no lock waits for it).
   */
  private async preflightIssues(items: WriteItem[], check = new NotifyUrlCheck(this.notifyUrls)): Promise<FieldIssue[]> {
    const issues = shapeIssues(items);
    issues.push(...(await check.issues(items)));
    return issues;
  }

  /** Creates or replaces one asset: the asset as stored, and what the write did. */
  async put(ref: Ref, body: AssetBody, options: WriteOptions): Promise<{ asset: Asset; result: WriteResult }> {
    const items = [writeItem(ref, body)];
    const issues = await this.preflightIssues(items);
    const { results, plans, at } = await this.writeRun(options.caller, false, (writer, run) =>
      this.writeChunk(writer, run, items, issues, options.ifMatch),
    );
    return { asset: writtenAsset(plans[0], results[0], at), result: results[0] };
  }

  /** Writes many assets atomically; dependencies may name assets later in the same batch. */
  async batch(items: WriteItem[], caller: Caller): Promise<WriteResult[]> {
    const issues = await this.preflightIssues(items);
    const { results } = await this.writeRun(caller, false, (writer, run) => this.writeChunk(writer, run, items, issues));
    return results;
  }

  /**
   * Runs `work` in one transaction holding the graph write lock; once it commits, this
   * process's index takes its writes. An import first catches the index up under that
   * lock; a single chunk checks it with its read instead (see writeChunk).
   */
  private async writeRun<T>(caller: Caller, importing: boolean, work: (writer: AssetWriter, run: WriteRun) => Promise<T>): Promise<T> {
    // Start-up's snapshot is awaited before taking the lock, not while holding it.
    await this.graph.start();
    let run: WriteRun | undefined;
    const value = await this.uow.writeAssets(async (writer) => {
      if (importing) await this.catchUp(writer);
      // Each item is judged by the policy as it is planned, against what is stored under
      // the lock: the owner it has is the owner the write replaces.
      const authorize = (facts: AssetWriteFacts) => this.policy.writeAsset(caller.principal, facts);
      run = new WriteRun(actorOf(caller), authorize, importing, this.graph.index);
      return work(writer, run);
    });
    this.graph.applyCommitted(run!.committed);
    return value;
  }

  /**
   * Writes a stream of chunks in one transaction, in order: all or nothing. The next chunk
   * is read and validated while the current one is stored. A dependency may name an asset
   * anywhere in the stream; one that is not stored yet is linked at the end, and one that
   * never appears fails the import. Each chunk's webhook URLs are checked as it is read
   * (each host once per import), ahead of its turn in the pipeline.
   */
  async import(source: AsyncIterable<WriteItem[]>, caller: Caller): Promise<ImportResult> {
    const chunks = this.checkedChunks(source);
    const counts = { created: 0, updated: 0, unchanged: 0 };
    const warned: { ref: string; warnings: Warning[] }[] = [];
    let warningCount = 0;
    const note = (ref: string, warnings: Warning[]) => {
      warningCount += warnings.length;
      if (warnings.length > 0 && warned.length < IMPORT_WARNINGS_LISTED) warned.push({ ref, warnings });
    };
    const tally = (stored: Stored | null) => {
      for (const result of stored?.results ?? []) {
        counts[result.status]++;
        note(result.ref, result.warnings);
      }
    };
    let lines = 0;
    try {
      await this.writeRun(caller, true, async (writer, run) => {
        const iterator = chunks[Symbol.asyncIterator]();
        const ignore = () => {};
        const queued = <T>(promise: T | null) => {
          (promise as Promise<unknown> | null)?.catch(ignore); // awaited later, in order
          return promise;
        };
        // A pipeline. The connection runs read(0), read(1), write(0), read(2), write(1), …:
        // chunk k+1 is parsed and its read queued before chunk k is planned, and chunk k's
        // write is queued as soon as it is planned. The database works through chunk k-1's
        // write and chunk k+1's read while this process plans chunk k, so neither waits for
        // the other unless it is the slower. A read only fetches assets stored before the
        // import (the index names them), so it need not wait for the chunks before it.
        let step = await iterator.next();
        let loading = queued(step.done ? null : this.loadChunk(writer, run, step.value.items));
        let writing: Promise<Stored> | null = null;
        let written: Promise<Stored> | null = null;
        while (!step.done) {
          const { items, issues } = step.value;
          const following = await iterator.next();
          const nextLoading = queued(following.done ? null : this.loadChunk(writer, run, following.value.items));
          // Chunk k-2's write was queued ahead of chunk k's read, so it is done by now.
          const [loaded, stored] = await Promise.all([loading!, written]);
          tally(stored);
          const planned = planChunk(run, items, issues, loaded);
          [written, writing] = [writing, queued(this.storeChunk(writer, run, planned))];
          [loading, step] = [nextLoading, following];
          lines += items.length;
        }
        tally(await written);
        tally(await writing);
        for (const [ref, warnings] of await this.linkDeferred(writer, run)) note(ref, warnings);
      });
    } finally {
      // Committed or not, a large import leaves its garbage behind (see heap.ts).
      if (lines >= COLLECT_AFTER_ASSETS) collectGarbageSoon();
    }
    return { counts, warnings: { total: warningCount, items: warned } };
  }

  /** An import's chunks, each with the issues found before planning it. */
  private async *checkedChunks(chunks: AsyncIterable<WriteItem[]>): AsyncGenerator<{ items: WriteItem[]; issues: FieldIssue[] }> {
    const check = new NotifyUrlCheck(this.notifyUrls);
    for await (const items of chunks) yield { items, issues: await this.preflightIssues(items, check) };
  }

  /** Sends the read of a chunk (see chunkReads), queued on the connection at once. */
  private loadChunk(writer: AssetWriter, run: WriteRun, items: WriteItem[], since: number | null = null): Promise<ChunkRead> {
    const { stored, deprecated, idCount } = chunkReads(run, items);
    return writer.load(stored, deprecated, idCount, since);
  }

  /** Brings the index up to date through the write transaction, which holds the lock. */
  private async catchUp(writer: AssetWriter): Promise<void> {
    await this.graph.freshUnderLock(writer);
  }

  /** Stores a planned chunk; its log entries are consecutive, one per written asset. */
  private async storeChunk(writer: AssetWriter, run: WriteRun, chunk: PlannedChunk): Promise<Stored> {
    const { plans, writes, warnings, deferred, ids } = chunk;
    const { firstSeq, at } = await writer.write(writes, run.actor);
    const nodes = new Map<number, NodeState>();
    writes.forEach((w, i) => {
      const node: NodeState = {
        seq: firstSeq + i,
        id: w.id,
        kind: w.record.kind,
        name: w.record.name,
        owner: w.record.owner,
        deprecated: isDeprecated(w.record.lifecycle, w.deprecated),
        dependsOn: w.edges.map((e) => e.dependencyId),
      };
      nodes.set(w.id, node);
      run.committed.push(node);
    });
    for (const edge of deferred) {
      const dependentId = ids.get(edge.dependent)!;
      run.deferred.push({ ...edge, dependentId, node: nodes.get(dependentId)! });
    }
    const results = plans.map((plan): WriteResult => {
      const written = nodes.has(plan.id);
      const status = !plan.before ? 'created' : written ? 'updated' : 'unchanged';
      const revision = written ? (plan.before?.revision ?? 0) + 1 : plan.before!.revision;
      return { ref: plan.key, status, revision, warnings: warnings.get(plan.key) ?? [] };
    });
    return { results, at };
  }

  /** One chunk, read, planned and stored in turn: a PUT or a batch. */
  private async writeChunk(
    writer: AssetWriter,
    run: WriteRun,
    items: WriteItem[],
    issues: FieldIssue[],
    ifMatch?: number | '*',
  ): Promise<{ results: WriteResult[]; plans: Plan[]; at: string }> {
    // The index is usually current already (reads and the background catch-up keep it
    // so): the read also checks that the log has not moved past it. Only if it has is the
    // index caught up, under the lock, and the read made again. One round trip saved.
    let loaded = await this.loadChunk(writer, run, items, this.graph.stats().appliedSeq);
    if (loaded.behind) {
      await this.catchUp(writer);
      loaded = await this.loadChunk(writer, run, items);
    }
    const planned = planChunk(run, items, issues, loaded, ifMatch);
    return { ...(await this.storeChunk(writer, run, planned)), plans: planned.plans };
  }

  /**
   * The end of an import: links the dependencies that named assets written later in it,
   * after the same checks as any other (they must exist; a deprecated one warns, one past
   * its sunset refuses). Returns the warnings, by dependent.
   */
  private async linkDeferred(writer: AssetWriter, run: WriteRun): Promise<Map<string, Warning[]>> {
    if (run.deferred.length === 0) return new Map();
    // Neither stored before the import nor planned when their dependent was: by now
    // every chunk is planned.
    checkDeferred(run.deferred, run.planned);
    const found = new Map<string, ResolvedRef>();
    for (const d of run.deferred) {
      const retiring = run.retiring.get(d.edge.key);
      if (retiring) found.set(d.edge.key, retiring);
    }
    const warnings = deprecatedDependencyRules(
      run.deferred.filter((d) => found.has(d.edge.key)),
      new Map(),
      found,
    );
    const byDependent = new Map<number, { id: number; edges: EdgeWrite[] }>();
    for (const d of run.deferred) {
      const dependencyId = run.planned.get(d.edge.key)!;
      const entry = byDependent.get(d.dependentId) ?? { id: d.dependentId, edges: [] };
      entry.edges.push({ dependencyId, pinnedVersion: d.edge.pinnedVersion, importance: d.edge.importance, note: d.edge.note });
      byDependent.set(d.dependentId, entry);
      d.node.dependsOn.push(dependencyId);
    }
    await writer.link([...byDependent.values()]);
    return warnings;
  }
}
