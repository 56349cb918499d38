import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { addressRefusal, allowsHost, webhookHost, type AllowList } from '../domain/webhook-address.js';

// Where a webhook may go: the allow-list and DNS on top of the pure rules of
// domain/webhook-address.ts. Checked twice: when a URL is registered (a 400 naming it), and
// at every delivery, where the connection goes only to the addresses just checked, so a
// name that resolves elsewhere by then (DNS rebinding) reaches nothing inside.

/** Every address a name resolves to, as `dns.lookup(name, { all: true })` answers. */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

/** A delivery refused because its host is or resolves to an address webhooks may not reach. */
export class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
  override readonly name = 'RefusedAddressError';
}

export interface WebhookAddressOptions {
  /** DNS; `dns.lookup` (the system resolver, /etc/hosts included) unless a test gives another. */
  resolve?: Resolve;
  /** How long a registration waits for DNS before accepting a host it cannot judge. */
  registrationTimeoutMs?: number;
}

const ADVICE = 'webhooks may reach only global addresses, unless DEPCAT_WEBHOOK_ALLOW lists the host or its network';

const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true });

/** Resolves to null if `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export class WebhookAddresses {
  private readonly resolve: Resolve;
  private readonly registrationTimeoutMs: number;

  constructor(
    private readonly allow: AllowList,
    options: WebhookAddressOptions = {},
  ) {
    this.resolve = options.resolve ?? systemResolve;
    this.registrationTimeoutMs = options.registrationTimeoutMs ?? 2000;
  }

  /** Why the first refused address of a resolved host is refused, or null when all may be reached. */
  private refusalAmong(hostname: string, addresses: readonly LookupAddress[]): string | null {
    for (const { address } of addresses) {
      const refusal = addressRefusal(this.allow, address);
      if (refusal) return `${hostname} resolves to ${refusal}`;
    }
    return null;
  }

  /**
   * At registration: why a webhook URL is refused, or null. A literal address needs no DNS;
   * a host that does not resolve (or not within the timeout) is accepted, since it cannot
   * be judged now, and delivery checks it again.
   */
  async registrationRefusal(url: string): Promise<string | null> {
    const { hostname, literal } = webhookHost(url);
    if (allowsHost(this.allow, hostname)) return null;
    if (literal) {
      const refusal = addressRefusal(this.allow, hostname);
      return refusal && `points at ${refusal}; ${ADVICE}`;
    }
    const addresses = await within(this.resolve(hostname), this.registrationTimeoutMs).catch(() => null);
    const refusal = addresses && this.refusalAmong(hostname, addresses);
    return refusal && `${refusal}; ${ADVICE}`;
  }

  /**
   * At delivery, before connecting: a URL whose host is an IP address is connected to
   * without a lookup, so it is checked here. Null when it may be reached (or is a name,
   * which `lookup` checks).
   */
  literalRefusal(url: string): string | null {
    const { hostname, literal } = webhookHost(url);
    if (!literal || allowsHost(this.allow, hostname)) return null;
    return addressRefusal(this.allow, hostname);
  }

  /**
   * The lookup the delivery's connections make (undici's `connect.lookup`, handed on to
   * `net.connect`): it resolves the name, checks every address, and answers only checked
   * ones, so the socket connects to an address that was checked. Any refused address
   * refuses the host: a name that mixes global and internal addresses is not trusted.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const answer = async (): Promise<LookupAddress[]> => {
      const addresses = await this.resolve(hostname);
      if (!allowsHost(this.allow, hostname)) {
        const refusal = this.refusalAmong(hostname, addresses);
        if (refusal) throw new RefusedAddressError(refusal);
      }
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
      const wanted = family === 0 ? addresses : addresses.filter((a) => a.family === family);
      if (wanted.length === 0)
        throw Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND', hostname });
      return wanted;
    };
    answer().then(
      (addresses) => (options.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family)),
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/** The refused-address error a delivery failed with, however deep its client wrapped it. */
export function refusedAddressIn(error: unknown): RefusedAddressError | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof RefusedAddressError) return e;
  return null;
}
