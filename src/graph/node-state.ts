import type { Kind } from '../domain/model.js';

/** The current state of one asset as the closure index needs it; `kind` null = deleted. */
export interface NodeState {
  seq: number;
  id: number;
  kind: Kind | null;
  name: string | null;
  owner: string | null;
  /** Deprecated (see domain isDeprecated): reads of what depends on it carry a warning. */
  deprecated?: boolean;
  dependsOn: number[];
}
