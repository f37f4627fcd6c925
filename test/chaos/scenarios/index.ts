// The scenarios of the chaos suite, in the order they run.
import type { Scenario } from '../scenario.js';
import { outages } from './outages.js';
import { stalledWatch } from './stalled-watch.js';

export const SCENARIOS: readonly Scenario[] = [outages, stalledWatch];
