import fc from 'fast-check';
import { TEST_ADMIN_TOKEN } from '../helpers/test-app.js';
import { fitToKind, longName, type Catalog } from './catalog.js';
import {
  bodySlots,
  bodyText,
  fieldName,
  headerSlots,
  inMetadata,
  paramSlots,
  put,
  putRaw,
  querySlots,
  slotType,
  type Draft,
  type Slot,
} from './draft.js';
import { isObject, type Expectation, type InputKind, type Json } from './request.js';
import { validValue, type JsonSchema, type ValueContext } from './values.js';

/** What a mutation needs besides the draft. */
export interface MutationContext {
  catalog: Catalog;
  /** Does the operation need a body (a POST or PUT whose body is not optional)? */
  bodyRequired: boolean;
  /** The Content-Type the operation takes. */
  mediaType: string;
}

type Mutation = (draft: Draft, ctx: MutationContext) => fc.Arbitrary<Draft> | null;

const REF_NAMES = new Set(['ref', 'asset', 'replacedBy']);
const PAGE_NAMES = new Set(['limit', 'first', 'depth']);

const done = (draft: Draft, kind: InputKind, what: string, expect: Expectation = {}): Draft => ({
  ...draft,
  kind,
  what,
  expect: { ...draft.expect, ...expect },
});

const describe = (slot: Slot) => `${slot.in}.${slot.field}`;
const excerpt = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const stringSlots = (draft: Draft): Slot[] => [
  ...bodySlots(draft).filter((s) => typeof s.value === 'string'),
  ...querySlots(draft).filter((s) => s.value === undefined || typeof s.value === 'string'),
  ...paramSlots(draft),
  ...headerSlots(draft),
];

/** Objects that take a `metadata` field, as slots for the field (present or not). */
function metadataSlots(draft: Draft): Slot[] {
  return bodySlots(draft)
    .filter((s) => isObject(s.value) && s.schema?.properties?.metadata !== undefined)
    .map((s) => ({ ...s, path: [...s.path, 'metadata'], field: fieldName(draft, [...s.path, 'metadata']), name: 'metadata', value: undefined }));
}

const refSlot = (draft: Draft) => (s: Slot) =>
  typeof s.value === 'string' &&
  (REF_NAMES.has(s.name) ||
    (s.name === 'dependsOn' && typeof s.path[s.path.length - 1] === 'number') ||
    (s.name === 'consumer' && /notification/i.test(draft.target)));

/** Inserts one of `chars` into a string slot (or writes it where the slot is empty). */
function withChar(chars: string[], kind: InputKind, label: string): Mutation {
  return (draft) => {
    const slots = [...stringSlots(draft), ...metadataSlots(draft)];
    if (slots.length === 0) return null;
    return fc
      .tuple(fc.constantFrom(...slots), fc.constantFrom(...chars), fc.nat(), fc.constantFrom('key', 'value'))
      .map(([slot, char, at, where]) => {
        // Text with a NUL cannot be stored: a write, or a header the operation reads, must refuse it.
        // (A read may refuse it or answer that nothing matches.)
        const refused =
          slot.in === 'headers'
            ? slot.name !== 'x-actor' || draft.readsActor === true
            : draft.api === 'rest'
              ? !draft.target.startsWith('GET ')
              : draft.write;
        const field = { in: slot.in, field: slot.field, loose: true };
        // Whatever it is, a character more makes a token no token: a 401 (checked before anything else).
        const token: Expectation = slot.name === 'authorization' ? { token: 'invalid', principal: undefined } : {};
        if (slot.name === 'metadata' && slot.value === undefined) {
          const metadata = where === 'key' ? { [`k${char}ey`]: 1 } : { note: `a${char}b`, list: [`x${char}`] };
          return done(put(draft, slot, metadata), kind, `${label} in ${describe(slot)} ${where}s`, { field, ...token });
        }
        const base = typeof slot.value === 'string' ? slot.value : 'a';
        const i = at % (base.length + 1);
        const value = base.slice(0, i) + char + base.slice(i);
        return done(put(draft, slot, value), kind, `${label} in ${describe(slot)}: ${excerpt(value)}`, {
          field,
          ...token,
          ...(kind === 'nul' && refused ? { reject: true } : {}),
        });
      });
  };
}

const deepText = (depth: number, shape: 'array' | 'object' | 'mixed') => {
  if (shape === 'array') return '['.repeat(depth) + '1' + ']'.repeat(depth);
  if (shape === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '[{"a":'.repeat(depth / 2) + '1' + '}]'.repeat(depth / 2);
};

const deepJson: Mutation = (draft) => {
  const slots = [
    ...metadataSlots(draft).map((s) => ({ ...s, path: [...s.path, 'deep'], field: `${s.field}.deep` })),
    ...bodySlots(draft).filter((s) => s.path.length > 0 || draft.api === 'rest'),
  ];
  if (slots.length === 0 || draft.body === undefined) return null;
  return fc
    .tuple(
      fc.constantFrom(...slots),
      fc.constantFrom(2000, 1000, 2000, 3000, 10_000),
      fc.constantFrom<'object' | 'array' | 'mixed'>('object', 'array', 'mixed'),
    )
    .map(([slot, depth, shape]) =>
      done(putRaw(draft, slot, deepText(depth, shape)), 'deep-json', `${shape}s nested ${depth} deep in ${describe(slot)}`, {
        field: { in: slot.in, field: slot.field, loose: true },
      }),
    );
};

const longNames: Mutation = (draft, ctx) => {
  const slots = [...paramSlots(draft).filter((s) => s.name === 'name'), ...bodySlots(draft).filter(refSlot(draft))];
  if (slots.length === 0) return null;
  const seeded = ctx.catalog.existing.filter((ref) => ref.length - ref.indexOf(':') - 1 > 100);
  return fc.tuple(fc.constantFrom(...slots), fc.integer({ min: 101, max: 200 }), fc.boolean()).map(([slot, length, existing]) => {
    const kind = slot.in === 'params' ? (draft.params.kind ?? 'consumer') : String(slot.value).split(':')[0];
    // A name written (a path, a batch item's ref) may be new; a name referred to (a dependency) must exist.
    const written = slot.in === 'params' || slot.name === 'ref';
    const sameKind = seeded.filter((ref) => ref.startsWith(`${kind}:`));
    const pool = sameKind.length > 0 ? sameKind : seeded.filter((ref) => !ref.startsWith('consumer:'));
    const ref = written && !existing ? `${kind}:${longName(`new${length}`, length)}` : pool[length % pool.length];
    const value = slot.in === 'params' ? ref.slice(ref.indexOf(':') + 1) : ref;
    return done(put(draft, slot, value), 'long-name', `a ${ref.length - ref.indexOf(':') - 1}-character name in ${describe(slot)}`, {
      valid: true,
      field: { in: slot.in, field: slot.field },
    });
  });
};

const LIST_FILTERS = ['q', 'owner', 'tag', 'kind', 'lifecycle'];
const WILDCARDS = ['%', '_', '%%', '_%', 'a%', '%_', '\\', '\\%', '\\_', '[a]', '*', '.*', '%25'];

const likeWildcards: Mutation = (draft) => {
  const filters = ['q', 'owner', 'tag'];
  const slots =
    draft.api === 'rest'
      ? querySlots(draft).filter((s) => filters.includes(s.name))
      : (draft.bodySchema?.properties?.filter?.properties
          ? filters
              .filter((f) => draft.bodySchema!.properties!.filter.properties![f])
              .map((f) => ({ in: 'body' as const, path: ['filter', f], field: `filter.${f}`, name: f }))
          : []);
  if (slots.length === 0) return null;
  // The wildcard alone: with other filters beside it the list is mostly empty and shows nothing.
  const alone: Draft =
    draft.api === 'rest'
      ? { ...draft, query: Object.fromEntries(Object.entries(draft.query).filter(([k]) => !LIST_FILTERS.includes(k))) }
      : { ...draft, body: { ...(draft.body as Record<string, Json>), filter: {} } };
  return fc
    .tuple(fc.constantFrom(...(slots as Slot[])), fc.constantFrom(...WILDCARDS))
    .map(([slot, value]) =>
      done(put(alone, slot, value), 'like-wildcard', `${describe(slot)}=${value}`, { valid: true, field: { in: slot.in, field: slot.field } }),
    );
};

const INT32 = 2 ** 31;

/** Values past a number's range (JSON numbers, or raw text for what JSON cannot write), for one slot. */
function outOfRangeValues(draft: Draft, slot: Slot): { value: number | string; raw?: string }[] {
  const s = slot.schema ?? {};
  const values: { value: number | string; raw?: string }[] = [{ value: 'abc' }, { value: Infinity, raw: '1e309' }, { value: -Infinity, raw: '-1e309' }];
  const min = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : s.minimum;
  const max = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : s.maximum;
  if (draft.api === 'rest') {
    if (min !== undefined) values.push({ value: s.exclusiveMinimum === true || typeof s.exclusiveMinimum === 'number' ? min : min - 1 });
    if (min !== undefined && min > 0) values.push({ value: 0 }, { value: -1 });
    if (max !== undefined) values.push({ value: s.exclusiveMaximum ? max : max + 1 });
  } else {
    // GraphQL's types give no ranges but Int's; the domain's come from the names.
    if (slotType(slot) === 'integer') values.push({ value: INT32 }, { value: -INT32 - 1 });
    if (PAGE_NAMES.has(slot.name) || slot.name === 'count') values.push({ value: 0 }, { value: -1 });
    if (slot.name === 'first' || slot.field === 'first') values.push({ value: 1001 });
    if (slot.name === 'ifMatch') values.push({ value: -1 });
  }
  if (slotType(slot) === 'integer') values.push({ value: 1.5 });
  return values;
}

const numericSlot = (s: Slot) => ['integer', 'number'].includes(slotType(s)) && !(s.in === 'body' && inMetadata(s.path));

const outOfRange: Mutation = (draft) => {
  const slots = [
    ...querySlots(draft).filter(numericSlot),
    ...paramSlots(draft).filter(numericSlot),
    ...bodySlots(draft).filter((s) => numericSlot(s) && typeof s.value === 'number'),
  ];
  if (slots.length === 0) return null;
  return fc.constantFrom(...slots).chain((slot) =>
    fc.constantFrom(...outOfRangeValues(draft, slot)).map(({ value, raw }) => {
      const pageSize = PAGE_NAMES.has(slot.name) || slot.field === 'first';
      const expect: Expectation = {
        reject: true,
        // A nested `first` is read after the field itself, which may be refused first.
        field: { in: slot.in, field: slot.field, loose: slot.path[0] === 'nf' && draft.api === 'graphql' },
        ...(pageSize && Number.isInteger(value) && Math.abs(value as number) < INT32 ? { range: slot.field } : {}),
      };
      const what = `${describe(slot)}=${raw ?? value}`;
      if (slot.in !== 'body') return done(put(draft, slot, raw ?? String(value)), 'out-of-range', what, expect);
      return done(raw ? putRaw(draft, slot, raw) : put(draft, slot, value), 'out-of-range', what, expect);
    }),
  );
};

/** Values of another JSON type than the slot's: a GraphQL list takes a lone item, so lists get only objects. */
function otherTypes(draft: Draft, slot: Slot): Json[] {
  switch (slotType(slot)) {
    case 'string':
      return [0, 1, true, {}, [], ['x']];
    case 'integer':
      return ['1', true, {}, []];
    case 'number':
      return ['1', true, {}, []];
    case 'boolean':
      return ['true', 0, {}];
    case 'array':
      return draft.api === 'graphql' ? [{ bogus: 1 }] : [{}, 'x', 0];
    case 'object':
      return [[], 'x', 0, true];
    default:
      return [];
  }
}

const TYPED_QUERY = new Set(['integer', 'number', 'boolean']);

const wrongType: Mutation = (draft) => {
  const body = bodySlots(draft).filter(
    (s) => (draft.api === 'rest' || s.path.length > 0) && otherTypes(draft, s).length > 0 && s.value !== null,
  );
  const query = querySlots(draft);
  const params = paramSlots(draft).filter((s) => slotType(s) === 'integer' || s.schema?.enum);
  const choices: fc.Arbitrary<Draft>[] = [];
  const expect = (slot: Slot): Expectation => ({ reject: true, field: { in: slot.in, field: slot.field } });
  if (body.length > 0)
    choices.push(
      fc.constantFrom(...body).chain((slot) =>
        fc
          .constantFrom(...otherTypes(draft, slot))
          .map((value) => done(put(draft, slot, value), 'wrong-type', `${describe(slot)} as ${excerpt(value)}`, expect(slot))),
      ),
    );
  if (query.length > 0)
    choices.push(
      fc.constantFrom(...query).chain((slot) => {
        const typed = TYPED_QUERY.has(slotType(slot)) || slot.schema?.enum !== undefined || ['kind', 'type', 'severity'].includes(slot.name);
        const current = typeof slot.value === 'string' ? slot.value : slot.schema?.enum ? String(slot.schema.enum[0]) : '1';
        const values: (string | string[])[] = [[current, current]];
        const members = (slot.schema?.enum ?? []).map(String);
        if (typed) values.push(...['bogus', 'true', '[1]', '1,2', ' '].filter((v) => !members.includes(v)));
        return fc.constantFrom(...values).map((value) => done(put(draft, slot, value), 'wrong-type', `${describe(slot)}=${excerpt(value)}`, expect(slot)));
      }),
    );
  if (params.length > 0)
    choices.push(
      fc
        .tuple(fc.constantFrom(...params), fc.constantFrom('abc', '1.5', 'true', '[1]'))
        .map(([slot, value]) => done(put(draft, slot, value), 'wrong-type', `${describe(slot)}=${value}`, expect(slot))),
    );
  return choices.length > 0 ? fc.oneof(...choices) : null;
};

const UNKNOWN_KEYS = ['bogus', 'constructor', 'Owner', 'ref_', '$set', 'toString'];
const UNKNOWN_PARAMS = ['bogus', 'Limit', 'limit[]', 'cursor ', '__proto__', 'q.x'];

const unknownField: Mutation = (draft) => {
  const objects = bodySlots(draft).filter(
    (s) => isObject(s.value) && s.name !== 'metadata' && (draft.api === 'rest' || s.path.length > 0),
  );
  const choices: fc.Arbitrary<Draft>[] = [];
  if (objects.length > 0)
    choices.push(
      fc.tuple(fc.constantFrom(...objects), fc.constantFrom(...UNKNOWN_KEYS)).map(([slot, key]) => {
        const path = [...slot.path, key];
        const field = fieldName(draft, path);
        return done(put(draft, { ...slot, path }, 'x'), 'unknown-field', `unknown field ${slot.in}.${field}`, {
          reject: true,
          field: { in: 'body', field },
        });
      }),
    );
  if (Object.keys(draft.querySchemas).length > 0)
    choices.push(
      fc.constantFrom(...UNKNOWN_PARAMS).map((name) =>
        done({ ...draft, query: { ...draft.query, [name]: '1' } }, 'unknown-field', `unknown query parameter ${name}`, {
          reject: true,
          field: { in: 'query', field: name.replace(/\[\]$/, '') },
        }),
      ),
    );
  return choices.length > 0 ? fc.oneof(...choices) : null;
};

/** Item limits of the arrays GraphQL's types leave unbounded (zod's, on the same inputs). */
const GRAPHQL_MAX_ITEMS: Record<string, number> = { assets: 10_000, events: 10_000, dependsOn: 10_000, tags: 100, platforms: 100, domains: 100 };

const hugeArray: Mutation = (draft, ctx) => {
  const present = bodySlots(draft).filter((s) => Array.isArray(s.value));
  const absent = bodySlots(draft)
    .filter((s) => isObject(s.value) && s.schema?.properties)
    .flatMap((s) =>
      Object.entries(s.schema!.properties!)
        .filter(([key, p]) => p.type === 'array' && !(key in (s.value as object)))
        .map(([key, p]) => ({ ...s, path: [...s.path, key], field: fieldName(draft, [...s.path, key]), name: key, schema: p, value: undefined })),
    );
  // Ten thousand lines of an import are a valid import, and a slow one.
  const slots = [...present, ...absent].filter((s) => !inMetadata(s.path) && !(draft.ndjson && s.path.length === 0));
  // A body one byte over the app's limit: a 413, in the error shape (an import is streamed, without a limit).
  // (Built only when drawn: every request's draft lists the mutations that apply to it.)
  const oversized = fc.constant(null).map(() =>
    done({ ...draft, payload: `{"pad":"${'x'.repeat(ctx.catalog.bodyLimit)}"}` }, 'huge-array', `a body over the limit of ${ctx.catalog.bodyLimit} bytes`, {
      reject: true,
    }),
  );
  if (slots.length === 0) return draft.ndjson || draft.body === undefined ? null : oversized;
  const values: ValueContext = { catalog: ctx.catalog, target: draft.target };
  const limit = (slot: Slot) => (draft.api === 'rest' ? slot.schema?.maxItems : GRAPHQL_MAX_ITEMS[slot.name]);
  // Ten thousand items cost a hundred times what a hundred do to send and to refuse: drawn less often.
  const weighted = slots.map((slot) => ({ weight: (limit(slot) ?? 10_000) > 1000 ? 1 : 4, arbitrary: fc.constant(slot) }));
  const arrays = fc.oneof(...weighted).chain((slot) => {
    const max = limit(slot);
    const items =
      Array.isArray(slot.value) && slot.value.length > 0
        ? fc.constant(slot.value[0])
        : validValue(slot.schema?.items ?? {}, [slot.name, '[]'], values);
    return items.map((item) => {
      const length = (max ?? 10_000) + 1;
      return done(put(draft, slot, Array.from({ length }, () => item)), 'huge-array', `${length} items in ${describe(slot)}`, {
        ...(max !== undefined ? { reject: true, field: { in: slot.in, field: slot.field } } : {}),
      });
    });
  });
  return draft.ndjson ? arrays : fc.oneof({ weight: 6, arbitrary: arrays }, { weight: 1, arbitrary: oversized });
};

const MEDIA_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=fuzz',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/x-ndjson',
  'application/json',
  'application/json; charset=utf-16',
  'application/jsonx',
  'APPLICATION/JSON',
  '*/*',
  null,
];
const FOREIGN = new Set(['text/plain', 'application/xml', 'multipart/form-data; boundary=fuzz', 'application/x-www-form-urlencoded', 'application/graphql']);

const contentType: Mutation = (draft, ctx) =>
  fc
    .constantFrom(...MEDIA_TYPES.filter((t) => t !== ctx.mediaType))
    .map((type) => {
      const ndjson = ctx.mediaType === 'application/x-ndjson';
      const foreign = type !== null && (FOREIGN.has(type) || type === (ndjson ? 'application/json' : 'application/x-ndjson'));
      const body = draft.body === undefined ? { ...draft, payload: '{"a":1}' } : draft;
      return done({ ...body, contentType: type }, 'content-type', `Content-Type: ${type ?? '(none)'}`, ctx.bodyRequired && foreign ? { reject: true } : {});
    });

const malformedJson: Mutation = (draft, ctx) => {
  if (draft.body === undefined && draft.payload === undefined) return null;
  const text = typeof draft.payload === 'string' ? draft.payload : bodyText(draft);
  if (text.length < 2) return null;
  const object = text.startsWith('{');
  const variants: fc.Arbitrary<[string | Buffer, string, boolean]>[] = [
    fc.integer({ min: 1, max: text.length - 1 }).map((i) => [text.slice(0, i), `cut at ${i} of ${text.length}`, true] as [string, string, boolean]),
    fc.constantFrom<[string, string, boolean]>(
      [`${text} }`, 'a brace too many', true],
      [`${text}x`, 'trailing text', true],
      [text.replace(/"/g, "'"), 'single quotes', true],
      [text.replace(/([}\]])\s*$/, ',$1'), 'a trailing comma', true],
      [`/*c*/${text}`, 'a comment', true],
      [`\ufeff${text}`, 'a byte-order mark', false],
    ),
  ];
  if (object)
    variants.push(
      fc.constantFrom<[string, string, boolean]>(
        [text.replace(/}\s*$/, ',"x":NaN}'), 'NaN', true],
        [text.replace(/}\s*$/, ',"x":undefined}'), 'undefined', true],
        [`{"__proto__":{"polluted":1},${text.slice(1)}`, '__proto__', true],
        [`{"constructor":{"prototype":{"polluted":1}},${text.slice(1)}`, 'constructor.prototype', true],
      ),
      fc.constant<[Buffer, string, boolean]>([
        Buffer.concat([Buffer.from(text.slice(0, 2)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(text.slice(2))]),
        'bytes that are not UTF-8',
        false,
      ]),
    );
  return fc
    .oneof(...variants)
    .map(([payload, what, broken]) =>
      done(
        { ...draft, payload },
        'malformed-json',
        `malformed body: ${what}`,
        broken && (ctx.bodyRequired || draft.api === 'graphql') ? { reject: true } : {},
      ),
    );
};

const emptyBody: Mutation = (draft, ctx) =>
  fc
    .constantFrom<[string | undefined, string | null | undefined]>(
      ['', undefined],
      [undefined, null],
      ['null', undefined],
      ['{}', undefined],
      ['[]', undefined],
      ['""', undefined],
      ['0', undefined],
      [' \n', undefined],
    )
    .map(([payload, type]) => {
      const nothing = payload === undefined;
      const empty = { ...draft, body: undefined, payload: nothing ? undefined : payload, contentType: type };
      const required = ctx.bodyRequired || draft.api === 'graphql';
      // `{}` is a complete body where every field is optional; `null` where the body is.
      const rejected = required && !(payload === '{}' && draft.api === 'rest' && ctx.mediaType !== 'application/json');
      return done(empty, 'empty-body', nothing ? 'no body, no Content-Type' : `body ${JSON.stringify(payload)}`, rejected ? { reject: true } : {});
    });

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** Cursors no endpoint issues: not base64url JSON, or not an object of the right shape. */
const MALFORMED_CURSORS = [
  'abc',
  '!!!',
  '%%%',
  'x'.repeat(2001),
  ...['{', 'null', '[]', '"x"', '{}', '{"id":"1"}', '{"id":0}', '{"id":-1}', '{"id":1.5}', '{"id":1e309}'].map(b64),
  ...['{"kind":"widget","name":"x"}', '{"kind":"source","name":"-x"}', '{"type":"bogus","key":[1]}', '{"type":"unused","key":[]}'].map(b64),
  b64('{"a":0,"i":"x"}'),
];

/** Cursors of the right shape with odd values: an answer (even an empty page) or a 400 naming the cursor. */
const ODD_CURSORS = [
  b64('{"distance":0,"id":1}'),
  b64('{"id":2147483648}'),
  b64('{"id":9007199254740993}'),
  b64('{"distance":1,"id":2147483648}'),
  b64('{"distance":2147483648,"id":1}'),
  b64('{"kind":"source","name":"zzz"}'),
  b64(`{"kind":"source","name":"${'z'.repeat(200)}"}`),
  b64('{"a":2147483648,"i":"x"}'),
  b64('{"a":1,"i":"x\\u0000y"}'),
  b64('{"a":1,"i":"x\\ud800"}'),
  b64('{"type":"unused","key":[2147483648]}'),
  b64('{"type":"unused","key":["\\u0000"]}'),
  b64('{"type":"feedback_loop","key":[1e308]}'),
  b64(`{"type":"unused","key":[${Array.from({ length: 1000 }, (_, i) => i + 1).join(',')}]}`),
  b64('{"id":1,"extra":true}'),
  `${b64('{"id":1}')}==`,
  Buffer.from('{"id":1}').toString('base64'),
];

const invalidCursor: Mutation = (draft, ctx) => {
  const slots =
    draft.api === 'rest'
      ? querySlots(draft).filter((s) => s.name === 'cursor')
      : draft.bodySchema?.properties?.after
        ? [{ in: 'body' as const, path: ['after'], field: 'after', name: 'after' }]
        : [];
  if (slots.length === 0) return null;
  const others = [...ctx.catalog.cursors.entries()].filter(([target]) => target !== draft.target).flatMap(([, list]) => list.slice(0, 2));
  return fc
    .tuple(
      fc.constantFrom(...(slots)),
      fc.oneof(
        fc.constantFrom(...MALFORMED_CURSORS).map((c) => [c, true] as const),
        fc.constantFrom(...ODD_CURSORS, ...others).map((c) => [c, false] as const),
      ),
    )
    .map(([slot, [cursor, malformed]]) =>
      done(put(draft, slot, cursor), 'invalid-cursor', `${describe(slot)}=${excerpt(cursor)}`, {
        field: { in: slot.in, field: slot.field },
        ...(malformed ? { reject: true } : {}),
      }),
    );
};

const MALFORMED_REFS = [
  ...['widget:x', 'raw', ':', 'source:', ':raw', 'source:-raw', 'SOURCE:raw', 'source:ra w', 'source:raw:x'],
  ...[`source:${'x'.repeat(201)}`, ' source:raw', 'source:naïve', 'source:.', ''],
];
const UNKNOWN_REFS = ['source:nonexistent', 'model:ghost_1', 'consumer:app', 'consumer:nobody', 'feature:ctr'];
const BAD_KINDS = ['widget', 'Source', 'sources', 'consumer ', '0'];
// (`.` and `..` are path segments: a client resolves them before sending.)
const BAD_NAMES = ['-x', '.hidden', 'a b', 'x'.repeat(201), 'a/b', '%', 'naïve', '_x', 'a\\b'];

const unknownRef: Mutation = (draft) => {
  const refs = [
    ...bodySlots(draft).filter(refSlot(draft)),
    ...querySlots(draft).filter((s) => s.name === 'asset' || (s.name === 'consumer' && /notification/i.test(draft.target))),
  ];
  const kind = paramSlots(draft).filter((s) => s.name === 'kind');
  const name = paramSlots(draft).filter((s) => s.name === 'name');
  const choices: fc.Arbitrary<Draft>[] = [];
  // A consumer filter takes a consumer's bare name (`bidder` for `consumer:bidder`): there
  // a name such as `raw` is an unknown consumer, not a malformed ref.
  const consumerName = (slot: Slot, value: string) => slot.name === 'consumer' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/.test(value);
  // A ref of another kind may break a rule of the kind first (a consumer needs a contact).
  const make = (slot: Slot, value: string, malformed: boolean) =>
    done(put(draft, slot, value), 'unknown-ref', `${describe(slot)}=${excerpt(value)}`, {
      field: { in: slot.in, field: slot.field, loose: !malformed },
      ...(malformed ? { reject: true } : {}),
    });
  if (refs.length > 0)
    choices.push(
      fc
        .tuple(
          fc.constantFrom(...refs),
          fc.oneof(
            fc.constantFrom(...MALFORMED_REFS).map((r) => [r, true] as const),
            fc.constantFrom(...UNKNOWN_REFS).map((r) => [r, false] as const),
          ),
        )
        .map(([slot, [value, malformed]]) => make(slot, value, malformed && !consumerName(slot, value))),
    );
  for (const [slots, values] of [
    [kind, BAD_KINDS],
    [name, BAD_NAMES],
  ] as const)
    if (slots.length > 0)
      choices.push(fc.tuple(fc.constantFrom(...slots), fc.constantFrom(...values)).map(([slot, value]) => make(slot, value, true)));
  return choices.length > 0 ? fc.oneof(...choices) : null;
};

const badHeader: Mutation = (draft) => {
  // (Authorization has kinds of its own: bad-token, other-principal.)
  const slots = headerSlots(draft).filter((s) => s.name !== 'authorization');
  if (slots.length === 0) return null;
  const values: Record<string, [string, boolean][]> = {
    'x-actor': [
      ['a'.repeat(201), draft.readsActor === true],
      ['a'.repeat(5000), draft.readsActor === true],
      ['   ', false],
      ['Ünïcödé', false],
      ['a\tb', false],
    ],
    'if-match': [
      ['abc', true],
      ['W/', true],
      ['"1', true],
      ['1 2', true],
      ['9999999999', true],
      ['-1', true],
      ['', true],
      ['*', false],
      ['W/"1"', false],
      // Well formed but stale: a 412, unless the request is refused for something else first
      // (a precondition is only evaluated on a request that would otherwise succeed, RFC 9110 13.2.1).
      ['"999999"', true],
    ],
  };
  return fc.constantFrom(...slots).chain((slot) =>
    fc
      .constantFrom(...(values[slot.name] ?? [['x', false]]))
      .map(([value, rejected]) =>
        done(
          put(draft, slot, value),
          'bad-header',
          `${slot.name}: ${excerpt(value)}`,
          rejected ? { reject: true, field: { in: 'headers', field: slot.name, loose: value === '"999999"' } } : {},
        ),
      ),
  );
};

/**
 * Authorization values that authenticate no one (null: no header at all), and two that are
 * the admin token still (the scheme is case-insensitive, the spaces after it any number).
 */
const TOKENS: [string | null, Expectation['token']][] = [
  [null, 'missing'],
  ['Bearer', 'invalid'],
  ['Bearer ', 'invalid'],
  ['Basic abc', 'invalid'],
  ['Bearer a b', 'invalid'],
  [`Bearer dct_${'A'.repeat(43)}`, 'invalid'],
  ['Bearer dck_unknown', 'invalid'],
  [`Bearer ${TEST_ADMIN_TOKEN}x`, 'invalid'],
  [`Token ${TEST_ADMIN_TOKEN}`, 'invalid'],
  [`Bearer ${'x'.repeat(5000)}`, 'invalid'],
  [`Bearer dct_${'x'.repeat(600)}`, 'invalid'],
  [`bearer ${TEST_ADMIN_TOKEN}`, undefined],
  [`Bearer   ${TEST_ADMIN_TOKEN}`, undefined],
];

/**
 * The token replaced by a bad one (or none), on a valid request or one already bad in
 * another way: authentication answers before the body is read, so a request that is both
 * unauthenticated and malformed is a 401, not a 400.
 */
const badToken = (draft: Draft): fc.Arbitrary<Draft> =>
  fc.constantFrom(...TOKENS).map(([value, token]) => {
    const { authorization: _, ...others } = draft.headers;
    const headers = value === null ? others : { ...others, authorization: value };
    const what = value === null ? 'no Authorization header' : `Authorization: ${excerpt(value)}`;
    return done({ ...draft, headers, ownDocument: draft.ownDocument || draft.kind === 'bad-document' }, 'bad-token', draft.kind === 'valid' ? what : `${what}, and ${draft.what}`, {
      token,
      principal: undefined,
      onlyToken: draft.kind === 'valid',
    });
  });

/** The targets where a consumer's token reports reads (as itself only). */
const USAGE_TARGETS = new Set(['POST /v1/usage', 'mutation recordUsage']);

/** The request made about consumer:app's own things, as its token may: its own asset, its own reads. */
function aboutItself(draft: Draft): Draft {
  if (draft.target === 'PUT /v1/assets/{kind}/{name}' && isObject(draft.body) && 'owner' in draft.body)
    return { ...draft, params: { kind: 'consumer', name: 'app' }, body: fitToKind({ ...draft.body, owner: 'team-app' }, 'consumer', 'consumer:app') };
  if (USAGE_TARGETS.has(draft.target) && draft.body !== undefined) {
    const own = (node: Json, key: string): Json =>
      Array.isArray(node)
        ? node.map((n) => own(n, key))
        : isObject(node)
          ? Object.fromEntries(Object.entries(node).map(([k, v]) => [k, own(v, k)]))
          : key === 'consumer' && typeof node === 'string'
            ? 'app'
            : node;
    return { ...draft, body: own(draft.body, '') };
  }
  return draft;
}

/**
 * A valid token of another principal than the admin: the stranger team's (it owns no
 * asset the fuzzer names), or consumer:app's, now and then on a request about its own things.
 */
const otherPrincipal: Mutation = (draft, ctx) =>
  fc.tuple(fc.constantFrom<'team' | 'consumer'>('team', 'consumer'), fc.boolean()).map(([who, itself]) => {
    const token = ctx.catalog[who];
    // (Made again at once when a request revokes one: see Fuzzer.check.)
    if (!token) return done(draft, 'other-principal', `the ${who} token, revoked: the admin's instead`);
    const next = who === 'consumer' && itself ? aboutItself(draft) : draft;
    return done(
      { ...next, headers: { ...next.headers, authorization: `Bearer ${token.secret}` } },
      'other-principal',
      `${who} token ${token.name}${next === draft ? '' : ', about itself'}`,
      { principal: who, token: undefined, onlyToken: true },
    );
  });

/** A request of any kind, or now and then one of any kind also sent with a bad token. */
export function withBadTokens(options: fc.WeightedArbitrary<Draft>[]): fc.Arbitrary<Draft> {
  const mutated = fc.oneof(...options);
  // (Not over a request whose token a mutation already spoilt: replacing it would undo that.)
  const layered = mutated.chain((d) => (d.expect.token === undefined ? badToken(d) : fc.constant(d)));
  return fc.oneof({ weight: 12, arbitrary: mutated }, { weight: 1, arbitrary: layered });
}

/** The mutations by kind; GraphQL's own kinds (a bad document, a huge `first`) are in graphql.ts. */
export const MUTATIONS: Partial<Record<InputKind, Mutation>> = {
  nul: withChar(['\u0000'], 'nul', 'NUL'),
  'lone-surrogate': withChar(['\ud800', '\udfff', '\udbff', '\udc00'], 'lone-surrogate', 'a lone surrogate'),
  'deep-json': deepJson,
  'long-name': longNames,
  'like-wildcard': likeWildcards,
  'out-of-range': outOfRange,
  'wrong-type': wrongType,
  'unknown-field': unknownField,
  'huge-array': hugeArray,
  'content-type': contentType,
  'malformed-json': malformedJson,
  'empty-body': emptyBody,
  'invalid-cursor': invalidCursor,
  'unknown-ref': unknownRef,
  'bad-header': badHeader,
  'bad-token': badToken,
  'other-principal': otherPrincipal,
};

/** How often each kind is drawn, relative to the others (huge arrays cost the most to send). */
export const WEIGHTS: Record<InputKind, number> = {
  valid: 4,
  nul: 4,
  'lone-surrogate': 3,
  'deep-json': 2,
  'long-name': 3,
  'like-wildcard': 3,
  'out-of-range': 3,
  'wrong-type': 3,
  'unknown-field': 3,
  'huge-array': 1,
  'content-type': 2,
  'malformed-json': 2,
  'empty-body': 2,
  'invalid-cursor': 3,
  'unknown-ref': 3,
  'bad-header': 2,
  'bad-document': 3,
  'huge-first': 3,
  'bad-token': 3,
  'other-principal': 4,
};

export type { Mutation, JsonSchema };
