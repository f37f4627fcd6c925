// A small stand-in for `terraform plan` / `terraform apply` on null_resources,
// for tests where no Terraform-compatible engine can run (the null provider is
// not downloadable here). It does what Terraform does with this configuration
// and nothing more:
// - a resource whose evaluated triggers differ from the state is replaced
//   (destroy-time provisioners of the old instance, then create-time ones of
//   the new), a new one is created, an unchanged one is left alone;
// - destroy-time provisioners may reference only `self`; their configuration
//   comes from the current configuration (Terraform runs none for a resource
//   that was removed from it: it is dropped from state, its object orphaned);
// - `depends_on` orders creation, and destruction in reverse;
// - provisioners run through `/bin/sh -c` with the process environment plus
//   their `environment`, and a failure fails the apply.
// Only the template forms the constructs emit are understood: `${self.triggers.<key>}`
// and the escapes `$${` and `%%{`; anything else throws rather than guessing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A local-exec provisioner as the Terraform JSON syntax has it. */
interface LocalExec {
  readonly command: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly when?: 'create' | 'destroy';
}

/** A null_resource block of the Terraform JSON syntax. */
interface NullResourceBlock {
  readonly triggers?: Readonly<Record<string, string>>;
  readonly depends_on?: readonly string[];
  readonly provisioner?: readonly { readonly 'local-exec'?: LocalExec }[];
}

/** Terraform JSON configuration, as far as the driver reads it. */
export interface TerraformConfiguration {
  readonly resource?: { readonly null_resource?: Readonly<Record<string, NullResourceBlock>> };
}

/** Terraform state: the evaluated triggers of each resource instance, by address. */
export type TerraformState = ReadonlyMap<string, Readonly<Record<string, string>>>;

/** What `plan` decided, by resource address (`null_resource.<name>`). */
export interface Plan {
  readonly create: readonly string[];
  readonly replace: readonly string[];
  readonly delete: readonly string[];
  readonly unchanged: readonly string[];
}

/** One provisioner run. */
export interface ProvisionerRun {
  readonly address: string;
  readonly when: 'create' | 'destroy';
  readonly command: string;
  readonly stdout: string;
}

const NULL_RESOURCE = 'null_resource';

function blocks(configuration: TerraformConfiguration): Map<string, NullResourceBlock> {
  return new Map(Object.entries(configuration.resource?.null_resource ?? {}).map(([name, block]) => [`${NULL_RESOURCE}.${name}`, block]));
}

/** Evaluates a template with only `self.triggers.<key>` references. */
export function evaluate(template: string, triggers: Readonly<Record<string, string>> = {}): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const rest = template.slice(i);
    if (rest.startsWith('$${') || rest.startsWith('%%{')) {
      out += `${rest[0]}{`;
      i += 3;
      continue;
    }
    if (rest.startsWith('%{')) throw new Error(`Template directive not supported: ${rest.slice(0, 40)}`);
    if (rest.startsWith('${')) {
      const end = rest.indexOf('}');
      const expression = rest.slice(2, end).trim();
      const match = /^self\.triggers(?:\.([A-Za-z0-9_-]+)|\["([^"]+)"\])$/.exec(expression);
      const key = match?.[1] ?? match?.[2];
      if (end < 0 || key === undefined) throw new Error(`Expression not supported by the test driver: ${rest.slice(0, 60)}`);
      const value = triggers[key];
      if (value === undefined) throw new Error(`self.triggers has no key ${key}`);
      out += value;
      i += end + 1;
      continue;
    }
    out += template[i];
    i += 1;
  }
  return out;
}

function evaluatedTriggers(block: NullResourceBlock): Record<string, string> {
  return Object.fromEntries(Object.entries(block.triggers ?? {}).map(([key, value]) => [key, evaluate(value)]));
}

function sameTriggers(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** What `terraform plan` would do to go from `state` to `configuration`. */
export function plan(configuration: TerraformConfiguration, state: TerraformState): Plan {
  const create: string[] = [];
  const replace: string[] = [];
  const unchanged: string[] = [];
  for (const [address, block] of blocks(configuration)) {
    const old = state.get(address);
    if (old === undefined) create.push(address);
    else if (sameTriggers(old, evaluatedTriggers(block))) unchanged.push(address);
    else replace.push(address);
  }
  const configured = blocks(configuration);
  const remove = [...state.keys()].filter((address) => !configured.has(address));
  return { create: create.sort(), replace: replace.sort(), delete: remove.sort(), unchanged: unchanged.sort() };
}

/** Addresses in an order where every resource comes after those it depends on. */
function dependencyOrder(all: Map<string, NullResourceBlock>, addresses: readonly string[]): string[] {
  const wanted = new Set(addresses);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (address: string): void => {
    if (ordered.includes(address)) return;
    if (visiting.has(address)) throw new Error(`Dependency cycle at ${address}`);
    visiting.add(address);
    for (const dependency of all.get(address)?.depends_on ?? []) visit(dependency);
    visiting.delete(address);
    ordered.push(address);
  };
  for (const address of [...addresses].sort()) visit(address);
  return ordered.filter((address) => wanted.has(address));
}

/** Options of `apply` and `destroy`. */
export interface ApplyOptions {
  /** Environment of the provisioners (Terraform passes its own). */
  readonly env: NodeJS.ProcessEnv;
}

async function provision(address: string, block: NullResourceBlock | undefined, when: 'create' | 'destroy', self: Readonly<Record<string, string>>, options: ApplyOptions): Promise<ProvisionerRun[]> {
  const runs: ProvisionerRun[] = [];
  for (const provisioner of block?.provisioner ?? []) {
    const exec = provisioner['local-exec'];
    if (!exec || (exec.when ?? 'create') !== when) continue;
    const command = evaluate(exec.command, self);
    const environment = Object.fromEntries(Object.entries(exec.environment ?? {}).map(([key, value]) => [key, evaluate(value, self)]));
    try {
      const { stdout } = await run('/bin/sh', ['-c', command], { env: { ...options.env, ...environment } });
      runs.push({ address, when, command, stdout });
    } catch (error) {
      throw new Error(`${address}: ${when}-time provisioner failed: ${command}`, { cause: error });
    }
  }
  return runs;
}

/** Carries out `plan(configuration, state)`; returns the new state and every provisioner run, in order. */
export async function apply(configuration: TerraformConfiguration, state: TerraformState, options: ApplyOptions): Promise<{ state: TerraformState; runs: ProvisionerRun[]; plan: Plan }> {
  const decided = plan(configuration, state);
  const configured = blocks(configuration);
  const next = new Map(state);
  const runs: ProvisionerRun[] = [];
  // Removed from the configuration: Terraform has no provisioner for them any more.
  for (const address of decided.delete) next.delete(address);
  // Replacements destroy the old instance first (dependents before what they depend on).
  for (const address of dependencyOrder(configured, decided.replace).reverse()) {
    runs.push(...(await provision(address, configured.get(address), 'destroy', state.get(address) ?? {}, options)));
    next.delete(address);
  }
  for (const address of dependencyOrder(configured, [...decided.create, ...decided.replace])) {
    const block = configured.get(address);
    const triggers = evaluatedTriggers(block ?? {});
    runs.push(...(await provision(address, block, 'create', triggers, options)));
    next.set(address, triggers);
  }
  return { state: next, runs, plan: decided };
}

/** `terraform destroy`: destroy-time provisioners of every instance in state, dependents first. */
export async function destroy(configuration: TerraformConfiguration, state: TerraformState, options: ApplyOptions): Promise<{ state: TerraformState; runs: ProvisionerRun[] }> {
  const configured = blocks(configuration);
  const runs: ProvisionerRun[] = [];
  for (const address of dependencyOrder(configured, [...state.keys()]).reverse()) {
    runs.push(...(await provision(address, configured.get(address), 'destroy', state.get(address) ?? {}, options)));
  }
  return { state: new Map(), runs };
}
