import fc from 'fast-check';
import { isTokenSecret } from '../../src/domain/token-secret.js';
import { ADMIN_AUTH } from '../helpers/test-app.js';
import { fitItems, fitToKind, type Catalog } from './catalog.js';
import { bodyText, type Draft } from './draft.js';
import { MUTATIONS, WEIGHTS, withBadTokens, type MutationContext } from './mutations.js';
import { INPUT_KINDS, isObject, type FuzzRequest, type Json, type ListFilter, type RouteAccess } from './request.js';
import { validValue, withoutAbsent, type JsonSchema } from './values.js';

/** One operation of the OpenAPI document, as the generators need it. */
export interface RestOperation {
  target: string;
  method: FuzzRequest['method'];
  path: string;
  params: Record<string, JsonSchema>;
  query: Record<string, { schema: JsonSchema; required: boolean }>;
  body?: { mediaType: string; schema: JsonSchema; required: boolean };
  /** Headers it reads: `Authorization` and `X-Actor` on every route but public ones, `If-Match` from its description. */
  headers: string[];
  /** What the route asks of its caller (its declared `config.access`). */
  access: RouteAccess;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}
interface OpenApiOperation {
  description?: string;
  parameters?: { in: string; name: string; required?: boolean; schema: JsonSchema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
}

/**
 * Every operation of the document the app serves, with the access its route declared
 * (`accessOf(method, path)`, the path as the document writes it).
 */
export function restOperations(doc: OpenApiDocument, accessOf: (method: string, path: string) => RouteAccess): RestOperation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const parameters = op.parameters ?? [];
      const [mediaType, content] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      const upper = method.toUpperCase() as FuzzRequest['method'];
      const description = op.description ?? '';
      const access = accessOf(upper, path);
      return {
        target: `${upper} ${path}`,
        method: upper,
        path,
        params: Object.fromEntries(parameters.filter((p) => p.in === 'path').map((p) => [p.name, p.schema])),
        query: Object.fromEntries(
          parameters.filter((p) => p.in === 'query').map((p) => [p.name, { schema: p.schema, required: p.required === true }]),
        ),
        body: content ? { mediaType: mediaType, schema: content.schema, required: op.requestBody?.required === true && !content.schema.nullable } : undefined,
        // Authentication reads Authorization on every route but public ones, and X-Actor
        // (onBehalfOf) on write routes, which may record it.
        headers: [
          ...(access !== 'public' ? ['authorization'] : []),
          ...(access === 'write' ? ['x-actor'] : []),
          ...(/If-Match/.test(description) ? ['if-match'] : []),
        ],
        access,
      };
    }),
  );
}

const NDJSON = 'application/x-ndjson';

/** Path parameters that exist: a ref of the catalog for `{kind}/{name}`, a consumer for `consumer/{name}`. */
function paramsArbitrary(op: RestOperation, catalog: Catalog): fc.Arbitrary<Record<string, string>> {
  const names = Object.keys(op.params);
  if (names.length === 0) return fc.constant({});
  const ref = names.includes('kind')
    ? fc.constantFrom(...catalog.refs).map((r) => ({ kind: r.split(':')[0], name: r.slice(r.indexOf(':') + 1) }))
    : fc.constantFrom(...catalog.names.consumer).map((name) => ({ name }));
  const rest = names.filter((n) => n !== 'kind' && n !== 'name');
  const others = fc.record(
    Object.fromEntries(rest.map((n) => [n, validValue(op.params[n], [n], { catalog, target: op.target }).map(String)])),
  );
  return fc.tuple(ref, others).map(([a, b]) => ({ ...a, ...b }));
}

/** A valid request of the operation, before any mutation. */
function baseDraft(op: RestOperation, catalog: Catalog): fc.Arbitrary<Draft> {
  const ctx = { catalog, target: op.target };
  const query = fc
    .record(
      Object.fromEntries(Object.entries(op.query).map(([name, q]) => [name, validValue(q.schema, [name], ctx)])),
      { requiredKeys: Object.entries(op.query).filter(([, q]) => q.required).map(([n]) => n) },
    )
    .map((q) => Object.fromEntries(Object.entries(withoutAbsent(q)).map(([k, v]) => [k, String(v)])));
  const ndjson = op.body?.mediaType === NDJSON;
  const bodySchema: JsonSchema | undefined = op.body && (ndjson ? { type: 'array', items: op.body.schema, minItems: 1 } : op.body.schema);
  const body: fc.Arbitrary<Json | undefined> = bodySchema
    ? fc.oneof(
        { weight: 9, arbitrary: validValue(bodySchema, [], ctx) },
        { weight: op.body!.required ? 0 : 1, arbitrary: fc.constant(undefined) },
      )
    : fc.constant(undefined);
  const headers = fc.record(
    { 'x-actor': fc.constantFrom('fuzzer', 'ops-bot'), 'if-match': fc.constantFrom('*', '1') },
    { requiredKeys: [] },
  );
  const accessCheck = op.target === 'POST /v1/access-check';
  return fc.tuple(paramsArbitrary(op, catalog), query, body, headers).map(([params, q, b, h]) => {
    const draft: Draft = {
      api: 'rest',
      target: op.target,
      write: op.method !== 'GET',
      access: op.access,
      kind: 'valid',
      what: 'a valid request',
      params,
      paramSchemas: op.params,
      query: q,
      querySchemas: Object.fromEntries(Object.entries(op.query).map(([n, s]) => [n, s.schema])),
      body: b === undefined ? undefined : fitBody(params, b, catalog),
      bodySchema,
      ndjson,
      // X-Actor is read (as onBehalfOf) with the token, on write routes.
      readsActor: op.access === 'write',
      headerSlots: op.headers,
      // The admin token by default: the token mutations (bad-token, other-principal) replace it.
      headers: { ...Object.fromEntries(Object.entries(h).filter(([k]) => op.headers.includes(k))), ...ADMIN_AUTH },
      raw: [],
      expect: {},
    };
    if (draft.query.force === 'true' && !draft.query.reason) draft.query.reason = 'fuzz';
    if (accessCheck && isObject(draft.body) && isTokenSecret(String(draft.body.consumer ?? ''))) {
      // A token goes in the header: in the body, beside another token, it is a 400 by design.
      // Sent as the token, the check is the consumer's own, and the body's consumer is ignored.
      draft.headers.authorization = `Bearer ${draft.body.consumer}`;
      draft.expect = { ...draft.expect, principal: 'consumer' };
    }
    return draft;
  });
}

/** Makes a generated body valid in the catalog's terms: fitted to its kind, not replacing itself. */
function fitBody(params: Record<string, string>, body: Json, catalog: Catalog): Json {
  if (Array.isArray(body)) return fitItems(body);
  if (!isObject(body)) return body;
  if ('owner' in body && params.kind) return fitToKind(body, params.kind, `${params.kind}:${params.name}`);
  if (Array.isArray(body.assets)) return { ...body, assets: fitItems(body.assets) };
  if (typeof body.replacedBy === 'string' && body.replacedBy === `${params.kind}:${params.name}`)
    return { ...body, replacedBy: catalog.refs.find((r) => r !== body.replacedBy && !r.startsWith('consumer:'))! };
  return body;
}

/** Percent-encodes text, lone surrogates included (as the three bytes a careless encoder writes). */
export function encodeLoose(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text]
      .map((ch) => {
        const c = ch.charCodeAt(0);
        if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff)
          return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
        return encodeURIComponent(ch);
      })
      .join('');
  }
}

/** The request a draft stands for. */
function toRequest(op: RestOperation, draft: Draft): FuzzRequest {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeLoose(draft.params[name] ?? ''));
  const query = Object.entries(draft.query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => `${encodeLoose(k)}=${encodeLoose(one)}`))
    .join('&');
  const ndjson = op.body?.mediaType === NDJSON;
  let payload: string | Buffer | undefined = draft.payload;
  if (payload === undefined && draft.body !== undefined)
    payload = ndjson && Array.isArray(draft.body) ? draft.body.map((line) => bodyText(draft, line)).join('\n') : bodyText(draft);
  const headers: Record<string, string> = { ...draft.headers };
  const type = draft.contentType === undefined ? (payload !== undefined ? (op.body?.mediaType ?? 'application/json') : null) : draft.contentType;
  if (type !== null) headers['content-type'] = type;
  const expect = { ...draft.expect };
  if (op.target === 'GET /v1/assets') expect.filter = listFilter(draft.query);
  return {
    kind: draft.kind,
    api: 'rest',
    target: op.target,
    what: draft.what,
    method: op.method,
    url: query ? `${path}?${query}` : path,
    headers,
    payload,
    write: draft.write,
    access: draft.access,
    expect,
    readers: readersOf(draft),
  };
}

export function listFilter(values: Record<string, unknown>): ListFilter {
  const filter: ListFilter = {};
  for (const key of ['q', 'owner', 'tag', 'kind', 'lifecycle'] as const)
    if (typeof values[key] === 'string') filter[key] = values[key];
  return filter;
}

/** The identities a usage report or an access check may record reads for. */
export function readersOf(draft: Draft): string[] {
  const found: string[] = [];
  const walk = (node: unknown, key: string) => {
    if (typeof node === 'string' && key === 'consumer') {
      const trimmed = node.trim();
      found.push(node, trimmed, trimmed.replace(/^consumer:/, ''));
    } else if (Array.isArray(node)) node.forEach((n) => walk(n, key));
    else if (isObject(node)) for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(draft.body, '');
  // consumer:app's token reports and checks as itself, whatever the body names.
  if (draft.expect.principal === 'consumer') found.push('app', 'consumer:app');
  return found;
}

/** Requests of every kind for one operation: a valid one, mutated by any kind that applies. */
export function restRequests(op: RestOperation, catalog: Catalog): fc.Arbitrary<FuzzRequest> {
  const ctx: MutationContext = {
    catalog,
    bodyRequired: op.body?.required ?? false,
    mediaType: op.body?.mediaType ?? 'application/json',
  };
  return baseDraft(op, catalog).chain((draft) => {
    const options: fc.WeightedArbitrary<Draft>[] = [{ weight: WEIGHTS.valid, arbitrary: fc.constant(draft) }];
    for (const kind of INPUT_KINDS) {
      const mutation = MUTATIONS[kind]?.(draft, ctx);
      if (mutation) options.push({ weight: WEIGHTS[kind], arbitrary: mutation });
    }
    return withBadTokens(options).map((d) => toRequest(op, d));
  });
}

