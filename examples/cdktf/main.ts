// The example CDKTF app: the acme tenant. Run it with `npx tsx main.ts` (or the
// cdktf CLI, see cdktf.json); it writes cdktf.out/stacks/acme/cdk.tf.json.
import { App } from 'cdktf';
import { KUBECTL_CONTEXT_KEY } from '../../operator/iac/index.js';
import { ACME, AccountsStack } from './accounts-stack.js';

const env = process.env;
const app = new App({ context: { [KUBECTL_CONTEXT_KEY]: env['BLINK_KUBECTL'] ?? 'kubectl' } });
new AccountsStack(app, 'acme', ACME, { tenantName: env['ACME_TENANT'] ?? 'acme', namespace: env['ACME_NAMESPACE'] ?? 'tenant-acme' });
app.synth();
