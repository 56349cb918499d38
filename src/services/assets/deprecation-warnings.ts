import type { Warning } from '../../domain/asset.js';
import { isPastSunset, todayUtc } from '../../domain/deprecation.js';
import type { Lifecycle } from '../../domain/model.js';

/** What a warning needs to know of a deprecated dependency. */
export interface DeprecatedDependency {
  ref: string;
  lifecycle: Lifecycle;
  reason: string | null;
  replacedBy: string | null;
  sunsetAt: string | null;
}

const status = (dep: DeprecatedDependency): string => {
  const state = dep.lifecycle === 'retired' ? 'retired' : 'deprecated';
  return dep.reason ? `${state} (${dep.reason})` : state;
};

const advice = (dep: DeprecatedDependency): string =>
  dep.replacedBy ? `use ${dep.replacedBy} instead` : 'no replacement is named';

/**
 * The read-time warning of an asset that depends, at `distance` along `path` (from the
 * asset to the deprecated one), on a deprecated asset.
 */
export function dependsOnDeprecated(dep: DeprecatedDependency, distance: number, path: string[], today = todayUtc()): Warning {
  const via = distance === 1 ? `depends directly on ${dep.ref}` : `depends on ${dep.ref} through ${path.slice(1, -1).join(' → ')}`;
  const fields = { asset: dep.ref, replacedBy: dep.replacedBy, sunsetAt: dep.sunsetAt, distance };
  if (isPastSunset(dep.sunsetAt, today))
    return {
      code: 'depends_on_past_sunset',
      message: `${via}, which is ${status(dep)} and past its sunset date ${dep.sunsetAt}: ${advice(dep)}`,
      ...fields,
    };
  const sunset = dep.sunsetAt ? `; sunset ${dep.sunsetAt}` : '';
  return { code: 'depends_on_deprecated', message: `${via}, which is ${status(dep)}${sunset}: ${advice(dep)}`, ...fields };
}

/** The write-time warning for a dependency on a deprecated asset declared by this write. */
export function newDependencyOnDeprecated(dep: DeprecatedDependency): Warning {
  const sunset = dep.sunsetAt ? `; after ${dep.sunsetAt} new dependencies on it are refused` : '';
  return {
    code: 'new_dependency_on_deprecated',
    message: `the new dependency on ${dep.ref} was accepted, but it is ${status(dep)}${sunset}: ${advice(dep)}`,
    asset: dep.ref,
    replacedBy: dep.replacedBy,
    sunsetAt: dep.sunsetAt,
    distance: 1,
  };
}
