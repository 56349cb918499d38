import { ANNOTATION_FIELDS, type Annotations, type DependencyEdge } from '../../domain/asset.js';
import type { CreatedFields, FieldChange } from '../../domain/history.js';

const stable = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

export const sameValue = (a: unknown, b: unknown): boolean => stable(a) === stable(b);

const FIELDS = [...ANNOTATION_FIELDS, 'dependsOn'] as const;

/** Holds something: a creation records only such fields. */
const present = (field: string, value: unknown): boolean =>
  value !== null && !(Array.isArray(value) && value.length === 0) && !(field === 'metadata' && Object.keys(value as object).length === 0);

const refOf = (d: string | DependencyEdge) => (typeof d === 'string' ? d : d.ref);

/**
 * A creation's changes in their compact stored form (see CreatedFields): the fields that
 * diffAsset(null, …) lists, with `dependsOn` as given (bare refs where a dependency
 * carries nothing else), sorted by ref.
 */
export function createdFields(after: Annotations, dependsOn: (string | DependencyEdge)[]): CreatedFields {
  const fields: CreatedFields = {};
  for (const field of ANNOTATION_FIELDS) if (present(field, after[field])) fields[field] = after[field];
  if (dependsOn.length > 0) fields.dependsOn = dependsOn.sort((a, b) => (refOf(a) < refOf(b) ? -1 : refOf(a) > refOf(b) ? 1 : 0));
  return fields;
}

/** Field-level differences between an asset as stored and what a write asks for. */
export function diffAsset(
  before: (Annotations & { dependsOn: DependencyEdge[] }) | null,
  after: Annotations & { dependsOn: DependencyEdge[] },
): FieldChange[] {
  const changes: FieldChange[] = [];
  if (!before) {
    // A creation: every field that holds something is a change from nothing.
    for (const field of FIELDS) if (present(field, after[field])) changes.push({ field, before: null, after: after[field] });
    return changes;
  }
  for (const field of FIELDS) {
    const was = before[field];
    const now = after[field];
    if (!sameValue(was, now)) changes.push({ field, before: was ?? null, after: now ?? null });
  }
  return changes;
}

