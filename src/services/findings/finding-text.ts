import type { Hint } from '../../domain/errors.js';
import type { Finding } from '../../domain/finding.js';
import type { FindingRecord, RuleContext } from './finding-rules.js';

const list = (items: readonly (string | number)[]): string =>
  items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/**
 * Puts a finding into words: a plain message and a concrete fix. A fix that is one
 * operation of the catalog names it in words, last, and carries it as a hint, which each
 * adapter spells in its own terms (REST attaches the request to the fix).
 */
export function describe(record: FindingRecord, { index, table, epsilon }: RuleContext): Finding {
  const assets = record.ids.map((id) => index.refOf(id));
  const [a, b, c] = assets;
  const args = record.args ?? [];
  // A cut-down chain or loop (see MAX_FINDING_ASSETS) says how many are left out before its last.
  const inAll = record.total ?? assets.length;
  const rest =
    record.total === undefined
      ? assets.slice(1)
      : [...assets.slice(1, -1), `${inAll - assets.length} more down to ${assets[assets.length - 1]}`];
  let message: string;
  let fix: string;
  let hint: Hint | undefined;
  switch (record.type) {
    case 'feedback_loop': {
      const size = Number(args[0]);
      message =
        `Feedback loop: ${a} depends on ${[...rest, a].join(', which depends on ')} again` +
        (record.total !== undefined ? `: a loop of ${inAll} assets` : '') +
        (size > inAll ? `; ${size} assets in all are caught in this loop.` : '.');
      fix =
        `Break the loop: remove ${assets[assets.length - 1]}'s dependency on ${a}, or have it read a ` +
        'frozen, versioned snapshot (pinnedVersion) of that output instead of the live one.';
      break;
    }
    case 'correction_cascade': {
      message =
        assets.length === 2
          ? `${a} is built on the output of model ${b}: a correction cascade of one hop.`
          : `${a} is built on the output of ${rest.join(', which is built on ')}: ` +
            `a correction cascade ${inAll} models deep.`;
      fix =
        `Give ${a} its own inputs (the features ${b} uses) instead of ${b}'s predictions, or fold the correction ` +
        `into ${b}, so that improving ${assets[assets.length - 1]} cannot silently degrade the models above it.`;
      break;
    }
    case 'deprecated_in_use':
    case 'past_sunset_in_use': {
      const replacement = table.replacementOf(record.ids[1]);
      const sunset = table.sunsetOf(record.ids[1]);
      const retired = table.isRetired(record.ids[1]);
      message =
        record.type === 'deprecated_in_use'
          ? `${a} depends on ${b}, which is deprecated${sunset ? ` (sunset ${sunset})` : ''}.`
          : `${a} depends on ${b}, which ${retired ? 'is retired' : `passed its sunset date (${sunset})`}.`;
      fix = replacement
        ? `Switch ${a} from ${b} to its replacement ${replacement}${record.type === 'deprecated_in_use' && sunset ? ` before ${sunset}` : ''}.`
        : `Remove ${a}'s dependency on ${b}; no replacement is recorded, so ask its owner (${index.ownerOf(record.ids[1])}) what to use instead.`;
      break;
    }
    case 'undeclared_consumer':
      message = `${record.identity} read ${a} ${args[0]} time${args[0] === 1 ? '' : 's'} (last ${args[1]}) without a declared dependency on it.`;
      fix = `Stop ${record.identity} reading ${a}, or register it as a consumer with a direct dependency on ${a}.`;
      hint = { operation: 'upsert', ref: `consumer:${record.identity}`, dependsOn: [a] };
      break;
    case 'unpinned_volatile':
      message = `${a} depends on the volatile source ${b} without a pinned version: any change to ${b} reaches ${a} unannounced.`;
      fix = `Pin it: in ${a}'s dependsOn, give {"ref": "${b}", "pinnedVersion": "<the version you validated>"} and upgrade deliberately.`;
      break;
    case 'unused':
      message = `${a} is in production but nothing depends on it.`;
      fix = `If something does use ${a}, register that dependency; otherwise mark it retired, or delete it.`;
      hint = { operation: 'delete', ref: a };
      break;
    case 'legacy_feature':
      message = `${a} depends both on ${b} and on ${c}, which replaces it.`;
      fix = `Remove ${b} from ${a}'s dependsOn and keep ${c}.`;
      break;
    case 'negligible_importance':
      message = `${b} contributes an importance of ${args[0]} to ${a}, below the threshold of ε = ${epsilon}.`;
      fix = `Drop ${b} from ${a}'s inputs and retrain: it adds a dependency and almost nothing to the result.`;
      break;
    case 'platform_mismatch':
      message = `${a} is available on ${list(args)} but depends on ${b}, which is not.`;
      fix = `Make ${b} available on ${list(args)}, depend on an equivalent that is, or remove ${list(args)} from ${a}'s platforms.`;
      break;
    case 'domain_mismatch':
      message = `${a} applies to ${list(args)} but depends on ${b}, which does not.`;
      fix = `Check that ${b} is valid for ${list(args)} and add ${args.length === 1 ? 'it' : 'them'} to its domains, or depend on an asset made for ${list(args)}.`;
      break;
    case 'experimental_in_production':
      message = `${a} is in production but depends on ${b}, which is experimental.`;
      fix = `Review ${b} and set its lifecycle to production, or move ${a} back to experimental until it is.`;
      break;
    case 'missing_annotations':
      message = `${a} is in production but has no ${list(args)}.`;
      fix = `Add ${list(args)} to ${a}.`;
      hint = { operation: 'upsert', ref: a };
      break;
  }
  const finding: Finding = { type: record.type, severity: record.severity, assets, message, fix };
  if (hint) finding.hint = hint;
  if (record.total !== undefined) finding.assetsTotal = record.total;
  return finding;
}
