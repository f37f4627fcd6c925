// The CSRF key of the acceptance form, shared by every replica: a Secret in the
// operator namespace (runtime/shared-key.ts).
import type { KubeWriter } from '../runtime/kube-writer.js';
import { sharedKey } from '../runtime/shared-key.js';

/** Name of the Secret holding the CSRF key. */
export const CSRF_SECRET_NAME = 'blink-accounts-csrf';

/** Returns a function resolving to the shared key; it reads (or creates) the Secret once, and again after a failure. */
export function sharedCsrfKey(client: Pick<KubeWriter, 'get' | 'create'>, namespace: string): () => Promise<Buffer> {
  return sharedKey(client, namespace, CSRF_SECRET_NAME, 'csrf');
}
