import type { RouteAccess } from '../../src/http/authentication.js';

/** JSON values, and where one value sits inside another. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Segment = string | number;
export type { RouteAccess };
export type Location = 'body' | 'query' | 'params' | 'headers';

/**
 * The kinds of input the fuzzer sends: issue 18's list of hostile input, plus valid
 * requests (so the catalog keeps changing and valid paths keep answering).
 */
export const INPUT_KINDS = [
  'valid',
  'nul',
  'lone-surrogate',
  'deep-json',
  'long-name',
  'like-wildcard',
  'out-of-range',
  'wrong-type',
  'unknown-field',
  'huge-array',
  'content-type',
  'malformed-json',
  'empty-body',
  'invalid-cursor',
  'unknown-ref',
  'bad-header',
  'bad-document',
  'huge-first',
  'bad-token',
  'other-principal',
] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** What an answer must be beyond "not a 5xx, in the error shape, no stored change if refused". */
export interface Expectation {
  /** Input no valid request has: the answer must be a refusal. */
  reject?: boolean;
  /** Input every rule accepts (a 101–200 character name, `%` in `q`): never 414/415, never a 400 about it. */
  valid?: boolean;
  /**
   * A refusal with INVALID_INPUT must name this field (or a field inside it, or the one
   * holding it); `loose`: or at least some field, where another rule may refuse first.
   */
  field?: { in: Location; field: string; loose?: boolean };
  /** A list of assets: every item listed must pass the filters sent. */
  filter?: ListFilter;
  /** An out-of-range number: the message must give the range, not only "must be a whole number". */
  range?: string;
  /**
   * The request carries no token (`missing`) or one that authenticates no one (`invalid`):
   * an invalid one is a 401 on every route but public ones, before anything else is read;
   * a missing one is a 401 on write routes (a GraphQL mutation: UNAUTHENTICATED).
   */
  token?: 'missing' | 'invalid';
  /** The request authenticates as a principal other than the admin (see catalog.ts). */
  principal?: 'team' | 'consumer';
  /** The request was otherwise valid (the token is all that changed): a refusal must be for the token. */
  onlyToken?: boolean;
}

/** The filters of the asset list (REST query, GraphQL `filter`). */
export interface ListFilter {
  q?: string;
  owner?: string;
  tag?: string;
  kind?: string;
  lifecycle?: string;
}

/** One request the fuzzer sends, with what it knows about it to judge the answer. */
export interface FuzzRequest {
  kind: InputKind;
  api: 'rest' | 'graphql';
  /** The operation: `PUT /v1/assets/{kind}/{name}` or `mutation upsertAsset`. */
  target: string;
  /** What was done to the valid request, for the failure message: `NUL in body.owner`. */
  what: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** May it change the store when accepted? (Refused, it never may.) */
  write: boolean;
  /** What the route asks of its caller (its `config.access`; GraphQL's is `service`). */
  access: RouteAccess;
  expect: Expectation;
  /** Identities an accepted (or, for access checks, refused) answer may record reads for. */
  readers?: string[];
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  ms: number;
}

/** `a.b[0].c`, as the error handler names fields. */
export const formatPath = (path: readonly Segment[]): string =>
  path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key), '');

export const isObject = (value: unknown): value is { [key: string]: Json } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function getAt(value: Json, path: readonly Segment[]): Json | undefined {
  let node: Json | undefined = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, Json>)[key as string];
  }
  return node;
}

/** A copy of `value` with the node at `path` replaced (the rest shared, never mutated). */
export function setAt(value: Json, path: readonly Segment[], replacement: Json): Json {
  if (path.length === 0) return replacement;
  const [key, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = value.slice();
    copy[key as number] = setAt(copy[key as number], rest, replacement);
    return copy;
  }
  const object = isObject(value) ? value : {};
  return { ...object, [key]: setAt(object[key as string] ?? null, rest, replacement) };
}

/** Every node of a JSON value with its path, the root first. */
export function nodesOf(value: Json, path: Segment[] = [], out: { path: Segment[]; value: Json }[] = []) {
  out.push({ path, value });
  if (Array.isArray(value)) value.forEach((item, i) => nodesOf(item, [...path, i], out));
  else if (isObject(value)) for (const [key, item] of Object.entries(value)) nodesOf(item, [...path, key], out);
  return out;
}
