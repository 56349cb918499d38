import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** What a front end sends: its token, a JSON body, a revision to match, who acts, its trace id. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'If-Match', 'X-Actor', 'X-Request-Id'];
/** What a front end may read beyond the CORS-safelisted headers. */
const EXPOSED_HEADERS = ['ETag', 'Location', 'X-Request-Id', 'Retry-After'];

/**
 * CORS for the origins DEPCAT_CORS_ORIGINS lists, and none when it lists none (the default:
 * the plugin is not even registered, so an OPTIONS request is a 404 like any unknown route).
 *
 * - `origin` is a function, not the list: given a list, @fastify/cors still answers an
 *   unlisted origin's preflight with a 204 and its Allow-Methods and Allow-Headers; `false`
 *   leaves the request without any CORS header (the preflight falls through to the 404).
 * - No `credentials`: the API reads no cookie; the token travels in `Authorization`, which a
 *   page sets itself and which the preflight allows by name (`*` would not cover it).
 * - `strictPreflight` off: an OPTIONS without `Access-Control-Request-Method` from a listed
 *   origin gets the same 204, not the plugin's plain-text 400 outside the error shape.
 * - The answer to a preflight is cached by the browser for 10 minutes.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const listed = new Set(origins);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && listed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    strictPreflight: false,
    maxAge: 600,
  });
}
