import type { Hint } from '../domain/errors.js';
import type { Finding } from '../domain/finding.js';

const pathOf = (ref: string): string => `/v1/assets/${ref.replace(':', '/')}`;

/** A hint as the REST request that carries it out. */
export function restForm(hint: Hint): string {
  switch (hint.operation) {
    case 'reinstate':
      return `POST ${pathOf(hint.ref)}/reinstate`;
    case 'forceDelete':
      return `DELETE ${pathOf(hint.ref)}?force=true&reason=…`;
    case 'delete':
      return `DELETE ${pathOf(hint.ref)}`;
    case 'upsert':
      return `PUT ${pathOf(hint.ref)}${hint.dependsOn ? ` with dependsOn: ${JSON.stringify(hint.dependsOn)}` : ''}`;
  }
}

/**
 * Text that names an operation in words, with the request attached where the words end:
 * "…; reinstate it to undo that (POST /v1/assets/feature/x/reinstate)". A sentence keeps
 * its full stop after the request.
 */
export function withRestForm(text: string, hint: Hint | undefined): string {
  if (!hint) return text;
  return text.endsWith('.') ? `${text.slice(0, -1)} (${restForm(hint)}).` : `${text} (${restForm(hint)})`;
}

/** A finding as REST answers it: its fix with the request attached. */
export const restFinding = ({ hint, ...finding }: Finding): Omit<Finding, 'hint'> => ({
  ...finding,
  fix: withRestForm(finding.fix, hint),
});
