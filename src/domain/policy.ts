import { NotAllowedError, UnauthorizedError } from './errors.js';
import { describePrincipal, type Principal, type Scope } from './principal.js';

export const READ_ACCESS = ['open', 'token'] as const;
/** `open`: reads need no token; `token`: every read needs a token with `read`. */
export type ReadAccess = (typeof READ_ACCESS)[number];

/** Every rule a refusal can name (docs/security.md has the table). */
export type RuleName =
  | 'token-required'
  | 'scope'
  | 'team-owns-asset'
  | 'team-creates-own'
  | 'owner-change-needs-admin'
  | 'consumer-writes-itself'
  | 'consumer-reports-itself'
  | 'admin-only';

/** A refusal by a rule: 403 naming it (or 401 when there is no token at all). */
export class Forbidden extends NotAllowedError {
  constructor(
    readonly rule: RuleName,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message, { rule, ...extra });
  }
}

/** An asset as the rules see it: its ref and owner, and where a write names it. */
export interface OwnedAsset {
  ref: string;
  owner: string;
}

export interface AssetWriteFacts {
  ref: string;
  /** The stored asset's owner; null when the write creates it. */
  ownerBefore: string | null;
  /** The owner the write leaves. */
  ownerAfter: string;
  /** Where the request names the item (`assets[3]`, `lines[7]`), if it is one of many. */
  field?: string;
}

const tokenRequired = () =>
  new UnauthorizedError('a token is required: send Authorization: Bearer <token>', { rule: 'token-required' });

type Authenticated = Exclude<Principal, { type: 'anonymous' | 'unchecked' }>;

/**
 * Every authorization rule, in one place and pure: the services call these with what
 * they read (under the write lock, for writes), so a rule judges the stored state the
 * write changes. Each method allows by returning and refuses by throwing; anything it
 * does not explicitly allow is refused. `unchecked` (DEPCAT_AUTH=off) passes everything.
 */
export class Policy {
  constructor(readonly readAccess: ReadAccess) {}

  /** A read: open to anyone, or (DEPCAT_READ_ACCESS=token) to a token with `read`. */
  read(principal: Principal): void {
    if (principal.type === 'unchecked') return;
    if (this.readAccess === 'open' && principal.type === 'anonymous') return;
    this.scope(principal, 'read');
  }

  /** Creating or replacing an asset. Declaring a dependency on anyone's asset needs no rule. */
  writeAsset(principal: Principal, facts: AssetWriteFacts): void {
    const p = this.scope(principal, 'write');
    if (p === null || p.type === 'admin') return;
    const at = facts.field ? `${facts.field}: ` : '';
    const where = facts.field ? { field: facts.field } : {};
    if (p.type === 'team') {
      if (facts.ownerBefore === null) {
        if (facts.ownerAfter === p.team) return;
        throw new Forbidden(
          'team-creates-own',
          `${at}${describePrincipal(p)} may create assets owned by ${p.team} only, not by "${facts.ownerAfter}"`,
          where,
        );
      }
      if (facts.ownerBefore !== p.team)
        throw new Forbidden(
          'team-owns-asset',
          `${at}${describePrincipal(p)} may change only assets owned by ${p.team}; ${facts.ref} is owned by "${facts.ownerBefore}"`,
          where,
        );
      if (facts.ownerAfter === p.team) return;
      throw new Forbidden(
        'owner-change-needs-admin',
        `${at}moving ${facts.ref} from ${p.team} to "${facts.ownerAfter}" needs an admin token`,
        where,
      );
    }
    // A consumer declares what it reads: it may update its own asset, not move or create one.
    if (facts.ref === `consumer:${p.consumer}` && facts.ownerBefore !== null && facts.ownerAfter === facts.ownerBefore)
      return;
    throw new Forbidden(
      'consumer-writes-itself',
      facts.ref === `consumer:${p.consumer}`
        ? `${at}${describePrincipal(p)} may update consumer:${p.consumer} but not change its owner`
        : `${at}${describePrincipal(p)} may write only consumer:${p.consumer}, not ${facts.ref}`,
      where,
    );
  }

  /** Deleting an asset; `force` removes its dependents' edges, which only its owner or an admin may do. */
  deleteAsset(principal: Principal, asset: OwnedAsset, force: boolean): void {
    const p = this.scope(principal, 'write');
    if (p === null) return;
    if (p.type === 'team' && asset.owner === p.team) return;
    if (p.type === 'admin' && (!force || p.scopes.includes('admin'))) return;
    if (p.type === 'admin')
      throw new Forbidden('admin-only', `forcing the deletion of ${asset.ref}, owned by "${asset.owner}", needs the admin scope`);
    if (p.type === 'team' && force) this.adminOnly(p, `forcing the deletion of ${asset.ref}, owned by "${asset.owner}"`);
    throw this.notOwner(p, asset);
  }

  /** Deprecating or reinstating: the owner's call. */
  changeLifecycle(principal: Principal, asset: OwnedAsset): void {
    const p = this.scope(principal, 'write');
    if (p === null || p.type === 'admin') return;
    if (p.type === 'team' && asset.owner === p.team) return;
    throw this.notOwner(p, asset);
  }

  /** Reporting reads: a token with `ingest`; a consumer token reports only its own reads. */
  ingestUsage(principal: Principal, identities: readonly { identity: string; field: string }[]): void {
    const p = this.scope(principal, 'ingest');
    if (p === null || p.type !== 'consumer') return;
    const other = identities.find((i) => i.identity !== p.consumer && i.identity !== `consumer:${p.consumer}`);
    if (!other) return;
    throw new Forbidden(
      'consumer-reports-itself',
      `${other.field}: ${describePrincipal(p)} may report only its own reads, not those of "${other.identity}"`,
      { field: other.field },
    );
  }

  /**
   * Whom an access check is for: a consumer token checks as itself, whatever the body
   * names; any other caller names the consumer (a read, under the read rule).
   */
  accessIdentity(principal: Principal): { consumer: string } | null {
    this.read(principal);
    return principal.type === 'consumer' ? { consumer: principal.consumer } : null;
  }

  /** Issuing, listing and revoking tokens of any principal. */
  manageTokens(principal: Principal): void {
    const p = this.scope(principal, 'admin');
    if (p === null || p.type === 'admin') return;
    this.adminOnly(p, 'managing tokens');
  }

  /** A consumer's keys and webhook secret: the team that owns the consumer, or an admin. */
  manageConsumer(principal: Principal, consumer: OwnedAsset): void {
    const p = this.scope(principal, 'write');
    if (p === null || p.type === 'admin') return;
    if (p.type === 'team' && consumer.owner === p.team) return;
    throw this.notOwner(p, consumer);
  }

  /**
   * Retrying given-up notices: an admin, or a team that owns the asset they are about or
   * the consumer they are to (`concerned`: those that still exist). Retrying every
   * notice, unfiltered, is an admin's.
   */
  retryNotifications(principal: Principal, concerned: readonly OwnedAsset[]): void {
    const p = this.scope(principal, 'write');
    if (p === null || p.type === 'admin') return;
    if (p.type === 'team' && concerned.some((a) => a.owner === p.team)) return;
    if (concerned.length === 0) this.adminOnly(p, 'retrying notices about no asset of yours');
    throw this.notOwner(p, concerned[0]);
  }

  /** The token's principal if it holds `scope`; null for unchecked; 401 without a token. */
  private scope(principal: Principal, scope: Scope): Authenticated | null {
    if (principal.type === 'unchecked') return null;
    if (principal.type === 'anonymous') throw tokenRequired();
    if (principal.scopes.includes(scope)) return principal;
    throw new Forbidden('scope', `${describePrincipal(principal)} lacks the "${scope}" scope`, { scope });
  }

  private adminOnly(p: Authenticated, what: string): never {
    throw new Forbidden('admin-only', `${what} needs an admin token; ${describePrincipal(p)} is not one`);
  }

  private notOwner(p: Authenticated, asset: OwnedAsset): Forbidden {
    if (p.type === 'consumer')
      return new Forbidden('consumer-writes-itself', `${describePrincipal(p)} may write only consumer:${p.consumer}, not ${asset.ref}`);
    return new Forbidden(
      'team-owns-asset',
      `${describePrincipal(p)} may change only assets owned by ${p.type === 'team' ? p.team : '?'}; ${asset.ref} is owned by "${asset.owner}"`,
    );
  }
}
