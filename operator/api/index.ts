// The API of the Blink accounts operator (`accounts.blinkops.com/v1alpha1`):
// types, kind definitions, CRDs and validators, all from one TypeScript source.
export { API_VERSION, CATEGORY, GROUP, VERSION } from './kind.js';
export type { Condition, KindDefinition, PrinterColumn } from './kind.js';
export { ACCOUNT_KINDS, KINDS, kindDefinition, PLURALS } from './kinds.js';
export type { AccountKindDescriptor } from './kinds.js';
export * from './labels.js';
export * from './reasons.js';
export { ROLES } from './role.js';
export type { Role } from './role.js';
export { ADOPT_ANNOTATION, CREATED_FOR_ANNOTATION, TENANT_KIND, TENANT_NAME_MAX_LENGTH, TENANT_NAMESPACE_PREFIX, DELETION_POLICIES, DEFAULT_INVITATION_EMAILS_PER_HOUR, INVITATION_EMAILS_PER_HOUR_MAX, DEFAULT_EMAIL_CLAIM, DEFAULT_EMAIL_VERIFIED_CLAIM, DEFAULT_CLIENT_SECRET_KEY } from './tenant.js';
export type { DeletionPolicy, Tenant, TenantSpec, TenantStatus, IdentityProvider } from './tenant.js';
export { DEFAULT_SCIM_TOKEN_GRACE, SCIM_LIFECYCLES, SCIM_PATH_PREFIX, SCIM_TOKEN_SECRET } from './provisioning.js';
export type { Provisioning, ScimLifecycle, ScimProvisioning } from './provisioning.js';
export { ACCOUNT_EVENT_NAMES, DEFAULT_WEBHOOK_RETRY_FOR, WEBHOOKS_MAX } from './notifications.js';
export type { AccountEventName, Notifications, Webhook } from './notifications.js';
export { USER_KIND, USER_PHASES } from './user.js';
export type { User, UserPhase, UserSpec, UserStatus } from './user.js';
export { ACCEPT_KEYS_FROM_LABEL, DELIVERY_RESERVED_NAMESPACES, OPERATOR_APP_LABELS, OPERATOR_KEY_PREFIX, RESERVED_DATA_KEY, SERVICE_ACCOUNT_KIND } from './service-account.js';
export type { KeyDeliverySpec, ServiceAccount, ServiceAccountSpec, ServiceAccountStatus } from './service-account.js';
export { WORKSPACE_KIND } from './workspace.js';
export type { Workspace, WorkspaceSpec, WorkspaceStatus } from './workspace.js';
export { GROUP_KIND } from './group.js';
export type { Group, GroupSpec, GroupStatus } from './group.js';
export { parseDuration } from './schema-builder.js';
export { customResourceDefinitions } from './crds.js';
export { assertValid, assertValidUpdate, formatFieldErrors, InvalidObjectError, validate, validateUpdate, withDefaults } from './validate.js';
export type { FieldError } from './validate.js';
