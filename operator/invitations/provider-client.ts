// What talks to a tenant's identity provider: its client secret (a Secret in the tenant
// namespace, read live: the operator caches only its own Secrets), its discovery document
// (openid-client `discovery`, cached per issuer, client and secret for a few minutes, over the
// tenant's CA when it names one), and a verdict of whether it can be used, for the Tenant's status.
// The client secret never leaves this module except to the provider; errors name the Secret and
// the issuer, never the secret.
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { request } from 'node:https';
import type { Tenant } from '../api/index.js';
import { isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeWriter } from '../runtime/kube-writer.js';
import type { Clock } from '../runtime/clock.js';
import { providerSettings } from '../policy/index.js';
import type { ProviderSettings } from '../policy/index.js';

/** Stable reasons of IdentityProviderReady (and of the Tenant's Ready=False). */
export const PROVIDER_REASONS = {
  ready: 'IdentityProviderReady',
  secretMissing: 'IdentityProviderSecretMissing',
  unreachable: 'IdentityProviderUnreachable',
} as const;

/** Why a provider cannot be used now; the message names the Secret or issuer, never a secret. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';

  constructor(
    readonly reason: (typeof PROVIDER_REASONS)['secretMissing' | 'unreachable'],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How long a discovered configuration is reused: a provider's endpoints and keys change rarely; its JWKS is fetched again by openid-client when a key is unknown. */
export const DISCOVERY_TTL_MS = 5 * 60_000;
/** How long one request to a provider may take. */
export const PROVIDER_TIMEOUT_SECONDS = 10;

type SecretWithData = KubeObject & { data?: Record<string, string> };

/** A provider ready to use: its settings and openid-client configuration. */
export interface ConnectedProvider {
  readonly settings: ProviderSettings;
  readonly config: oidc.Configuration;
}

/** Connects to tenants' providers, sharing discoveries between requests and replicas' pages. */
export class ProviderClients {
  private readonly cache = new Map<string, { readonly at: number; readonly config: Promise<oidc.Configuration> }>();

  constructor(
    private readonly client: Pick<KubeWriter, 'get'>,
    private readonly clock: Clock,
  ) {}

  /** The tenant's provider, connected; undefined when the tenant names none. Throws {@link ProviderUnavailableError}. */
  async connect(tenant: Tenant, namespace: string): Promise<ConnectedProvider | undefined> {
    const settings = providerSettings(tenant);
    if (!settings) return undefined;
    const secret = await this.clientSecret(settings, namespace);
    const key = createHash('sha256').update(JSON.stringify([settings.issuerURL, settings.clientID, secret, settings.certificateAuthority ?? ''])).digest('hex');
    const now = this.clock.now();
    for (const [k, v] of this.cache) if (now - v.at > DISCOVERY_TTL_MS) this.cache.delete(k);
    let entry = this.cache.get(key);
    if (!entry) {
      entry = { at: now, config: discover(settings, secret) };
      this.cache.set(key, entry);
      // A failed discovery is not kept: the next request tries again.
      entry.config.catch(() => this.cache.delete(key));
    }
    return { settings, config: await entry.config };
  }

  private async clientSecret(settings: ProviderSettings, namespace: string): Promise<string> {
    const { name, key } = settings.clientSecretRef;
    let secret: SecretWithData;
    try {
      secret = await this.client.get<SecretWithData>(builtinKinds.secret, namespace, name);
    } catch (error) {
      if (isNotFound(error)) throw new ProviderUnavailableError(PROVIDER_REASONS.secretMissing, `The client secret of the identity provider is missing: Secret "${namespace}/${name}" does not exist`);
      throw new ProviderUnavailableError(PROVIDER_REASONS.secretMissing, `The client secret of the identity provider could not be read from Secret "${namespace}/${name}"`, { cause: error });
    }
    const value = secret.data?.[key];
    const text = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
    if (text === '') throw new ProviderUnavailableError(PROVIDER_REASONS.secretMissing, `The client secret of the identity provider is missing: Secret "${namespace}/${name}" has no key "${key}"`);
    return text;
  }
}

/** Largest answer read from a provider (discovery documents, key sets and token answers are a few kB). */
const MAX_PROVIDER_ANSWER_BYTES = 1 << 20;

/** A fetch over node:https that trusts exactly the given CA bundle (global fetch takes no CA of its own). */
export function fetchTrusting(ca: string): oidc.CustomFetch {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const req = request(url, { method: options.method, headers: options.headers, ca, ...(options.signal ? { signal: options.signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_PROVIDER_ANSWER_BYTES) req.destroy(new Error('The identity provider answered with more than 1 MiB'));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) headers.append(name, v);
          const status = res.statusCode ?? 502;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers }));
        });
      });
      req.on('error', reject);
      const body = options.body;
      req.end(body === undefined || body === null ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : body instanceof ArrayBuffer ? Buffer.from(body) : String(body));
    });
}

async function discover(settings: ProviderSettings, secret: string): Promise<oidc.Configuration> {
  const options: oidc.DiscoveryRequestOptions = {
    timeout: PROVIDER_TIMEOUT_SECONDS,
    ...(settings.certificateAuthority !== undefined ? { [oidc.customFetch]: fetchTrusting(settings.certificateAuthority) } : {}),
  };
  try {
    const config = await oidc.discovery(new URL(settings.issuerURL), settings.clientID, { client_secret: secret }, oidc.ClientSecretPost(secret), options);
    config.timeout = PROVIDER_TIMEOUT_SECONDS;
    return config;
  } catch (error) {
    throw new ProviderUnavailableError(
      PROVIDER_REASONS.unreachable,
      `The identity provider ${settings.issuerURL} could not be used: its discovery document did not load (${describeError(error)})`,
      { cause: error },
    );
  }
}

/** A short description of a provider error for status: its class and code, never a body that could echo a secret. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string } };
  const parts = [e?.name, e?.code, e?.cause?.code].filter((p): p is string => typeof p === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(p));
  return parts.length > 0 ? [...new Set(parts)].join(', ') : 'no answer';
}
