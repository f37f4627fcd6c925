// The scenarios of the chaos suite, in the order they run.
import type { Scenario } from '../scenario.js';
import { crashStorm } from './crash-storm.js';
import { hostileHttp } from './hostile-http.js';
import { hostileInput } from './hostile-input.js';
import { isolation } from './isolation.js';
import { outages } from './outages.js';
import { stalledWatch } from './stalled-watch.js';

export const SCENARIOS: readonly Scenario[] = [crashStorm, outages, stalledWatch, hostileInput, hostileHttp, isolation];
