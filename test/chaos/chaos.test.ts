// The short mode of the chaos suite inside `npm test`: every scenario of
// `npm run chaos` with fewer objects and faults, the same checks, then the
// secret-hygiene scan over everything they saw.
import { describe, expect, it } from 'vitest';
import { cluster } from '../harness/kube.js';
import { Evidence } from './evidence.js';
import { failed, formatReport, hygieneRow, runScenario } from './report.js';
import type { ChaosContext } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const evidence = new Evidence();
const seed = Number(process.env['BLINK_CHAOS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

function context(): ChaosContext {
  return { cluster: cluster(), short: true, seed, say: (m) => process.stderr.write(`[chaos] ${m}\n`), evidence };
}

describe(`chaos, short mode (seed ${seed})`, () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      const row = await runScenario(scenario, context());
      expect(failed(row), formatReport([row])).toEqual([]);
    }, 300_000);
  }

  it('secret hygiene: no key, token or hash in anything the scenarios saw', () => {
    const row = hygieneRow(evidence);
    expect(failed(row), formatReport([row])).toEqual([]);
  });
});
