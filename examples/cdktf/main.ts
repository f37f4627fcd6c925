// The example CDKTF app: the acme tenant. Run it with `npx tsx main.ts` (see
// README.md); it writes cdktf.out/stacks/acme/cdk.tf.json.
import { App } from 'cdktf';
import { KUBECTL_CONTEXT_KEY, RESOURCE_TYPE_CONTEXT_KEY } from '../../operator/iac/index.js';
import { ACME, AccountsStack } from './accounts-stack.js';

const env = process.env;
const app = new App({ context: { [KUBECTL_CONTEXT_KEY]: env['BLINK_KUBECTL'] ?? 'kubectl', [RESOURCE_TYPE_CONTEXT_KEY]: env['BLINK_RESOURCE_TYPE'] ?? 'terraform_data' } });
new AccountsStack(app, 'acme', ACME, {
  tenantName: env['ACME_TENANT'] ?? 'acme',
  namespace: env['ACME_NAMESPACE'] ?? 'tenant-acme',
  ...(env['ACME_TENANT_LABELS'] ? { tenantLabels: parseLabels(env['ACME_TENANT_LABELS']) } : {}),
  ...(env['ACME_STATE_FILE'] ? { stateFile: env['ACME_STATE_FILE'] } : {}),
});
app.synth();

/** `k=v,k2=v2` as labels. */
function parseLabels(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`ACME_TENANT_LABELS: expected key=value, got ${JSON.stringify(pair)}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
