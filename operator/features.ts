// Every part of the product the operator runs, in registration order (a feature
// that needs a service comes after the one that provides it). A feature module
// adds itself here with one line.
import { accessApiFeature } from './access/feature.js';
import { eventsOutFeature } from './events-out/feature.js';
import type { Feature } from './context.js';
import { membershipsFeature } from './memberships/feature.js';
import { domainMetricsFeature } from './observability/feature.js';
import { scimFeature } from './scim/feature.js';
import { serviceAccountsFeature } from './service-accounts/feature.js';
import { tenantsFeature } from './tenants/feature.js';
import { usersFeature } from './users/feature.js';

/** The features `startOperator` registers by default. */
export const FEATURES: readonly Feature[] = [
  tenantsFeature,
  serviceAccountsFeature,
  usersFeature,
  membershipsFeature,
  domainMetricsFeature,
  eventsOutFeature,
  accessApiFeature,
  scimFeature,
];
