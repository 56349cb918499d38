import { InputError } from '../domain/errors.js';
import { findBadText } from '../domain/text-guard.js';

/**
 * Who made a change, for the history, from the `X-Actor` header both adapters read
 * (else "anonymous"). It is stored, so it is held to the rules of any stored text: the
 * request guards only look at what a route declares (body, query, path), not headers.
 */
export function actorFrom(header: string | string[] | undefined): string {
  const actor = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!actor) return 'anonymous';
  if (actor.length > 200) throw InputError.field('x-actor', 'must be at most 200 characters', 'headers');
  const bad = findBadText(actor);
  if (bad) throw InputError.field('x-actor', bad.message, 'headers');
  return actor;
}
