import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Content-Security-Policy, one per kind of answer, each with the fewest sources a browser
 * needs to show it (docs/security.md lists them): the API's, /docs', and the GraphQL
 * explorer's (graphql/explorer-page.ts, beside the page it describes).
 */
type Policy = Record<string, readonly string[]>;

const serialize = (policy: Policy): string =>
  Object.entries(policy)
    .map(([directive, sources]) => [directive, ...sources].join(' '))
    .join('; ');

/**
 * Every answer but the two pages is data (JSON, NDJSON, metrics text): nothing in it
 * may load or run anything, and no page may frame it. `default-src` does not cover
 * `frame-ancestors`, hence both.
 */
const API_POLICY: Policy = {
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * /docs, Swagger UI (@fastify/swagger-ui 6): its page has no inline script or style (its
 * `swaggerCSP` hashes are empty), so scripts and styles come from its own files, plus one
 * `<style>` that React writes into the top bar's logo (an SVG), named by its hash; its CSS
 * draws icons as `data:` images; it fetches the OpenAPI document and runs "Try it out"
 * requests on this origin. No validator badge (validatorUrl is null), no fonts to load.
 * An upgrade that changes the logo fails the browser test (test/graphql-explorer.test.ts).
 */
const SWAGGER_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";
const DOCS_POLICY: Policy = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", SWAGGER_LOGO_STYLE],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** The /docs policy, for @fastify/swagger-ui's `staticCSP`, which sets it on every /docs answer. */
export const DOCS_CSP = serialize(DOCS_POLICY);

/**
 * Helmet's headers on every answer that goes through Fastify's hooks, with the API policy;
 * /docs (its `staticCSP`, app.ts) and the GraphQL explorer page (graphql/explorer-page.ts)
 * replace the policy with theirs. Helmet's other defaults stay, among them:
 * - `Strict-Transport-Security: max-age=31536000; includeSubDomains`: browsers ignore it over
 *   plain HTTP and obey it only when the server is reached over HTTPS (a TLS proxy in front):
 *   from then on they use HTTPS only, for this host and its subdomains, for a year;
 * - `Cross-Origin-Resource-Policy: same-origin`, which binds `no-cors` loads (an `<img>` or
 *   `<script>` of another site) and not the CORS requests a listed origin makes (cors.ts);
 * - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.
 * `X-Frame-Options` says DENY, as `frame-ancestors 'none'` does, for browsers without CSP.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: API_POLICY },
    xFrameOptions: { action: 'deny' },
  });
}
