import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

// Which addresses a webhook may reach: pure rules on addresses and on the allow-list, no
// DNS (src/services/webhook-addresses.ts resolves names and applies these). The ranges
// are ipaddr.js's, which follows the IANA special-purpose registries; only what it calls
// `unicast` (a global unicast address) is reachable, after unwrapping the IPv6 forms that
// carry an IPv4 address (mapped, NAT64, 6to4), whose IPv4 address must be global too.

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Where an address falls, and whether a webhook may reach it. */
export interface AddressClass {
  /** The address, normalised (IPv6 in its RFC 5952 form). */
  address: string;
  /** ipaddr.js's name of its range (`unicast`, `loopback`, `private`, `uniqueLocal`, …). */
  range: string;
  /** The IPv4 address an IPv6 form carries, when the verdict is about that one. */
  embedded?: string;
  /** A global unicast address: the only kind a webhook may reach unless the allow-list says so. */
  global: boolean;
}

/** Cloud providers' instance metadata services: link-local (AWS, GCP, Azure) and AWS's IPv6 one. */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback',
  private: 'a private (RFC 1918)',
  uniqueLocal: 'a unique-local',
  linkLocal: 'a link-local',
  carrierGradeNat: 'a carrier-grade NAT',
  multicast: 'a multicast',
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  reserved: 'a reserved',
};

/** The address and its range in words, for messages: "127.0.0.1, a loopback address". */
export function describeClass(c: AddressClass): string {
  const words = RANGE_WORDS[c.range] ?? `a reserved (${c.range})`;
  const metadata = METADATA.has(c.address) ? ' (a cloud metadata service)' : '';
  const inside = c.embedded ? ` (it carries ${c.embedded})` : '';
  return `${c.address}, ${words} address${metadata}${inside}`;
}

const NAT64_WELL_KNOWN: [ipaddr.IPv6, number] = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
/** ::/96 holds the deprecated IPv4-compatible addresses (::a.b.c.d) besides :: and ::1. */
const IPV4_COMPATIBLE: [ipaddr.IPv6, number] = ipaddr.IPv6.parseCIDR('::/96');

const v4From = (parts: number[]): ipaddr.IPv4 =>
  new ipaddr.IPv4([parts[0] >> 8, parts[0] & 0xff, parts[1] >> 8, parts[1] & 0xff]);

/** The IPv4 address an IPv6 form carries, when the range is one that does. */
function embeddedV4(address: ipaddr.IPv6, range: string): ipaddr.IPv4 | null {
  const p = address.parts;
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return v4From([p[6], p[7]]);
    case 'rfc6052': // NAT64: only the well-known prefix; 64:ff9b:1::/48 is for local use
      return address.match(NAT64_WELL_KNOWN) ? v4From([p[6], p[7]]) : null;
    case '6to4': // 2002:aabb:ccdd::/48
      return v4From([p[1], p[2]]);
    default:
      return null;
  }
}

const parsed = (text: string): Address | null => {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return isIP(bare) ? ipaddr.parse(bare) : null;
};

const normalised = (a: Address): string => (a.kind() === 'ipv6' ? (a as ipaddr.IPv6).toRFC5952String() : a.toString());

/** Where an IP address (IPv6 with or without brackets) falls; null when the text is no address. */
export function classifyAddress(text: string): AddressClass | null {
  const address = parsed(text);
  if (!address) return null;
  const shown = normalised(address);
  if (address.kind() === 'ipv4') {
    const range = address.range();
    return { address: shown, range, global: range === 'unicast' };
  }
  const v6 = address as ipaddr.IPv6;
  let range: string = v6.range();
  if (range === 'unicast' && v6.match(IPV4_COMPATIBLE)) range = 'reserved';
  const inner = embeddedV4(v6, range);
  if (inner) {
    const innerRange = inner.range();
    // A mapped address is that IPv4 address; the others reach it through a gateway.
    if (range === 'ipv4Mapped') return { address: shown, range: innerRange, embedded: inner.toString(), global: innerRange === 'unicast' };
    return innerRange === 'unicast'
      ? { address: shown, range, embedded: inner.toString(), global: true }
      : { address: shown, range: innerRange, embedded: inner.toString(), global: false };
  }
  return { address: shown, range, global: range === 'unicast' };
}

/** The hosts and networks a webhook may reach although they are not global (DEPCAT_WEBHOOK_ALLOW). */
export interface AllowList {
  /** Host names, lower case, without a trailing dot: every address they resolve to is allowed. */
  hosts: ReadonlySet<string>;
  /** Networks (an address alone is a /32 or /128): an address inside one is allowed. */
  networks: readonly [Address, number][];
}

export const EMPTY_ALLOW_LIST: AllowList = { hosts: new Set(), networks: [] };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A host as a URL names it, for comparing with the list: lower case, no trailing dot, no brackets. */
export const hostKey = (hostname: string): string => {
  const lower = hostname.toLowerCase().replace(/\.$/, '');
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
};

/**
 * Parses a comma-separated list of host names, addresses and CIDRs (`127.0.0.1`,
 * `10.0.0.0/8`, `fd00::/8`, `hooks.internal`). Answers the list, or the entries that are
 * none of these.
 */
export function parseAllowList(text: string): { list: AllowList } | { invalid: string[] } {
  const hosts = new Set<string>();
  const networks: [Address, number][] = [];
  const invalid: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    if (entry.includes('/')) {
      if (ipaddr.isValidCIDR(entry) && isIP(entry.slice(0, entry.indexOf('/')))) networks.push(ipaddr.parseCIDR(entry));
      else invalid.push(entry);
      continue;
    }
    const address = parsed(entry);
    if (address) networks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    else if (HOST_NAME.test(hostKey(entry))) hosts.add(hostKey(entry));
    else invalid.push(entry);
  }
  return invalid.length > 0 ? { invalid } : { list: { hosts, networks } };
}

export const allowsHost = (list: AllowList, hostname: string): boolean => list.hosts.has(hostKey(hostname));

/** Whether the list allows an address; an IPv4-mapped IPv6 address counts as its IPv4 address. */
export function allowsAddress(list: AllowList, text: string): boolean {
  const given = parsed(text);
  if (!given || list.networks.length === 0) return false;
  const address =
    given.kind() === 'ipv6' && (given as ipaddr.IPv6).isIPv4MappedAddress() ? (given as ipaddr.IPv6).toIPv4Address() : given;
  return list.networks.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
}

/** Why a webhook may not reach an address (in words), or null when it may. */
export function addressRefusal(list: AllowList, text: string): string | null {
  const c = classifyAddress(text);
  if (!c) return `${text} is not an IP address`;
  if (c.global || allowsAddress(list, text)) return null;
  return describeClass(c);
}

/** The host of a webhook URL, and whether it is an IP address (which needs no DNS). */
export function webhookHost(url: string): { hostname: string; literal: boolean } {
  const hostname = new URL(url).hostname;
  return { hostname, literal: parsed(hostname) !== null };
}
