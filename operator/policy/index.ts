// The policy core: the product's domain rules, pure, beside api/. Every feature,
// the access API, the acceptance page and the RBAC bindings call these; nothing
// re-derives them.
export * from './matrix.js';
export * from './email.js';
export * from './principals.js';
export * from './tenancy.js';
export * from './identity.js';
