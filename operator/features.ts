// Every part of the product the operator runs, in registration order. A feature
// module adds itself here with one line.
import type { Feature } from './operator.js';

/** The features `startOperator` registers by default. */
export const FEATURES: readonly Feature[] = [];
