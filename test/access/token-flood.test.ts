// Issue 22 §5: anyone who can reach the access API can send bearer tokens. Through real HTTP
// against a real operator and kube-apiserver: a flood of junk tokens (garbage, expired, for
// another audience, and forged JWTs that look right but are not signed by the API server)
// costs at most the bounded number of TokenReviews, never evicts a valid caller's cached
// review, and leaves the valid caller answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS_API_AUDIENCE } from '../../operator/access/caller-access.js';
import { cachedDecisions } from '../../operator/access/decision-cache.js';
import { mountAccessApi } from '../../operator/access/feature.js';
import { ACCESS_API_PREFIX, accessApiHandler } from '../../operator/access/http-api.js';
import { ACCESS_API_SERVER } from '../../operator/context.js';
import type { Feature } from '../../operator/context.js';
import type { RunningOperator } from '../../operator/operator.js';
import { kubeAccessReviewer, TokenAuthenticator } from '../../operator/runtime/token-authenticator.js';
import { apiKeyVerifierFeature } from '../../operator/service-accounts/feature.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { accessApiToken } from '../harness/access.js';
import { eventually } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createTenant, tenantReady, uniqueName } from '../harness/tenant.js';

const shard = newShard('flood');
const client = adminClient();
const tenant = uniqueName('flood');
let operator: RunningOperator;
/** The authenticator of `operator`, built by mountAccessApi with the production defaults. */
let authenticator: TokenAuthenticator;
let token = '';

/** The access-api feature as operator/access/feature.ts registers it, keeping the authenticator to count its reviews. */
function accessApiKeeping(keep: (authenticator: TokenAuthenticator) => void): Feature {
  return {
    name: 'access-api',
    needs: ['apiKeyVerifier'],
    register(ctx, services) {
      if (!services.apiKeyVerifier) throw new Error('No API-key verifier');
      keep(mountAccessApi(ctx, cachedDecisions(ctx, services.apiKeyVerifier)));
    },
  };
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly wwwAuthenticate: string | null;
}

/** One authorize question (a principal nobody has: 200, allowed=false, for an authenticated caller) with `bearer`. */
async function ask(base: string, bearer: string): Promise<Answer> {
  const res = await fetch(`${base}/api/v1/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ tenant, principal: { user: 'nobody@example.com' }, action: 'portal' }),
  });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), wwwAuthenticate: res.headers.get('www-authenticate') };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Junk token `i`: half of them forged JWTs for the right audience and a future exp (only the
 * API server can tell them from a real one), the rest garbage, expired, or for another audience.
 */
function junk(i: number): string {
  const [header = '', payload = ''] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forge = (changes: Record<string, unknown>) => `${header}.${b64({ ...claims, jti: `forged-${i}`, ...changes })}.${'A'.repeat(342)}`;
  switch (i % 6) {
    case 0:
      return `junk-${i}-${'x'.repeat(i % 50)}`;
    case 2:
      return forge({ exp: Math.floor(Date.now() / 1000) - 60 });
    case 4:
      return forge({ aud: ['some-other-service'] });
    default:
      return forge({});
  }
}

/** Sends every token of `tokens` with `concurrency` in flight; the answers in order. */
async function flood(base: string, tokens: readonly string[], concurrency: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < tokens.length; i = next++) answers[i] = await ask(base, tokens[i] as string);
    }),
  );
  return answers;
}

beforeAll(async () => {
  operator = await startTestOperator({ shard }, [tenantsFeature, apiKeyVerifierFeature, accessApiKeeping((a) => (authenticator = a))]);
  token = await accessApiToken();
  await createTenant(client, tenant, shard);
  await tenantReady(client, tenant);
  await eventually(async () => ((await ask(operator.accessApiUrl, token)).status === 200 ? true : undefined), 15_000, 'the tenant in the cache');
}, 120_000);

afterAll(async () => {
  await cleanUp(client, [tenant], [`tenant-${tenant}`]);
  await operator?.stop();
  client.close();
});

describe('a flood of junk bearer tokens (issue 22 §5)', () => {
  it('costs at most the bounded number of TokenReviews, and the valid caller is answered throughout', async () => {
    const tokens = Array.from({ length: 600 }, (_, i) => junk(i));
    const before = authenticator.reviews.token;
    const started = performance.now();
    let flooding = true;
    const valid: Answer[] = [];
    const validCaller = (async () => {
      while (flooding) {
        valid.push(await ask(operator.accessApiUrl, token));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const answers = await flood(operator.accessApiUrl, tokens, 24);
    flooding = false;
    await validCaller;
    const seconds = (performance.now() - started) / 1000;
    const reviews = authenticator.reviews.token - before;
    const statuses = answers.reduce<Record<number, number>>((all, a) => ({ ...all, [a.status]: (all[a.status] ?? 0) + 1 }), {});
    process.stderr.write(`[flood] ${tokens.length} junk tokens in ${seconds.toFixed(2)} s: ${JSON.stringify(statuses)}; ${reviews} TokenReviews; the valid caller asked ${valid.length} times\n`);

    // Never a yes; a 401 says who to be, a 503 when to come back.
    for (const a of answers) {
      expect([401, 503]).toContain(a.status);
      if (a.status === 401) expect(a.wwwAuthenticate).toMatch(/^Bearer realm=/);
      if (a.status === 503) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Garbage, expired and other-audience tokens (half of them) cost no review at all; the forged
    // ones at most the default budget: 40 at once, then 20 a second (plus the valid caller's renewals, one per 10 s).
    expect(reviews).toBeLessThanOrEqual(40 + Math.ceil(20 * seconds) + Math.ceil(seconds / 10) + 1);
    expect(valid.length).toBeGreaterThan(0);
    expect(valid.filter((a) => a.status !== 200)).toEqual([]);
  });

  it('does not evict a valid caller\'s cached review, however many junk tokens it is sent', async () => {
    // A second replica (no controller) whose authenticator has small caches and room to review every junk token:
    // the only thing that can keep the valid caller cached is that rejected tokens do not go where accepted ones are.
    let small: TokenAuthenticator | undefined;
    const replica = await startTestOperator({ shard }, [
      apiKeyVerifierFeature,
      {
        name: 'access-api',
        needs: ['apiKeyVerifier'],
        register(ctx, services) {
          if (!services.apiKeyVerifier) throw new Error('No API-key verifier');
          small = new TokenAuthenticator({
            reviewer: kubeAccessReviewer(ctx.manager.client),
            audience: DEFAULT_ACCESS_API_AUDIENCE,
            clock: ctx.clock,
            allowedTtlMs: 60_000,
            maxEntries: 20,
            tokenReviewLimits: { maxConcurrent: 16, maxQueued: 1_000, burst: 1_000, perSecond: 1_000 },
          });
          ctx.manager.addServer(ACCESS_API_SERVER, 0).addHandler(`${ACCESS_API_PREFIX}/`, accessApiHandler(cachedDecisions(ctx, services.apiKeyVerifier), ctx.logger, small));
        },
      },
    ]);
    try {
      const auth = small as TokenAuthenticator;
      await eventually(async () => ((await ask(replica.accessApiUrl, token)).status === 200 ? true : undefined), 15_000, 'the tenant in the replica\'s cache');
      const forged = Array.from({ length: 200 }, (_, i) => junk(6 * i + 1));
      const before = auth.reviews.token;
      const answers = await flood(replica.accessApiUrl, forged, 16);
      expect(answers.every((a) => a.status === 401)).toBe(true);
      // Every forged token was worth a review (they look right): the API server said no to each.
      expect(auth.reviews.token - before).toBe(200);
      const afterFlood = auth.reviews.token;
      expect((await ask(replica.accessApiUrl, token)).status).toBe(200);
      expect(auth.reviews.token - afterFlood).toBe(0);
    } finally {
      await replica.stop();
    }
  });
});
