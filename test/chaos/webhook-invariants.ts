// The account-event checks of the crash storm, as a pure function of what the webhook receiver got
// and what each object ended as (webhook-invariants.unit.test.ts gives it broken runs that must
// fail): every event that had to arrive did, signed, at least once; a repeat carries the same id
// and body; each object's events arrived in order, numbered 1, 2, 3… without a gap.
import type { Check } from './scenario.js';

/** One request the receiver got. */
export interface ArrivedEvent {
  readonly id: string;
  /** The short type, such as `user.invited`. */
  readonly type: string;
  /** `Kind namespace/name` of the object. */
  readonly object: string;
  readonly sequence: number;
  readonly body: string;
  readonly verified: boolean;
}

/** What had to arrive for one object. */
export interface ExpectedEvents {
  /** `Kind namespace/name`. */
  readonly object: string;
  /** Types that must have arrived. */
  readonly types: readonly string[];
  /** The object was deleted: if anything arrived for it, its removal must have too. */
  readonly removal?: string;
}

function offenders(name: string, found: readonly string[], passed: string): Check {
  const shown = found.slice(0, 5).join('; ');
  return { name, ok: found.length === 0, detail: found.length === 0 ? passed : `${found.length} found: ${shown}${found.length > 5 ? '; …' : ''}` };
}

/** The three checks; the first fails when nothing was expected or nothing arrived (a run that sent nothing proves nothing). */
export function webhookChecks(arrived: readonly ArrivedEvent[], expected: readonly ExpectedEvents[]): Check[] {
  const byObject = new Map<string, ArrivedEvent[]>();
  for (const e of arrived) byObject.set(e.object, [...(byObject.get(e.object) ?? []), e]);
  const missing: string[] = [];
  if (expected.length === 0 || arrived.length === 0) missing.push('nothing to judge: no event was expected, or none arrived');
  for (const want of expected) {
    const got = new Set((byObject.get(want.object) ?? []).map((e) => e.type));
    for (const type of want.types) if (!got.has(type)) missing.push(`${want.object}: no ${type}`);
    if (want.removal && got.size > 0 && !got.has(want.removal)) missing.push(`${want.object}: deleted, no ${want.removal}`);
  }
  const unverified = arrived.filter((e) => !e.verified).length;
  if (unverified > 0) missing.push(`${unverified} request(s) whose signature did not verify`);

  const bodies = new Map<string, Set<string>>();
  for (const e of arrived) bodies.set(e.id, (bodies.get(e.id) ?? new Set()).add(e.body));
  const changed = [...bodies].filter(([, b]) => b.size > 1).map(([id]) => `${id} arrived with ${bodies.get(id)?.size} bodies`);
  const repeats = arrived.length - bodies.size;

  const disorder: string[] = [];
  for (const [object, list] of byObject) {
    const sequences = list.map((e) => e.sequence);
    for (let i = 1; i < sequences.length; i++) {
      if ((sequences[i] as number) < (sequences[i - 1] as number)) {
        disorder.push(`${object}: ${sequences.join(', ')}`);
        break;
      }
    }
    const distinct = [...new Set(sequences)].sort((a, b) => a - b);
    if (distinct.some((s, i) => s !== i + 1)) disorder.push(`${object}: sequences ${distinct.join(', ')} (a gap)`);
  }
  return [
    offenders('every account event reached the webhook, signed', missing, `${bodies.size} events for ${expected.length} objects arrived, all signatures verified`),
    offenders('a repeated event carries the same id and body', changed, `${repeats} repeat(s) after kills, each with the id and body of the first`),
    offenders('each object\'s events arrived in order, 1, 2, 3… without a gap', disorder, `${byObject.size} objects, every one in order`),
  ];
}
