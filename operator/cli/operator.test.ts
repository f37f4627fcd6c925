import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { optionsFromFlags } from './operator.js';
import type { RunFlags } from './operator.js';

const base: RunFlags = { namespace: 'blink-accounts-system', leaderElect: true, metricsPort: '8080', httpPort: '8081', accessApiPort: '8082', accessApiAudience: 'blink-accounts-access-api' };

describe('operator run flags', () => {
  it('--trusted-proxies becomes a list of CIDRs', () => {
    expect(optionsFromFlags({ ...base, trustedProxies: '10.0.0.0/8, fd00::/8,' }, new KubeConfig()).trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(optionsFromFlags(base, new KubeConfig()).trustedProxies).toBeUndefined();
  });

  it('a bad --trusted-proxies entry is refused with its value', () => {
    expect(() => optionsFromFlags({ ...base, trustedProxies: '10.0.0.0/8,10.0.0.0/40' }, new KubeConfig())).toThrow('--trusted-proxies: A trusted proxy must be an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8, got "10.0.0.0/40"');
  });

  it('maps the three ports and the audience', () => {
    expect(optionsFromFlags(base, new KubeConfig())).toMatchObject({ metricsPort: 8080, httpPort: 8081, accessApiPort: 8082, accessApiAudience: 'blink-accounts-access-api' });
  });

  it('refuses two servers on one fixed port, but lets every port be 0 (a free one each)', () => {
    expect(() => optionsFromFlags({ ...base, accessApiPort: '8081' }, new KubeConfig())).toThrow('--http-port and --access-api-port must differ');
    expect(() => optionsFromFlags({ ...base, httpPort: '8080' }, new KubeConfig())).toThrow('--metrics-port and --http-port must differ');
    expect(optionsFromFlags({ ...base, metricsPort: '0', httpPort: '0', accessApiPort: '0' }, new KubeConfig())).toMatchObject({ metricsPort: 0, httpPort: 0, accessApiPort: 0 });
  });

  it('--watch-health-timeout is seconds, mapped to the informers\' health timeout in ms; absent, the default stands', () => {
    expect(optionsFromFlags({ ...base, watchHealthTimeout: '5' }, new KubeConfig()).watchHealthTimeoutMs).toBe(5_000);
    expect(optionsFromFlags(base, new KubeConfig()).watchHealthTimeoutMs).toBeUndefined();
    expect(() => optionsFromFlags({ ...base, watchHealthTimeout: '0' }, new KubeConfig())).toThrow('--watch-health-timeout must be a number of seconds from 1 to 3600, got "0"');
    expect(() => optionsFromFlags({ ...base, watchHealthTimeout: 'soon' }, new KubeConfig())).toThrow('--watch-health-timeout');
  });

  it('refuses a bad port or an empty audience', () => {
    expect(() => optionsFromFlags({ ...base, accessApiPort: '70000' }, new KubeConfig())).toThrow('--access-api-port must be a port number');
    expect(() => optionsFromFlags({ ...base, accessApiAudience: ' ' }, new KubeConfig())).toThrow('--access-api-audience');
  });
});
