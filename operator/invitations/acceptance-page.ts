// The acceptance page, `/invitations/<token>`, served by every replica from its caches (leader
// or not). GET shows the invitation with an Accept form; POST accepts by writing the invitation
// record directly, with the resourceVersion it read: of two concurrent accepts exactly one
// write succeeds, the other gets 409 and re-reads (→ "already used"). The leader's User
// controller sees the record change and makes the User Active.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyLimited } from '../runtime/http-body.js';
import type { Tenant, User } from '../api/index.js';
import { checkCsrfToken, issueCsrfToken } from './csrf.js';
import { CSRF_FIELD, PAGE_HEADERS, renderInvitationPage, renderResultPage, SIGN_IN_PAGE_HEADERS } from './page.js';
import type { ResultKind } from './page.js';
import { parseInvitationToken, verifyInvitationToken } from './token.js';
import type { KubeWriter } from '../runtime/kube-writer.js';
import type { Logger } from '../runtime/logger.js';
import { intendsActive, isDeleting } from '../policy/index.js';
import { TENANT_LABEL } from '../api/index.js';
import type { Clock } from '../runtime/clock.js';
import { kubeTime } from '../runtime/conditions.js';
import { isConflict, isNotFound } from '../runtime/errors.js';
import type { RequestHandler } from '../runtime/http-server.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { judgeInvitation } from './acceptance-decision.js';
import type { GuessLimiter } from './guess-limiter.js';
import { clientBucket, NO_TRUSTED_PROXIES, resolveClientAddress } from './client-address.js';
import type { TrustedProxies } from './client-address.js';
import { INVITATION_ID_LABEL, plainRecord, readInvitationRecord, secretFromRecord, USER_LABEL } from './invitation-record.js';
import type { SecretObject, StoredInvitationRecord } from './invitation-record.js';
import { ProviderClients, ProviderUnavailableError } from './provider-client.js';
import type { ConnectedProvider } from './provider-client.js';
import { SIGN_IN_CALLBACK_PATH, signInCallbackUrl, startSignIn } from './sign-in.js';
import { finishSignIn } from './sign-in.js';

/** Path prefix of acceptance links. */
export const ACCEPTANCE_PREFIX = '/invitations/';
/** Index of the invitation-record informer by invitation id. */
export const INVITATION_ID_INDEX = 'users.invitationId';
/** Largest accepted POST body: the form carries one short field. */
export const MAX_BODY_BYTES = 4096;
const MAX_TOKEN_LENGTH = 128;
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** What the handler needs. */
/** What the page reads and writes through (the users feature passes the operator's context). */
export interface AcceptancePageContext {
  readonly manager: { readonly client: KubeWriter };
  readonly caches: { readonly users: Pick<Informer<User & KubeObject>, 'get'> };
  readonly tenants: { forNamespace(namespace: string): Tenant | undefined };
  readonly logger: Logger;
  publicUrlFor(tenant: Tenant | undefined): string;
}

export interface AcceptancePageOptions {
  readonly ctx: AcceptancePageContext;
  readonly invitations: Informer<SecretObject>;
  readonly clock: Clock;
  /** What a request without the right token costs its client (IP address, see `trustedProxies`) and all clients together. */
  readonly guesses: GuessLimiter;
  /** Proxies whose X-Forwarded-For names the client. @default none */
  readonly trustedProxies?: TrustedProxies;
  readonly csrfKey: () => Promise<Buffer>;
  /** Verifies the record a link names and signs the accepted one (runtime/record-signing.ts). */
  readonly signingKey: Buffer;
  /** Connects to tenants' identity providers. @default one over `ctx.manager.client` and `clock` */
  readonly providers?: ProviderClients;
}

/** The two routes of the public port: the acceptance page and the return from a provider's sign-in. */
export interface AcceptanceHandlers {
  /** `/invitations/<token>` */
  readonly acceptance: RequestHandler;
  /** `/sign-in/callback`: where a tenant's provider sends the person back. */
  readonly signInCallback: RequestHandler;
}

interface Found {
  readonly secret: SecretObject;
  readonly record: StoredInvitationRecord | undefined;
  readonly user: (User & KubeObject) | undefined;
  readonly tenantDisplayName: string;
  readonly publicUrl: string;
  readonly tenant: Tenant;
}

function respond(req: IncomingMessage, res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  respondWith(req, res, status, body, { ...PAGE_HEADERS, ...extra });
}

function respondWith(req: IncomingMessage, res: ServerResponse, status: number, body: string, headers: Readonly<Record<string, string>>): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function result(req: IncomingMessage, res: ServerResponse, kind: ResultKind, status: number, extra: Record<string, string> = {}, tenantDisplayName?: string, invitedEmail?: string): void {
  respond(req, res, status, renderResultPage(kind, { ...(tenantDisplayName !== undefined ? { tenantDisplayName } : {}), ...(invitedEmail !== undefined ? { invitedEmail } : {}) }), extra);
}

/** Builds the request handler of `/invitations/`. */
export function createAcceptanceHandler(options: AcceptancePageOptions): RequestHandler {
  return createAcceptanceHandlers(options).acceptance;
}

/** Builds the handlers of `/invitations/` and `/sign-in/callback`, which share the invitation lookup and the accepting write. */
export function createAcceptanceHandlers(options: AcceptancePageOptions): AcceptanceHandlers {
  const { ctx, invitations, clock, guesses } = options;
  const providers = options.providers ?? new ProviderClients(ctx.manager.client, clock);
  const trustedProxies = options.trustedProxies ?? NO_TRUSTED_PROXIES;
  const client = ctx.manager.client;

  const userOf = (secret: SecretObject): (User & KubeObject) | undefined => {
    const name = secret.metadata?.labels?.[USER_LABEL];
    return name ? ctx.caches.users.get(`${secret.metadata?.namespace}/${name}`) : undefined;
  };

  const describe = (secret: SecretObject): Found | undefined => {
    const namespace = secret.metadata?.namespace ?? '';
    const tenant = ctx.tenants.forNamespace(namespace);
    // A record outside this operator's tenants (another shard) does not exist for this replica.
    if (!tenant || tenant.metadata?.name !== secret.metadata?.labels?.[TENANT_LABEL]) return undefined;
    // Only a record the operator signed is an invitation: an edited one (its token hash, expiry, state) is no link at all.
    const read = readInvitationRecord(secret, options.signingKey);
    const record = read?.integrity === 'signed' ? read.record : undefined;
    return { secret, record, user: userOf(secret), tenantDisplayName: tenant.spec?.displayName ?? tenant.metadata?.name ?? '', publicUrl: ctx.publicUrlFor(tenant), tenant };
  };

  const find = (invitationId: string): Found | undefined => {
    for (const secret of invitations.byIndex(INVITATION_ID_INDEX, invitationId)) {
      const found = describe(secret);
      if (found) return found;
    }
    return undefined;
  };

  /** The token hashes to the stored hash of the record its id names (whatever the record's state). */
  const holdsToken = (found: Found | undefined, token: string): boolean => !!found?.record && found.record.tokenHash !== '' && verifyInvitationToken(token, found.record.tokenHash);

  /** Judges the invitation `found`, its token held (`tokenMatches`) or not. */
  const judgeFound = (found: Found | undefined, tokenMatches: boolean) => {
    const record = found?.record;
    const user = found?.user;
    const userActive = !!user && !isDeleting(user) && intendsActive(user) && user.spec?.email === record?.email;
    // A signed but earlier invitation put back in place of a later one (status acted on a higher resend counter) is dead.
    const lastResend = user?.status?.invitation?.resend;
    const superseded = !!record && lastResend !== undefined && record.resend < lastResend;
    return judgeInvitation({ record, tokenMatches, userActive, superseded, now: clock.now() });
  };
  const judge = (found: Found | undefined, token: string) => judgeFound(found, holdsToken(found, token));

  /** The tenant's provider, connected; undefined without one. Throws ProviderUnavailableError. */
  const providerOf = (found: Found): Promise<ConnectedProvider | undefined> => providers.connect(found.tenant, found.secret.metadata?.namespace ?? '');

  /**
   * Writes the record accepted (with the resourceVersion read: of two concurrent accepts exactly one
   * wins), judging a fresh read again after a conflict with `rejudge`; answers the page.
   */
  const accept = async (req: IncomingMessage, res: ServerResponse, first: Found, invitationId: string, rejudge: (found: Found | undefined) => ReturnType<typeof judgeFound>, acceptedIssuer?: string): Promise<void> => {
    let found: Found | undefined = first;
    for (let attempt = 0; attempt < 5; attempt++) {
      const verdict = rejudge(found);
      if (!verdict.ok) return result(req, res, verdict.page, verdict.status);
      const { secret, record, tenantDisplayName } = found as Found & { record: StoredInvitationRecord };
      const meta = secret.metadata ?? {};
      const accepted = secretFromRecord(
        { namespace: meta.namespace ?? '', userName: meta.labels?.[USER_LABEL] ?? '', tenantName: meta.labels?.[TENANT_LABEL] ?? '' },
        { ...plainRecord(record), state: 'accepted', acceptedAt: kubeTime(clock.now()), ...(acceptedIssuer !== undefined ? { acceptedIssuer } : {}) },
        options.signingKey,
        record.resourceVersion,
      );
      try {
        await client.replace(builtinKinds.secret, accepted);
        ctx.logger.info(
          { namespace: meta.namespace, user: meta.labels?.[USER_LABEL], invitationId: record.invitationId, ...(acceptedIssuer !== undefined ? { issuer: acceptedIssuer } : {}) },
          acceptedIssuer !== undefined ? 'Accepted an invitation after a sign-in at the identity provider' : 'Accepted an invitation',
        );
        return result(req, res, 'accepted', 200, {}, tenantDisplayName);
      } catch (error) {
        if (isNotFound(error)) return result(req, res, 'invalid', 404);
        if (!isConflict(error)) throw error;
        // Someone wrote first (another accept, a resend, the controller): judge the fresh record.
        try {
          const fresh = await client.get<SecretObject>(builtinKinds.secret, meta.namespace, meta.name ?? '');
          found = fresh.metadata?.labels?.[INVITATION_ID_LABEL] === invitationId ? describe(fresh) : undefined;
        } catch (readError) {
          if (isNotFound(readError)) return result(req, res, 'invalid', 404);
          throw readError;
        }
      }
    }
    return result(req, res, 'bad-request', 503, { 'Retry-After': '1' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const token = path.startsWith(ACCEPTANCE_PREFIX) ? path.slice(ACCEPTANCE_PREFIX.length) : '';
    const parsed = token.length > 0 && token.length <= MAX_TOKEN_LENGTH ? parseInvitationToken(token) : undefined;
    // The right token is checked before anything is charged (a cache lookup and one SHA-256): its
    // holder never waits for anyone's wrong guesses. Everything else is charged to its client and
    // to all clients together (guess-limiter.ts), never to the invitation, so a 429 says nothing
    // about which invitation ids exist and cannot be aimed at one invitee.
    if (!(parsed?.ok && holdsToken(find(parsed.value.invitationId), token))) {
      const clientAddress = resolveClientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies);
      const rate = guesses.take(clientBucket(clientAddress));
      if (!rate.allowed) return result(req, res, 'rate-limited', 429, { 'Retry-After': String(rate.retryAfterSeconds) });
    }
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return result(req, res, 'bad-request', 405, { Allow: 'GET, HEAD, POST' });

    if (method !== 'POST') {
      if (!parsed?.ok) return result(req, res, 'invalid', 404);
      const found = find(parsed.value.invitationId);
      const verdict = judge(found, token);
      if (!verdict.ok) return result(req, res, verdict.page, verdict.status);
      const { record, user } = found as Found & { record: StoredInvitationRecord; user: User };
      const provider = await providerOf(found as Found);
      // The form's POST is answered with a redirect to the provider (SIGN_IN_PAGE_HEADERS allows it); its host is shown.
      const signIn = provider ? new URL(provider.config.serverMetadata().authorization_endpoint ?? provider.settings.issuerURL) : undefined;
      const csrfToken = issueCsrfToken(await options.csrfKey(), record.invitationId, new Date(clock.now()));
      const page = renderInvitationPage({
        ...(signIn ? { signInAt: signIn.host } : {}),
        tenantDisplayName: (found as Found).tenantDisplayName,
        email: record.email,
        role: user.spec.role,
        workspaces: user.spec.workspaces ?? [],
        groups: user.spec.groups ?? [],
        expiresAt: new Date(record.expiresAt),
        csrfToken,
      });
      if (signIn) return respondWith(req, res, 200, page, SIGN_IN_PAGE_HEADERS);
      return respond(req, res, 200, page);
    }

    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== FORM_TYPE) return result(req, res, 'bad-request', 415);
    const raw = await readBodyLimited(req, MAX_BODY_BYTES);
    if (raw === undefined) return result(req, res, 'bad-request', 413);
    const body = raw.toString('utf8');
    if (!parsed?.ok) return result(req, res, 'invalid', 404);
    const fields = new URLSearchParams(body).getAll(CSRF_FIELD);
    const csrf = fields.length === 1 ? fields[0] : undefined;
    if (!checkCsrfToken(await options.csrfKey(), parsed.value.invitationId, csrf, new Date(clock.now())).ok) return result(req, res, 'bad-request', 403);

    const found = find(parsed.value.invitationId);
    const verdict = judge(found, token);
    if (!verdict.ok) return result(req, res, verdict.page, verdict.status);
    const provider = await providerOf(found as Found);
    if (provider) {
      // The tenant has an identity provider: the link alone accepts nothing; the person signs in first.
      const { record, publicUrl } = found as Found & { record: StoredInvitationRecord };
      const started = await startSignIn({ provider, record, publicUrl, sharedKey: await options.csrfKey(), now: clock.now() });
      res.writeHead(303, { ...PAGE_HEADERS, Location: started.location, 'Set-Cookie': started.cookie, 'Content-Length': '0' });
      res.end();
      return;
    }
    return accept(req, res, found as Found, parsed.value.invitationId, (fresh) => judge(fresh, token));
  };

  const callback = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return result(req, res, 'bad-request', 405, { Allow: 'GET, HEAD' });
    const outcome = await finishSignIn({
      req,
      sharedKey: await options.csrfKey(),
      now: clock.now(),
      find: (invitationId) => find(invitationId),
      judge: (found, bound) => judgeFound(found as Found | undefined, bound),
      provider: (found) => providerOf(found as Found),
      log: ctx.logger,
    });
    const clear = { 'Set-Cookie': outcome.clearCookie };
    if (!outcome.ok) {
      if (outcome.charge) {
        const clientAddress = resolveClientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies);
        const rate = guesses.take(clientBucket(clientAddress));
        if (!rate.allowed) return result(req, res, 'rate-limited', 429, { ...clear, 'Retry-After': String(rate.retryAfterSeconds) });
      }
      return result(req, res, outcome.page, outcome.status, clear, undefined, outcome.invitedEmail);
    }
    const found = outcome.found as Found;
    const invitationId = found.record?.invitationId ?? '';
    // The record is judged again as it is written: a resend or another accept in between wins.
    res.setHeader('Set-Cookie', outcome.clearCookie);
    return accept(req, res, found, invitationId, (fresh) => judgeFound(fresh, outcome.stillBound(fresh)), outcome.issuer);
  };

  const guarded = (inner: (req: IncomingMessage, res: ServerResponse) => Promise<void>): RequestHandler => async (req, res) => {
    try {
      await inner(req, res);
    } catch (error) {
      if (!req.socket.writable) {
        // The client went away or ran out of time (it got its 408): its doing, not a failure of the page.
        ctx.logger.debug({ err: error }, 'An acceptance request ended before its answer');
        res.destroy();
        return;
      }
      if (error instanceof ProviderUnavailableError) {
        // Said on the Tenant too (IdentityProviderReady=False); the person is asked to come back later.
        ctx.logger.warn({ reason: error.reason, detail: error.message }, 'The identity provider of a tenant could not be used');
        if (!res.headersSent) result(req, res, 'provider-unavailable', 503, { 'Retry-After': '30' });
        else res.end();
        return;
      }
      // The API server or the CSRF Secret failed: a page, never a stack trace; no token in the log.
      ctx.logger.error({ err: error }, 'The acceptance page failed to answer');
      if (!res.headersSent) result(req, res, 'bad-request', 503, { 'Retry-After': '5' });
      else res.end();
    }
  };

  return { acceptance: guarded(handle), signInCallback: guarded(callback) };
}

/** The path of the sign-in callback route (re-exported for the feature that mounts it). */
export { SIGN_IN_CALLBACK_PATH, signInCallbackUrl };
