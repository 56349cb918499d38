import { InputError } from '../domain/errors.js';

/**
 * Who made a change, for the history, from the `X-Actor` header both adapters read
 * (else "anonymous").
 */
export function actorFrom(header: string | string[] | undefined): string {
  const actor = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!actor) return 'anonymous';
  if (actor.length > 200) throw InputError.field('x-actor', 'must be at most 200 characters', 'headers');
  return actor;
}
