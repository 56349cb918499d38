import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { EMPTY_ALLOW_LIST, parseAllowList, type AllowList } from '../domain/webhook-address.js';
import { RefusedAddressError, refusedAddressIn, WebhookAddresses, type Resolve } from './webhook-addresses.js';

const list = (text: string): AllowList => (parseAllowList(text) as { list: AllowList }).list;
const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

/** A resolver that answers each name from a table, counting the questions. */
function fakeDns(table: Record<string, LookupAddress[] | (() => LookupAddress[])>) {
  const asked: string[] = [];
  const resolve: Resolve = async (hostname) => {
    asked.push(hostname);
    const entry = table[hostname];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return typeof entry === 'function' ? entry() : entry;
  };
  return { resolve, asked };
}

/** The guard's lookup as net.connect calls it. */
const lookup = (guard: WebhookAddresses, hostname: string, options: LookupOptions) =>
  new Promise<{ address: string | LookupAddress[]; family?: number }>((resolve, reject) =>
    guard.lookup(hostname, options, (error, address, family) => (error ? reject(error) : resolve({ address, family }))),
  );

describe('WebhookAddresses at registration', () => {
  it('refuses a literal internal address without asking DNS, and says why', async () => {
    const dns = fakeDns({});
    const guard = new WebhookAddresses(EMPTY_ALLOW_LIST, { resolve: dns.resolve });
    expect(await guard.registrationRefusal('http://169.254.169.254/latest/meta-data')).toMatch(
      /^points at 169\.254\.169\.254, a link-local address \(a cloud metadata service\); webhooks may reach only global addresses/,
    );
    expect(await guard.registrationRefusal('http://[::ffff:10.0.0.1]:8080/')).toMatch(/private \(RFC 1918\) address \(it carries 10\.0\.0\.1\)/);
    expect(await guard.registrationRefusal('https://93.184.215.14/hook')).toBeNull();
    expect(dns.asked).toEqual([]);
  });

  it('refuses a name if any address it resolves to is internal', async () => {
    const guard = new WebhookAddresses(EMPTY_ALLOW_LIST, {
      resolve: fakeDns({ 'mixed.example': [v4('93.184.215.14'), v6('fd00::1')], 'public.example': [v4('93.184.215.14')] }).resolve,
    });
    expect(await guard.registrationRefusal('https://mixed.example/x')).toMatch(/^mixed\.example resolves to fd00::1, a unique-local address/);
    expect(await guard.registrationRefusal('https://public.example/x')).toBeNull();
  });

  it('accepts a name it cannot judge: one that does not resolve, or not in time', async () => {
    const never: Resolve = () => new Promise(() => {});
    expect(await new WebhookAddresses(EMPTY_ALLOW_LIST, { resolve: fakeDns({}).resolve }).registrationRefusal('https://nowhere.invalid/')).toBeNull();
    const started = Date.now();
    expect(await new WebhookAddresses(EMPTY_ALLOW_LIST, { resolve: never, registrationTimeoutMs: 50 }).registrationRefusal('https://slow.example/')).toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('accepts what the allow-list names: a host whatever it resolves to, an address in a listed network', async () => {
    const dns = fakeDns({ 'hooks.internal': [v4('10.1.2.3')], 'other.internal': [v4('10.1.2.3')] });
    const guard = new WebhookAddresses(list('hooks.internal,192.168.0.0/16'), { resolve: dns.resolve });
    expect(await guard.registrationRefusal('http://hooks.internal/x')).toBeNull();
    expect(await guard.registrationRefusal('http://192.168.7.7/x')).toBeNull();
    expect(await guard.registrationRefusal('http://other.internal/x')).toMatch(/^other\.internal resolves to 10\.1\.2\.3/);
    expect(dns.asked).toEqual(['other.internal']);
  });
});

describe('WebhookAddresses at delivery', () => {
  it('refuses at delivery a name that resolved to a global address at registration and to an internal one now (DNS rebinding)', async () => {
    let answers = [v4('93.184.215.14')];
    const guard = new WebhookAddresses(EMPTY_ALLOW_LIST, { resolve: fakeDns({ 'rebind.example': () => answers }).resolve });
    expect(await guard.registrationRefusal('http://rebind.example/hook')).toBeNull();
    answers = [v4('127.0.0.1')];
    const error = await lookup(guard, 'rebind.example', { all: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedAddressError);
    expect((error as Error).message).toBe('rebind.example resolves to 127.0.0.1, a loopback address');
    expect(refusedAddressIn(new TypeError('fetch failed', { cause: error }))).toBe(error);
  });

  it('answers only the checked addresses, in the form net.connect asked for', async () => {
    const guard = new WebhookAddresses(EMPTY_ALLOW_LIST, {
      resolve: fakeDns({ 'both.example': [v6('2606:4700:4700::1111'), v4('1.1.1.1')] }).resolve,
    });
    expect(await lookup(guard, 'both.example', { all: true })).toEqual({ address: [v6('2606:4700:4700::1111'), v4('1.1.1.1')] });
    expect(await lookup(guard, 'both.example', {})).toEqual({ address: '2606:4700:4700::1111', family: 6 });
    expect(await lookup(guard, 'both.example', { family: 4 })).toEqual({ address: '1.1.1.1', family: 4 });
    await expect(lookup(new WebhookAddresses(EMPTY_ALLOW_LIST, { resolve: fakeDns({ 'v4.example': [v4('1.1.1.1')] }).resolve }), 'v4.example', { family: 6 })).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('lets an allow-listed host connect to whatever it resolves to', async () => {
    const guard = new WebhookAddresses(list('localhost'), { resolve: fakeDns({ localhost: [v4('127.0.0.1')] }).resolve });
    expect(await lookup(guard, 'localhost', { all: true })).toEqual({ address: [v4('127.0.0.1')] });
  });

  it('checks a literal address before connecting (net.connect does not look those up)', () => {
    const guard = new WebhookAddresses(list('10.0.0.0/8'));
    expect(guard.literalRefusal('http://127.0.0.1:9/x')).toBe('127.0.0.1, a loopback address');
    expect(guard.literalRefusal('http://[::1]/x')).toBe('::1, a loopback address');
    expect(guard.literalRefusal('http://10.9.9.9/x')).toBeNull();
    expect(guard.literalRefusal('http://hooks.example/x')).toBeNull();
  });
});
