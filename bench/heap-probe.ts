// Heap per cached object of real objects (a `bench/convergence.ts --dump-objects` file), by kind:
// each object is parsed again `copies` times (every copy its own strings, as the API server's JSON
// gives them, and its own names: `user-` and `sa-` become `user<copy>-` and `sa<copy>-`, so that
// what names the object, as emails and Secret names in condition messages, differs as it does) and prepared as the operator's informer prepares it (managedFields dropped, the feature's
// transform, interning, compaction), then the heap they hold is divided by their number.
//   node --expose-gc --import tsx bench/heap-probe.ts <dump.json> [copies=20] [--parts] [--cpu]
// --parts: what each part of the objects holds; --cpu: µs of CPU to prepare one object (parsing apart), min of 8 rounds.
import { readFileSync } from 'node:fs';
import { Informer } from '../operator/runtime/informer.js';
import { builtinKinds } from '../operator/runtime/kinds.js';
import type { KubeObject } from '../operator/runtime/kinds.js';
import { createLogger } from '../operator/runtime/logger.js';
import { systemClock } from '../operator/runtime/clock.js';
import { toCachedApiKeySecret } from '../operator/service-accounts/api-key-secret.js';

const [file, copiesArg] = process.argv.slice(2);
const dump = JSON.parse(readFileSync(file as string, 'utf8')) as Record<string, KubeObject[]>;
const copies = Number(copiesArg ?? 20);
const gc = (globalThis as { gc?: () => void }).gc as () => void;
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const logger = createLogger({ level: 'silent' });
function prepareOf(transform?: (o: KubeObject) => KubeObject): (o: KubeObject) => KubeObject {
  const informer = new Informer<KubeObject>({ kind: builtinKinds.secret, client: {} as never, clock: systemClock, logger, ...(transform ? { transform } : {}) });
  return (o) => (informer as unknown as { prepare(o: KubeObject): KubeObject }).prepare(o);
}
const groups: [string, KubeObject[], (o: KubeObject) => KubeObject][] = [
  ['User', dump['User'] ?? [], prepareOf()],
  ['ServiceAccount', dump['ServiceAccount'] ?? [], prepareOf()],
  ['Secret api-key', (dump['Secret'] ?? []).filter((s) => (s as { type?: string }).type === 'accounts.blinkops.com/api-key'), prepareOf(toCachedApiKeySecret)],
  ['Secret invitation', (dump['Secret'] ?? []).filter((s) => (s as { type?: string }).type === 'accounts.blinkops.com/invitation'), prepareOf()],
  ['RoleBinding', dump['RoleBinding'] ?? [], prepareOf()],
];
// Warm up first (compiled code and the pools' first entries would count against the first kind).
for (const [, objects, prepare] of groups) for (const o of JSON.parse(JSON.stringify(objects)) as KubeObject[]) prepare(o);
const out: Record<string, unknown> = {};
for (const [name, objects, prepare] of groups) {
  if (objects.length === 0) continue;
  const text = JSON.stringify(objects);
  // Through a Buffer: flat strings, so that parsing them allocates nothing that stays.
  const texts = Array.from({ length: copies }, (_, i) => Buffer.from(text.replaceAll('user-', `user${i}-`).replaceAll('sa-', `sa${i}-`)).toString());
  const before = heap();
  const kept: KubeObject[] = [];
  const started = performance.now();
  for (const copy of texts) for (const o of JSON.parse(copy) as KubeObject[]) kept.push(prepare(o));
  const ms = performance.now() - started;
  out[name] = { objects: kept.length, bytesPerObject: Math.round((heap() - before) / kept.length), parseAndPrepareUs: Math.round((ms * 1000 * 10) / kept.length) / 10 };
  if (process.argv.includes('--show')) console.log(name, kept[0]);
  if (process.argv.includes('--parts')) {
    // What each part holds: set to undefined in every kept object in turn (delete would turn the objects into dictionaries), the heap freed per object.
    const parts: Record<string, number> = {};
    // Bench only: any object shape, parts set to undefined where present.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    type Loose = Record<string, any>;
    const cut = (part: string, remove: (o: Loose) => void): void => {
      const at = heap();
      for (const o of kept) remove(o as Loose);
      parts[part] = Math.round((at - heap()) / kept.length);
    };
    cut('status.conditions', (o) => o['status'] && (o['status']['conditions'] = undefined));
    cut('status.history', (o) => o['status'] && (o['status']['history'] = undefined));
    cut('status (rest)', (o) => (o['status'] = undefined));
    cut('metadata.labels+annotations', (o) => {
      (o['metadata']['labels'] = undefined);
      (o['metadata']['annotations'] = undefined);
    });
    cut('metadata.ownerReferences', (o) => (o['metadata']['ownerReferences'] = undefined));
    cut('spec', (o) => (o['spec'] = undefined));
    cut('data/observedKey', (o) => {
      (o['data'] = undefined);
      (o['observedKey'] = undefined);
    });
    cut('metadata (rest)', (o) => (o['metadata'] = undefined));
    cut('the objects themselves', (o) => {
      for (const k of Object.keys(o)) o[k] = undefined;
    });
    kept.length = 0;
    out[`${name} parts`] = parts;
  }
  kept.length = 0;
  texts.length = 0;
}
if (process.argv.includes('--cpu')) {
  for (const [name, objects, prepare] of groups) {
    if (objects.length === 0) continue;
    const text = JSON.stringify(objects);
    let best = Infinity;
    for (let round = 0; round < 8; round++) {
      const parsed = Array.from({ length: copies }, (_, i) => JSON.parse(text.replaceAll('user-', `user${i}-`).replaceAll('sa-', `sa${i}-`)) as KubeObject[]).flat();
      // The process's CPU time, not the wall clock: on a shared machine, waiting for a core does not count.
      const started = process.cpuUsage();
      for (const o of parsed) prepare(o);
      const used = process.cpuUsage(started);
      best = Math.min(best, (used.user + used.system) / 1000 / parsed.length);
    }
    out[`${name} prepareUs`] = Math.round(best * 1000 * 100) / 100;
  }
}
console.log(JSON.stringify(out));
