import { ANNOTATION_FIELDS, type Annotations, type DependencyEdge } from '../domain/asset.js';
import type { FieldChange } from '../repositories/history-repository.js';

const stable = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

export const sameValue = (a: unknown, b: unknown): boolean => stable(a) === stable(b);

const FIELDS = [...ANNOTATION_FIELDS, 'dependsOn'] as const;

/** Field-level differences between an asset as stored and what a write asks for. */
export function diffAsset(
  before: (Annotations & { dependsOn: DependencyEdge[] }) | null,
  after: Annotations & { dependsOn: DependencyEdge[] },
): FieldChange[] {
  const changes: FieldChange[] = [];
  if (!before) {
    // A creation: every field that holds something is a change from nothing.
    for (const field of FIELDS) {
      const now = after[field];
      if (now !== null && !(Array.isArray(now) && now.length === 0) && !(field === 'metadata' && Object.keys(now).length === 0))
        changes.push({ field, before: null, after: now });
    }
    return changes;
  }
  for (const field of FIELDS) {
    const was = before[field];
    const now = after[field];
    if (!sameValue(was, now)) changes.push({ field, before: was ?? null, after: now ?? null });
  }
  return changes;
}

