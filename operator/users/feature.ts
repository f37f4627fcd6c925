// The users feature: the User controller (invitations, phases) and the acceptance page on every
// replica (both built from operator/invitations/).
import type { RandomBytes } from '../apikeys/random.js';
import { objectsInTenantNamespace } from '../context.js';
import type { Cached, Feature, OperatorContext } from '../context.js';
import type { User } from '../api/index.js';
import type { CacheIndex } from '../runtime/informer.js';
import { ACCOUNT_KINDS } from '../api/index.js';
import { specOrLabelsChanged } from '../runtime/controller.js';
import type { Clock } from '../runtime/clock.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { labelOwnerInNamespace } from '../runtime/owner-mapping.js';
import { exponentialRateLimiter } from '../runtime/rate-limiter.js';
import { ACCEPTANCE_PREFIX, createAcceptanceHandlers, INVITATION_ID_INDEX, SIGN_IN_CALLBACK_PATH } from '../invitations/acceptance-page.js';
import { GuessLimiter } from '../invitations/guess-limiter.js';
import { parseTrustedProxies } from '../invitations/client-address.js';
import type { GuessLimiterOptions } from '../invitations/guess-limiter.js';
import { sharedCsrfKey } from '../invitations/csrf-secret.js';
import { INVITATION_ID_LABEL, INVITATION_WATCH, USER_LABEL } from '../invitations/invitation-record.js';
import type { SecretObject } from '../invitations/invitation-record.js';
import { nodemailerMailer } from '../invitations/smtp.js';
import type { Mailer, SmtpTimeouts } from '../invitations/smtp.js';
import { recordSigningKey } from '../runtime/record-signing.js';
import { DEFAULT_SEND_CONCURRENCY, InvitationSendQueue, sendOutcomeArrived } from './send-queue.js';
import { STATUS_WAIT_MS } from './status-wait.js';
import { userReconciler, usersWithEmailOf } from './user-controller.js';

/** Options of {@link createUsersFeature}; the defaults are what production runs. */
export interface UsersFeatureOptions {
  /** Overrides the operator's clock for invitations (expiry, CSRF, rate limits). @default the operator's */
  readonly clock?: Clock;
  /** Requests without the right token (guesses, garbage, stale links) per client IP. @default burst 20, one more every 5 s */
  readonly rateLimit?: GuessLimiterOptions['perClient'];
  /** Requests without the right token from all clients together. @default burst 200, two more a second */
  readonly globalRateLimit?: GuessLimiterOptions['global'];
  /** Proxies whose X-Forwarded-For names the client. @default the operator's `trustedProxies` */
  readonly trustedProxies?: readonly string[];
  readonly mailer?: Mailer;
  readonly smtpTimeouts?: SmtpTimeouts;
  readonly random?: RandomBytes;
  /** Largest retry delay of the User controller (SMTP outages). @default 60_000 */
  readonly maxRetryDelayMs?: number;
  /** Invitation emails in flight at once (send-queue.ts), over all tenants. @default 4 */
  readonly sendConcurrency?: number;
}

/** Builds the users feature. */
export function createUsersFeature(options: UsersFeatureOptions = {}): Feature {
  return {
    name: 'users',
    async register(ctx: OperatorContext) {
      const clock = options.clock ?? ctx.clock;
      // Every replica signs (the acceptance page accepts) and verifies invitation records with the key of API-key Secrets.
      const signingKey = await recordSigningKey(ctx.manager.client, ctx.namespace)();
      // Parsed before anything starts: a bad CIDR stops the operator with its value in the message.
      const trustedProxies = parseTrustedProxies(options.trustedProxies ?? ctx.options.trustedProxies ?? []);
      // Every replica caches the invitation records (only those, by label): the acceptance page reads them.
      const invitations = ctx.manager.informer<SecretObject>(builtinKinds.secret, {
        ...INVITATION_WATCH,
        indexes: { [INVITATION_ID_INDEX]: (s) => [s.metadata?.labels?.[INVITATION_ID_LABEL] ?? ''].filter(Boolean) },
      });
      // SMTP runs here, off the User reconcile: a slow relay holds up its own emails only.
      const sendQueue = new InvitationSendQueue({
        concurrency: options.sendConcurrency ?? DEFAULT_SEND_CONCURRENCY,
        log: ctx.logger,
        // A send whose outcome could not be written: the User is looked at again, with backoff.
        onError: (job) => controller.queue.addRateLimited(job.key),
        // A send running (or waiting on a stuck queue) for STATUS_WAIT_MS: its User writes "Sending" now.
        lateAfterMs: STATUS_WAIT_MS,
        onLate: (job) => controller.queue.add(job.key),
      });
      ctx.onStop(() => sendQueue.stop());
      const controller = ctx.manager.addController({
        name: 'users',
        for: ACCOUNT_KINDS.user,
        watches: [
          { kind: ACCOUNT_KINDS.group, map: (group) => usersNaming(ctx.indexes.usersByGroup, group) },
          { kind: ACCOUNT_KINDS.workspace, map: (workspace) => usersNaming(ctx.indexes.usersByWorkspace, workspace) },
        ],
        // Failed sends are paced by the record (user-plan.ts, waitForRetry); this caps the queue's own backoff
        // (API errors, no SMTP settings) at a minute too.
        rateLimiter: exponentialRateLimiter({ baseMs: 50, maxMs: options.maxRetryDelayMs ?? 60_000 }),
        reconcile: userReconciler({
          ctx,
          invitations: invitations as unknown as Informer<SecretObject>,
          mailer: options.mailer ?? nodemailerMailer(options.smtpTimeouts),
          clock,
          ...(options.random ? { random: options.random } : {}),
          ...(options.maxRetryDelayMs !== undefined ? { maxRetryDelayMs: options.maxRetryDelayMs } : {}),
          signingKey,
          sendQueue,
        }),
      });
      // The invitation records: a send's outcome brings the pass that writes the User's status, in the
      // priority lane (it finishes a started invitation; first passes of other Users wait behind it).
      controller.watch(invitations as unknown as Informer<SecretObject>, labelOwnerInNamespace(USER_LABEL), { priority: sendOutcomeArrived });
      controller.watch(ctx.caches.tenants, objectsInTenantNamespace(ctx, ctx.caches.users as unknown as Informer<KubeObject>), { onUpdate: specOrLabelsChanged });
      // One email is one person: a User that comes, goes or is being deleted decides which of the others with its email is invited.
      controller.watch(ctx.caches.users, (user) => usersWithEmailOf(ctx, user).map((u) => `${u.metadata?.namespace ?? ''}/${u.metadata?.name ?? ''}`), { onUpdate: specOrLabelsChanged });
      const pages = createAcceptanceHandlers({
        ctx,
        invitations,
        clock,
        guesses: new GuessLimiter({ clock, ...(options.rateLimit ? { perClient: options.rateLimit } : {}), ...(options.globalRateLimit ? { global: options.globalRateLimit } : {}) }),
        trustedProxies,
        csrfKey: sharedCsrfKey(ctx.manager.client, ctx.namespace),
        signingKey,
      });
      ctx.manager.addHandler(ACCEPTANCE_PREFIX, pages.acceptance);
      // Where a tenant's identity provider sends the person back (issue 26).
      ctx.manager.addHandler(SIGN_IN_CALLBACK_PATH, pages.signInCallback);
    },
  };
}

function usersNaming(index: CacheIndex<Cached<User>>, object: KubeObject): string[] {
  const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
  return index.get(key).map((u) => `${u.metadata?.namespace ?? ''}/${u.metadata?.name ?? ''}`);
}

/** The users feature with production defaults, as features.ts registers it. */
export const usersFeature: Feature = createUsersFeature();
