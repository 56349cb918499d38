import type { FieldIssue } from '../../domain/errors.js';
import { webhookHost } from '../../domain/webhook-address.js';
import { fieldOf, type WriteItem } from './write-item.js';

/** What a registration asks of the address check (WebhookAddresses). */
export interface NotifyUrlGuard {
  /** Why a webhook URL is refused, or null. */
  registrationRefusal(url: string): Promise<string | null>;
}

/** Hosts looked up at once: DNS answers in parallel, but a batch of thousands should not flood it. */
const LOOKUPS_AT_ONCE = 16;

/**
 * The `sla.notify` check of one write (a PUT, a batch, or every chunk of one import):
 * each host is judged once per write, whatever number of items name it, and the verdict
 * depends on the host alone, so it is kept by host.
 */
export class NotifyUrlCheck {
  private readonly verdicts = new Map<string, Promise<string | null>>();

  constructor(private readonly guard: NotifyUrlGuard) {}

  /** An issue for each item whose `sla.notify` the guard refuses, named as the item's other fields are. */
  async issues(items: readonly WriteItem[]): Promise<FieldIssue[]> {
    const named = items.flatMap((item) => (item.body.sla?.notify ? [{ item, url: item.body.sla.notify }] : []));
    if (named.length === 0) return [];
    const hostOf = (url: string) => webhookHost(url).hostname;
    const pending = [...new Set(named.map(({ url }) => hostOf(url)))].filter((host) => !this.verdicts.has(host));
    // The first URL of each host stands for the host; at most LOOKUPS_AT_ONCE in flight.
    const urls = new Map(named.map(({ url }) => [hostOf(url), url] as const));
    let next = 0;
    const work = async () => {
      while (next < pending.length) {
        const host = pending[next++];
        const verdict = this.guard.registrationRefusal(urls.get(host)!);
        this.verdicts.set(host, verdict);
        await verdict;
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, pending.length) }, work));
    const issues: FieldIssue[] = [];
    for (const { item, url } of named) {
      const refusal = await this.verdicts.get(hostOf(url))!;
      if (refusal) issues.push({ in: 'body', field: fieldOf(item, 'sla.notify'), message: refusal });
    }
    return issues;
  }
}
