// The operator runtime: informers, work queues, controllers, leader election,
// status/finalizer/event helpers, metrics and HTTP endpoints.
export * from './clock.js';
export * from './conditions.js';
export * from './controller.js';
export * from './deep-equal.js';
export * from './errors.js';
export * from './events.js';
export * from './http-server.js';
export * from './informer.js';
export * from './kinds.js';
export * from './kube-client.js';
export * from './leader-election.js';
export * from './logger.js';
export * from './manager.js';
export * from './metrics.js';
export * from './metrics-auth.js';
export * from './owner-mapping.js';
export * from './rate-limiter.js';
export * from './status-writer.js';
export * from './work-queue.js';
export * from './kube-writer.js';
export * from './http-body.js';
export * from './shared-key.js';
export * from './token-authenticator.js';
