// Decisions of the chaos scenarios' checks that must be able to fail, as pure functions of what a
// scenario observed: each fails when it was given nothing to judge, so a run in which the work
// never happened (no acceptance went through, memory never read) cannot pass as a run in which
// the invariant held. Unit-tested in invariants.unit.test.ts with inputs that must fail.
import type { Check } from './scenario.js';

function offenders(name: string, found: readonly string[], passed: string): Check {
  const shown = found.slice(0, 5).join('; ');
  return { name, ok: found.length === 0, detail: found.length === 0 ? passed : `${found.length} found: ${shown}${found.length > 5 ? '; …' : ''}` };
}

/** What a scenario saw of the invitations it planned to accept through the page. */
export interface AcceptanceObservations {
  /** `namespace/name` of each person planned to accept whose invitation email arrived (so could accept). */
  readonly planned: readonly string[];
  /** `namespace/name` of each person whose acceptance went through the page. */
  readonly accepted: ReadonlySet<string>;
  /** The phase each accepted person's User ended in (undefined: the User is missing), and whether it records `acceptedAt`. */
  readonly outcome: (key: string) => { readonly phase: string | undefined; readonly acceptedAt: boolean };
  /** Answers of the page that are neither success nor a momentary 429/503. */
  readonly errors: readonly string[];
}

/**
 * Two checks: every planned acceptance went through (there must have been one planned: a run with
 * no acceptance to make, or one where the page answered 429/503 throughout, proves nothing), and
 * every accepted invitation stayed accepted (the User Active, `acceptedAt` recorded).
 */
export function acceptanceChecks(seen: AcceptanceObservations): Check[] {
  const missing = seen.planned.filter((k) => !seen.accepted.has(k)).map((k) => `${k} was to accept and never got through`);
  const planned = seen.planned.length === 0 ? ['nothing planned: no invited person was to accept (or no invitation email arrived)'] : [];
  const regressions = [...seen.accepted].flatMap((k) => {
    const { phase, acceptedAt } = seen.outcome(k);
    return phase === 'Active' && acceptedAt ? [] : [`${k} is ${phase ?? 'missing'}${phase === 'Active' ? ' without acceptedAt' : ''}`];
  });
  return [
    offenders('every planned acceptance went through the page', [...planned, ...missing, ...seen.errors], `${seen.accepted.size} of ${seen.planned.length} planned acceptances went through`),
    offenders('every accepted invitation stays accepted', [...(seen.accepted.size === 0 ? ['no invitation was accepted: nothing to check'] : []), ...regressions], `${seen.accepted.size} accepted through the page, all Active`),
  ];
}

/** A User whose InvitationSent is Unknown/DeliveryUnconfirmed, and how many emails reached its address. */
export interface UnconfirmedDelivery {
  readonly name: string;
  readonly emails: number;
}

/**
 * A SIGKILL can cut short at most the sends in flight at that moment (`sendsInFlight`: the send
 * queue's concurrency), and such a send is never repeated: at most that many unconfirmed
 * deliveries per SIGKILL, each with at most one email.
 */
export function unconfirmedDeliveryCheck(unconfirmed: readonly UnconfirmedDelivery[], sigkills: number, sendsInFlight = 1): Check {
  const bound = sigkills * sendsInFlight;
  const twice = unconfirmed.filter((u) => u.emails > 1).map((u) => `${u.name} got ${u.emails} emails`);
  const tooMany = unconfirmed.length > bound ? [`${unconfirmed.length} unconfirmed deliveries for ${sigkills} SIGKILLs (at most ${sendsInFlight} sends in flight each)`] : [];
  const found = [...tooMany, ...twice];
  const list = unconfirmed.length > 0 ? `: ${unconfirmed.map((u) => `${u.name} (${u.emails} emails)`).join(', ')}` : '';
  return { name: 'unconfirmed deliveries only where a SIGKILL cut a send', ok: found.length === 0, detail: found.length === 0 ? `${unconfirmed.length} of at most ${bound} (${sendsInFlight} per SIGKILL)${list}` : found.join('; ') };
}

/**
 * The process's memory stayed within `allowanceMiB` of where it started. It fails when the
 * memory could not be read at the start (`/proc/<pid>/status` unreadable) or never while the load
 * ran: an unread memory is not a bounded one.
 */
export function memoryCheck(baselineMiB: number | undefined, samplesMiB: readonly number[], allowanceMiB: number): Check {
  const name = 'its memory stayed bounded';
  if (baselineMiB === undefined || samplesMiB.length === 0) {
    return { name, ok: false, detail: `memory not measured: ${baselineMiB === undefined ? 'no reading before the load' : 'a reading before the load'}, ${samplesMiB.length} readings during it (is /proc/<pid>/status readable?)` };
  }
  const peak = Math.max(baselineMiB, ...samplesMiB);
  const bound = baselineMiB + allowanceMiB;
  return { name, ok: peak <= bound, detail: `RSS ${baselineMiB.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB over ${samplesMiB.length} readings (bound ${bound.toFixed(0)} MiB)` };
}
