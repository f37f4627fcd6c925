// The memberships feature: Group and Workspace status lists their members
// (membership-controller.ts, status from membership-status.ts).
import type { Feature } from '../context.js';
import { registerMembershipControllers } from './membership-controller.js';

/** Group and Workspace membership status (one entry of FEATURES). */
export const membershipsFeature: Feature = { name: 'memberships', register: registerMembershipControllers };
