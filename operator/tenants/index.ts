// Public surface of the tenants module.
export { clusterRoleName, roleClusterRoles, ROLE_RULES } from './cluster-roles.js';
export { bindingName, planBinding } from './binding-plan.js';
export { tenantsFeature } from './feature.js';
