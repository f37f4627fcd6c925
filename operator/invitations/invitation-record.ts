// The durable invitation record: one Secret `blink-invitation-<user>` per User in the tenant
// namespace. It is the source of truth for "did this person accept?" and for "was this email
// handed to SMTP?", so both survive restarts, leader changes and a restore of Users without
// their status. It has no ownerReference on purpose (a deleted-and-restored User finds it again);
// the User finalizer deletes it on real deletion. It holds only a hash of the token.
//
// Anyone who may write Secrets in the tenant namespace can edit it, so every record the operator
// writes carries its signature (runtime/record-signing.ts, the key that signs API-key Secrets)
// over everything it says and whose record it is (namespace and User name; not the User's uid, so
// a User restored from a backup still finds its acceptance). A record is believed only when that
// signature verifies (`readInvitationRecord`).
import { MANAGED_LABELS, TENANT_LABEL, USER_LABEL } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { signCanonical, verifyCanonical } from '../runtime/record-signing.js';

/** Secret type of invitation records. */
export const INVITATION_SECRET_TYPE = 'accounts.blinkops.com/invitation';
export { USER_LABEL };
/** Label holding the non-secret invitation id (the id embedded in the token), for the O(1) lookup of the acceptance page. */
export const INVITATION_ID_LABEL = 'accounts.blinkops.com/invitation-id';
/** Annotation holding the operator's signature over the record. */
export const INVITATION_SIGNATURE_ANNOTATION = 'accounts.blinkops.com/invitation-signature';
/** Component label value of invitation records. */
export const INVITATION_COMPONENT = 'invitation';
/**
 * Label selector of the invitation-record informer. A literal, not built from MANAGED_LABELS:
 * operator.ts imports the features, so its values are not initialised while this module loads.
 */
export const INVITATION_SELECTOR = 'app.kubernetes.io/component=invitation,app.kubernetes.io/managed-by=blink-accounts-operator';
/** What the invitation-record informer asks the API server for: the operator's labels and its Secret type. */
export const INVITATION_WATCH = { labelSelector: INVITATION_SELECTOR, fieldSelector: `type=${INVITATION_SECRET_TYPE}` } as const;

/** pending: the link works; accepted: used (the person is set up); revoked: cancelled (deactivated before accepting). */
export type InvitationState = 'pending' | 'accepted' | 'revoked';
/**
 * preparing: the invitation is recorded and its email is on its way to the SMTP server, but the
 * end of the message (what makes a server accept it) has not been sent: the record is moved to
 * "sending" first. A record a crash left "preparing" was certainly not delivered and is sent
 * again. sending: the end of the message is (or was) being handed over, outcome unknown —
 * possibly delivered; sent: the SMTP server confirmed it; failed: it certainly was not accepted
 * (refused, 4xx/5xx before the end of the message), safe to send a new one.
 */
export type DeliveryState = 'preparing' | 'sending' | 'sent' | 'failed';

/** What the record says. Times are RFC 3339. */
export interface InvitationRecord {
  readonly invitationId: string;
  /** Hex SHA-256 of the token; empty for a record restored from status (no link works). */
  readonly tokenHash: string;
  readonly email: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly state: InvitationState;
  readonly acceptedAt?: string;
  /** The issuer the person signed in at to accept (a tenant with an identity provider); absent: the link alone. */
  readonly acceptedIssuer?: string;
  /** spec.invitation.resend this invitation answers. */
  readonly resend: number;
  readonly delivery: DeliveryState;
  /** Deterministic Message-ID of the email, derived from the invitation id. */
  readonly messageId: string;
  readonly sentAt?: string;
  /** The SMTP error of a failed delivery (no credentials in it). */
  readonly deliveryError?: string;
  /** Why a failed delivery failed, as a condition reason (`SmtpError`, `SmtpTlsRequired`, `SmtpTlsFailed`). */
  readonly deliveryFailure?: string;
  /** When the last attempt to send started. */
  readonly attemptedAt?: string;
  /** Consecutive certainly-failed sends (carried over to the retry's new token): paces retries across restarts. */
  readonly failedAttempts?: number;
  /**
   * The emails of this record that may have reached the person (sent or unconfirmed, not
   * certainly failed), from the last hour as of the latest send: what the tenant's hourly cap
   * counts, durable across restarts and resends.
   */
  readonly recentEmails?: readonly SentEmail[];
}

/** One invitation email that may have been delivered. */
export interface SentEmail {
  /** Invitation id of the email (each email has its own). */
  readonly invitationId: string;
  /** When it was handed to SMTP, milliseconds since the epoch. */
  readonly at: number;
}

/** `id:ms;id:ms`: ids are base62, so neither separator occurs in them. */
function formatEmails(emails: readonly SentEmail[] | undefined): string | undefined {
  return emails && emails.length > 0 ? emails.map((e) => `${e.invitationId}:${e.at}`).join(';') : undefined;
}

function parseEmails(text: string | undefined): SentEmail[] {
  const emails: SentEmail[] = [];
  for (const entry of (text ?? '').split(';')) {
    const [invitationId, at] = entry.split(':');
    const ms = Number(at);
    if (invitationId && /^[A-Za-z0-9]+$/.test(invitationId) && Number.isSafeInteger(ms) && ms > 0) emails.push({ invitationId, at: ms });
  }
  return emails;
}

/** A record as read from its Secret, with what an optimistic-concurrency write needs. */
export interface StoredInvitationRecord extends InvitationRecord {
  readonly resourceVersion: string;
}

/** A Secret as the runtime sees it. */
export interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/**
 * Whether `secret` is the invitation record the operator made for User `userName`: its type and
 * labels say so. Anything else with the record's name is someone else's and is never deleted.
 */
export function isRecordOf(secret: SecretObject | undefined, userName: string): secret is SecretObject {
  const labels = secret?.metadata?.labels ?? {};
  return (
    secret?.type === INVITATION_SECRET_TYPE &&
    labels['app.kubernetes.io/managed-by'] === MANAGED_LABELS['app.kubernetes.io/managed-by'] &&
    labels['app.kubernetes.io/component'] === INVITATION_COMPONENT &&
    labels[USER_LABEL] === userName
  );
}

/** Name of the record Secret of a User. */
export function invitationSecretName(userName: string): string {
  return `blink-invitation-${userName}`;
}

/** Deterministic Message-ID of an invitation's email: a crash and a retry can never mint a second identity. */
export function invitationMessageId(invitationId: string): string {
  return `<invitation.${invitationId}@blink-accounts.invalid>`;
}

const STATES: readonly string[] = ['pending', 'accepted', 'revoked'];
const DELIVERIES: readonly string[] = ['preparing', 'sending', 'sent', 'failed'];

function decode(data: Record<string, string>, key: string): string | undefined {
  const value = data[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/**
 * Parses a record Secret without checking its signature; undefined when it is not a well-formed
 * record. For display (the CLI, metrics) and tests: the operator decides only from
 * {@link readInvitationRecord}.
 */
export function recordFromSecret(secret: SecretObject | undefined): StoredInvitationRecord | undefined {
  if (!secret || secret.type !== INVITATION_SECRET_TYPE) return undefined;
  const data = secret.data ?? {};
  const get = (key: string): string | undefined => decode(data, key);
  const invitationId = get('invitationId');
  const email = get('email');
  const issuedAt = get('issuedAt');
  const expiresAt = get('expiresAt');
  const state = get('state');
  const delivery = get('delivery');
  const resend = Number(get('resend') ?? '0');
  if (!invitationId || !email || !issuedAt || !expiresAt || !state || !STATES.includes(state) || !delivery || !DELIVERIES.includes(delivery)) return undefined;
  const acceptedAt = get('acceptedAt');
  const acceptedIssuer = get('acceptedIssuer');
  const sentAt = get('sentAt');
  const deliveryError = get('deliveryError');
  const deliveryFailure = get('deliveryFailure');
  const attemptedAt = get('attemptedAt');
  const failedAttempts = Number(get('failedAttempts') ?? '0');
  const recentEmails = parseEmails(get('recentEmails'));
  return {
    resourceVersion: secret.metadata?.resourceVersion ?? '',
    invitationId,
    tokenHash: get('tokenHash') ?? '',
    email,
    issuedAt,
    expiresAt,
    state: state as InvitationState,
    ...(acceptedAt ? { acceptedAt } : {}),
    ...(acceptedIssuer ? { acceptedIssuer } : {}),
    resend: Number.isSafeInteger(resend) && resend >= 0 ? resend : 0,
    delivery: delivery as DeliveryState,
    messageId: get('messageId') ?? invitationMessageId(invitationId),
    ...(sentAt ? { sentAt } : {}),
    ...(deliveryError ? { deliveryError } : {}),
    ...(deliveryFailure && /^[A-Z][A-Za-z]{0,63}$/.test(deliveryFailure) ? { deliveryFailure } : {}),
    ...(attemptedAt ? { attemptedAt } : {}),
    ...(Number.isSafeInteger(failedAttempts) && failedAttempts > 0 ? { failedAttempts } : {}),
    ...(recentEmails.length > 0 ? { recentEmails } : {}),
  };
}

/** Where a record lives. */
export interface RecordLocation {
  readonly namespace: string;
  readonly userName: string;
  readonly tenantName: string;
}

/** The Secret holding `record`, signed with `signingKey`; with `resourceVersion` a replace fails with 409 if anyone wrote in between. */
export function secretFromRecord(location: RecordLocation, record: InvitationRecord, signingKey: Buffer, resourceVersion?: string): SecretObject {
  const fields: Record<string, string | undefined> = {
    invitationId: record.invitationId,
    tokenHash: record.tokenHash,
    email: record.email,
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt,
    state: record.state,
    acceptedAt: record.acceptedAt,
    acceptedIssuer: record.acceptedIssuer,
    resend: String(record.resend),
    delivery: record.delivery,
    messageId: record.messageId,
    sentAt: record.sentAt,
    deliveryError: record.deliveryError,
    deliveryFailure: record.deliveryFailure,
    attemptedAt: record.attemptedAt,
    failedAttempts: record.failedAttempts ? String(record.failedAttempts) : undefined,
    recentEmails: formatEmails(record.recentEmails),
  };
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== '') data[key] = Buffer.from(value, 'utf8').toString('base64');
  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: invitationSecretName(location.userName),
      namespace: location.namespace,
      labels: {
        ...MANAGED_LABELS,
        'app.kubernetes.io/component': INVITATION_COMPONENT,
        [TENANT_LABEL]: location.tenantName,
        [USER_LABEL]: location.userName,
        [INVITATION_ID_LABEL]: record.invitationId,
      },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    type: INVITATION_SECRET_TYPE,
    data,
  };
  // Signed as it reads back: what a reader verifies is exactly what it will act on.
  const written = recordFromSecret(secret) as StoredInvitationRecord;
  const signature = signCanonical(signingKey, canonicalRecord(location, plainRecord(written)));
  return { ...secret, metadata: { ...secret.metadata, annotations: { [INVITATION_SIGNATURE_ANNOTATION]: signature } } };
}

/** Everything a record says and whose it is, in a fixed order: what its signature covers. */
function canonicalRecord(location: Pick<RecordLocation, 'namespace' | 'userName'>, record: InvitationRecord): readonly unknown[] {
  return [
    'blink-invitation-record/v1',
    location.namespace,
    location.userName,
    record.invitationId,
    record.tokenHash,
    record.email,
    record.issuedAt,
    record.expiresAt,
    record.state,
    record.acceptedAt ?? null,
    record.resend,
    record.delivery,
    record.messageId,
    record.sentAt ?? null,
    record.deliveryError ?? null,
    record.deliveryFailure ?? null,
    record.attemptedAt ?? null,
    record.failedAttempts ?? 0,
    (record.recentEmails ?? []).map((e) => [e.invitationId, e.at]),
    // Appended only when present, so records signed before it existed still verify.
    ...(record.acceptedIssuer !== undefined ? [['acceptedIssuer', record.acceptedIssuer]] : []),
  ];
}

/**
 * How far a record Secret can be believed: `signed` (the operator's signature verifies over all of
 * it, for the User its name and labels say), `unsigned` (no signature: written by a version of the
 * operator before signatures, or stripped since) or `forged` (a wrong signature, a record that does
 * not parse, or one moved to another User's name).
 */
export type RecordIntegrity = 'signed' | 'unsigned' | 'forged';

/** A record Secret as read: the record (undefined when it does not parse) and whether to believe it. */
export interface ReadInvitationRecord {
  readonly integrity: RecordIntegrity;
  /** Only a `signed` record may steer anything; an `unsigned` one is kept for the upgrade, a `forged` one for the Event. */
  readonly record: StoredInvitationRecord | undefined;
}

// Cached objects are replaced, never edited, on every change: a verdict per object stays true.
const verdicts = new WeakMap<SecretObject, { readonly signingKey: Buffer; readonly read: ReadInvitationRecord }>();

/** Reads a record Secret and checks its signature; undefined when there is no Secret. */
export function readInvitationRecord(secret: SecretObject | undefined, signingKey: Buffer): ReadInvitationRecord | undefined {
  if (!secret) return undefined;
  const known = verdicts.get(secret);
  if (known?.signingKey === signingKey) return known.read;
  const record = recordFromSecret(secret);
  const userName = secret.metadata?.labels?.[USER_LABEL];
  const signature = secret.metadata?.annotations?.[INVITATION_SIGNATURE_ANNOTATION];
  let integrity: RecordIntegrity;
  if (!record || !userName || secret.metadata?.name !== invitationSecretName(userName)) integrity = 'forged';
  else if (signature === undefined) integrity = 'unsigned';
  else integrity = verifyCanonical(signingKey, canonicalRecord({ namespace: secret.metadata?.namespace ?? '', userName }, plainRecord(record)), signature) ? 'signed' : 'forged';
  const read: ReadInvitationRecord = { integrity, record };
  verdicts.set(secret, { signingKey, read });
  return read;
}

/** The record without its resourceVersion (what a pure function compares). */
export function plainRecord(record: StoredInvitationRecord): InvitationRecord {
  const { resourceVersion: _ignored, ...rest } = record;
  return rest;
}
