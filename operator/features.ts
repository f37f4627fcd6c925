// Every part of the product the operator runs, in registration order. A feature
// module adds itself here with one line.
import { accessApiFeature } from './access/feature.js';
import type { Feature } from './operator.js';
import { serviceAccountsFeature } from './service-accounts/feature.js';
import { tenantsFeature } from './tenants/feature.js';
import { usersFeature } from './users/feature.js';

/** The features `startOperator` registers by default. */
export const FEATURES: readonly Feature[] = [
  tenantsFeature,
  serviceAccountsFeature,
  usersFeature,
  accessApiFeature,
];
