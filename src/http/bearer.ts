import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../domain/errors.js';

/** The API key in `Authorization: Bearer <key>`, or undefined when there is no header. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedError('Authorization must be "Bearer <API key>"');
  return match[1];
}
