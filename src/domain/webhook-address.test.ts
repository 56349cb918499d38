import { describe, expect, it } from 'vitest';
import { addressRefusal, allowsAddress, allowsHost, classifyAddress, parseAllowList, webhookHost, type AllowList } from './webhook-address.js';

const list = (text: string): AllowList => {
  const parsed = parseAllowList(text);
  if (!('list' in parsed)) throw new Error(`invalid: ${parsed.invalid.join(', ')}`);
  return parsed.list;
};
const none = list('');

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['169.254.169.254', 'linkLocal'],
    ['169.254.0.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['[::1]', 'loopback'],
  ])('%s is %s, not global', (address, range) => {
    expect(classifyAddress(address)).toMatchObject({ range, global: false });
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::ffff:10.0.0.1', 'private', '10.0.0.1'],
    ['::ffff:169.254.169.254', 'linkLocal', '169.254.169.254'],
    ['::ffff:0:127.0.0.1', 'loopback', '127.0.0.1'],
    ['64:ff9b::10.0.0.1', 'private', '10.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal', '169.254.169.254'],
    ['2002:7f00:1::1', 'loopback', '127.0.0.1'],
    ['2002:c0a8:101::', 'private', '192.168.1.1'],
  ])('%s carries %s %s and is refused', (address, range, embedded) => {
    expect(classifyAddress(address)).toMatchObject({ range, embedded, global: false });
  });

  it.each(['64:ff9b:1::a00:1', '2001:0:4136:e378::1', '::127.0.0.1', '::7f00:1', '100::1'])(
    '%s (local NAT64, Teredo, IPv4-compatible, discard) is refused whatever it carries',
    (address) => {
      expect(classifyAddress(address)?.global).toBe(false);
    },
  );

  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    '%s is global',
    (address) => {
      expect(classifyAddress(address)?.global).toBe(true);
    },
  );

  it('is null for what is no address', () => {
    expect(classifyAddress('localhost')).toBeNull();
    expect(classifyAddress('0x7f000001')).toBeNull();
    expect(classifyAddress('127.1')).toBeNull();
  });
});

describe('the allow-list', () => {
  it('parses hosts, addresses and CIDRs, ignoring blanks', () => {
    const l = list(' 127.0.0.1, 10.0.0.0/8 ,Hooks.Internal., fd00::/8,,::1');
    expect([...l.hosts]).toEqual(['hooks.internal']);
    expect(l.networks.map(([a, bits]) => `${a.toString()}/${bits}`)).toEqual(['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8', '::1/128']);
  });

  it('names the entries that are neither', () => {
    expect(parseAllowList('10.0.0.0/33, ok.example, http://x, 10.0.0.0/x, bad host, 1.2.3/8')).toEqual({
      invalid: ['10.0.0.0/33', 'http://x', '10.0.0.0/x', 'bad host', '1.2.3/8'],
    });
  });

  it('allows an address inside a listed network, an IPv4-mapped one as its IPv4 address', () => {
    const l = list('127.0.0.1,10.0.0.0/8,fd00::/8');
    expect(allowsAddress(l, '127.0.0.1')).toBe(true);
    expect(allowsAddress(l, '127.0.0.2')).toBe(false);
    expect(allowsAddress(l, '10.200.3.4')).toBe(true);
    expect(allowsAddress(l, '::ffff:10.0.0.1')).toBe(true);
    expect(allowsAddress(l, 'fd12::1')).toBe(true);
    expect(allowsAddress(l, 'fc00::1')).toBe(false);
    expect(allowsAddress(l, '192.168.0.1')).toBe(false);
  });

  it('matches host names without case or a trailing dot', () => {
    const l = list('hooks.internal');
    expect(allowsHost(l, 'HOOKS.internal.')).toBe(true);
    expect(allowsHost(l, 'other.internal')).toBe(false);
    expect(allowsHost(l, 'x.hooks.internal')).toBe(false);
  });
});

describe('addressRefusal', () => {
  it('says why, naming the range and a metadata service', () => {
    expect(addressRefusal(none, '127.0.0.1')).toBe('127.0.0.1, a loopback address');
    expect(addressRefusal(none, '169.254.169.254')).toBe('169.254.169.254, a link-local address (a cloud metadata service)');
    expect(addressRefusal(none, '::ffff:127.0.0.1')).toBe('::ffff:7f00:1, a loopback address (it carries 127.0.0.1)');
    expect(addressRefusal(none, '10.0.0.1')).toBe('10.0.0.1, a private (RFC 1918) address');
  });

  it('is null for a global address or one the list allows', () => {
    expect(addressRefusal(none, '8.8.8.8')).toBeNull();
    expect(addressRefusal(list('127.0.0.0/8'), '127.0.0.1')).toBeNull();
  });
});

describe('webhookHost', () => {
  it('reads the host as the URL parser normalises it', () => {
    expect(webhookHost('http://0x7f000001:8080/x')).toEqual({ hostname: '127.0.0.1', literal: true });
    expect(webhookHost('http://2130706433/')).toEqual({ hostname: '127.0.0.1', literal: true });
    expect(webhookHost('http://[::ffff:127.0.0.1]/')).toEqual({ hostname: '[::ffff:7f00:1]', literal: true });
    expect(webhookHost('https://Hooks.Example.com/x')).toEqual({ hostname: 'hooks.example.com', literal: false });
  });
});
