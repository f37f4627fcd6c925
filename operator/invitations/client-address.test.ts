import { describe, expect, it } from 'vitest';
import { clientBucket, NO_TRUSTED_PROXIES, parseTrustedProxies, resolveClientAddress } from './client-address.js';

const trusted = parseTrustedProxies(['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);

describe('resolveClientAddress', () => {
  it.each([
    { name: 'no proxies trusted: the peer, header ignored', peer: '10.1.1.1', xff: '203.0.113.5', proxies: NO_TRUSTED_PROXIES, client: '10.1.1.1' },
    { name: 'untrusted peer: its X-Forwarded-For is ignored', peer: '198.51.100.9', xff: '203.0.113.5', proxies: trusted, client: '198.51.100.9' },
    { name: 'trusted peer without the header: the peer', peer: '10.1.1.1', xff: undefined, proxies: trusted, client: '10.1.1.1' },
    { name: 'trusted peer: the entry it appended', peer: '10.1.1.1', xff: '203.0.113.5', proxies: trusted, client: '203.0.113.5' },
    { name: 'a forged left part is skipped: right-most untrusted entry', peer: '10.1.1.1', xff: '1.1.1.1, 203.0.113.5', proxies: trusted, client: '203.0.113.5' },
    { name: 'a chain of trusted proxies is walked through', peer: '10.1.1.1', xff: '203.0.113.5, 10.2.2.2, 192.0.2.7', proxies: trusted, client: '203.0.113.5' },
    { name: 'several header lines are one list', peer: '10.1.1.1', xff: ['1.1.1.1', '203.0.113.5, 10.2.2.2'], proxies: trusted, client: '203.0.113.5' },
    { name: 'every hop trusted: the left-most', peer: '10.1.1.1', xff: '10.3.3.3, 10.2.2.2', proxies: trusted, client: '10.3.3.3' },
    { name: 'garbage where the proxy wrote: the proxy itself', peer: '10.1.1.1', xff: 'unknown', proxies: trusted, client: '10.1.1.1' },
    { name: 'garbage left of a trusted hop: that hop', peer: '10.1.1.1', xff: '<script>, 10.2.2.2', proxies: trusted, client: '10.2.2.2' },
    { name: 'empty header: the peer', peer: '10.1.1.1', xff: '', proxies: trusted, client: '10.1.1.1' },
    { name: 'IPv4-mapped peer is the IPv4 address', peer: '::ffff:10.1.1.1', xff: '203.0.113.5', proxies: trusted, client: '203.0.113.5' },
    { name: 'IPv4-mapped untrusted peer keyed as IPv4', peer: '::ffff:198.51.100.9', xff: '203.0.113.5', proxies: trusted, client: '198.51.100.9' },
    { name: 'IPv6 trusted peer, IPv6 client', peer: 'fd00::1', xff: '2001:db8::5', proxies: trusted, client: '2001:db8::5' },
    { name: 'IPv6 entry with brackets and port', peer: 'fd00::1', xff: '[2001:DB8::5]:4711', proxies: trusted, client: '2001:db8::5' },
    { name: 'IPv4 entry with a port', peer: '10.1.1.1', xff: '203.0.113.5:4711', proxies: trusted, client: '203.0.113.5' },
    { name: 'single trusted address (no prefix)', peer: '192.0.2.7', xff: '203.0.113.5', proxies: trusted, client: '203.0.113.5' },
    { name: 'neighbour of the single address is not trusted', peer: '192.0.2.8', xff: '203.0.113.5', proxies: trusted, client: '192.0.2.8' },
    { name: 'no peer address', peer: undefined, xff: '203.0.113.5', proxies: trusted, client: 'unknown' },
  ])('$name', ({ peer, xff, proxies, client }) => {
    expect(resolveClientAddress(peer, xff, proxies)).toBe(client);
  });
});

describe('parseTrustedProxies', () => {
  it('matches IPv4, IPv6 and IPv4-mapped addresses against the CIDRs', () => {
    const proxies = parseTrustedProxies([' 10.0.0.0/8 ', '', '::ffff:172.16.0.0/108', '2001:db8::/32']);
    expect(proxies.cidrs).toEqual(['10.0.0.0/8', '::ffff:172.16.0.0/108', '2001:db8::/32']);
    expect(['10.255.0.1', '::ffff:10.0.0.1', '2001:db8:1::1'].map((a) => proxies.has(a))).toEqual([true, true, true]);
    expect(['11.0.0.1', '2001:db9::1', 'not-an-ip', ''].map((a) => proxies.has(a))).toEqual([false, false, false, false]);
  });

  it.each(['10.0.0.0/33', '10.0.0.0/x', '10.0.0/8', 'fd00::/129', 'example.com', '10.0.0.0/8/8', '10.0.0.0/'])('refuses %s, naming it', (cidr) => {
    expect(() => parseTrustedProxies([cidr])).toThrow(new RangeError(`A trusted proxy must be an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8, got "${cidr}"`));
  });
});

describe('clientBucket', () => {
  it.each([
    ['203.0.113.5', '203.0.113.5'],
    ['::ffff:203.0.113.5', '203.0.113.5'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::ffff', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0001', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b::192.0.2.1'],
    ['unknown', 'unknown'],
  ])('%s → %s', (address, bucket) => {
    expect(clientBucket(address)).toBe(bucket);
  });
});
