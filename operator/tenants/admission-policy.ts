// A ValidatingAdmissionPolicy that refuses, at admission, a User whose email is
// outside its tenant's allowedEmailDomains (the Users controller also reports it
// with Ready=False, for objects created before a tenant restricted its domains).
// The Tenant is the policy's parameter: every Tenant is evaluated, and only the
// one whose name the namespace's tenant label carries can refuse. CREATE only:
// the email is immutable, and refusing updates would block finalizer removal.
// Shipped as deploy/rbac/user-email-domain-policy.yaml (rendered from here);
// not installed by the operator, since it is cluster-wide.
import { stringify } from 'yaml';
import { API_VERSION, GROUP } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';

/** Name of the policy and of its binding. */
export const EMAIL_DOMAIN_POLICY = 'blink-accounts-user-email-domain';

const TENANT_LABEL_KEY = 'accounts.blinkops.com/tenant';
const OWNS_NAMESPACE = `has(namespaceObject.metadata.labels) && '${TENANT_LABEL_KEY}' in namespaceObject.metadata.labels && namespaceObject.metadata.labels['${TENANT_LABEL_KEY}'] == params.metadata.name`;
const RESTRICTS = 'has(params.spec.allowedEmailDomains) && size(params.spec.allowedEmailDomains) > 0';

/** The policy. */
export function emailDomainPolicy(): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: EMAIL_DOMAIN_POLICY, labels: { 'app.kubernetes.io/part-of': 'blink-accounts' } },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: API_VERSION, kind: 'Tenant' },
      matchConstraints: { resourceRules: [{ apiGroups: [GROUP], apiVersions: ['*'], operations: ['CREATE'], resources: ['users'] }] },
      validations: [
        {
          expression: `!(${OWNS_NAMESPACE}) || !(${RESTRICTS}) || params.spec.allowedEmailDomains.exists(d, object.spec.email.lowerAscii().endsWith('@' + d))`,
          messageExpression: `'the email domain of ' + object.spec.email + ' is not allowed in tenant ' + params.metadata.name + '; allowed domains: ' + params.spec.allowedEmailDomains.join(', ')`,
          reason: 'Invalid',
        },
      ],
    },
  };
}

/** A binding of the policy to every Tenant; `namespaceSelector` narrows it (tests scope it to their shard). */
export function emailDomainPolicyBinding(name = EMAIL_DOMAIN_POLICY, namespaceSelector?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'blink-accounts' } },
    spec: {
      policyName: EMAIL_DOMAIN_POLICY,
      validationActions: ['Deny'],
      paramRef: { selector: {}, parameterNotFoundAction: 'Allow' },
      ...(namespaceSelector ? { matchResources: { namespaceSelector } } : {}),
    },
  };
}

/** deploy/rbac/user-email-domain-policy.yaml. */
export function renderEmailDomainPolicyYaml(): string {
  const header = '# Refuses, at admission, a User whose email is outside its tenant\'s allowedEmailDomains.\n# Generated from operator/tenants/admission-policy.ts: npx blink-accounts generate rbac\n';
  return header + [emailDomainPolicy(), emailDomainPolicyBinding()].map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}

