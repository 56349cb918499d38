import type { FastifyRequest } from 'fastify';
import { InputError } from '../domain/errors.js';

/** Who made a change, for the history: the X-Actor header, else "anonymous". */
export function actorOf(request: FastifyRequest): string {
  const header = request.headers['x-actor'];
  const actor = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!actor) return 'anonymous';
  if (actor.length > 200) throw InputError.field('x-actor', 'must be at most 200 characters', 'headers');
  return actor;
}

/** If-Match as a revision: `3`, `"3"`, `W/"3"`, or `*` (any existing revision). */
export function ifMatchOf(request: FastifyRequest): number | '*' | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const value = String(header).trim();
  if (value === '*') return '*';
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value);
  if (!match) throw InputError.field('if-match', 'must be a revision number such as "3", or *', 'headers');
  return Number(match[1]);
}

export const etag = (revision: number): string => `"${revision}"`;
