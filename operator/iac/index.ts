// CDKTF construct library of the Blink account system: declare tenants, users,
// service accounts, workspaces and groups in TypeScript; Terraform applies and
// deletes them, and `blink-accounts synth` writes the same manifests as YAML.
export { BlinkObject, BlinkValidationError } from './blink-object.js';
export { BINDING_RESOURCE_TYPES, DECLARED_OBJECTS_ID, IAC_FIELD_MANAGER, KUBECTL_CONTEXT_KEY, RESOURCE_TYPE_CONTEXT_KEY } from './binding.js';
export type { BindingResourceType } from './binding.js';
export type { BlinkKind, BlinkObjectProps } from './blink-object.js';
export { BlinkTenant } from './tenant.js';
export type { BlinkTenantProps, BlinkTenantWebhook } from './tenant.js';
export { BlinkWorkspace } from './workspace.js';
export type { BlinkWorkspaceProps } from './workspace.js';
export { BlinkGroup } from './group.js';
export type { BlinkGroupProps } from './group.js';
export { BlinkUser } from './user.js';
export type { BlinkUserProps } from './user.js';
export { API_KEY_SECRET_SUFFIX, BlinkServiceAccount } from './service-account.js';
export type { BlinkServiceAccountProps } from './service-account.js';
export type { GroupReference, WorkspaceReference } from './references.js';
export { manifestFileName, renderManifest } from './manifest.js';
export { escapeTemplate, unescapeTemplate } from './terraform-template.js';
export { manifestsOfStack, readSynthesizedStack, stacksIn, writeManifestFiles } from './gitops.js';
