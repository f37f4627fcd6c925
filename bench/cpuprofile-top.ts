// Summarises a .cpuprofile (from `node --cpu-prof` or the inspector's Profiler): the functions
// with the most self time, and the share of time by source (our code, node internals, packages).
// Also the longest stretch without an idle sample (a long task: event-loop lag) and what filled it.
//   node --import tsx bench/cpuprofile-top.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time by function and by source, in µs. */
export function summarise(profile: Profile, top: number): { totalMs: number; functions: { name: string; where: string; selfMs: number; share: number }[]; bySource: Record<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const bySource: Record<string, number> = {};
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const url = frame.url.replace(/^file:\/\//, '');
    const source = url === '' ? (frame.functionName.startsWith('(') ? frame.functionName : '(native)') : url.startsWith('node:') ? 'node internals' : url.includes('/node_modules/') ? `package ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? '?'}` : url.includes('/operator/') ? 'operator (our code)' : url.includes('/bench/') ? 'bench' : url;
    bySource[source] = (bySource[source] ?? 0) + us;
    const where = url ? `${url.replace(/^.*\/(operator|bench|node_modules)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    const entry = fns.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
  }
  const round = (us: number): number => Math.round(us / 100) / 10;
  return {
    totalMs: round(total),
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: round(f.us), share: Math.round((f.us / total) * 1000) / 10 })),
    bySource: Object.fromEntries(Object.entries(bySource).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / total) * 1000) / 10])),
  };
}

/**
 * The longest stretch of consecutive samples that are not idle: what held the event loop longest
 * (a long task shows as event-loop lag). Returns its length and where it started (ms from the
 * profile's start) and the call paths (our code and packages, outermost first) that filled it.
 */
export function longestBusy(profile: Profile, top = 8): { ms: number; startMs: number; paths: { ms: number; path: string }[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let best = { from: 0, to: 0, us: 0 };
  let from = 0;
  let us = 0;
  let at = 0;
  let bestStartUs = 0;
  let startUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (byId.get(id)?.callFrame.functionName === '(idle)') {
      us = 0;
      from = i + 1;
      startUs = at;
      return;
    }
    us += delta;
    if (us > best.us) {
      best = { from, to: i, us };
      bestStartUs = startUs;
    }
  });
  const paths = new Map<string, number>();
  for (let i = best.from; i <= best.to; i++) {
    const frames: string[] = [];
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame || !frame.url || frame.url.startsWith('node:')) continue;
      frames.unshift(`${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(operator|bench|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`);
    }
    const key = frames.slice(0, 6).join(' > ') || '(node internals / native)';
    paths.set(key, (paths.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const round = (v: number): number => Math.round(v / 100) / 10;
  return { ms: round(best.us), startMs: round(bestStartUs), paths: [...paths].sort((a, b) => b[1] - a[1]).slice(0, top).map(([path, v]) => ({ ms: round(v), path })) };
}

if (process.argv[1]?.endsWith('cpuprofile-top.ts')) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: cpuprofile-top.ts <file.cpuprofile> [top]');
  const result = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25));
  process.stdout.write(`total self time ${result.totalMs} ms\nby source (% of samples): ${JSON.stringify(result.bySource)}\n`);
  for (const f of result.functions) process.stdout.write(`${String(f.share).padStart(5)}%  ${String(f.selfMs).padStart(8)} ms  ${f.name}  ${f.where}\n`);
  const busy = longestBusy(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  process.stdout.write(`longest busy stretch: ${busy.ms} ms, from ${busy.startMs} ms\n`);
  for (const p of busy.paths) process.stdout.write(`  ${String(p.ms).padStart(8)} ms  ${p.path}\n`);
}
