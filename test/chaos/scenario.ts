// What a chaos scenario is: a named piece of work run against the embedded
// control plane and the real operator process, faults injected while it runs,
// ending in a list of checks (the invariants of PRODUCT.md that must still hold)
// and the counts of what it did (kills, restarts, cases generated).
//
// `npm run chaos` (test/chaos/run.ts) runs every scenario in full and prints the
// table; test/chaos/chaos.test.ts runs the short mode of each inside `npm test`.
import type { ClusterState } from '../../operator/dev-cluster/cluster.js';
import type { Evidence } from './evidence.js';

/** One invariant, judged after the faults. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** What was found: a figure when it passed, the offending objects when it failed. */
  readonly detail: string;
}

/** What a scenario reports. */
export interface ScenarioResult {
  /** What it did, by name: `kills`, `restarts`, `objects`, `cases`, … */
  readonly counts: Readonly<Record<string, number>>;
  /** Durations worth reporting (recovery times, convergence), in milliseconds. */
  readonly timingsMs?: Readonly<Record<string, number>>;
  readonly checks: readonly Check[];
  /** Anything a reader should know (a duplicate email and where it came from, …). */
  readonly notes?: readonly string[];
}

/** What every scenario is given. */
export interface ChaosContext {
  /** The shared control plane of the run (scenarios that stop its components start a private one). */
  readonly cluster: ClusterState;
  /** The short mode (inside `npm test`): the same faults and checks on fewer objects. */
  readonly short: boolean;
  /** Seed of the run's randomness (kill moments, generated input); printed so a failure can be replayed. */
  readonly seed: number;
  /** Progress for people (stderr). */
  say(message: string): void;
  /** Everything the run saw (logs, Events, status, metrics, HTTP responses) and every secret it issued, for the hygiene scan. */
  readonly evidence: Evidence;
}

/** A scenario of the chaos suite. */
export interface Scenario {
  /** Short id for `--only` (kebab-case). */
  readonly name: string;
  /** One line for the table. */
  readonly title: string;
  run(context: ChaosContext): Promise<ScenarioResult>;
}

/** Collects checks as a scenario goes. */
export class Checks {
  readonly list: Check[] = [];

  /** Records a check: `ok` with what was found (`detail`). */
  add(name: string, ok: boolean, detail: string): void {
    this.list.push({ name, ok, detail });
  }

  /** A check that holds when `offenders` is empty; the detail names up to five of them. */
  none(name: string, offenders: readonly string[], passed: string): void {
    const shown = offenders.slice(0, 5).join('; ');
    this.add(name, offenders.length === 0, offenders.length === 0 ? passed : `${offenders.length} found: ${shown}${offenders.length > 5 ? '; …' : ''}`);
  }
}

/** A deterministic PRNG (mulberry32) for kill moments and choices, from the run's seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
