// `status <kind> <name>`: everything about one object on one screen, like cert-manager's
// `cmctl status`. Pure: `buildStatusReport` turns what status.ts gathered into a report (also the
// -o json|yaml output), `diagnose` says what is wrong and what to type, `renderStatusReport` lays it
// out. Nothing secret reaches it: the Secret arrives as data key names and the key's id and
// fingerprint, the invitation record without its token hash.
import { sourceOf } from '../api/index.js';
import type { Condition } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { renderTable } from './table.js';
import { terminalText } from './terminal-text.js';

/** The kinds `status` knows. */
export type StatusKind = 'Tenant' | 'User' | 'ServiceAccount' | 'Workspace' | 'Group';

/** An Event about the object, as shown. */
export interface EventSummary {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  /** RFC 3339 of the last occurrence. */
  readonly lastSeen: string;
  readonly count: number;
}

/** The API-key Secret of a service account, without its values. */
export interface KeySecretFacts {
  readonly name: string;
  readonly type: string;
  /** Names of the data keys (never their values). */
  readonly dataKeys: readonly string[];
  /** What the stored key is: ok, missing, or why it is not a valid key. */
  readonly keyState: string;
  readonly keyId?: string;
  readonly fingerprint?: string;
  /** Fingerprint annotation written with the key. */
  readonly recordedFingerprint?: string;
  readonly createdAt?: string;
  readonly revision?: string;
  readonly previousKeyId?: string;
  readonly previousExpiresAt?: string;
  /** The Secret's controller owner is this service account. */
  readonly ownedByAccount: boolean;
}

/** The invitation record of a user, without its token hash. */
export interface InvitationFacts {
  readonly secretName: string;
  readonly invitationId: string;
  readonly state: string;
  readonly delivery: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly sentAt?: string;
  readonly acceptedAt?: string;
  readonly deliveryError?: string;
  readonly failedAttempts?: number;
}

/** A related object: found, absent, or not readable with the caller's rights. */
export type Related<T> = { readonly found: T } | { readonly absent: string } | { readonly forbidden: string };

/** What status.ts gathered. */
export interface StatusInputs {
  readonly kind: StatusKind;
  readonly object: KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
  readonly events: readonly EventSummary[];
  readonly secret?: Related<KeySecretFacts>;
  readonly invitation?: Related<InvitationFacts>;
  /** The CLI's name, for the commands in hints. */
  readonly cli: string;
  readonly now: number;
}

/** One thing that is wrong (or worth knowing), and what to do. */
export interface Finding {
  readonly severity: 'error' | 'warning' | 'info';
  readonly problem: string;
  /** What to type or do next. */
  readonly fix?: string;
}

/** A titled list of fields. */
export interface Section {
  readonly title: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** Everything `status` shows (the -o json|yaml output). */
export interface StatusReport {
  readonly kind: StatusKind;
  readonly name: string;
  readonly namespace?: string;
  readonly ready: { readonly status: string; readonly reason: string; readonly message: string } | null;
  readonly generation?: number;
  readonly observedGeneration?: number;
  readonly fields: Readonly<Record<string, string>>;
  readonly conditions: readonly Condition[];
  readonly sections: readonly Section[];
  readonly events: readonly EventSummary[];
  readonly findings: readonly Finding[];
}

type Json = Record<string, unknown>;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

function joined(values: readonly string[]): string {
  return values.length ? values.join(', ') : '(none)';
}

/** "3d4h", "12m", "5s": how long ago `time` was, kubectl style. */
export function age(time: string | undefined, now: number): string {
  const t = time ? Date.parse(time) : NaN;
  if (!Number.isFinite(t)) return '-';
  let s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3_600);
  s -= h * 3_600;
  const m = Math.floor(s / 60);
  if (d > 0) return h ? `${d}d${h}h` : `${d}d`;
  return h ? `${h}h${m ? `${m}m` : ''}` : `${m}m`;
}

function missing(listed: readonly string[], present: readonly string[]): string[] {
  const have = new Set(present);
  return listed.filter((n) => !have.has(n));
}

function kindFields(input: StatusInputs): Record<string, string> {
  const spec = (input.object.spec ?? {}) as Json;
  const status = (input.object.status ?? {}) as Json;
  switch (input.kind) {
    case 'Tenant': {
      const users = (status['users'] ?? {}) as Json;
      return {
        'Display name': str(spec['displayName']),
        Namespace: str(status['namespace']) || str(spec['namespace']),
        Users: `${str(users['active']) || 0} active, ${str(users['invited']) || 0} invited, ${str(users['inactive']) || 0} inactive`,
        'Service accounts': str(status['serviceAccounts']) || '0',
        'Invitation TTL': str(spec['invitationTTL']) || '168h (default)',
        'Allowed email domains': joined(strings(spec['allowedEmailDomains'])),
        'Deletion policy': str(spec['deletionPolicy']) || 'Retain',
      };
    }
    case 'User':
      return {
        Email: str(spec['email']),
        Role: str(spec['role']),
        Phase: str(status['phase']) || '(not set yet)',
        Source: sourceOf(input.object as { metadata?: { labels?: Record<string, string> } }),
        'Groups (declared)': joined(strings(spec['groups'])),
        'Groups (member of)': joined(strings(status['groups'])),
        'Workspaces (declared)': joined(strings(spec['workspaces'])),
        'Workspaces (acts in)': joined(strings(status['workspaces'])),
        ...(status['acceptedAt'] ? { Accepted: str(status['acceptedAt']) } : {}),
      };
    case 'ServiceAccount': {
      const rotation = (spec['keyRotation'] ?? {}) as Json;
      return {
        Description: str(spec['description']),
        Role: str(spec['role']),
        'Workspaces (declared)': joined(strings(spec['workspaces'])),
        'Workspaces (acts in)': joined(strings(status['workspaces'])),
        'Key ID': str(status['keyId']) || '(not issued yet)',
        Fingerprint: str(status['fingerprint']),
        'Key issued': status['keyCreatedAt'] ? `${str(status['keyCreatedAt'])} (${age(str(status['keyCreatedAt']), input.now)} ago)` : '',
        'Key last used': status['keyLastUsedAt'] ? `${str(status['keyLastUsedAt'])} (${age(str(status['keyLastUsedAt']), input.now)} ago; recorded at most hourly)` : status['keyId'] ? 'never (since it was issued)' : '',
        ...(rotation['expireUnusedAfter'] ? { 'Expires unused after': str(rotation['expireUnusedAfter']) } : {}),
        'Key revision': `${str(status['keyRevision']) || '0'} (spec.keyRotation.revision ${str(rotation['revision']) || '0'}, grace period ${str(rotation['gracePeriod']) || '0s'})`,
        Secret: str(status['secretName']),
        ...(rotation['every'] ? { 'Rotates every': `${str(rotation['every'])}, next ${str(status['nextRotationAt']) || '(when a key is issued)'}` } : {}),
        ...(Array.isArray(rotation['restartTargets']) && rotation['restartTargets'].length > 0
          ? {
              'Restart targets': (rotation['restartTargets'] as { kind?: string; name?: string }[]).map((t) => `${(t.kind ?? '').toLowerCase()}/${t.name ?? ''}`).join(', '),
            }
          : {}),
        ...(Array.isArray(spec['delivery']) && spec['delivery'].length > 0
          ? {
              // Where copies are wanted, and where one holds which key (status.deliveredTo); the condition says why not.
              'Delivered to': (Array.isArray(status['deliveredTo']) ? (status['deliveredTo'] as { namespace?: string; secretName?: string; keyId?: string }[]) : [])
                .map((d) => `${d.namespace ?? ''}/${d.secretName ?? ''} (key ${d.keyId ?? ''})`)
                .join(', ') || '(nowhere yet)',
              'Delivery asked': (spec['delivery'] as { namespace?: string }[]).map((d) => d.namespace ?? '').join(', '),
            }
          : {}),
      };
    }
    case 'Workspace':
      return { 'Display name': str(spec['displayName']), Users: joined(strings(status['users'])), 'Service accounts': joined(strings(status['serviceAccounts'])) };
    case 'Group':
      return { 'Display name': str(spec['displayName']), Members: joined(strings(status['users'])) };
  }
}

function secretSection(secret: Related<KeySecretFacts>, now: number): Section {
  if ('absent' in secret) return { title: `API key Secret ${secret.absent}`, fields: { State: 'does not exist' } };
  if ('forbidden' in secret) return { title: `API key Secret ${secret.forbidden}`, fields: { State: 'not readable with your credentials' } };
  const s = secret.found;
  return {
    title: `API key Secret ${s.name}`,
    fields: {
      Type: s.type,
      'Data keys': joined(s.dataKeys),
      Key: s.keyState === 'ok' ? `valid format, id ${s.keyId ?? ''}, fingerprint ${s.fingerprint ?? ''}` : `not a valid key (${s.keyState})`,
      'Recorded fingerprint': s.recordedFingerprint ?? '(none)',
      Issued: s.createdAt ? `${s.createdAt} (${age(s.createdAt, now)} ago)` : '',
      Revision: s.revision ?? '0',
      'Previous key': s.previousKeyId ? `${s.previousKeyId}, verifies until ${s.previousExpiresAt ?? '?'}` : '(none)',
      Owner: s.ownedByAccount ? 'this ServiceAccount' : 'not this ServiceAccount',
    },
  };
}

function invitationSection(record: Related<InvitationFacts>): Section {
  if ('absent' in record) return { title: `Invitation record ${record.absent}`, fields: { State: 'does not exist' } };
  if ('forbidden' in record) return { title: `Invitation record ${record.forbidden}`, fields: { State: 'not readable with your credentials' } };
  const r = record.found;
  return {
    title: `Invitation record ${r.secretName}`,
    fields: {
      'Invitation ID': r.invitationId,
      State: r.state,
      Delivery: r.delivery + (r.failedAttempts ? ` (${r.failedAttempts} failed attempts)` : ''),
      Issued: r.issuedAt,
      Expires: r.expiresAt,
      ...(r.sentAt ? { Sent: r.sentAt } : {}),
      ...(r.acceptedAt ? { Accepted: r.acceptedAt } : {}),
      ...(r.deliveryError ? { 'Last SMTP error': r.deliveryError } : {}),
    },
  };
}

/** What is wrong and what to type; an empty list means nothing is. */
export function diagnose(input: StatusInputs): Finding[] {
  const { object, cli } = input;
  const name = object.metadata?.name ?? '';
  const ns = object.metadata?.namespace;
  const nsFlag = ns ? ` -n ${ns}` : '';
  const status = (input.object.status ?? {}) as Json;
  const spec = (input.object.spec ?? {}) as Json;
  const conditions = (status['conditions'] ?? []) as Condition[];
  const findings: Finding[] = [];
  const plural = { Tenant: 'tenants', User: 'users', ServiceAccount: 'serviceaccounts', Workspace: 'workspaces', Group: 'groups' }[input.kind];
  const edit = `kubectl edit ${plural}.accounts.blinkops.com ${name}${nsFlag}`;
  const operatorCheck = 'check that the operator runs and handles this tenant (kubectl get pods -n blink-accounts-system; its logs)';

  const observed = typeof status['observedGeneration'] === 'number' ? status['observedGeneration'] : undefined;
  const generation = object.metadata?.generation;
  if (conditions.length === 0) {
    findings.push({ severity: 'error', problem: 'The operator has not reported on this object yet', fix: `wait a few seconds and run ${cli} status again; if it stays so, ${operatorCheck}` });
  } else if (observed !== undefined && generation !== undefined && observed < generation) {
    findings.push({ severity: 'warning', problem: `The operator has not acted on the latest change yet (generation ${generation}, status is for ${observed})`, fix: `wait, then run the command again; if it stays so, ${operatorCheck}` });
  }

  const isBad = (c: Condition): boolean => (c.type === 'InvitationExpired' ? c.status === 'True' : c.status !== 'True');
  for (const c of conditions) {
    if (!isBad(c)) continue;
    // Ready=False repeats the reason of the condition that explains it.
    if (c.type === 'Ready' && conditions.some((o) => o.type !== 'Ready' && o.reason === c.reason && isBad(o))) continue;
    switch (c.reason) {
      case 'NotInTenantNamespace':
        findings.push({ severity: 'error', problem: c.message, fix: `create a Tenant whose spec.namespace is ${ns ?? ''} (kubectl get tenants.accounts.blinkops.com), or create the object in a tenant namespace` });
        break;
      case 'WorkspacesNotFound':
      case 'MissingReferences':
        findings.push({ severity: 'warning', problem: c.message, fix: `create them (kubectl get blink${nsFlag} lists what exists), or remove them from the spec: ${edit}` });
        break;
      case 'SecretConflict':
        findings.push({ severity: 'error', problem: c.message, fix: `the Secret ${str(status['secretName']) || `${name}-api-key`} is someone else's: rename or delete it (kubectl delete secret ${name}-api-key${nsFlag}) and the operator issues the key` });
        break;
      case 'SmtpError':
        findings.push({ severity: 'warning', problem: c.message, fix: 'the operator retries with backoff; check its SMTP Secret (--smtp-secret) and its logs' });
        break;
      case 'DeliveryUnconfirmed':
        findings.push({ severity: 'warning', problem: c.message, fix: `if the person got no email, send a new one: ${cli} user resend ${name}${nsFlag}` });
        break;
      case 'Expired':
        findings.push({ severity: 'warning', problem: c.message, fix: `${cli} user resend ${name}${nsFlag}` });
        break;
      case 'InvitationPending':
        findings.push({ severity: 'info', problem: c.message, fix: `nothing to do until they accept; a new link: ${cli} user resend ${name}${nsFlag}` });
        break;
      case 'EmailDomainNotAllowed':
        findings.push({ severity: 'error', problem: c.message, fix: `add the domain to the Tenant's spec.allowedEmailDomains (kubectl edit tenants.accounts.blinkops.com <tenant>), or invite another address` });
        break;
      case 'RestartFailed':
        findings.push({ severity: 'warning', problem: c.message, fix: `fix the target (the message says what was refused), then kubectl rollout restart it; the next new key restarts it again` });
        break;
      case 'NotAKeyConsumer':
        findings.push({ severity: 'warning', problem: c.message, fix: `only workloads that use the key are restarted: mount or reference the Secret in the workload, annotate it accounts.blinkops.com/restart-on-key-rotation=${name}, or remove the target (${edit})` });
        break;
      case 'NamespaceOwnedByAnotherTenant':
      case 'NamespaceTerminating':
        findings.push({ severity: 'error', problem: c.message, fix: `give the Tenant another spec.namespace: ${edit}` });
        break;
      default:
        findings.push({ severity: c.status === 'Unknown' ? 'warning' : 'error', problem: `${c.type} is ${c.status} (${c.reason}): ${c.message}`, fix: `look at the Events below and the operator's logs` });
    }
  }

  if (input.kind === 'User' && status['phase'] === 'Inactive') {
    findings.push({ severity: 'info', problem: 'The user is deactivated and has no access', fix: `${cli} user activate ${name}${nsFlag}` });
  }

  if (input.kind === 'ServiceAccount' && input.secret) {
    const secret = input.secret;
    if ('absent' in secret && status['keyId']) {
      findings.push({ severity: 'warning', problem: `Secret ${secret.absent} is missing: the key ${str(status['keyId'])} no longer works`, fix: 'the operator issues a new key shortly (a Warning Event says so); applications must read the new one' });
    } else if ('found' in secret) {
      const s = secret.found;
      if (s.keyState !== 'ok' || (s.fingerprint && s.fingerprint !== s.recordedFingerprint)) {
        findings.push({ severity: 'warning', problem: `The key in Secret ${s.name} was altered: it does not verify`, fix: 'the operator replaces it shortly with a new key; never edit the Secret by hand' });
      } else if (status['fingerprint'] && s.fingerprint !== status['fingerprint']) {
        findings.push({ severity: 'info', problem: 'The Secret holds a newer key than status shows', fix: 'the operator updates status shortly' });
      }
    }
    const rotation = (spec['keyRotation'] ?? {}) as Json;
    const wanted = typeof rotation['revision'] === 'number' ? rotation['revision'] : 0;
    const issued = typeof status['keyRevision'] === 'number' ? status['keyRevision'] : 0;
    if (wanted > issued) findings.push({ severity: 'info', problem: `Rotation to key revision ${wanted} requested; the current key is revision ${issued}`, fix: 'the operator issues the new key shortly' });
  }

  if (input.kind === 'User' || input.kind === 'ServiceAccount') {
    const declared = strings(spec['workspaces']);
    const actsIn = strings(status['workspaces']);
    const role = str(spec['role']);
    const lacking = role === 'Admin' ? [] : missing(declared, actsIn);
    if (lacking.length > 0 && conditions.length > 0 && !findings.some((f) => f.problem.includes(lacking[0] ?? ''))) {
      findings.push({ severity: 'warning', problem: `Declared workspaces it does not act in: ${lacking.join(', ')}`, fix: `create them, or remove them from the spec: ${edit}` });
    }
  }

  const recentWarnings = input.events.filter((e) => e.type === 'Warning');
  const last = recentWarnings[recentWarnings.length - 1];
  if (last && !findings.some((f) => f.severity !== 'info')) {
    findings.push({ severity: 'info', problem: `Recent Warning Event ${last.reason}: ${last.message}`, fix: 'see Events below; the operator already acted on it if Ready is True' });
  }
  return findings;
}

/** The report of one object. */
export function buildStatusReport(input: StatusInputs): StatusReport {
  const status = (input.object.status ?? {}) as Json;
  const conditions = (status['conditions'] ?? []) as Condition[];
  const ready = conditions.find((c) => c.type === 'Ready');
  const sections: Section[] = [];
  if (input.secret) sections.push(secretSection(input.secret, input.now));
  if (input.invitation) sections.push(invitationSection(input.invitation));
  const meta = input.object.metadata ?? {};
  return {
    kind: input.kind,
    name: meta.name ?? '',
    ...(meta.namespace ? { namespace: meta.namespace } : {}),
    ready: ready ? { status: ready.status, reason: ready.reason, message: ready.message } : null,
    ...(meta.generation !== undefined ? { generation: meta.generation } : {}),
    ...(typeof status['observedGeneration'] === 'number' ? { observedGeneration: status['observedGeneration'] } : {}),
    fields: Object.fromEntries(Object.entries(kindFields(input)).filter(([, v]) => v !== '')),
    conditions,
    sections,
    events: input.events,
    findings: diagnose(input),
  };
}

function fieldLines(fields: Readonly<Record<string, string>>, indent: string): string {
  const width = Math.max(0, ...Object.keys(fields).map((k) => k.length)) + 2;
  return Object.entries(fields)
    .map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}${terminalText(v)}`)
    .join('\n');
}

/** The report as text. */
export function renderStatusReport(report: StatusReport, now: number): string {
  const out: string[] = [];
  out.push(`${report.kind} ${report.namespace ? `${report.namespace}/` : ''}${report.name}`);
  const ready = report.ready ? `${report.ready.status} (${report.ready.reason}): ${report.ready.message}` : 'Unknown (no status yet)';
  const generation = report.generation !== undefined ? `${report.generation}${report.observedGeneration !== undefined ? `, observed ${report.observedGeneration}` : ', not observed yet'}` : '';
  out.push(fieldLines({ Ready: ready, ...(generation ? { Generation: generation } : {}), ...report.fields }, '  '));
  out.push('');
  out.push('Conditions:');
  out.push(
    report.conditions.length
      ? renderTable(['type', 'status', 'reason', 'age', 'message'], report.conditions.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime, now), c.message]), '  ').trimEnd()
      : '  (none)',
  );
  for (const section of report.sections) {
    out.push('');
    out.push(`${section.title}:`);
    out.push(fieldLines(section.fields, '  '));
  }
  out.push('');
  out.push(`Events (last ${report.events.length}):`);
  out.push(
    report.events.length
      ? renderTable(['last seen', 'type', 'reason', 'count', 'message'], report.events.map((e) => [age(e.lastSeen, now), e.type, e.reason, String(e.count), e.message]), '  ').trimEnd()
      : '  (none)',
  );
  out.push('');
  out.push('Diagnosis:');
  if (report.findings.length === 0) out.push('  Nothing is wrong.');
  for (const f of report.findings) {
    out.push(`  ${f.severity === 'error' ? 'ERROR' : f.severity === 'warning' ? 'WARNING' : 'NOTE'}: ${terminalText(f.problem)}`);
    if (f.fix) out.push(`    → ${terminalText(f.fix)}`);
  }
  return `${out.join('\n')}\n`;
}
