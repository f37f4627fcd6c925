// The scenarios of the chaos suite, in the order they run.
import type { Scenario } from '../scenario.js';
import { hostileInput } from './hostile-input.js';

export const SCENARIOS: readonly Scenario[] = [hostileInput];
