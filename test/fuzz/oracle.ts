import type { FuzzRequest, FuzzResponse, ListFilter, Location } from './request.js';

/** Why an answer is wrong, in a short class name (for the figures) and a sentence. */
export interface Verdict {
  class: string;
  reason: string;
}

/** Text that only a stack trace, the ORM or the database would put in a message. */
const LEAK = new RegExp(
  [
    'node_modules',
    String.raw`\bat [\w.<>]+ \(`,
    String.raw`\.(?:ts|js):\d+:\d+`,
    'prisma',
    'invocation',
    'violates .* constraint',
    'duplicate key value',
    'syntax error at or near',
    'invalid byte sequence',
    'unsupported Unicode escape',
    String.raw`\bSQLSTATE\b`,
    String.raw`\bpg_\w+`,
  ].join('|'),
  'i',
);

const FIELD_LOCATIONS = new Set<Location>(['body', 'query', 'params', 'headers']);

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `a` names `b`, a field inside it, or the field holding it. */
export function related(a: string, b: string): boolean {
  const inside = (outer: string, inner: string) =>
    inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
  const lower = (s: string) => s.toLowerCase();
  return inside(lower(a), lower(b)) || inside(lower(b), lower(a));
}

interface Issue {
  in?: unknown;
  field?: unknown;
  message?: unknown;
}

/**
 * The REST error body: `{error: {code, message, details?}}` and nothing else (but the
 * request id issue 18 puts in error bodies, as `requestId`, beside the error or in it).
 */
function restErrorShape(body: unknown): string | null {
  if (!isRecord(body)) return 'the body is not a JSON object';
  const keys = Object.keys(body).filter((k) => k !== 'requestId');
  if (keys.length !== 1 || keys[0] !== 'error') return `the body's keys are ${JSON.stringify(keys)}, not ["error"]`;
  const error = body.error;
  if (!isRecord(error)) return 'error is not an object';
  if (typeof error.code !== 'string' || error.code === '') return 'error.code is not a non-empty string';
  if (typeof error.message !== 'string' || error.message === '') return 'error.message is not a non-empty string';
  const extra = Object.keys(error).filter((k) => !['code', 'message', 'details', 'requestId'].includes(k));
  if (extra.length > 0) return `error has unexpected keys ${JSON.stringify(extra)}`;
  return null;
}

/** Every GraphQL error carries a message and `extensions.code`. */
function graphqlErrorsShape(errors: unknown): string | null {
  if (!Array.isArray(errors) || errors.length === 0) return 'errors is not a non-empty array';
  for (const error of errors) {
    if (!isRecord(error) || typeof error.message !== 'string') return 'an error has no message';
    if (!isRecord(error.extensions) || typeof error.extensions.code !== 'string' || error.extensions.code === '')
      return `an error has no extensions.code: ${JSON.stringify(error).slice(0, 300)}`;
  }
  return null;
}

/** The field-level issues of a refusal, wherever the adapter put them. */
function issuesOf(request: FuzzRequest, body: unknown): Issue[] | null {
  if (request.api === 'graphql' && isRecord(body) && Array.isArray(body.errors)) {
    const issues = body.errors.flatMap((e) =>
      isRecord(e) && isRecord(e.extensions) && Array.isArray(e.extensions.issues) ? (e.extensions.issues as Issue[]) : [],
    );
    return issues.length > 0 ? issues : null;
  }
  if (isRecord(body) && isRecord(body.error) && Array.isArray(body.error.details)) return body.error.details as Issue[];
  return null;
}

function messagesOf(body: unknown): string {
  if (!isRecord(body)) return '';
  if (isRecord(body.error)) return `${body.error.message} ${JSON.stringify(body.error.details ?? '')}`;
  if (Array.isArray(body.errors)) return body.errors.map((e) => (isRecord(e) ? `${e.message} ${JSON.stringify(e.extensions ?? {})}` : '')).join(' ');
  return '';
}

/**
 * Whether the answer refused the request: a 4xx, or a GraphQL answer whose every top-level
 * field is null (the operation did nothing).
 */
export function isRefusal(request: FuzzRequest, response: FuzzResponse): boolean {
  if (response.status >= 400) return true;
  if (request.api !== 'graphql') return false;
  const body = parse(response.body);
  if (!isRecord(body) || !Array.isArray(body.errors) || body.errors.length === 0) return false;
  return !isRecord(body.data) || Object.values(body.data).every((v) => v === null);
}

/** The assets a list answer shows: REST `items`, GraphQL `assets.edges[].node`. */
function listItems(request: FuzzRequest, body: unknown): Record<string, unknown>[] {
  if (!isRecord(body)) return [];
  if (request.api === 'rest') return Array.isArray(body.items) ? body.items.filter(isRecord) : [];
  const assets = isRecord(body.data) ? body.data.assets : undefined;
  if (!isRecord(assets) || !Array.isArray(assets.edges)) return [];
  return assets.edges.flatMap((e) => (isRecord(e) && isRecord(e.node) ? [e.node] : []));
}

/**
 * The asset list's filters: `q` a case-insensitive substring of the name or description,
 * `kind` one kind or several, comma-separated (`kind=feature,model`), the others exact.
 */
function matches(item: Record<string, unknown>, filter: ListFilter): boolean {
  const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '');
  if (filter.q !== undefined && !lower(item.name).includes(filter.q.toLowerCase()) && !lower(item.description).includes(filter.q.toLowerCase()))
    return false;
  if (filter.owner !== undefined && 'owner' in item && item.owner !== filter.owner) return false;
  if (filter.tag !== undefined && Array.isArray(item.tags) && !item.tags.includes(filter.tag)) return false;
  if (filter.kind !== undefined && 'kind' in item && !filter.kind.split(',').map((k) => k.trim()).includes(String(item.kind))) return false;
  if (filter.lifecycle !== undefined && 'lifecycle' in item && item.lifecycle !== filter.lifecycle) return false;
  return true;
}

/** The codes of a GraphQL answer's errors. */
function graphqlCodes(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.errors)) return [];
  return body.errors.flatMap((e) => (isRecord(e) && isRecord(e.extensions) && typeof e.extensions.code === 'string' ? [e.extensions.code] : []));
}

/** The targets where any token with `ingest` may report reads (a consumer's, its own only). */
const USAGE_TARGETS = new Set(['POST /v1/usage', 'mutation recordUsage']);

/**
 * Who may ask: a 401 carries `WWW-Authenticate`, a 403 names its rule, a 429 is the failed
 * authentications' limit; a token that authenticates no one is a 401 before anything else
 * is read (but on public routes, which never look at it, and answers the router gives
 * before any route is found: 404, 414); no token is a 401 on write routes; the stranger
 * team's token changes nothing but usage (see fuzzer.ts for what a consumer's may change).
 */
function judgeAuthentication(request: FuzzRequest, response: FuzzResponse, body: unknown, refused: boolean): Verdict | null {
  const { status } = response;
  const { expect } = request;
  const graphql = request.api === 'graphql';
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  // On /graphql an authentication refusal comes in GraphQL's shape (its status kept):
  // UNAUTHENTICATED for a 401, RATE_LIMITED for a 429.
  const code = graphql ? graphqlCodes(body)[0] : error?.code;
  if (status === 401) {
    const expected = graphql ? 'UNAUTHENTICATED' : 'UNAUTHORIZED';
    if (code !== expected) return { class: 'auth-shape', reason: `a 401 with code ${String(code)}, not ${expected}` };
    if (!/^Bearer realm="depcat"/.test(String(response.headers['www-authenticate'] ?? '')))
      return { class: 'auth-shape', reason: `a 401 without WWW-Authenticate: Bearer (${String(response.headers['www-authenticate'])})` };
  }
  if (status === 403 && !graphql && (error?.code !== 'FORBIDDEN' || !isRecord(error.details) || typeof error.details.rule !== 'string'))
    return { class: 'auth-shape', reason: `a 403 that names no rule: ${JSON.stringify(error).slice(0, 300)}` };
  if (status === 429 && code !== 'RATE_LIMITED') return { class: 'auth-shape', reason: `a 429 with code ${String(code)}` };
  if (graphql && isRecord(body) && Array.isArray(body.errors)) {
    const forbidden = body.errors.find(
      (e) => isRecord(e) && isRecord(e.extensions) && e.extensions.code === 'FORBIDDEN' && !(isRecord(e.extensions.details) && typeof e.extensions.details.rule === 'string'),
    );
    if (forbidden) return { class: 'auth-shape', reason: `a FORBIDDEN error that names no rule: ${JSON.stringify(forbidden).slice(0, 300)}` };
  }
  const authRefusal = status === 401 || status === 429;
  if (request.access === 'public') {
    if (authRefusal) return { class: 'public-refused', reason: `a public route answered ${status}: it never looks at Authorization` };
    return null;
  }
  // The router's answers, before any route (so any token) is looked at: no route (404), a
  // path too long (414), a path that is not percent-encoded UTF-8 (400 naming params.path).
  const badPath = issuesOf(request, body)?.some((i) => i.in === 'params' && i.field === 'path') === true;
  const beforeRoute = status === 404 || status === 414 || (status === 400 && badPath);
  const unauthenticated = expect.token === 'invalid' || (expect.token === 'missing' && request.access === 'write');
  if (unauthenticated && !authRefusal && !beforeRoute)
    return { class: 'not-401', reason: `${expect.token === 'missing' ? 'no token' : 'a token that authenticates no one'} answered ${status}, not 401` };
  if (expect.token === 'missing' && graphql && request.write && !unauthenticated) {
    if (!refused) return { class: 'accepted-anonymous', reason: `a mutation without a token was accepted (${status})` };
    if (expect.onlyToken && status === 200 && !graphqlCodes(body).includes('UNAUTHENTICATED'))
      return { class: 'not-401', reason: `a mutation without a token refused with ${JSON.stringify(graphqlCodes(body))}, not UNAUTHENTICATED` };
  }
  if (expect.principal === 'team' && (request.access === 'write' || (graphql && request.write)) && !USAGE_TARGETS.has(request.target)) {
    if (!refused) return { class: 'accepted-forbidden', reason: `the stranger team's token was allowed a write (${status})` };
    // Otherwise valid: refused for the token (403 naming its rule), or as the admin's would be
    // in the store's present state, which the rules judge first and a team may read: an asset
    // deprecated or gone, a stale If-Match, a body the domain refuses. Never a 401 or a 429.
    const forToken = graphql
      ? graphqlCodes(body).some((c) => ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PRECONDITION_FAILED', 'BAD_USER_INPUT'].includes(c))
      : [403, 400, 404, 409, 412].includes(status);
    if (expect.onlyToken && !forToken)
      return { class: 'not-403', reason: `the stranger team's write was refused with ${status} ${graphql ? JSON.stringify(graphqlCodes(body)) : String(error?.code)}, not 403` };
  }
  return null;
}

/** Judges one answer; null when it is right. */
export function judge(request: FuzzRequest, response: FuzzResponse): Verdict | null {
  const { status } = response;
  const body = parse(response.body);
  const graphql = request.api === 'graphql';

  if (status >= 500) return { class: `${status}`, reason: `answered ${status}` };
  if (status === 204) {
    if (response.body !== '') return { class: 'body-on-204', reason: 'a 204 with a body' };
  } else if (body === undefined && (status >= 300 || graphql)) {
    // (A success may be another format: Prometheus text, say.)
    return { class: 'not-json', reason: `answered ${status} with a body that is not JSON` };
  }

  if (status >= 300) {
    const rest = restErrorShape(body);
    // GraphQL's own refusal: errors (with codes), and no data.
    const gql =
      graphql && isRecord(body) && Object.keys(body).every((k) => ['errors', 'data', 'extensions'].includes(k)) && (body.data ?? null) === null
        ? graphqlErrorsShape(body.errors)
        : 'not GraphQL';
    if (rest !== null && (!graphql || gql !== null))
      return {
        class: graphql ? 'graphql-error-shape' : 'error-shape',
        reason: `a ${status} not in the error shape: ${graphql && gql !== 'not GraphQL' ? gql : rest}`,
      };
  }
  if (graphql && status < 300 && status !== 204) {
    if (!isRecord(body)) return { class: 'graphql-shape', reason: 'the answer is not a JSON object' };
    if (body.errors !== undefined) {
      const wrong = graphqlErrorsShape(body.errors);
      if (wrong) return { class: 'graphql-error-code', reason: wrong };
      const internal = (body.errors as { extensions: { code: string } }[]).find((e) => e.extensions.code === 'INTERNAL_SERVER_ERROR');
      if (internal) return { class: 'graphql-internal', reason: `an error with code INTERNAL_SERVER_ERROR: ${JSON.stringify(internal).slice(0, 300)}` };
    } else if (!isRecord(body.data)) {
      return { class: 'graphql-shape', reason: 'neither data nor errors' };
    }
  }

  const text = messagesOf(body);
  const leak = LEAK.exec(text);
  if (leak) return { class: 'leak', reason: `the error text shows internals ("${leak[0]}")` };

  const refused = isRefusal(request, response);
  const code = isRecord(body) && isRecord(body.error) ? body.error.code : undefined;
  const auth = judgeAuthentication(request, response, body, refused);
  if (auth) return auth;
  const issues = issuesOf(request, body);
  const invalidInput =
    (status === 400 && code === 'INVALID_INPUT') ||
    (graphql &&
      isRecord(body) &&
      Array.isArray(body.errors) &&
      body.errors.some((e) => isRecord(e) && isRecord(e.extensions) && e.extensions.code === 'BAD_USER_INPUT'));

  if (status === 400 && code === 'INVALID_INPUT') {
    if (!issues || issues.length === 0) return { class: 'no-details', reason: 'a 400 INVALID_INPUT without details' };
    const bad = issues.find((i) => !FIELD_LOCATIONS.has(i.in as Location) || typeof i.field !== 'string' || typeof i.message !== 'string');
    if (bad) return { class: 'details-shape', reason: `a detail is not {in, field, message}: ${JSON.stringify(bad)}` };
  }

  const { expect } = request;
  if (expect.reject && !refused) return { class: 'accepted-bad-input', reason: `accepted input that must be refused (${status})` };
  if (expect.valid) {
    if (status === 414 || status === 415) return { class: `valid-${status}`, reason: `refused valid input with ${status}` };
    // Refused for what it is (a rule about names or lengths), not for what it names (one that does not exist).
    const wrongly = issues?.find(
      (i) =>
        typeof i.field === 'string' &&
        related(i.field, expect.field?.field ?? '\u0000') &&
        /must|at most|characters|pattern|invalid/i.test(String(i.message)),
    );
    if (wrongly) return { class: 'valid-input-refused', reason: `refused a valid ${expect.field!.field}: ${JSON.stringify(wrongly)}` };
  }
  if (!expect.valid && expect.field && invalidInput) {
    const want = expect.field;
    // A value replacing the whole body or query is named by any issue there.
    const root = want.field === want.in;
    // The nested `first`s take the variable `$nf`: a value of the wrong type is named by the
    // variable (GraphQL's type check), one out of range by the argument (the page-size rule).
    const names = graphql && related('first', want.field) ? [want.field, `nf${want.field.slice('first'.length)}`] : [want.field];
    const named = issues?.some(
      (i) =>
        typeof i.field === 'string' &&
        (((graphql || i.in === want.in) && (root || names.some((name) => related(i.field as string, name)))) ||
          (want.loose === true && !FIELD_LOCATIONS.has(i.field as Location))),
    );
    if (!named)
      return {
        class: 'field-not-named',
        reason: `a refusal that does not name ${want.in}.${want.field}: ${JSON.stringify(issues ?? body).slice(0, 300)}`,
      };
  }
  if (expect.range && invalidInput) {
    const issue = issues?.find((i) => typeof i.field === 'string' && related(i.field, expect.range!));
    if (issue && typeof issue.message === 'string' && !/\d/.test(issue.message))
      return { class: 'range-not-given', reason: `an out-of-range ${expect.range} answered "${issue.message}", without the range` };
  }
  if (expect.filter && status === 200) {
    const wrong = listItems(request, body).find((item) => !matches(item, expect.filter!));
    if (wrong)
      return {
        class: 'filter-mismatch',
        reason: `listed an asset the filter ${JSON.stringify(expect.filter)} excludes: ${JSON.stringify(wrong).slice(0, 300)}`,
      };
  }
  return null;
}
