import fc from 'fast-check';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField as SchemaField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type IntrospectionQuery,
} from 'graphql';
import { ADMIN_AUTH } from '../helpers/test-app.js';
import { fitItems, fitToKind, type Catalog } from './catalog.js';
import { bodyText, putRaw, type Draft } from './draft.js';
import { MUTATIONS, WEIGHTS, withBadTokens, type MutationContext } from './mutations.js';
import { listFilter, readersOf } from './rest.js';
import { INPUT_KINDS, isObject, type Expectation, type FuzzRequest, type Json } from './request.js';
import { validValue, withoutAbsent, type JsonSchema } from './values.js';

/** One field of Query or Mutation, with its arguments as JSON schemas. */
/** The mutations whose services record the caller in the history, and so read X-Actor. */
const RECORDS_ACTOR = new Set(['upsertAsset', 'upsertAssets', 'deleteAsset', 'deprecateAsset', 'reinstateAsset']);

export interface GraphQLOperation {
  target: string;
  operation: 'query' | 'mutation';
  name: string;
  args: { name: string; typeText: string; schema: JsonSchema; required: boolean }[];
  /** The selection of its answer: every scalar two levels down. */
  selection: string;
  /** The same with the closures and histories below it, their `first` from `$nf`. */
  nestedSelection: string;
}

/** The schema the app serves, by introspection. */
export async function introspect(send: (body: object) => Promise<unknown>) {
  const answer = (await send({ query: getIntrospectionQuery() })) as { data: IntrospectionQuery };
  return buildClientSchema(answer.data);
}

const INT32 = 2 ** 31;

/** A GraphQL input type as the JSON schema the value generators read. */
function inputSchema(type: GraphQLInputType): JsonSchema {
  if (isNonNullType(type)) return { ...inputSchema(type.ofType), nullable: false };
  // zod refuses an empty list of kinds, types or severities; an empty list of tags is no list at all.
  if (isListType(type)) return { type: 'array', items: inputSchema(type.ofType), minItems: 1 };
  if (isEnumType(type)) return { type: 'string', enum: type.getValues().map((v) => v.value as string) };
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    return {
      type: 'object',
      properties: Object.fromEntries(fields.map((f) => [f.name, inputSchema(f.type)])),
      required: fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined).map((f) => f.name),
      additionalProperties: false,
    };
  }
  switch (type.name) {
    case 'Int':
      return { type: 'integer', minimum: -INT32, maximum: INT32 - 1 };
    case 'Float':
      return { type: 'number' };
    case 'Boolean':
      return { type: 'boolean' };
    case 'String':
    case 'ID':
      return { type: 'string' };
    case 'JSONObject':
      return { type: 'object', additionalProperties: {} };
    default:
      return {};
  }
}

function selectionOf(type: GraphQLOutputType, depth: number, nested: boolean): string {
  const named = getNamedType(type);
  if (isLeafType(named) || !isObjectType(named)) return '';
  const parts: string[] = [];
  for (const field of Object.values(named.getFields()) as SchemaField<unknown, unknown>[]) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    if (isLeafType(getNamedType(field.type))) {
      parts.push(field.name);
      continue;
    }
    if (depth <= 0 || (field.args.length > 0 && !nested)) continue;
    const args = field.args.some((a) => a.name === 'first') ? '(first: $nf)' : '';
    // Closures inside closures multiply: one level of them is enough to pass `$nf` down.
    const sub = selectionOf(field.type, depth - 1, nested && field.args.length === 0);
    if (sub) parts.push(`${field.name}${args} ${sub}`);
  }
  return parts.length > 0 ? `{ ${parts.join(' ')} }` : '';
}

/** Every field of Query and Mutation. */
export function graphqlOperations(schema: ReturnType<typeof buildClientSchema>): GraphQLOperation[] {
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const;
  return roots.flatMap(([operation, root]) =>
    root
      ? Object.values(root.getFields()).map((field) => ({
          target: `${operation} ${field.name}`,
          operation,
          name: field.name,
          args: field.args.map((a) => ({
            name: a.name,
            typeText: String(a.type),
            // The lists a write takes must not be empty (zod's rule; GraphQL's type cannot say it).
            schema: { ...inputSchema(a.type), ...(a.name === 'assets' || a.name === 'events' ? { minItems: 1 } : {}) },
            required: isNonNullType(a.type) && a.defaultValue === undefined,
          })),
          selection: selectionOf(field.type, 2, false),
          nestedSelection: selectionOf(field.type, 2, true),
        }))
      : [],
  );
}

/** The operation text: every argument given is a variable of its own name. */
function documentOf(op: GraphQLOperation, variables: Record<string, Json>, nested: boolean): string {
  nested &&= takesNestedFirst(op);
  const given = op.args.filter((a) => a.name in variables);
  const declarations = [...given.map((a) => `$${a.name}: ${a.typeText}`), ...(nested ? ['$nf: Int'] : [])];
  const args = given.map((a) => `${a.name}: $${a.name}`);
  const selection = nested ? op.nestedSelection : op.selection;
  const list = (items: string[]) => (items.length > 0 ? `(${items.join(', ')})` : '');
  return `${op.operation} Fuzz${list(declarations)} { ${op.name}${list(args)} ${selection} }`;
}

const withoutNf = ({ nf: _, ...rest }: Record<string, Json>) => rest;

/** Does anything below the field take a `first` (a closure, a history)? */
const takesNestedFirst = (op: GraphQLOperation) => op.nestedSelection.includes('$nf');

/** Makes generated arguments valid in the catalog's terms (an asset input fitted to its ref's kind). */
function fitArgs(op: GraphQLOperation, args: Record<string, Json>): Record<string, Json> {
  const fitted = { ...args };
  const kindOf = (ref: Json | undefined) => (typeof ref === 'string' ? ref.split(':')[0] : '');
  if (isObject(fitted.input) && 'owner' in fitted.input) fitted.input = fitToKind(fitted.input, kindOf(fitted.ref), String(fitted.ref));
  if (isObject(fitted.input) && fitted.input.replacedBy === fitted.ref) delete (fitted.input as Record<string, Json>).replacedBy;
  if (Array.isArray(fitted.assets)) fitted.assets = fitItems(fitted.assets);
  if (op.name === 'reinstateAsset' && fitted.lifecycle !== 'experimental') delete fitted.lifecycle;
  if (op.name === 'deleteAsset' && fitted.force === true && typeof fitted.reason !== 'string') fitted.reason = 'fuzz';
  return fitted;
}

function baseDraft(op: GraphQLOperation, catalog: Catalog): fc.Arbitrary<Draft> {
  const ctx = { catalog, target: op.target };
  const variables = fc
    .record(Object.fromEntries(op.args.map((a) => [a.name, validValue(a.schema, [a.name], ctx)])), {
      requiredKeys: op.args.filter((a) => a.required).map((a) => a.name),
    })
    .map((v) => fitArgs(op, withoutAbsent(v)));
  const bodySchema: JsonSchema = {
    type: 'object',
    properties: { ...Object.fromEntries(op.args.map((a) => [a.name, a.schema])), nf: { type: 'integer' } },
  };
  // The route authenticates every operation (a query too); X-Actor is read by the mutations
  // whose services record it in the history (a query, usage and retries ignore it).
  const headerSlots = ['authorization', 'x-actor'];
  return fc.tuple(variables, fc.boolean(), fc.constantFrom('fuzzer', '')).map(([vars, nested, actor]): Draft => {
    const body: Record<string, Json> = nested && takesNestedFirst(op) ? { ...vars, nf: 2 } : vars;
    const headers: Record<string, string> = { ...(actor ? { 'x-actor': actor } : {}), ...ADMIN_AUTH };
    return {
      api: 'graphql',
      target: op.target,
      write: op.operation === 'mutation',
      access: 'service',
      kind: 'valid',
      what: 'a valid operation',
      params: {},
      paramSchemas: {},
      query: {},
      querySchemas: {},
      body,
      bodySchema,
      envelope: { query: documentOf(op, vars, nested) },
      readsActor: op.operation === 'mutation' && RECORDS_ACTOR.has(op.name),
      headerSlots,
      headers,
      raw: [],
      expect: {},
    };
  });
}

const variant = (draft: Draft, kind: Draft['kind'], what: string, expect: Expectation, change: Partial<Draft>): Draft => ({
  ...draft,
  ...change,
  kind,
  what,
  expect: { ...draft.expect, ...expect },
});

/** The document with one more argument to the field. */
const withArgument = (query: string, field: string, argument: string) =>
  query.replace(new RegExp(`\\b${field}\\b(\\()?`), (_m, paren) => `${field}(${argument}${paren ? ', ' : ')'}`);

/** Documents GraphQL itself refuses (syntax, validation, limits), and requests yoga refuses. */
function badDocument(op: GraphQLOperation, draft: Draft): fc.Arbitrary<Draft> {
  const query = String(draft.envelope!.query);
  const firstOptional = op.args.find((a) => !a.required)?.name ?? 'bogus';
  const envelope = (e: Record<string, Json>, what: string) => variant(draft, 'bad-document', what, { reject: true }, { envelope: e });
  const deep = (levels: number) => `{ asset(ref: "source:raw") ${'{ dependents '.repeat(levels)}{ ref }${' }'.repeat(levels)} }`;
  return fc.oneof(
    fc.integer({ min: 1, max: query.length - 1 }).map((i) => envelope({ query: query.slice(0, i) }, `the document cut at ${i}`)),
    fc.constantFrom<[string, string]>(
      [query.replace(/\}\s*\}\s*$/, ' bogusField } }'), 'an unknown field'],
      [withArgument(query, op.name, 'bogusArg: 1'), 'an unknown argument'],
      [query.replace(/\$(\w+): [\w![\]]+/, '$$$1: Boolean'), 'a variable declared with the wrong type'],
      [withArgument(query, op.name, `${firstOptional}: $undeclared`), 'an undeclared variable'],
      [`${query} query Other { __typename }`, 'two operations and no operationName'],
      [`subscription S { ${op.name} }`, 'a subscription'],
      [`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: asset(ref: "source:raw") { ref }`).join(' ')} }`, '16 aliases'],
      [`{ __typename ${'@skip(if: false) '.repeat(11)}}`, '11 directives'],
      [`{ ${'__typename '.repeat(2500)}}`, '2,500 tokens'],
      ['{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }', 'fragments that spread each other'],
      [deep(12), 'a selection 12 levels deep'],
      [deep(1500), 'a selection 1,500 levels deep'],
      [`${query.slice(0, 10)}\u0000${query.slice(10)}`, 'a NUL in the document'],
      ['', 'an empty document'],
    )
      // (An operation with no variables has none to declare with the wrong type: that one is the valid document.)
      .map(([q, what]): [string, string] => (q === query ? [`${query} }`, 'a brace too many'] : [q, what]))
      .map(([q, what]) => envelope({ ...draft.envelope, query: q }, what)),
    fc.constantFrom<[Record<string, Json>, string]>(
      [{ ...draft.envelope, operationName: 'Nope' }, 'an operationName the document lacks'],
      [{ ...draft.envelope, query: 5 }, 'query is a number'],
      [{ ...draft.envelope, query: { text: query } }, 'query is an object'],
      [{ ...draft.envelope, query: null }, 'query is null'],
      [{ ...draft.envelope, query: [query] }, 'query is an array'],
      [{ variables: {} }, 'no query'],
      [{ ...draft.envelope, extensions: 'x' }, 'extensions is a string'],
    ).map(([e, what]) => envelope(e, what)),
    fc
      .constantFrom<[Json, string]>(['x', 'variables is a string'], [[1], 'variables is an array'], [5, 'variables is a number'])
      .map(([variables, what]) => variant(draft, 'bad-document', what, { reject: true }, { payload: JSON.stringify({ ...draft.envelope, variables }) })),
    fc.constant(
      variant(draft, 'bad-document', 'a batch of two operations', { reject: true }, { payload: JSON.stringify([draft.envelope, draft.envelope]) }),
    ),
  );
}

/** `first` past its range from a variable: for the field itself, and for the closures below it. */
function hugeFirst(op: GraphQLOperation, draft: Draft): fc.Arbitrary<Draft> | null {
  const topLevel = op.args.some((a) => a.name === 'first');
  if (!topLevel && !takesNestedFirst(op)) return null;
  const vars = (draft.body ?? {}) as Record<string, Json>;
  return fc
    .tuple(
      fc.constantFrom<[number, string | undefined]>(
        ...[1001, 5000, 1e6, INT32 - 1, INT32, 2 ** 53, -1, 0, 1000].map((n): [number, undefined] => [n, undefined]),
        [Infinity, '1e309'],
      ),
      fc.boolean(),
    )
    .map(([[value, raw], onField]) => {
      const field = (onField && topLevel) || !takesNestedFirst(op);
      const given = { ...vars, ...(field ? { first: 1 } : {}), ...(takesNestedFirst(op) ? { nf: 1 } : {}) };
      const base: Draft = { ...draft, body: given, envelope: { query: documentOf(op, given, true) } };
      const slot = { in: 'body' as const, path: [field ? 'first' : 'nf'], field: 'first', name: 'first' };
      const next = raw ? putRaw(base, slot, raw) : { ...base, body: { ...given, [slot.path[0]]: value } };
      const outside = value < 1 || value > 1000;
      // A nested `first` is read after the field itself, which may be refused first.
      return variant(next, 'huge-first', `${field ? 'first' : 'a nested first'} = ${raw ?? value}`, {
        ...(outside ? { reject: true, field: { in: 'body', field: 'first', loose: !field } } : {}),
        ...(outside && Number.isInteger(value) && Math.abs(value) < INT32 ? { range: 'first' } : {}),
      }, {});
    });
}

/** The operation, over GET: a query is answered; a mutation is refused. */
function overGet(op: GraphQLOperation, draft: Draft): Draft {
  return variant(draft, 'bad-document', `${op.operation} over GET`, op.operation === 'mutation' ? { reject: true } : {}, { transport: 'get' });
}

function toRequest(op: GraphQLOperation, given: Draft): FuzzRequest {
  // A mutation may add an argument (a filter, say): declare what the variables now hold.
  const draft =
    given.kind !== 'bad-document' && !given.ownDocument && given.envelope && isObject(given.body)
      ? { ...given, envelope: { ...given.envelope, query: documentOf(op, withoutNf(given.body), 'nf' in given.body) } }
      : given;
  const headers: Record<string, string> = { ...draft.headers };
  const expect = { ...draft.expect };
  if (op.name === 'assets' && isObject(draft.body) && isObject(draft.body.filter)) expect.filter = listFilter(draft.body.filter);
  const common = {
    kind: draft.kind,
    api: 'graphql' as const,
    target: op.target,
    what: draft.what,
    write: draft.write,
    access: draft.access,
    expect,
    readers: readersOf(draft),
  };
  if (draft.transport === 'get') {
    const params = new URLSearchParams({ query: String(draft.envelope!.query), variables: bodyText({ ...draft, envelope: undefined }) });
    return { ...common, method: 'GET', url: `/graphql?${params}`, headers };
  }
  const payload = draft.payload !== undefined ? draft.payload : draft.body !== undefined ? bodyText(draft) : undefined;
  const type = draft.contentType === undefined ? (payload !== undefined ? 'application/json' : null) : draft.contentType;
  if (type !== null) headers['content-type'] = type;
  return { ...common, method: 'POST', url: '/graphql', headers, payload };
}

/** Requests of every kind for one GraphQL field. */
export function graphqlRequests(op: GraphQLOperation, catalog: Catalog): fc.Arbitrary<FuzzRequest> {
  const ctx: MutationContext = { catalog, bodyRequired: true, mediaType: 'application/json' };
  return baseDraft(op, catalog).chain((draft) => {
    const options: fc.WeightedArbitrary<Draft>[] = [
      { weight: WEIGHTS.valid, arbitrary: fc.constant(draft) },
      {
        weight: WEIGHTS['bad-document'],
        arbitrary: fc.oneof({ weight: 6, arbitrary: badDocument(op, draft) }, { weight: 1, arbitrary: fc.constant(overGet(op, draft)) }),
      },
    ];
    const huge = hugeFirst(op, draft);
    if (huge) options.push({ weight: WEIGHTS['huge-first'], arbitrary: huge });
    for (const kind of INPUT_KINDS) {
      const mutation = MUTATIONS[kind]?.(draft, ctx);
      if (mutation) options.push({ weight: WEIGHTS[kind], arbitrary: mutation });
    }
    return withBadTokens(options).map((d) => toRequest(op, d));
  });
}
