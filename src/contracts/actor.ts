import { InputError } from '../domain/errors.js';
import { findBadText } from '../domain/text-guard.js';

/**
 * Whom a token acts for, from the `X-Actor` header both adapters read: it is recorded
 * beside the token's name in the history (`onBehalfOf`), never instead of it. It is
 * stored, so it is held to the rules of any stored text: the request guards only look
 * at what a route declares (body, query, path), not headers.
 */
export function onBehalfOfFrom(header: string | string[] | undefined): string | null {
  const actor = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!actor) return null;
  if (actor.length > 200) throw InputError.field('x-actor', 'must be at most 200 characters', 'headers');
  const bad = findBadText(actor);
  if (bad) throw InputError.field('x-actor', bad.message, 'headers');
  return actor;
}
