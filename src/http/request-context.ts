import type { FastifyRequest } from 'fastify';
import { InputError } from '../domain/errors.js';

/** If-Match as a revision: `3`, `"3"`, `W/"3"`, or `*` (any existing revision). */
export function ifMatchOf(request: FastifyRequest): number | '*' | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const value = String(header).trim();
  if (value === '*') return '*';
  // An entity tag is quoted on both sides or not at all: `"3` is no revision.
  const match = /^(?:W\/)?(?:"(\d{1,9})"|(\d{1,9}))$/.exec(value);
  if (!match) throw InputError.field('if-match', 'must be a revision number such as "3", or *', 'headers');
  return Number(match[1] ?? match[2]);
}

export const etag = (revision: number): string => `"${revision}"`;
