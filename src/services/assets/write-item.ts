import type { AssetBody, DependencySpecInput } from '../../domain/asset-schemas.js';
import { formatRef, type Ref } from '../../domain/model.js';

/** A declared dependency, parsed from its spec. */
export interface ParsedEdge {
  ref: Ref;
  key: string;
  pinnedVersion: string | null;
  importance: number | null;
  note: string | null;
}

/** One asset to write, as the adapters hand it over: its dependencies already parsed. */
export interface WriteItem {
  ref: Ref;
  /** The ref as `kind:name`. */
  key: string;
  body: AssetBody;
  /** `body.dependsOn`, parsed once: the write path walks them several times. */
  edges: ParsedEdge[];
  /**
   * Where the item sits in the request body, for the fields its issues name: '' for a
   * PUT's body, `assets[3]` in a batch, `lines[7]` in an import.
   */
  at: string;
}

const toEdge = (spec: DependencySpecInput): ParsedEdge => {
  const ref = 'ref' in spec ? spec.ref : spec;
  const extra = 'ref' in spec ? spec : null;
  return {
    ref,
    key: formatRef(ref),
    pinnedVersion: extra?.pinnedVersion ?? null,
    importance: extra?.importance ?? null,
    note: extra?.note ?? null,
  };
};

/** The one way to build a write item: where a body is parsed (a route, a resolver, the import's chunker). */
export function writeItem(ref: Ref, body: AssetBody, at = ''): WriteItem {
  return { ref, key: formatRef(ref), body, edges: (body.dependsOn ?? []).map(toEdge), at };
}

/** The path of one of the item's fields, as its issues name it. */
export const fieldOf = (item: WriteItem, field: string): string => (item.at ? `${item.at}.${field}` : field);
