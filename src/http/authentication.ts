import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { onBehalfOfFrom } from '../contracts/actor.js';
import { RateLimitedError, UnauthorizedError } from '../domain/errors.js';
import type { Policy } from '../domain/policy.js';
import type { Caller, Principal } from '../domain/principal.js';
import type { TokenService } from '../services/token-service.js';

/**
 * What a route asks of its caller before its handler runs, declared on every route as
 * `config: { access }` (a route without one cannot be registered):
 * - `public`: nothing, not even a look at Authorization (health, readiness, the docs);
 * - `read`: the read rule (open, or a token with `read` under DEPCAT_READ_ACCESS=token);
 * - `write`: a token, before the body is read; the service's rules judge the rest;
 * - `service`: a token if one is sent; the service's rules judge it all (the access
 *   check and GraphQL, which take anonymous callers for some operations).
 */
export const ROUTE_ACCESS = ['public', 'read', 'write', 'service'] as const;
export type RouteAccess = (typeof ROUTE_ACCESS)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyInstance {
    /** Every route registered after authentication, with what it declared (tests enumerate them). */
    declaredAccess(): { method: string; url: string; access: RouteAccess | undefined }[];
  }
  interface FastifyRequest {
    /** Who is asking: set before the body is parsed, for every route but `public` ones. */
    caller: Caller | null;
  }
}

const WINDOW_MS = 60_000;

export interface AuthenticationOptions {
  tokens: Pick<TokenService, 'authenticate'>;
  policy: Policy;
  /** False with DEPCAT_AUTH=off: every caller is `unchecked`. */
  enabled: boolean;
  /** Failed authentications per client address per minute. */
  failureLimit: number;
}

/** The secret in `Authorization: Bearer <secret>`. */
function bearerSecret(header: string): string {
  const match = /^Bearer +([\x21-\x7e]{1,512}) *$/i.exec(header);
  if (!match) throw new UnauthorizedError('Authorization must be "Bearer <token>"');
  return match[1];
}

/**
 * Authentication for every route, in onRequest: before the body is read or parsed, so no
 * input of an unauthenticated request is ever evaluated. Which rule a route follows is
 * decided when it is registered, from its own declaration, never from the request's path.
 */
export async function registerAuthentication(
  app: FastifyInstance,
  options: AuthenticationOptions,
): Promise<{ verifyDeclarations(): void }> {
  const { tokens, policy, enabled } = options;
  app.decorateRequest('caller', null);
  // Checked once every route is in: a plugin's routes get their declaration from an
  // onRoute hook of their own context, which runs after this one.
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.decorate('declaredAccess', () =>
    routes.flatMap((route) =>
      (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({
        method: String(method),
        url: route.url,
        access: route.config?.access,
      })),
    ),
  );

  // Failed authentications counted per client address by @fastify/rate-limit; past the
  // limit, a request with a token is refused before its token is looked at, so guessing
  // learns nothing until the window has passed.
  await app.register(rateLimit, { global: false });
  const failures = app.createRateLimit({ max: options.failureLimit, timeWindow: WINDOW_MS });
  const refuse = (ttlInSeconds: number) =>
    new RateLimitedError(`too many failed authentications from this address; retry in ${ttlInSeconds} s`, Math.max(1, ttlInSeconds));

  async function principalOf(request: FastifyRequest, header: string): Promise<Principal> {
    const before = await failures(request, { increment: false });
    if (!before.isAllowed && before.isExceeded) throw refuse(before.ttlInSeconds);
    try {
      return await tokens.authenticate(bearerSecret(header));
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      const after = await failures(request);
      if (!after.isAllowed && after.isExceeded) throw refuse(after.ttlInSeconds);
      throw error;
    }
  }

  app.addHook('onRequest', async (request) => {
    // The not-found handler has no route config: a 404 needs no caller.
    const access = request.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;
    if (!enabled) {
      request.caller = { principal: { type: 'unchecked' }, onBehalfOf: onBehalfOfFrom(request.headers['x-actor']) };
      return;
    }
    const header = request.headers.authorization;
    const principal: Principal = header === undefined ? { type: 'anonymous' } : await principalOf(request, header);
    if (access === 'read') policy.read(principal);
    if (access === 'write' && principal.type === 'anonymous')
      throw new UnauthorizedError('a token is required: send Authorization: Bearer <token>', { rule: 'token-required' });
    // X-Actor is input too: read only once the caller may be answered at all (a bad one is a 400 after the 401).
    request.caller = { principal, onBehalfOf: onBehalfOfFrom(request.headers['x-actor']) };
  });

  return {
    /** Refuses to start with a route that declares no access: nothing is open by omission. */
    verifyDeclarations() {
      for (const route of routes) {
        const access = route.config?.access;
        if (access === undefined || !ROUTE_ACCESS.includes(access))
          throw new Error(`${String(route.method)} ${route.url} declares no access (config.access: ${ROUTE_ACCESS.join(' | ')})`);
      }
    },
  };
}

/** The caller the onRequest hook found; a route reached without one is a wiring error. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error(`${request.method} ${request.routeOptions.url} has no caller: is its access public?`);
  return request.caller;
}
