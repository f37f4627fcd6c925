// `blink-accounts start` (`npm start`): the whole product on one machine.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { applyObjects, readManifests } from '../kube/apply.js';
import { upDevCluster, usage } from './dev-cluster.js';

const CRDS_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Registers `start`. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Bring up the embedded control plane (unless KUBECONFIG names a cluster), install the CRDs, and show how to use it')
    .action(async () => {
      const kc = new KubeConfig();
      let howToUse: string;
      if (process.env['KUBECONFIG']) {
        kc.loadFromFile(process.env['KUBECONFIG']);
        say(`Using the cluster of KUBECONFIG=${process.env['KUBECONFIG']} (context ${kc.getCurrentContext()}); no control plane is started`);
        howToUse = '  kubectl get ns';
      } else {
        const { state, reused } = await upDevCluster();
        if (reused) say(`Reusing the running control plane at ${state.server}`);
        kc.loadFromFile(state.kubeconfig);
        howToUse = usage(state);
      }
      if (existsSync(CRDS_DIR)) {
        const crds = await readManifests(CRDS_DIR);
        await applyObjects(kc, crds);
        say(`Installed ${crds.length} CustomResourceDefinitions from crds/`);
      }
      say(`\nThe cluster is ready. Use it with:\n${howToUse}\nStop the embedded control plane with: npx blink-accounts dev-cluster down`);
    });
}
