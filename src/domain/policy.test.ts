import { describe, expect, it } from 'vitest';
import { NotAllowedError, UnauthorizedError } from './errors.js';
import { Forbidden, Policy, type RuleName } from './policy.js';
import { SCOPES, type Principal, type Scope } from './principal.js';

// The rules are pure: principals in, allow (return) or refuse (throw, naming the rule) out.

const admin = (scopes: readonly Scope[] = SCOPES): Principal => ({ type: 'admin', name: 'root', tokenId: 1, scopes });
const team = (name: string, scopes: readonly Scope[] = ['read', 'write', 'ingest']): Principal => ({
  type: 'team',
  name: `${name}-ci`,
  tokenId: 2,
  team: name,
  scopes,
});
const consumer = (name: string, scopes: readonly Scope[] = ['read', 'write', 'ingest']): Principal => ({
  type: 'consumer',
  name: `${name}-key`,
  tokenId: 3,
  consumer: name,
  consumerId: 9,
  scopes,
});
const anonymous: Principal = { type: 'anonymous' };
const unchecked: Principal = { type: 'unchecked' };

const open = new Policy('open');
const closed = new Policy('token');

/** The rule a refusal names (or 'allowed'). */
function rule(run: () => unknown): RuleName | 'allowed' | 'unauthenticated' {
  try {
    run();
    return 'allowed';
  } catch (error) {
    if (error instanceof UnauthorizedError) return 'unauthenticated';
    if (error instanceof Forbidden) return error.rule;
    throw error;
  }
}

describe('the policy', () => {
  it('reads: open to anyone by default; with DEPCAT_READ_ACCESS=token, a token with read', () => {
    expect(rule(() => open.read(anonymous))).toBe('allowed');
    expect(rule(() => closed.read(anonymous))).toBe('unauthenticated');
    expect(rule(() => closed.read(team('ads')))).toBe('allowed');
    expect(rule(() => closed.read(team('ads', ['write'])))).toBe('scope');
    expect(rule(() => closed.read(unchecked))).toBe('allowed');
  });

  it('a team creates assets it owns, changes only its own, and cannot give them away', () => {
    const write = (p: Principal, ownerBefore: string | null, ownerAfter: string) =>
      rule(() => open.writeAsset(p, { ref: 'feature:f', ownerBefore, ownerAfter }));
    expect(write(team('ads'), null, 'ads')).toBe('allowed');
    expect(write(team('ads'), null, 'risk')).toBe('team-creates-own');
    expect(write(team('ads'), 'ads', 'ads')).toBe('allowed');
    expect(write(team('ads'), 'risk', 'risk')).toBe('team-owns-asset');
    expect(write(team('ads'), 'risk', 'ads')).toBe('team-owns-asset');
    expect(write(team('ads'), 'ads', 'risk')).toBe('owner-change-needs-admin');
    expect(write(admin(), 'ads', 'risk')).toBe('allowed');
    expect(write(team('ads', ['read']), null, 'ads')).toBe('scope');
    expect(write(anonymous, null, 'ads')).toBe('unauthenticated');
  });

  it('a consumer updates only its own consumer asset, and never its owner', () => {
    const write = (ref: string, ownerBefore: string | null, ownerAfter: string) =>
      rule(() => open.writeAsset(consumer('bidder'), { ref, ownerBefore, ownerAfter }));
    expect(write('consumer:bidder', 'ads', 'ads')).toBe('allowed');
    expect(write('consumer:bidder', 'ads', 'risk')).toBe('consumer-writes-itself');
    expect(write('consumer:other', 'ads', 'ads')).toBe('consumer-writes-itself');
    expect(write('consumer:new', null, 'ads')).toBe('consumer-writes-itself');
  });

  it('names the item of a batch a refusal is about', () => {
    expect(() => open.writeAsset(team('ads'), { ref: 'model:m', ownerBefore: 'risk', ownerAfter: 'risk', field: 'assets[2]' })).toThrow(
      /^assets\[2\]: token "ads-ci" \(team ads\) may change only assets owned by ads; model:m is owned by "risk"$/,
    );
  });

  it('deleting: the owner, or an admin; forcing another team\'s deletion needs the admin scope', () => {
    const asset = { ref: 'source:s', owner: 'ads' };
    expect(rule(() => open.deleteAsset(team('ads'), asset, true))).toBe('allowed');
    expect(rule(() => open.deleteAsset(team('risk'), asset, false))).toBe('team-owns-asset');
    expect(rule(() => open.deleteAsset(team('risk'), asset, true))).toBe('admin-only');
    expect(rule(() => open.deleteAsset(admin(['read', 'write']), asset, false))).toBe('allowed');
    expect(rule(() => open.deleteAsset(admin(['read', 'write']), asset, true))).toBe('admin-only');
    expect(rule(() => open.deleteAsset(admin(), asset, true))).toBe('allowed');
    expect(rule(() => open.deleteAsset(consumer('bidder'), { ref: 'consumer:bidder', owner: 'ads' }, false))).toBe(
      'consumer-writes-itself',
    );
  });

  it('usage: ingest needed; a consumer reports only its own reads, by either spelling', () => {
    const ids = (...identities: string[]) => identities.map((identity, i) => ({ identity, field: `events[${i}].consumer` }));
    expect(rule(() => open.ingestUsage(team('ads', ['read', 'write']), ids('x')))).toBe('scope');
    expect(rule(() => open.ingestUsage(anonymous, ids('x')))).toBe('unauthenticated');
    expect(rule(() => open.ingestUsage(team('ads'), ids('anyone')))).toBe('allowed');
    expect(rule(() => open.ingestUsage(consumer('bidder'), ids('bidder', 'consumer:bidder')))).toBe('allowed');
    expect(() => open.ingestUsage(consumer('bidder'), ids('bidder', 'ranker'))).toThrow(/^events\[1\]\.consumer: /);
  });

  it('the access check: a consumer token is its own identity', () => {
    expect(open.accessIdentity(consumer('bidder'))).toEqual({ consumer: 'bidder' });
    expect(open.accessIdentity(anonymous)).toBeNull();
    expect(rule(() => closed.accessIdentity(anonymous))).toBe('unauthenticated');
  });

  it('tokens are an admin\'s; a consumer\'s keys its owner\'s', () => {
    expect(rule(() => open.manageTokens(admin()))).toBe('allowed');
    expect(rule(() => open.manageTokens(admin(['read', 'write'])))).toBe('scope');
    expect(rule(() => open.manageTokens(team('ads')))).toBe('scope');
    const bidder = { ref: 'consumer:bidder', owner: 'ads' };
    expect(rule(() => open.manageConsumer(team('ads'), bidder))).toBe('allowed');
    expect(rule(() => open.manageConsumer(team('risk'), bidder))).toBe('team-owns-asset');
    expect(rule(() => open.manageConsumer(consumer('bidder'), bidder))).toBe('consumer-writes-itself');
  });

  it('retries: a team that owns the asset or the consumer; unfiltered, an admin', () => {
    const about = [
      { ref: 'source:s', owner: 'data' },
      { ref: 'consumer:bidder', owner: 'ads' },
    ];
    expect(rule(() => open.retryNotifications(team('ads'), about))).toBe('allowed');
    expect(rule(() => open.retryNotifications(team('data'), about))).toBe('allowed');
    expect(rule(() => open.retryNotifications(team('risk'), about))).toBe('team-owns-asset');
    expect(rule(() => open.retryNotifications(team('ads'), []))).toBe('admin-only');
    expect(rule(() => open.retryNotifications(admin(), []))).toBe('allowed');
  });

  it('every refusal is a 403 error carrying its rule', () => {
    try {
      open.writeAsset(team('ads'), { ref: 'feature:f', ownerBefore: null, ownerAfter: 'risk' });
    } catch (error) {
      expect(error).toBeInstanceOf(NotAllowedError);
      expect((error as Forbidden).details).toEqual({ rule: 'team-creates-own' });
    }
    expect.assertions(2);
  });
});
