import type { FastifyInstance } from 'fastify';
import { isTokenSecret } from '../../src/domain/token-secret.js';
import { ADMIN_AUTH } from '../helpers/test-app.js';
import type { Json } from './request.js';

export const KINDS = ['source', 'feature', 'model', 'consumer'] as const;
export type Kind = (typeof KINDS)[number];

/** A valid name of exactly `length` characters (the pattern allows 200). */
export const longName = (stem: string, length: number): string => (stem + '_').padEnd(length, 'x');

/** The team of the fuzzer's team token: it owns none of the seed's assets (nor any the fuzzer names). */
export const STRANGER_TEAM = 'team-none';

/** A token the fuzzer sends for another principal than the admin, made at seeding. */
export interface PrincipalToken {
  id: number;
  name: string;
  secret: string;
}

/** Where consumers' webhooks point: a closed port on this machine, so a delivery fails at once and goes nowhere. */
export const WEBHOOK = 'http://127.0.0.1:9/hook';

/**
 * The seed: every kind, dependencies with and without annotations, names of 101–200
 * characters, a deprecated model still in use, consumers with webhooks and an API key,
 * and an undeclared reader, so that every route has valid paths to answer.
 */
const SEED: Record<string, Json>[] = [
  { ref: 'source:raw', owner: 'team-data', stability: 'stable', tags: ['core'], description: 'raw click log' },
  { ref: 'source:events', owner: 'team-data', stability: 'volatile', metadata: { retention: '30d', pii: false } },
  { ref: `source:${longName('archive', 150)}`, owner: 'team-data' },
  { ref: 'feature:ctr', owner: 'team-feat', valueType: 'ratio', dependsOn: ['source:raw'], tags: ['core', 'ads'] },
  {
    ref: 'feature:clicks',
    owner: 'team-feat',
    valueType: 'count',
    dependsOn: [{ ref: 'source:events', pinnedVersion: 'v3', importance: 0.4, note: 'daily' }],
  },
  { ref: `feature:${longName('history', 101)}`, owner: 'team-feat', dependsOn: [`source:${longName('archive', 150)}`] },
  {
    ref: 'model:ranker',
    owner: 'team-ml',
    valueType: 'probability',
    platforms: ['online'],
    domains: ['ads'],
    dependsOn: ['feature:ctr', { ref: 'feature:clicks', importance: 0.0001 }],
  },
  { ref: 'model:legacy', owner: 'team-ml', dependsOn: ['feature:ctr'], description: 'old ranker 100%_done' },
  { ref: `model:${longName('calibrated', 200)}`, owner: 'team-ml', dependsOn: ['model:ranker'], lifecycle: 'experimental' },
  {
    ref: 'consumer:app',
    owner: 'team-app',
    contact: 'app@example.com',
    sla: { maxStalenessHours: 24, notify: WEBHOOK },
    dependsOn: ['model:ranker', 'model:legacy'],
  },
  { ref: 'consumer:dash', owner: 'team-bi', contact: 'bi@example.com', dependsOn: ['feature:ctr'] },
  { ref: `consumer:${longName('reporting', 120)}`, owner: 'team-bi', contact: 'r@example.com', dependsOn: [`model:${longName('calibrated', 200)}`] },
];

/**
 * The names the fuzzer uses, by kind: the seed's (they exist), plus a few fresh ones
 * (a valid PUT creates them). Drawing from a fixed set keeps the catalog small however
 * long the run.
 */
const NAMES: Record<Kind, string[]> = { source: [], feature: [], model: [], consumer: [] };
for (const asset of SEED) {
  const [kind, name] = String(asset.ref).split(':') as [Kind, string];
  NAMES[kind].push(name);
}
for (const kind of KINDS) NAMES[kind].push(`fresh_${kind}`, longName(`fresh_${kind}`, 180));

/**
 * The seeded catalog and what the run learns as it goes (cursors the API issued, key ids
 * and secrets), which the generators draw valid values from.
 */
export class Catalog {
  readonly names = NAMES;
  /** Every ref the fuzzer names: those of the seed and fresh ones. */
  readonly refs = KINDS.flatMap((kind) => NAMES[kind].map((name) => `${kind}:${name}`));
  /** The seed's refs: they exist (but for a valid deletion since the last reseed). */
  readonly existing = SEED.map((asset) => String(asset.ref));
  /** Existing refs that may be depended on: nothing depends on a consumer. */
  readonly dependable = this.existing.filter((ref) => !ref.startsWith('consumer:'));
  readonly owners = ['team-data', 'team-feat', 'team-ml', 'team-app', 'team-bi', 'team-new'];
  readonly tags = ['core', 'ads', 'nightly'];
  /** Identities that read (consumer names, refs, a stranger); the API key's secret joins them once issued. */
  readonly identities = ['app', 'consumer:app', 'dash', 'consumer:dash', 'stranger', 'svc-batch'];
  /** Ids of keys a valid revocation may revoke: the disposable key's (never a principal's below). */
  readonly keyIds: number[] = [];
  /** A team token for STRANGER_TEAM (read, write, ingest). */
  team?: PrincipalToken;
  /** consumer:app's own token, from its keys route (read, write, ingest). */
  consumer?: PrincipalToken;
  private made = 0;
  /** Cursors each target issued, by target: valid `cursor`/`after` values. */
  readonly cursors = new Map<string, string[]>();

  constructor(
    private readonly app: FastifyInstance,
    /** The app's body limit: a body one byte over it must be a 413. */
    readonly bodyLimit: number,
  ) {}

  /** Registers (or restores) the seed: the assets, the deprecation, a key and an undeclared reader. */
  async seed(): Promise<void> {
    const batch = await this.app.inject({ method: 'POST', url: '/v1/batch', headers: ADMIN_AUTH, payload: { assets: SEED } });
    if (batch.statusCode !== 200) {
      // A deprecation is undone by reinstating, never by a batch: undo the run's, then retry.
      // (Through GraphQL, which takes a ref of any length in its arguments.)
      for (const asset of SEED) {
        const lifecycle = asset.lifecycle === 'experimental' ? 'experimental' : 'production';
        await this.app.inject({
          method: 'POST',
          url: '/graphql',
          headers: ADMIN_AUTH,
          payload: {
            query: 'mutation($ref: String!, $l: Lifecycle) { reinstateAsset(ref: $ref, lifecycle: $l) { ref } }',
            variables: { ref: asset.ref, l: lifecycle },
          },
        });
      }
      await this.send('POST', '/v1/batch', { assets: SEED });
    }
    await this.send('POST', '/v1/assets/model/legacy/deprecate', {
      reason: 'replaced by the ranker',
      replacedBy: 'model:ranker',
      sunsetAt: '2099-12-31',
    });
    await this.send('POST', '/v1/usage', { events: [{ consumer: 'stranger', asset: 'source:raw', count: 3 }] });
    if (this.keyIds.length === 0) {
      // A key for valid revocations to revoke (first, so that no principal's token has its id).
      const key = (await this.send('POST', '/v1/assets/consumer/app/keys')) as { id: number };
      this.keyIds.push(key.id);
    }
    // The other principals' tokens, made again when a request revoked one (see revoked()).
    if (!this.team) {
      const name = `fuzz-team-${++this.made}`;
      const token = (await this.send('POST', '/v1/tokens', {
        name,
        team: STRANGER_TEAM,
        scopes: ['read', 'write', 'ingest'],
        expiresAt: null,
      })) as { id: number; secret: string };
      this.team = { id: token.id, name, secret: token.secret };
    }
    if (!this.consumer) {
      const key = (await this.send('POST', '/v1/assets/consumer/app/keys')) as { id: number; secret: string; prefix: string };
      this.consumer = { id: key.id, name: `consumer:app/${key.prefix}`, secret: key.secret };
      // Its secret is an identity a careless client puts in a body (the access check refuses it there).
      for (let i = this.identities.length - 1; i >= 0; i--) if (isTokenSecret(this.identities[i])) this.identities.splice(i, 1);
      this.identities.push(key.secret);
    }
  }

  /** The secret of consumer:app's token, if it has one. */
  get keySecret(): string | undefined {
    return this.consumer?.secret;
  }

  /**
   * Forgets the principals' tokens a change revoked or deleted (a valid revocation, or
   * the deletion of consumer:app); true when the next seeding must make them again.
   */
  revoked(changes: readonly { table: string; op: string; row: Record<string, unknown> | null }[]): boolean {
    let gone = false;
    for (const change of changes) {
      if (change.table !== 'tokens' || !(change.op === 'DELETE' || change.row?.revoked_at != null)) continue;
      const id = Number(change.row?.id);
      if (this.team?.id === id) [this.team, gone] = [undefined, true];
      if (this.consumer?.id === id) [this.consumer, gone] = [undefined, true];
    }
    return gone;
  }

  /** Keeps the cursors an answer carries, as valid values for later requests of that target. */
  harvest(target: string, body: unknown): void {
    const found: string[] = [];
    const walk = (node: unknown) => {
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'nextCursor' || key === 'endCursor' || key === 'cursor') && typeof value === 'string') found.push(value);
        else walk(value);
      }
    };
    walk(body);
    if (found.length === 0) return;
    const list = this.cursors.get(target) ?? [];
    for (const cursor of found) if (!list.includes(cursor)) list.push(cursor);
    this.cursors.set(target, list.slice(-20));
  }

  private async send(method: 'POST', url: string, body?: Json): Promise<unknown> {
    const res = await this.app.inject({ method, url, headers: ADMIN_AUTH, ...(body === undefined ? {} : { payload: body as object }) });
    if (res.statusCode >= 300 && !(res.statusCode === 409 && url.endsWith('/deprecate')))
      throw new Error(`seeding ${method} ${url} failed: ${res.statusCode} ${res.body.slice(0, 500)}`);
    return res.json();
  }
}

/**
 * Makes an asset body fit its kind (the rules a PUT's path kind brings): consumers have a
 * contact, only consumers have a contact or an SLA, only features and models a value type,
 * only sources a stability.
 */
export function fitToKind(body: Json, kind: string, self?: string): Json {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const fitted: Record<string, Json> = { ...body };
  if (kind === 'consumer') {
    if (typeof fitted.contact !== 'string' || fitted.contact.length === 0) fitted.contact = 'team@example.com';
  } else {
    delete fitted.contact;
    delete fitted.sla;
  }
  if (kind === 'source' || kind === 'consumer') delete fitted.valueType;
  if (kind !== 'source') delete fitted.stability;
  if (Array.isArray(fitted.dependsOn)) {
    // A dependency listed twice, or on the asset itself, is refused: keep the first of each other ref.
    const seen = new Set<string>();
    fitted.dependsOn = fitted.dependsOn.filter((d) => {
      const ref = typeof d === 'string' ? d : d !== null && typeof d === 'object' && !Array.isArray(d) ? String(d.ref) : '';
      if (seen.has(ref) || ref === self) return false;
      seen.add(ref);
      return true;
    });
  }
  return fitted;
}

/** The items of a batch, each fitted to its ref's kind, each ref once (a ref listed twice is refused). */
export function fitItems(items: Json[]): Json[] {
  const seen = new Set<string>();
  return items.flatMap((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item) || typeof item.ref !== 'string') return [item];
    if (seen.has(item.ref)) return [];
    seen.add(item.ref);
    return [fitToKind(item, item.ref.split(':')[0], item.ref)];
  });
}
