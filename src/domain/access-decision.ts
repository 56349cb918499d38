import type { Warning } from './asset.js';
import type { AccessPolicy } from './model.js';

/** What the access check knows about one (consumer, asset) pair. */
export interface AccessFacts {
  mode: AccessPolicy;
  /** The identity is a registered consumer. */
  registered: boolean;
  /** ...with a direct declared dependency on the asset (a transitive one does not count). */
  declared: boolean;
  /** The asset's sunset date is before today. */
  pastSunset: boolean;
  deprecated: boolean;
  sunsetAt: string | null;
  replacedBy: string | null;
}

export type AccessReason = 'open' | 'declared' | 'undeclared' | 'unregistered' | 'past_sunset';

export interface AccessDecision {
  allowed: boolean;
  mode: AccessPolicy;
  reason: AccessReason;
  message: string;
  warnings: Warning[];
}

/**
 * The decision table (docs/usage-and-access.md shows it):
 *
 *   mode     past sunset   declared   undeclared / unregistered
 *   open     allow + warn  allow      allow
 *   warn     allow + warn  allow      allow + warning
 *   enforce  refuse        allow      refuse
 */
export function decideAccess(facts: AccessFacts): AccessDecision {
  const { mode } = facts;
  const warnings: Warning[] = [];
  const undeclaredReason: AccessReason = facts.registered ? 'undeclared' : 'unregistered';
  const undeclaredText = facts.registered
    ? 'the consumer has no direct declared dependency on the asset'
    : 'the identity is not a registered consumer';

  if (facts.pastSunset) {
    const message = `the asset is past its sunset date (${facts.sunsetAt})${facts.replacedBy ? `; use ${facts.replacedBy}` : ''}`;
    if (mode === 'enforce') return { allowed: false, mode, reason: 'past_sunset', message, warnings };
    warnings.push({ code: 'past_sunset', message });
  } else if (facts.deprecated) {
    warnings.push({
      code: 'deprecated',
      message:
        'the asset is deprecated' +
        (facts.sunsetAt ? `; sunset on ${facts.sunsetAt}` : '') +
        (facts.replacedBy ? `; use ${facts.replacedBy}` : ''),
    });
  }

  if (mode === 'open') return { allowed: true, mode, reason: 'open', message: 'the asset is open to every reader', warnings };
  if (facts.declared)
    return { allowed: true, mode, reason: 'declared', message: 'the consumer declared a direct dependency on the asset', warnings };
  if (mode === 'enforce') return { allowed: false, mode, reason: undeclaredReason, message: `refused: ${undeclaredText}`, warnings };
  warnings.push({ code: undeclaredReason, message: `${undeclaredText}; declare it to keep reading once the asset is enforced` });
  return { allowed: true, mode, reason: undeclaredReason, message: `allowed with a warning: ${undeclaredText}`, warnings };
}
