import fc from 'fast-check';
import { FINDING_TYPES, SEVERITIES } from '../../src/domain/finding.js';
import { KINDS, STRANGER_TEAM, WEBHOOK, type Catalog } from './catalog.js';
import { isObject, type Json, type Segment } from './request.js';

/** The part of JSON Schema (as the OpenAPI document writes it) the generators read. */
export interface JsonSchema {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';
  enum?: Json[];
  nullable?: boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  exclusiveMaximum?: boolean | number;
  pattern?: string;
  format?: string;
  default?: Json;
  description?: string;
  $ref?: string;
}

/** A value the generator leaves out: an optional field it has nothing valid for. */
export const ABSENT = '\u0001absent';

/** What valid values are drawn from: the catalog, and the target (cursors are per target). */
export interface ValueContext {
  catalog: Catalog;
  target: string;
}

const text = fc.string({ minLength: 0, maxLength: 24 }).map((s) => `t ${s}`.trim());
const days = ['2026-01-31', '2025-12-01', '2024-02-29', '2099-12-31'];
const futureDays = ['2099-01-01', '2098-06-30', '2100-02-28'];

/** Whole numbers a page size or a depth usually is, and now and then the largest. */
const small = (max: number) => fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: Math.min(5, max) }) }, fc.integer({ min: 1, max }));

/** A comma-separated subset of `values`, as the list filters of the query string take them. */
const listOf = (values: readonly string[]) => fc.subarray([...values], { minLength: 1 }).map((v) => v.join(','));

/** The nearest property name of a trail (`['dependsOn', '[]', 'ref']` → `ref`). */
const nameOf = (trail: readonly string[]) => [...trail].reverse().find((s) => s !== '[]') ?? '';

/**
 * Any JSON a user may store, two levels deep. fast-check likes `__proto__` for a key, and
 * the body parser refuses a `__proto__` key (and `constructor.prototype`) as prototype
 * poisoning, which malformed-json sends on purpose: a valid request has neither.
 */
const userJson = () =>
  (fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>).filter((value) => !/"(?:__proto__|prototype)":/.test(JSON.stringify(value)));

/**
 * Domain values for fields the schema alone cannot make valid: refs that exist, names of
 * the path's kind, cursors the target issued, webhooks that go nowhere.
 */
function hinted(schema: JsonSchema, trail: readonly string[], ctx: ValueContext): fc.Arbitrary<Json> | undefined {
  const { catalog, target } = ctx;
  const name = nameOf(trail);
  const type = schema.type ?? (schema.anyOf ? 'anyOf' : undefined);
  const inDependencies = trail.includes('dependsOn');
  if (name === 'metadata' && (type === 'object' || type === undefined))
    return fc.dictionary(fc.constantFrom('team', 'run', 'rows', 'notes', 'pii'), userJson(), {
      maxKeys: 3,
    });
  if (type === 'string' || (type === undefined && schema.enum === undefined)) {
    if (schema.enum) return undefined;
    if (inDependencies && (name === 'ref' || name === 'dependsOn')) return fc.constantFrom(...catalog.dependable);
    switch (name) {
      case 'ref':
        // A ref that is written (a batch item, an upsert) or read may be new; one referred to exists.
        return fc.constantFrom(...catalog.refs);
      case 'asset':
      case 'replacedBy':
        return fc.constantFrom(...catalog.existing);
      case 'consumer':
        // A token is a consumer's by its name (`app` for `consumer:app`).
        if (/\/v1\/tokens/.test(target)) return fc.constantFrom(...catalog.names.consumer);
        return /notification/i.test(target)
          ? fc.constantFrom(...catalog.names.consumer.map((n) => `consumer:${n}`))
          : fc.nat().map((i) => catalog.identities[i % catalog.identities.length]);
      case 'owner':
        return fc.constantFrom(...catalog.owners);
      case 'team':
        // (A team is an owner; the stranger team owns nothing, and its token may not make tokens.)
        return fc.constantFrom(...catalog.owners, STRANGER_TEAM);
      case 'tag':
      case 'tags':
      case 'platforms':
      case 'domains':
        return fc.constantFrom(...catalog.tags, 'online', 'batch');
      case 'q':
        return fc.constantFrom('raw', 'ctr', 'RANK', 'click', 'arch', 'legacy', 'log', '100', 'x');
      case 'kind':
        return listOf(KINDS);
      case 'kinds':
        return fc.constantFrom(...KINDS);
      case 'type':
        return listOf(FINDING_TYPES);
      case 'severity':
        return listOf(SEVERITIES);
      case 'cursor':
      case 'after':
        return fc.nat().map((i) => {
          const issued = catalog.cursors.get(target) ?? [];
          return issued.length > 0 ? issued[i % issued.length] : ABSENT;
        });
      case 'since':
        return fc.constantFrom(...days, '2026-01-31T12:00:00Z', '2025-06-01T00:00:00+02:00');
      case 'at':
        return fc.integer({ min: 0, max: 86_400 }).map((s) => new Date(Date.now() - s * 1000).toISOString());
      case 'sunsetAt':
        return fc.constantFrom(...futureDays);
      case 'notify':
        return fc.constant(WEBHOOK);
      case 'contact':
        return fc.constantFrom('ops@example.com', 'https://chat.example.com/ml', 'pager');
      case 'force':
        return fc.constantFrom('false', 'false', 'true');
      case 'pinnedVersion':
        return fc.constantFrom('v1', 'v2', '2026-01-01');
      case 'reason':
      case 'description':
      case 'note':
        return text;
    }
  }
  if (type === 'integer' || type === 'number') {
    switch (name) {
      case 'limit':
      case 'first':
        return small(1000);
      case 'depth':
        return fc.integer({ min: 1, max: 4 });
      case 'id':
        return fc.nat().map((i) => catalog.keyIds[i % catalog.keyIds.length]);
      case 'count':
        return fc.integer({ min: 1, max: 1000 });
      case 'ifMatch':
        return fc.integer({ min: 1, max: 5 });
      case 'importance':
        return fc.double({ min: 0, max: 1, noNaN: true });
      case 'maxStalenessHours':
        return fc.integer({ min: 1, max: 168 });
    }
  }
  return undefined;
}

const bound = (value: boolean | number | undefined, base: number | undefined, step: number): number | undefined =>
  typeof value === 'number' ? value + step : value === true && base !== undefined ? base + step : base;

/** A valid value of `schema`: the schema's rules, with domain values where the schema says too little. */
export function validValue(schema: JsonSchema, trail: readonly string[], ctx: ValueContext): fc.Arbitrary<Json> {
  const hint = hinted(schema, trail, ctx);
  if (hint) return hint;
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fc.oneof(...branches.map((b) => validValue(b, trail, ctx)));
  switch (schema.type) {
    case 'string': {
      if (schema.format === 'date') return fc.constantFrom(...days);
      if (schema.format === 'date-time') return fc.constantFrom('2026-01-31T12:00:00Z', '2025-06-01T00:00:00.5+02:00');
      if (schema.format === 'uri') return fc.constant(WEBHOOK);
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      const min = Math.max(schema.minLength ?? 0, 1);
      return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(schema.maxLength ?? 24, 24)) }).map((s) => (s.trim() ? s : `v${s}`));
    }
    case 'integer': {
      const min = Math.max(bound(schema.exclusiveMinimum, schema.minimum, 1) ?? -1000, -1000);
      const max = Math.min(bound(schema.exclusiveMaximum, schema.maximum, -1) ?? 1000, Math.max(min, 1000));
      return fc.integer({ min, max });
    }
    case 'number': {
      const min = Math.max(schema.minimum ?? -1000, -1000) + (schema.exclusiveMinimum ? 0.5 : 0);
      const max = Math.min(schema.maximum ?? 1000, 1000);
      return fc.double({ min, max, noNaN: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const min = schema.minItems ?? 0;
      return fc.array(validValue(schema.items ?? {}, [...trail, '[]'], ctx), {
        minLength: min,
        maxLength: Math.min(schema.maxItems ?? min + 3, min + 3),
      });
    }
    case 'object': {
      const properties = schema.properties ?? {};
      if (Object.keys(properties).length === 0)
        return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((key) => key !== '__proto__'), userJson(), { maxKeys: 3 });
      const record = fc.record(
        Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, validValue(s, [...trail, key], ctx)])),
        { requiredKeys: schema.required ?? [] },
      );
      return record.map(withoutAbsent);
    }
    default:
      return userJson();
  }
}

/** Drops the fields the generator had no valid value for. */
export function withoutAbsent(value: Record<string, unknown>): Record<string, Json> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== ABSENT && v !== undefined)) as Record<string, Json>;
}

/**
 * The schema of the node at `path` inside `value` (valid for `root`); for a union, the
 * branch that fits the node's type.
 */
export function schemaAt(root: JsonSchema, value: Json, path: readonly Segment[]): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  let node: Json | undefined = value;
  for (const key of path) {
    schema = pickBranch(schema, node);
    if (!schema) return undefined;
    if (typeof key === 'number') schema = schema.items;
    else
      schema =
        schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    node = node !== null && typeof node === 'object' ? (node as Record<string, Json>)[key as string] : undefined;
  }
  return pickBranch(schema, node);
}

function pickBranch(schema: JsonSchema | undefined, node: Json | undefined): JsonSchema | undefined {
  const branches = schema?.anyOf ?? schema?.oneOf;
  if (!branches) return schema;
  const kind = Array.isArray(node) ? 'array' : isObject(node) ? 'object' : typeof node === 'string' ? 'string' : 'number';
  return branches.find((b) => b.type === kind || (kind === 'number' && b.type === 'integer')) ?? branches[0];
}
