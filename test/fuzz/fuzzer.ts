import fc from 'fast-check';
import { ADMIN_AUTH, startTestApp, type TestApp } from '../helpers/test-app.js';
import { Catalog } from './catalog.js';
import { graphqlOperations, graphqlRequests, introspect } from './graphql.js';
import { isRefusal, judge, type Verdict } from './oracle.js';
import type { FuzzRequest, FuzzResponse } from './request.js';
import { restOperations, restRequests } from './rest.js';
import { StoreWatch, type StoredChange } from './store-watch.js';

/** The catalog is put back every so many requests: valid deletions and deprecations wear it down. */
const RESEED_EVERY = 500;
/** Valid access checks sent alongside each fuzzed one: a bad check must not fail a good one. */
const CONTROLS = 2;
const CONTROL = { consumer: 'dash', asset: 'feature:ctr' };

export interface Failure {
  request: FuzzRequest;
  response: FuzzResponse;
  verdict: Verdict;
}

/** What a run sent and what came back, for the benchmark's figures. */
export interface Figures {
  requests: number;
  controls: number;
  byKind: Record<string, number>;
  /** Milliseconds spent waiting for answers, by kind of input. */
  msByKind: Record<string, number>;
  byStatus: Record<string, number>;
  /** Statuses by kind of input: `{nul: {400: 2000, 500: 12}}`. */
  byKindStatus: Record<string, Record<string, number>>;
  byTarget: Record<string, number>;
  /** Failures by class: how many, and the first of each. */
  failures: Record<string, { count: number; first: Failure }>;
  /** Failures by class, input kind, target and status: how many, and the first of each. */
  failureKinds: Record<string, { count: number; first: Failure }>;
  slowest: { ms: number; request: string }[];
  ms: number;
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text);

/** One line for a request: its kind, method, URL and what was done to it. */
const summary = (r: FuzzRequest) => `${r.kind}: ${r.method} ${cut(r.url, 120)} (${cut(r.what, 120)})`;

/** A failing request as a person reads it: what was sent, what came back, why it is wrong. */
export function describeFailure({ request, response, verdict }: Failure): string {
  const payload = request.payload === undefined ? '(none)' : cut(request.payload.toString(), 600);
  return [
    `${verdict.class}: ${verdict.reason}`,
    `  input: ${request.kind}, ${request.what} (${request.target})`,
    `  ${request.method} ${cut(request.url, 400)}`,
    `  headers: ${cut(JSON.stringify(request.headers), 300)}`,
    `  body: ${payload}`,
    `  -> ${response.status} ${cut(response.body, 600)}`,
  ].join('\n');
}

class FuzzFailure extends Error {}

/**
 * The real app on a database of its own, seeded, with a watch on its tables, and the
 * request generators made from its own OpenAPI document and GraphQL schema.
 */
export class Fuzzer {
  readonly figures: Figures = {
    requests: 0,
    controls: 0,
    byKind: {},
    msByKind: {},
    byStatus: {},
    byKindStatus: {},
    byTarget: {},
    failures: {},
    failureKinds: {},
    slowest: [],
    ms: 0,
  };
  /** Identities whose reads an accepted usage report or access check recorded (the buffer writes them later). */
  private readonly readers = new Set<string>([CONTROL.consumer]);
  private sent = 0;
  /** The request before this one, named when a refused request seems to have stored something. */
  private previous = '(none)';

  private constructor(
    readonly t: TestApp,
    readonly watch: StoreWatch,
    readonly catalog: Catalog,
    readonly requests: fc.Arbitrary<FuzzRequest>,
    readonly targets: string[],
  ) {}

  static async start(env: Record<string, string> = {}): Promise<Fuzzer> {
    // The failed-authentication limit would turn the bad tokens' 401s into 429s within a minute.
    const t = await startTestApp({ DEPCAT_WEBHOOK_BACKOFF_MS: '600000', DEPCAT_AUTH_FAILURE_LIMIT: '1000000', ...env });
    const watch = await StoreWatch.install(t.db.url);
    const catalog = new Catalog(t.app, t.container.config.bodyLimit);
    await catalog.seed();
    await watch.changes();
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const schema = await introspect(
      async (body) => (await t.app.inject({ method: 'POST', url: '/graphql', headers: ADMIN_AUTH, payload: body })).json(),
    );
    // What each route declared, by method and path as the document writes it (`{name}` for `:name`).
    const declared = new Map(t.app.declaredAccess().map((r) => [`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`, r.access]));
    const rest = restOperations(doc, (method, path) => {
      const access = declared.get(`${method} ${path}`);
      if (!access) throw new Error(`${method} ${path} is in /openapi.json but declares no access`);
      return access;
    });
    const graphql = graphqlOperations(schema);
    const requests = fc.oneof(
      { weight: 3, arbitrary: fc.oneof(...rest.map((op) => restRequests(op, catalog))) },
      { weight: 2, arbitrary: fc.oneof(...graphql.map((op) => graphqlRequests(op, catalog))) },
    );
    // fast-check prints a failing value; a request's own summary reads better than its 10,000 items.
    const readable = requests.map((r) =>
      Object.assign(r, { [fc.toStringMethod]: () => summary(r) }),
    );
    return new Fuzzer(t, watch, catalog, readable, [...rest.map((o) => o.target), ...graphql.map((o) => o.target)]);
  }

  async send(request: FuzzRequest): Promise<FuzzResponse> {
    const started = performance.now();
    const res = await this.t.app.inject({
      method: request.method,
      url: request.url,
      headers: request.headers,
      ...(request.payload === undefined ? {} : { payload: request.payload }),
    });
    return { status: res.statusCode, headers: res.headers, body: res.body, ms: performance.now() - started };
  }

  /** Sends one request and judges the answer and what it stored; null when all is right. */
  async check(request: FuzzRequest): Promise<Failure | null> {
    if (++this.sent % RESEED_EVERY === 0) {
      await this.catalog.seed();
      await this.watch.changes();
    }
    const access = request.target === 'POST /v1/access-check';
    const [response, ...controls] = await Promise.all([
      this.send(request),
      ...(access ? Array.from({ length: CONTROLS }, () => this.send(controlRequest())) : []),
    ]);
    this.count(request, response);
    if (access || request.target === 'POST /v1/usage' || request.target === 'mutation recordUsage')
      if (response.status === 200 || response.status === 403 || !isRefusal(request, response))
        for (const reader of request.readers ?? []) this.readers.add(reader).add(wellFormed(reader));
    // Read the changes whatever the verdict: the next request must start from a clean log.
    const changes = await this.watch.changes();
    const agreed = access ? await this.controlsAgree(controls) : null;
    const verdicts = [
      judge(request, response),
      this.storedOnRefusal(request, response, changes),
      isRefusal(request, response) ? null : this.storedByPrincipal(request, changes),
      agreed,
    ].filter((v): v is Verdict => v !== null);
    // A request that revoked a principal's token (or deleted consumer:app with it): made again at once.
    if (this.catalog.revoked(changes)) {
      await this.catalog.seed();
      await this.watch.changes();
    }
    this.previous = `${summary(request)} -> ${response.status} ${cut(response.body, 200)}`;
    if (verdicts.length === 0) {
      if (response.status === 200) this.catalog.harvest(request.target, safeJson(response.body));
      return null;
    }
    // Every wrong thing about the answer is counted; the first is the one reported.
    for (const verdict of verdicts) {
      const failure = { request, response, verdict };
      (this.figures.failures[verdict.class] ??= { count: 0, first: failure }).count++;
      const key = `${verdict.class} | ${request.kind} | ${request.target} | ${response.status}`;
      (this.figures.failureKinds[key] ??= { count: 0, first: failure }).count++;
    }
    return { request, response, verdict: verdicts[0] };
  }

  /**
   * A refused request must leave the store as it was. Others' changes meanwhile: reads the
   * buffer records later, and a consumer's first webhook secret, which the outbox worker
   * makes in the background at its first delivery (a request only ever rotates one, and a
   * rotation is never refused after writing).
   */
  private storedOnRefusal(request: FuzzRequest, response: FuzzResponse, changes: StoredChange[]): Verdict | null {
    if (changes.length === 0 || !isRefusal(request, response)) return null;
    const background = (c: StoredChange) =>
      (c.table === 'usage_reads' && this.readers.has(String(c.row?.identity))) ||
      (c.table === 'webhook_secrets' && c.op === 'INSERT' && c.row?.previous_secret === null);
    const unexplained = changes.filter((c) => !background(c));
    if (unexplained.length === 0) return null;
    const shown = unexplained.slice(0, 3).map((c) => `${c.op} ${c.table} ${cut(JSON.stringify(c.row), 200)}`);
    return {
      class: 'stored-on-refusal',
      reason: `a refused request changed ${unexplained.length} row(s): ${shown.join('; ')} (the request before it: ${this.previous})`,
    };
  }

  /**
   * What an accepted request stored, for whom it was made: the history names the token
   * (its actor) and X-Actor only as `onBehalfOf`; the stranger team's token changes no
   * asset and no token (it owns none); consumer:app's changes only consumer:app.
   */
  private storedByPrincipal(request: FuzzRequest, changes: StoredChange[]): Verdict | null {
    const who = request.expect.principal;
    const token = who ? this.catalog[who] : undefined;
    const actor = token?.name ?? 'admin';
    const onBehalfOf = request.headers['x-actor']?.trim() || null;
    const wrong = (reason: string): Verdict => ({ class: 'stored-for-another', reason });
    const own = new Set<number>();
    for (const c of changes)
      if (c.table === 'assets' && c.row?.kind === 'consumer' && c.row?.name === 'app') own.add(Number(c.row.id));
    for (const c of changes) {
      const row = c.row ?? {};
      // (A consumer's first webhook secret is the outbox worker's, made in the background.)
      if (c.table === 'webhook_secrets' && c.op === 'INSERT' && row.previous_secret === null) continue;
      if (c.table === 'asset_history' && c.op === 'INSERT') {
        if (row.actor !== actor) return wrong(`the history's actor is ${JSON.stringify(row.actor)}, not the token's name ${JSON.stringify(actor)}`);
        if ((row.on_behalf_of ?? null) !== onBehalfOf)
          return wrong(`the history's onBehalfOf is ${JSON.stringify(row.on_behalf_of)}, not X-Actor's ${JSON.stringify(onBehalfOf)}`);
      }
      if (who === 'team' && ['assets', 'asset_history', 'dependencies', 'tokens', 'webhook_secrets'].includes(c.table))
        return wrong(`the stranger team's token changed ${c.table}: ${c.op} ${cut(JSON.stringify(row), 200)}`);
      if (who !== 'consumer') continue;
      const itself =
        c.table === 'assets' || c.table === 'asset_history'
          ? row.kind === 'consumer' && row.name === 'app'
          : c.table === 'dependencies'
            ? own.has(Number(row.dependent_id))
            : !['tokens', 'webhook_secrets'].includes(c.table);
      if (!itself) return wrong(`consumer:app's token changed another's ${c.table}: ${c.op} ${cut(JSON.stringify(row), 200)}`);
    }
    return null;
  }

  /** The valid checks sent alongside must answer as the same check sent alone. */
  private async controlsAgree(controls: FuzzResponse[]): Promise<Verdict | null> {
    this.figures.controls += controls.length + 1;
    const alone = await this.send(controlRequest());
    const summary = (r: FuzzResponse) => `${r.status} ${JSON.stringify((safeJson(r.body) as { allowed?: unknown })?.allowed)}`;
    const odd = controls.find((c) => summary(c) !== summary(alone));
    return odd
      ? { class: 'control-affected', reason: `a valid access check sent alongside answered ${cut(odd.body, 200)} (alone: ${cut(alone.body, 200)})` }
      : null;
  }

  private count(request: FuzzRequest, response: FuzzResponse): void {
    this.figures.requests++;
    bump(this.figures.byKind, request.kind);
    this.figures.msByKind[request.kind] = (this.figures.msByKind[request.kind] ?? 0) + response.ms;
    bump(this.figures.byStatus, String(response.status));
    bump((this.figures.byKindStatus[request.kind] ??= {}), String(response.status));
    bump(this.figures.byTarget, request.target);
    const slowest = this.figures.slowest;
    if (slowest.length < 5 || response.ms > slowest[slowest.length - 1].ms) {
      slowest.push({ ms: Math.round(response.ms), request: summary(request) });
      slowest.sort((a, b) => b.ms - a.ms);
      slowest.length = Math.min(slowest.length, 5);
    }
  }

  /**
   * Sends `runs` generated requests. By default the first wrong answer fails the run
   * (fast-check then shrinks it and reports the seed); `survey` goes on and only counts.
   */
  async run(options: { runs: number; seed: number; survey?: boolean; onProgress?: (f: Figures) => void }): Promise<Figures> {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(this.requests, async (request) => {
        const failure = await this.check(request);
        if (options.onProgress && this.figures.requests % 1000 === 0) options.onProgress(this.figures);
        if (failure && !options.survey)
          throw new FuzzFailure(`${describeFailure(failure)}\n  (seed ${options.seed}; DEPCAT_FUZZ_SEED=${options.seed} sends the same requests again)`);
      }),
      { numRuns: options.runs, seed: options.seed, endOnFailure: options.survey ?? false },
    );
    this.figures.ms += performance.now() - started;
    return this.figures;
  }

  async close(): Promise<void> {
    await this.watch.close();
    await this.t.close();
  }
}

function controlRequest(): FuzzRequest {
  return {
    kind: 'valid',
    api: 'rest',
    target: 'POST /v1/access-check',
    what: 'a control',
    method: 'POST',
    url: '/v1/access-check',
    headers: { 'content-type': 'application/json', ...ADMIN_AUTH },
    payload: JSON.stringify(CONTROL),
    write: false,
    access: 'service',
    expect: {},
  };
}

/** The text as stored: lone surrogates become U+FFFD on the way to the database. */
const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
