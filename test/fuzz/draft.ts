import { formatPath, isObject, nodesOf, setAt, type Expectation, type InputKind, type Json, type Location, type RouteAccess, type Segment } from './request.js';
import { schemaAt, type JsonSchema } from './values.js';

/**
 * A request before it is written out: the parts a mutation may change. REST and GraphQL
 * share it: for GraphQL `body` holds the variables (each argument is a variable of its
 * own name) and `document` the operation.
 */
export interface Draft {
  api: 'rest' | 'graphql';
  target: string;
  write: boolean;
  /** What the route asks of its caller (GraphQL's: `service`). */
  access: RouteAccess;
  kind: InputKind;
  what: string;
  params: Record<string, string>;
  paramSchemas: Record<string, JsonSchema>;
  query: Record<string, string | string[]>;
  querySchemas: Record<string, JsonSchema>;
  /** The JSON body (REST) or the variables (GraphQL); undefined: no body. */
  body: Json | undefined;
  bodySchema?: JsonSchema;
  /** An NDJSON body: the body is the array of lines, and errors name them `lines[n]`, from 1. */
  ndjson?: boolean;
  /** GraphQL: the rest of the request body; the variables go under `variables`. */
  envelope?: Record<string, Json>;
  /** Does it record who made the change (X-Actor) in the history? */
  readsActor?: boolean;
  /** Headers the operation reads (`x-actor`, `if-match`, `authorization`). */
  headerSlots: string[];
  headers: Record<string, string>;
  /** Raw JSON text spliced in where the body holds `placeholder(i)`: what JSON.stringify cannot write (1e309, 10,000 levels). */
  raw: string[];
  /** Written as is instead of the body (malformed JSON, another media type). */
  payload?: string | Buffer;
  /** The Content-Type sent; null: none. Defaults to the operation's own. */
  contentType?: string | null;
  expect: Expectation;
  /** GraphQL: the document is a mutation's own (a bad one): sent as it is, never written again from the variables. */
  ownDocument?: boolean;
  /** GraphQL: sent as a GET with the operation in the query string. */
  transport?: 'get';
}

const PLACEHOLDER = '\u0002raw\u0002';
export const placeholder = (i: number): string => `${PLACEHOLDER}${i}`;

/** The body as JSON text (for GraphQL, the whole request), with the raw pieces spliced in. */
export function bodyText(draft: Draft, value: Json | undefined = draft.body): string {
  const whole = draft.envelope && value === draft.body ? { ...draft.envelope, ...(value === undefined ? {} : { variables: value }) } : value;
  let text = JSON.stringify(whole);
  draft.raw.forEach((raw, i) => {
    text = text.replace(JSON.stringify(placeholder(i)), () => raw);
  });
  return text;
}

/** A place a value can go, and how an error would name it. */
export interface Slot {
  in: Location;
  /** Within the body; `[name]` for a query parameter, path parameter or header. */
  path: Segment[];
  field: string;
  name: string;
  schema?: JsonSchema;
  value?: Json;
}

/** GraphQL names an argument's issues by the argument; the nested-page variable feeds `first`. */
export const fieldName = (draft: Draft, path: Segment[]): string => {
  if (draft.api === 'graphql' && path[0] === 'nf') return formatPath(['first', ...path.slice(1)]);
  if (draft.ndjson && typeof path[0] === 'number') return formatPath(['lines', path[0] + 1, ...path.slice(1)]);
  return formatPath(path) || 'body';
};

/** Nodes under `metadata` are the user's own JSON: any value there is valid. */
export const inMetadata = (path: readonly Segment[]) => path.slice(0, -1).includes('metadata');

export function bodySlots(draft: Draft): Slot[] {
  if (draft.body === undefined) return [];
  return nodesOf(draft.body)
    .filter(({ path }) => !inMetadata(path))
    .map(({ path, value }) => ({
      in: 'body' as const,
      path,
      field: fieldName(draft, path),
      name: [...path].reverse().find((s): s is string => typeof s === 'string') ?? 'body',
      schema: draft.bodySchema ? schemaAt(draft.bodySchema, draft.body!, path) : undefined,
      value,
    }));
}

export function querySlots(draft: Draft): Slot[] {
  return Object.entries(draft.querySchemas).map(([name, schema]) => {
    const value = draft.query[name];
    return { in: 'query' as const, path: [name], field: name, name, schema, value: value === undefined ? undefined : value };
  });
}

export function paramSlots(draft: Draft): Slot[] {
  return Object.entries(draft.paramSchemas).map(([name, schema]) => ({
    in: 'params' as const,
    path: [name],
    field: name,
    name,
    schema,
    value: draft.params[name],
  }));
}

export function headerSlots(draft: Draft): Slot[] {
  return draft.headerSlots.map((name) => ({ in: 'headers' as const, path: [name], field: name, name, value: draft.headers[name] }));
}

/** The draft with `value` put in `slot` (for a query parameter, an array repeats it). */
export function put(draft: Draft, slot: Slot, value: Json | string[]): Draft {
  switch (slot.in) {
    case 'body':
      return { ...draft, body: setAt(draft.body ?? {}, slot.path, value) };
    case 'query':
      return { ...draft, query: { ...draft.query, [slot.name]: Array.isArray(value) ? (value as string[]) : String(value) } };
    case 'params':
      return { ...draft, params: { ...draft.params, [slot.name]: String(value) } };
    case 'headers':
      return { ...draft, headers: { ...draft.headers, [slot.name]: String(value) } };
  }
}

/** The draft with raw JSON text in a body slot. */
export function putRaw(draft: Draft, slot: Slot, raw: string): Draft {
  const next = { ...draft, raw: [...draft.raw, raw] };
  return { ...next, body: setAt(draft.body ?? {}, slot.path, placeholder(draft.raw.length)) };
}

export const typeOf = (value: Json | undefined): string =>
  value === undefined ? 'absent' : value === null ? 'null' : Array.isArray(value) ? 'array' : isObject(value) ? 'object' : typeof value;

/** The schema's type, or the value's when the schema says none. */
export function slotType(slot: Slot): string {
  const declared = slot.schema?.type ?? (slot.schema?.enum ? 'string' : undefined);
  if (declared) return declared === 'integer' ? 'integer' : declared;
  return typeOf(slot.value);
}
