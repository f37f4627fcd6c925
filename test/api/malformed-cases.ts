// Manifests a user can get wrong, each with the one field the rejection must
// name. Shared by the admission test (real API server) and the validator unit
// test (ajv + validateUpdate), which must reach the same verdict.
import { API_VERSION } from '../../operator/api/index.js';

/** A manifest as a user writes it. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

/** A valid identity provider of a Tenant; cases change one field. */
const IDP = { issuerURL: 'https://idp.acme.example', clientID: 'blink', clientSecretRef: { name: 'oidc-client' } } as const;

/** One case of the table. */
export interface AdmissionCase {
  /** What is wrong, in words. */
  readonly name: string;
  /** For transition rules: the object as created first (must be valid). */
  readonly old?: Manifest;
  /** The object that must be rejected (on create, or as an update of `old`). */
  readonly object: Manifest;
  /** The field the rejection must name, as kubectl shows it. */
  readonly field: string;
}

/** Objects of every kind that are valid; cases are variations of them. */
export function validObjects(namespace: string, tenantName: string): Record<'tenant' | 'user' | 'serviceAccount' | 'workspace' | 'group', Manifest> {
  return {
    tenant: { apiVersion: API_VERSION, kind: 'Tenant', metadata: { name: tenantName }, spec: { displayName: 'Acme Corp', namespace: `${tenantName}-ns` } },
    user: {
      apiVersion: API_VERSION,
      kind: 'User',
      metadata: { name: 'jane', namespace },
      spec: { email: 'jane@acme.example', role: 'Builder', groups: ['data-engineering'], workspaces: ['data-platform'] },
    },
    serviceAccount: {
      apiVersion: API_VERSION,
      kind: 'ServiceAccount',
      metadata: { name: 'etl-runner', namespace },
      spec: { role: 'Builder', workspaces: ['data-platform', 'security-ops'], keyRotation: { revision: 2, gracePeriod: '1h' } },
    },
    workspace: { apiVersion: API_VERSION, kind: 'Workspace', metadata: { name: 'data-platform', namespace }, spec: { displayName: 'Data Platform' } },
    group: { apiVersion: API_VERSION, kind: 'Group', metadata: { name: 'data-engineering', namespace }, spec: { displayName: 'Data Engineering' } },
  };
}

type Valid = ReturnType<typeof validObjects>;

function withSpec(base: Manifest, spec: Record<string, unknown>): Manifest {
  return { ...base, spec: { ...(base['spec'] as Record<string, unknown>), ...spec } };
}

function withoutSpecField(base: Manifest, field: string): Manifest {
  const spec = { ...(base['spec'] as Record<string, unknown>) };
  delete spec[field];
  return { ...base, spec };
}

function named(base: Manifest, name: string): Manifest {
  return { ...base, metadata: { ...base.metadata, name } };
}

const names = (count: number, prefix = 'ws'): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/**
 * The malformed cases. `tenantName(i)` gives a Tenant name unique to the run
 * (Tenants are cluster-scoped); `namespace` is where namespaced objects go.
 */
export function malformedCases(namespace: string, tenantName: (i: number) => string): AdmissionCase[] {
  const v = (i: number): Valid => validObjects(namespace, tenantName(i));
  const { user, serviceAccount: sa, workspace, group } = v(0);
  const cases: AdmissionCase[] = [
    // User
    { name: 'user: role not one of Admin, Builder, Consumer', object: withSpec(user, { role: 'Boss' }), field: 'spec.role' },
    { name: 'user: role in the wrong case', object: withSpec(user, { role: 'admin' }), field: 'spec.role' },
    { name: 'user: role missing', object: withoutSpecField(user, 'role'), field: 'spec.role' },
    { name: 'user: email missing', object: withoutSpecField(user, 'email'), field: 'spec.email' },
    { name: 'user: email without @', object: withSpec(user, { email: 'jane.acme.example' }), field: 'spec.email' },
    { name: 'user: email with a display name', object: withSpec(user, { email: 'Jane <jane@acme.example>' }), field: 'spec.email' },
    { name: 'user: email with a space', object: withSpec(user, { email: 'jane doe@acme.example' }), field: 'spec.email' },
    { name: 'user: email without a top-level domain', object: withSpec(user, { email: 'jane@localhost' }), field: 'spec.email' },
    { name: 'user: email longer than 254', object: withSpec(user, { email: `${'j'.repeat(64)}@${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example` }), field: 'spec.email' },
    { name: 'user: email is a number', object: withSpec(user, { email: 42 }), field: 'spec.email' },
    { name: 'user: email changed after creation', old: user, object: withSpec(user, { email: 'jane.doe@acme.example' }), field: 'spec.email' },
    { name: 'user: duplicate group', object: withSpec(user, { groups: ['data-engineering', 'data-engineering'] }), field: 'spec.groups[1]' },
    { name: 'user: more than 100 groups', object: withSpec(user, { groups: names(101, 'group') }), field: 'spec.groups' },
    { name: 'user: group name in upper case', object: withSpec(user, { groups: ['DataEngineering'] }), field: 'spec.groups[0]' },
    { name: 'user: group name with a dot', object: withSpec(user, { groups: ['data.engineering'] }), field: 'spec.groups[0]' },
    { name: 'user: group name longer than 63', object: withSpec(user, { groups: ['g'.repeat(64)] }), field: 'spec.groups[0]' },
    { name: 'user: group name ending in -', object: withSpec(user, { groups: ['data-'] }), field: 'spec.groups[0]' },
    { name: 'user: groups is a string, not a list', object: withSpec(user, { groups: 'data-engineering' }), field: 'spec.groups' },
    { name: 'user: duplicate workspace', object: withSpec(user, { workspaces: ['data-platform', 'data-platform'] }), field: 'spec.workspaces[1]' },
    { name: 'user: workspace name with _', object: withSpec(user, { workspaces: ['data_platform'] }), field: 'spec.workspaces[0]' },
    { name: 'user: more than 100 workspaces', object: withSpec(user, { workspaces: names(101) }), field: 'spec.workspaces' },
    { name: 'user: active is a string', object: withSpec(user, { active: 'no' }), field: 'spec.active' },
    { name: 'user: displayName longer than 100', object: withSpec(user, { displayName: 'J'.repeat(101) }), field: 'spec.displayName' },
    { name: 'user: unknown spec field', object: withSpec(user, { admin: true }), field: 'spec.admin' },
    { name: 'user: unknown top-level field', object: { ...user, specs: {} }, field: 'specs' },
    { name: 'user: negative invitation.resend', object: withSpec(user, { invitation: { resend: -1 } }), field: 'spec.invitation.resend' },
    { name: 'user: invitation.resend decreased', old: withSpec(user, { invitation: { resend: 3 } }), object: withSpec(user, { invitation: { resend: 2 } }), field: 'spec.invitation.resend' },
    // Beyond 2^53-1 the operator cannot hold the counter exactly (found by the hostile-input chaos scenario: 2^63-1 stalled a ServiceAccount).
    { name: 'user: invitation.resend above 2^53-1', object: withSpec(user, { invitation: { resend: 2 ** 53 } }), field: 'spec.invitation.resend' },
    { name: 'user: unknown invitation field', object: withSpec(user, { invitation: { now: true } }), field: 'spec.invitation.now' },
    { name: 'user: name with a dot', object: named(user, 'jane.doe'), field: 'metadata.name' },
    { name: 'user: name in upper case', object: named(user, 'Jane'), field: 'metadata.name' },
    { name: 'user: spec missing', object: { apiVersion: user.apiVersion, kind: user.kind, metadata: user.metadata }, field: 'spec' },
    // ServiceAccount
    { name: 'service account: role not one of Admin, Builder, Consumer', object: withSpec(sa, { role: 'Owner' }), field: 'spec.role' },
    { name: 'service account: role missing', object: withoutSpecField(sa, 'role'), field: 'spec.role' },
    { name: 'service account: description longer than 500', object: withSpec(sa, { description: 'd'.repeat(501) }), field: 'spec.description' },
    { name: 'service account: workspace name with a space', object: withSpec(sa, { workspaces: ['Data Platform'] }), field: 'spec.workspaces[0]' },
    { name: 'service account: duplicate workspace', object: withSpec(sa, { workspaces: ['security-ops', 'security-ops'] }), field: 'spec.workspaces[1]' },
    { name: 'service account: workspaces is an object', object: withSpec(sa, { workspaces: { 'data-platform': true } }), field: 'spec.workspaces' },
    { name: 'service account: grace period above 168h', object: withSpec(sa, { keyRotation: { gracePeriod: '169h' } }), field: 'spec.keyRotation.gracePeriod' },
    { name: 'service account: grace period not a duration', object: withSpec(sa, { keyRotation: { gracePeriod: '1 day' } }), field: 'spec.keyRotation.gracePeriod' },
    { name: 'service account: key revision decreased', old: sa, object: withSpec(sa, { keyRotation: { revision: 1, gracePeriod: '1h' } }), field: 'spec.keyRotation.revision' },
    { name: 'service account: key revision above 2^53-1', object: withSpec(sa, { keyRotation: { revision: 2 ** 53 } }), field: 'spec.keyRotation.revision' },
    { name: 'service account: key revision is a string', object: withSpec(sa, { keyRotation: { revision: '3' } }), field: 'spec.keyRotation.revision' },
    { name: 'service account: name longer than 63', object: named(sa, 's'.repeat(64)), field: 'metadata.name' },
    { name: 'service account: unknown keyRotation field', object: withSpec(sa, { keyRotation: { now: true } }), field: 'spec.keyRotation.now' },
    { name: 'service account: secretTemplate sets the managed-by label', object: withSpec(sa, { secretTemplate: { labels: { 'app.kubernetes.io/managed-by': 'me' } } }), field: 'spec.secretTemplate.labels' },
    { name: 'service account: secretTemplate sets a label of the operator', object: withSpec(sa, { secretTemplate: { labels: { 'accounts.blinkops.com/tenant': 'other' } } }), field: 'spec.secretTemplate.labels' },
    { name: 'service account: secretTemplate label key with a space', object: withSpec(sa, { secretTemplate: { labels: { 'my team': 'data' } } }), field: 'spec.secretTemplate.labels' },
    { name: 'service account: secretTemplate annotation key with two slashes', object: withSpec(sa, { secretTemplate: { annotations: { 'a/b/c': 'x' } } }), field: 'spec.secretTemplate.annotations' },
    { name: 'service account: secretTemplate data key with a slash', object: withSpec(sa, { secretTemplate: { data: { 'base/url': 'x' } } }), field: 'spec.secretTemplate.data' },
    { name: 'service account: secretTemplate label value with a space', object: withSpec(sa, { secretTemplate: { labels: { team: 'data team' } } }), field: 'spec.secretTemplate.labels[team]' },
    { name: 'service account: secretTemplate sets an annotation of the operator', object: withSpec(sa, { secretTemplate: { annotations: { 'accounts.blinkops.com/key-fingerprint': 'x' } } }), field: 'spec.secretTemplate.annotations' },
    { name: 'service account: secretTemplate keyName with a slash', object: withSpec(sa, { secretTemplate: { keyName: 'api/key' } }), field: 'spec.secretTemplate.keyName' },
    { name: 'service account: secretTemplate keyName previousKeyHash', object: withSpec(sa, { secretTemplate: { keyName: 'previousKeyHash' } }), field: 'spec.secretTemplate.keyName' },
    { name: 'service account: secretTemplate data holds the keyName', object: withSpec(sa, { secretTemplate: { keyName: 'token', data: { token: 'x' } } }), field: 'spec.secretTemplate.data' },
    { name: 'service account: secretTemplate data uses previousKeyHash', object: withSpec(sa, { secretTemplate: { data: { previousKeyHash: 'x' } } }), field: 'spec.secretTemplate.data' },
    { name: 'service account: secretTemplate with 17 data keys', object: withSpec(sa, { secretTemplate: { data: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) } }), field: 'spec.secretTemplate.data' },
    { name: 'service account: rotation every 30m', object: withSpec(sa, { keyRotation: { every: '30m' } }), field: 'spec.keyRotation.every' },
    { name: 'service account: rotation every shorter than the grace period', object: withSpec(sa, { keyRotation: { every: '2h', gracePeriod: '3h' } }), field: 'spec.keyRotation.every' },
    { name: 'service account: restart target of kind Pod', object: withSpec(sa, { keyRotation: { restartTargets: [{ kind: 'Pod', name: 'api' }] } }), field: 'spec.keyRotation.restartTargets[0].kind' },
    { name: 'service account: restart target in another namespace', object: withSpec(sa, { keyRotation: { restartTargets: [{ kind: 'Deployment', name: 'api', namespace: 'kube-system' }] } }), field: 'spec.keyRotation.restartTargets[0].namespace' },
    { name: 'service account: restart target named twice', object: withSpec(sa, { keyRotation: { restartTargets: [{ kind: 'Deployment', name: 'api' }, { kind: 'Deployment', name: 'api' }] } }), field: 'spec.keyRotation.restartTargets[1]' },
    // Workspace
    { name: 'workspace: displayName longer than 100', object: withSpec(workspace, { displayName: 'W'.repeat(101) }), field: 'spec.displayName' },
    { name: 'workspace: unknown spec field', object: withSpec(workspace, { owner: 'alice' }), field: 'spec.owner' },
    { name: 'workspace: name with a dot', object: named(workspace, 'data.platform'), field: 'metadata.name' },
    // Group
    { name: 'group: description longer than 500', object: withSpec(group, { description: 'g'.repeat(501) }), field: 'spec.description' },
    { name: 'group: displayName is a number', object: withSpec(group, { displayName: 7 }), field: 'spec.displayName' },
    { name: 'group: name with a dot', object: named(group, 'data.engineering'), field: 'metadata.name' },
  ];
  // Tenant cases: each gets its own Tenant name, since Tenants are cluster-scoped.
  const tenantCases: Array<(t: Manifest) => Omit<AdmissionCase, 'name'> & { name: string }> = [
    (t) => ({ name: 'tenant: displayName missing', object: withoutSpecField(t, 'displayName'), field: 'spec.displayName' }),
    (t) => ({ name: 'tenant: displayName empty', object: withSpec(t, { displayName: '' }), field: 'spec.displayName' }),
    (t) => ({ name: 'tenant: invitationTTL below 1m', object: withSpec(t, { invitationTTL: '30s' }), field: 'spec.invitationTTL' }),
    (t) => ({ name: 'tenant: invitationTTL above 720h', object: withSpec(t, { invitationTTL: '721h' }), field: 'spec.invitationTTL' }),
    (t) => ({ name: 'tenant: invitationTTL in words', object: withSpec(t, { invitationTTL: '7 days' }), field: 'spec.invitationTTL' }),
    (t) => ({ name: 'tenant: namespace not a DNS label', object: withSpec(t, { namespace: 'Tenant_Acme' }), field: 'spec.namespace' }),
    (t) => ({ name: 'tenant: namespace kube-system', object: withSpec(t, { namespace: 'kube-system' }), field: 'spec.namespace' }),
    (t) => ({ name: 'tenant: namespace changed', old: t, object: withSpec(t, { namespace: `${t.metadata.name}-other` }), field: 'spec.namespace' }),
    (t) => ({ name: 'tenant: namespace removed', old: t, object: withoutSpecField(t, 'namespace'), field: 'spec.namespace' }),
    (t) => ({ name: 'tenant: namespace set after creation', old: withoutSpecField(t, 'namespace'), object: t, field: 'spec.namespace' }),
    (t) => ({ name: 'tenant: namespace set after creation to its default', old: withoutSpecField(t, 'namespace'), object: withSpec(t, { namespace: `tenant-${t.metadata.name}` }), field: 'spec.namespace' }),
    (t) => ({ name: 'tenant: sender not an email address', object: withSpec(t, { sender: 'Acme Accounts' }), field: 'spec.sender' }),
    (t) => ({ name: 'tenant: acceptanceURL not http(s)', object: withSpec(t, { acceptanceURL: 'ftp://accounts.acme.example' }), field: 'spec.acceptanceURL' }),
    (t) => ({ name: 'tenant: acceptanceURL longer than 2048', object: withSpec(t, { acceptanceURL: `https://acme.example/${'a'.repeat(2030)}` }), field: 'spec.acceptanceURL' }),
    (t) => ({ name: 'tenant: identity provider issuer over http', object: withSpec(t, { identityProvider: { ...IDP, issuerURL: 'http://idp.acme.example' } }), field: 'spec.identityProvider.issuerURL' }),
    (t) => ({ name: 'tenant: identity provider issuer with a query', object: withSpec(t, { identityProvider: { ...IDP, issuerURL: 'https://idp.acme.example/?tenant=1' } }), field: 'spec.identityProvider.issuerURL' }),
    (t) => ({ name: 'tenant: identity provider client id with a space', object: withSpec(t, { identityProvider: { ...IDP, clientID: 'blink app' } }), field: 'spec.identityProvider.clientID' }),
    (t) => ({ name: 'tenant: identity provider username prefix system:', object: withSpec(t, { identityProvider: { ...IDP, usernamePrefix: 'system:' } }), field: 'spec.identityProvider.usernamePrefix' }),
    (t) => ({ name: 'tenant: identity provider CA that is not PEM', object: withSpec(t, { identityProvider: { ...IDP, certificateAuthority: 'MIIB...' } }), field: 'spec.identityProvider.certificateAuthority' }),
    (t) => ({ name: 'tenant: email domain in upper case', object: withSpec(t, { allowedEmailDomains: ['Acme.example'] }), field: 'spec.allowedEmailDomains[0]' }),
    (t) => ({ name: 'tenant: duplicate email domain', object: withSpec(t, { allowedEmailDomains: ['acme.example', 'acme.example'] }), field: 'spec.allowedEmailDomains[1]' }),
    (t) => ({ name: 'tenant: more than 50 email domains', object: withSpec(t, { allowedEmailDomains: names(51, 'd').map((d) => `${d}.example`) }), field: 'spec.allowedEmailDomains' }),
    (t) => ({ name: 'tenant: deletionPolicy not Retain or Delete', object: withSpec(t, { deletionPolicy: 'Destroy' }), field: 'spec.deletionPolicy' }),
    (t) => ({ name: 'tenant: webhook url over plain http to another host', object: withSpec(t, { notifications: { webhooks: [{ ...{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } }, url: 'http://hooks.acme.example/blink' }] } }), field: 'spec.notifications.webhooks[0].url' }),
    (t) => ({ name: 'tenant: webhook url with user info', object: withSpec(t, { notifications: { webhooks: [{ ...{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } }, url: 'https://user:pw@hooks.acme.example/' }] } }), field: 'spec.notifications.webhooks[0].url' }),
    (t) => ({ name: 'tenant: webhook url over http to the IPv6 loopback (not allowed: only localhost and 127.0.0.1)', object: withSpec(t, { notifications: { webhooks: [{ name: 'audit', url: 'http://[::1]:9000/', secretRef: { name: 'webhook-signing', key: 'secret' } }] } }), field: 'spec.notifications.webhooks[0].url' }),
    (t) => ({ name: 'tenant: webhook url over http to a host named like localhost', object: withSpec(t, { notifications: { webhooks: [{ ...{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } }, url: 'http://localhost.evil.example/' }] } }), field: 'spec.notifications.webhooks[0].url' }),
    (t) => ({ name: 'tenant: two webhooks of one name', object: withSpec(t, { notifications: { webhooks: [{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } }, { ...{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } }, url: 'https://other.acme.example/' }] } }), field: 'spec.notifications.webhooks[1]' }),
    (t) => ({ name: 'tenant: more than 10 webhooks', object: withSpec(t, { notifications: { webhooks: names(11, 'hook').map((name) => ({ ...{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } }, name, url: `https://hooks.acme.example/${name}` })) } }), field: 'spec.notifications.webhooks' }),
    (t) => ({ name: 'tenant: webhook event filter with an unknown event', object: withSpec(t, { notifications: { webhooks: [{ ...{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } }, events: ['user.deleted'] }] } }), field: 'spec.notifications.webhooks[0].events[0]' }),
    (t) => ({ name: 'tenant: webhook retryFor below 5s', object: withSpec(t, { notifications: { webhooks: [{ ...{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } }, retryFor: '1s' }] } }), field: 'spec.notifications.webhooks[0].retryFor' }),
    (t) => ({ name: 'tenant: webhook secretRef.key with a slash', object: withSpec(t, { notifications: { webhooks: [{ name: 'audit', url: 'https://hooks.acme.example/', secretRef: { name: 'webhook-signing', key: '../secret' } }] } }), field: 'spec.notifications.webhooks[0].secretRef.key' }),
    (t) => ({ name: 'tenant: name longer than 56', object: named(t, `${t.metadata.name}-${'x'.repeat(56)}`), field: 'metadata.name' }),
    (t) => ({ name: 'tenant: name with a dot', object: named(t, `${t.metadata.name}.acme`), field: 'metadata.name' }),
  ];
  tenantCases.forEach((make, i) => cases.push(make(v(i + 1).tenant)));
  return cases;
}

/** Valid objects and updates, near the limits: both the API server and the validators must accept them. */
export function acceptedCases(namespace: string, tenantName: (i: number) => string): Array<{ name: string; old?: Manifest; object: Manifest }> {
  const { user, serviceAccount: sa, workspace, group } = validObjects(namespace, tenantName(0));
  const t1 = validObjects(namespace, tenantName(1)).tenant;
  const t2 = validObjects(namespace, tenantName(2)).tenant;
  const t3 = validObjects(namespace, tenantName(3)).tenant;
  const t4 = validObjects(namespace, tenantName(4)).tenant;
  return [
    {
      name: 'user with 100 groups, a 63-character name and a 254-character email',
      object: withSpec(named(user, 'u'.repeat(63)), { email: `${'j'.repeat(65)}@${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.io`, groups: names(100, 'group') }),
    },
    { name: 'user: invitation.resend increased, role and groups changed', old: named(user, 'ok-update'), object: withSpec(named(user, 'ok-update'), { role: 'Admin', groups: [], invitation: { resend: 1 } }) },
    { name: 'service account: key revision increased', old: named(sa, 'ok-rotate'), object: withSpec(named(sa, 'ok-rotate'), { keyRotation: { revision: 3, gracePeriod: '168h' } }) },
    { name: 'service account: key revision raised to 2^53-1', old: named(sa, 'ok-max'), object: withSpec(named(sa, 'ok-max'), { keyRotation: { revision: Number.MAX_SAFE_INTEGER } }) },
    {
      name: 'service account: secret template, scheduled rotation and restart targets',
      object: withSpec(named(sa, 'ok-template'), {
        keyRotation: { revision: 1, gracePeriod: '1h', every: '720h', restartTargets: [{ kind: 'Deployment', name: 'etl-api' }, { kind: 'StatefulSet', name: 'etl.worker' }] },
        secretTemplate: {
          labels: { team: 'data', 'example.com/tier': '' },
          annotations: { 'reloader.stakater.com/match': 'true' },
          keyName: 'BLINK_API_KEY',
          data: { tenant: 'acme', BLINK_ACCESS_URL: 'https://accounts.example/api/v1' },
        },
      }),
    },
    { name: 'workspace without spec', object: { apiVersion: workspace.apiVersion, kind: workspace.kind, metadata: workspace.metadata } },
    { name: 'group', object: group },
    { name: 'tenant with every setting', object: withSpec(t1, { invitationTTL: '1m', sender: 'accounts@acme.example', acceptanceURL: 'http://localhost:8080/accept', allowedEmailDomains: ['acme.example'], deletionPolicy: 'Delete' }) },
    { name: 'tenant: settings changed, namespace kept', old: t2, object: withSpec(t2, { invitationTTL: '720h', deletionPolicy: 'Delete' }) },
    {
      name: 'tenant with an identity provider, every field set',
      object: withSpec(t4, {
        identityProvider: { ...IDP, clientSecretRef: { name: 'oidc-client', key: 'secret' }, scopes: ['groups'], emailClaim: 'upn', emailVerifiedClaim: 'xms_edov', usernamePrefix: 'acme:', certificateAuthority: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
      }),
    },
    {
      name: 'tenant with webhooks: https, http to the loopback, a filter and a retryFor',
      object: withSpec(validObjects(namespace, tenantName(1000)).tenant, {
        notifications: {
          webhooks: [
            { name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' } },
            { name: 'local', url: 'http://127.0.0.1:9000/hooks?x=1', secretRef: { name: 'local-signing', key: 'whsec' }, events: ['user.invited', 'serviceaccount.key.rotated'], retryFor: '72h' },
            { name: 'fast', url: 'https://[2001:db8::1]:8443/', secretRef: { name: 'local-signing', key: 'whsec' }, retryFor: '5s' },
            { name: 'localhost', url: 'http://localhost/hooks', secretRef: { name: 'local-signing', key: 'whsec' } },
          ],
        },
      }),
    },
    { name: 'tenant: a 56-character name', object: named(t3, `${t3.metadata.name}-${'x'.repeat(55 - t3.metadata.name.length)}`) },
  ];
}
