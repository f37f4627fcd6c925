// Public surface of the tenants module.
export { checkEmailDomain, emailDomain, EMAIL_DOMAIN_NOT_ALLOWED } from './email-domain.js';
export type { EmailDomainCheck } from './email-domain.js';
export { clusterRoleName, roleClusterRoles, ROLE_RULES } from './cluster-roles.js';
export { bindingName, planBinding, USER_LABEL } from './binding-plan.js';
export { tenantsFeature } from './feature.js';
