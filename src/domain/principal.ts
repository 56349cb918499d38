/**
 * Who is asking. One kind of bearer token stands for one of three principals: an admin, a
 * team (its name is an asset `owner`), or a consumer (a consumer asset). Scopes say what
 * the token may do; the principal says whose assets it may do it to (see policy.ts).
 */
export const SCOPES = ['read', 'write', 'ingest', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type PrincipalType = 'admin' | 'team' | 'consumer';

interface TokenPrincipal {
  /** The token's name: the history's actor. */
  name: string;
  /** Null for the admin token of DEPCAT_ADMIN_TOKEN, which is not stored. */
  tokenId: number | null;
  scopes: readonly Scope[];
}

export type Principal =
  | (TokenPrincipal & { type: 'admin' })
  | (TokenPrincipal & { type: 'team'; team: string })
  | (TokenPrincipal & { type: 'consumer'; consumer: string; consumerId: number })
  /** No token was sent. */
  | { type: 'anonymous' }
  /** DEPCAT_AUTH=off: nothing is checked (loopback only; see server.ts). */
  | { type: 'unchecked' };

/** The principal of a request, and whom it says it acts for (X-Actor). */
export interface Caller {
  principal: Principal;
  onBehalfOf: string | null;
}

/** Who made a change, as the history records it. */
export interface Actor {
  /** The token's name. */
  actor: string;
  /** Whom it said it acted for (X-Actor), if anyone. */
  onBehalfOf: string | null;
}

/** The history's actor: the token's name, never X-Actor, which may only add `onBehalfOf`. */
export function actorOf(caller: Caller): Actor {
  const { principal } = caller;
  const name = principal.type === 'anonymous' || principal.type === 'unchecked' ? 'anonymous' : principal.name;
  return { actor: name, onBehalfOf: caller.onBehalfOf };
}

/** The scopes each principal may be given: only an admin may hold `admin`. */
export const SCOPES_OF: Record<PrincipalType, readonly Scope[]> = {
  admin: SCOPES,
  team: ['read', 'write', 'ingest'],
  consumer: ['read', 'write', 'ingest'],
};

/** How a principal is named in messages: `token "ads-ci" (team ads)`. */
export function describePrincipal(principal: Principal): string {
  switch (principal.type) {
    case 'admin':
      return `token "${principal.name}" (admin)`;
    case 'team':
      return `token "${principal.name}" (team ${principal.team})`;
    case 'consumer':
      return `token "${principal.name}" (consumer:${principal.consumer})`;
    case 'anonymous':
      return 'a request without a token';
    case 'unchecked':
      return 'an unchecked request';
  }
}
