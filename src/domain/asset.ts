import type { AccessPolicy, Kind, Lifecycle, ValueType } from './model.js';
import type { Sla } from './asset-schemas.js';

export interface DependencyEdge {
  ref: string;
  pinnedVersion: string | null;
  importance: number | null;
  note: string | null;
}

export interface Deprecation {
  reason: string;
  replacedBy: string | null;
  /** ISO date, YYYY-MM-DD. */
  sunsetAt: string | null;
  deprecatedAt: string;
}

/** The annotations a PUT sets; every field is present, absent ones as null or defaults. */
export interface Annotations {
  owner: string;
  description: string | null;
  lifecycle: Lifecycle;
  tags: string[];
  platforms: string[] | null;
  domains: string[] | null;
  valueType: ValueType | null;
  stability: 'stable' | 'volatile' | null;
  accessPolicy: AccessPolicy | null;
  contact: string | null;
  sla: Sla | null;
  metadata: Record<string, unknown>;
}

export interface Asset extends Annotations {
  id: number;
  ref: string;
  kind: Kind;
  name: string;
  dependsOn: DependencyEdge[];
  deprecation: Deprecation | null;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface Warning {
  code: string;
  message: string;
  /** For deprecation warnings: the deprecated asset, its replacement and sunset, how far up. */
  asset?: string;
  replacedBy?: string | null;
  sunsetAt?: string | null;
  distance?: number;
}

export type AssetView = Omit<Asset, 'id'> & { warnings: Warning[] };

export const ANNOTATION_FIELDS = [
  'owner',
  'description',
  'lifecycle',
  'tags',
  'platforms',
  'domains',
  'valueType',
  'stability',
  'accessPolicy',
  'contact',
  'sla',
  'metadata',
] as const satisfies readonly (keyof Annotations)[];

export function toView(asset: Asset, warnings: Warning[] = []): AssetView {
  const { id: _id, ...rest } = asset;
  return { ...rest, warnings };
}
