import type { DependencyEdge } from './asset.js';
import type { Kind } from './model.js';

export type HistoryAction = 'create' | 'update' | 'deprecate' | 'reinstate' | 'delete';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * A creation's changes as the write path stores them: each field that holds something, by
 * name, in field order, and dependencies that carry no pin, importance or note as bare
 * refs. A bulk import writes a million of these; the full form is three times the size.
 * `expandChanges` gives the full form back.
 */
export type CreatedFields = Record<string, unknown>;

/** Stored changes, full (FieldChange[]) or a creation's compact form, as the full form. */
export function expandChanges(stored: FieldChange[] | CreatedFields): FieldChange[] {
  if (Array.isArray(stored)) return stored;
  return Object.entries(stored).map(([field, after]) => ({
    field,
    before: null,
    after:
      field === 'dependsOn'
        ? (after as (string | DependencyEdge)[]).map((d) =>
            typeof d === 'string' ? { ref: d, pinnedVersion: null, importance: null, note: null } : d,
          )
        : after,
  }));
}

/** One change to one asset, as it is recorded. */
export interface HistoryEntry {
  assetId: number;
  kind: Kind;
  name: string;
  action: HistoryAction;
  /** The token's name. */
  actor: string;
  /** Whom the token said it acted for (X-Actor). */
  onBehalfOf: string | null;
  revision: number;
  changes: FieldChange[];
  reason: string | null;
}

/** A recorded change as it is read back. */
export interface HistoryRecord extends Omit<HistoryEntry, 'assetId' | 'kind' | 'name'> {
  id: number;
  at: string;
}
