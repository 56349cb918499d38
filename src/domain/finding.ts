import type { Hint } from './errors.js';

/** The ML-debt findings: what is flagged, how severe, and the order findings are listed in. */

export const SEVERITIES = ['info', 'warning', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Listing order of the types; findings are sorted by type (this order), then by asset ids. */
export const FINDING_TYPES = [
  'feedback_loop',
  'past_sunset_in_use',
  'deprecated_in_use',
  'platform_mismatch',
  'correction_cascade',
  'undeclared_consumer',
  'unpinned_volatile',
  'legacy_feature',
  'experimental_in_production',
  'domain_mismatch',
  'negligible_importance',
  'unused',
  'missing_annotations',
] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);
export const typeRank = (type: FindingType): number => FINDING_TYPES.indexOf(type);

/** A finding as the API shows it. */
export interface Finding {
  type: FindingType;
  severity: Severity;
  /**
   * The assets involved, most responsible first (a cycle or chain in order); at most 20:
   * a longer chain or loop lists its first 19 and its last.
   */
  assets: string[];
  /** Only when `assets` is cut short: how many assets the chain or loop has in all. */
  assetsTotal?: number;
  message: string;
  /** What to do, in words that name no adapter's requests. */
  fix: string;
  /** The fix, when it is one operation of the catalog: adapters render it in their own terms. */
  hint?: Hint;
}

/** Where a listing continues: the last finding's type and sort key. */
export interface FindingCursor {
  type: FindingType;
  key: (number | string)[];
}
