// Who is asking, for the acceptance page's rate limit. Behind an Ingress every request comes from
// the proxy's address, so one guesser would lock everyone out; the proxy's X-Forwarded-For says
// who it forwarded for, but anyone can send that header, so it is believed only from the trusted
// proxies the operator is configured with (--trusted-proxies), and only as far as it was written
// by them: the client is the right-most entry that is not itself a trusted proxy.
import { BlockList, isIP } from 'node:net';

/** The trusted proxies, parsed once (see {@link parseTrustedProxies}). */
export interface TrustedProxies {
  /** Whether `address` (IPv4, IPv6 or IPv4-mapped IPv6) is one of the trusted proxies. */
  has(address: string): boolean;
  /** The CIDRs as given, for logs and errors. */
  readonly cidrs: readonly string[];
}

/** No proxy is trusted: X-Forwarded-For is never read. */
export const NO_TRUSTED_PROXIES: TrustedProxies = { has: () => false, cidrs: [] };

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An address in the form the limiter keys by: `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
export function normalizeAddress(address: string): string {
  const mapped = MAPPED_IPV4.exec(address);
  return mapped ? (mapped[1] as string) : address.toLowerCase();
}

/**
 * Parses CIDRs such as `10.0.0.0/8`, `fd00::/8` or a single address (`192.0.2.7`, a /32 or /128);
 * throws a RangeError naming the bad entry.
 */
export function parseTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const list = new BlockList();
  const kept: string[] = [];
  for (const raw of cidrs) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [address = '', prefixText, ...rest] = entry.split('/');
    // A bare mapped address is its IPv4 address; a mapped CIDR keeps its IPv6 prefix length.
    const plain = prefixText === undefined ? normalizeAddress(address) : address;
    const family = isIP(plain);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
      throw new RangeError(`A trusted proxy must be an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8, got "${entry}"`);
    }
    list.addSubnet(plain, prefix, family === 4 ? 'ipv4' : 'ipv6');
    kept.push(entry);
  }
  return {
    cidrs: kept,
    has(address) {
      const plain = normalizeAddress(address);
      const family = isIP(plain);
      return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** An X-Forwarded-For entry without the port some proxies add (`1.2.3.4:80`, `[::1]:80`); undefined when not an address. */
function entryAddress(entry: string): string | undefined {
  let text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1] as string;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  const plain = normalizeAddress(text);
  return isIP(plain) !== 0 ? plain : undefined;
}

/**
 * The client a request is from: the socket's peer, unless the peer is a trusted proxy; then the
 * right-most X-Forwarded-For entry that is not a trusted proxy. An entry that is not an address
 * ends the walk at the trusted hop that passed it on (that proxy is then the client: one bucket
 * for everything it cannot vouch for, rather than one per forged value).
 */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | readonly string[] | undefined, trusted: TrustedProxies): string {
  let client = normalizeAddress(peer ?? 'unknown');
  if (!trusted.has(client) || forwardedFor === undefined) return client;
  const entries = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor).join(',').split(',');
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = entryAddress(entries[i] as string);
    if (address === undefined) return client;
    client = address;
    if (!trusted.has(address)) return address;
  }
  // Every hop is trusted: the left-most one is as far as the chain can be followed.
  return client;
}

/**
 * The rate-limit bucket of a client: its IPv4 address, or the /64 of its IPv6 address (one host
 * usually holds a whole /64, so per-address buckets would give it 2^64 of them).
 */
export function clientBucket(address: string): string {
  const plain = normalizeAddress(address);
  if (isIP(plain) !== 6) return plain;
  const groups = expandIpv6(plain);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : plain;
}

/** The eight 16-bit groups of an IPv6 address, lowercase and unpadded; undefined for a form it does not know (embedded IPv4). */
function expandIpv6(address: string): string[] | undefined {
  if (address.includes('.')) return undefined;
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => g.replace(/^0+(?=.)/, ''));
}
