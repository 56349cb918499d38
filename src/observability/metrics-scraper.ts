import type { PoolStats } from '../db/database.js';
import type { BacklogState, Metrics, StateSample } from './metrics.js';

/** Where a scrape reads the state it reports: each read bounded, none a scan of the graph. */
export interface ScrapeSources {
  /** This process's closure index: its size, whether it has loaded, and where in the log it stands. */
  graph: { readonly isLoaded: boolean; stats(): { assets: number; appliedSeq: number } };
  /** The change log after `seq`: two index probes (the head, and the first entry after `seq`). */
  changeLog: { lag(seq: number): Promise<{ entries: number; seconds: number }> };
  /** The pool's counters, in memory. */
  pool(): PoolStats;
  /** One grouped count of the outbox rows not delivered. */
  outbox: { backlog(): Promise<Record<BacklogState, number>> };
}

export interface ScrapeLog {
  warn(object: object, message: string): void;
}

/**
 * Answers `/metrics`: reads the state once per scrape (concurrent scrapes share one read,
 * so two statements per scrape at most, however many scrapers there are) and renders the
 * registry. Nothing is sampled between scrapes.
 */
export class MetricsScraper {
  private reading: Promise<StateSample> | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly sources: ScrapeSources,
    private readonly log: ScrapeLog,
  ) {}

  get contentType(): string {
    return this.metrics.contentType;
  }

  async scrape(): Promise<string> {
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    return this.metrics.render(await this.reading);
  }

  private async read(): Promise<StateSample> {
    const { graph, changeLog, outbox } = this.sources;
    const { assets, appliedSeq } = graph.stats();
    const loaded = graph.isLoaded;
    // A scrape during an outage still answers, with what is in memory.
    const unreadable = (what: string) => (error: unknown) => {
      this.log.warn({ err: error }, `metrics: could not read ${what}`);
      return undefined;
    };
    const [lag, backlog] = await Promise.all([
      loaded ? changeLog.lag(appliedSeq).catch(unreadable('the change log')) : undefined,
      outbox.backlog().catch(unreadable('the outbox backlog')),
    ]);
    return { graph: { assets, loaded, lag }, pool: this.sources.pool(), outbox: backlog };
  }
}
