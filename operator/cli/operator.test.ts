import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { optionsFromFlags } from './operator.js';
import type { RunFlags } from './operator.js';

const base: RunFlags = { namespace: 'blink-accounts-system', leaderElect: true, metricsPort: '8080', httpPort: '8081' };

describe('operator run flags', () => {
  it('--trusted-proxies becomes a list of CIDRs', () => {
    expect(optionsFromFlags({ ...base, trustedProxies: '10.0.0.0/8, fd00::/8,' }, new KubeConfig()).trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(optionsFromFlags(base, new KubeConfig()).trustedProxies).toBeUndefined();
  });

  it('a bad --trusted-proxies entry is refused with its value', () => {
    expect(() => optionsFromFlags({ ...base, trustedProxies: '10.0.0.0/8,10.0.0.0/40' }, new KubeConfig())).toThrow('--trusted-proxies: A trusted proxy must be an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8, got "10.0.0.0/40"');
  });
});
