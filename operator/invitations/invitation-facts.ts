// The facts an invitation shows (email and acceptance page alike), in one place so both say the same.
import { PERMISSION_MATRIX } from '../policy/matrix.js';
import type { Role } from '../policy/matrix.js';
import { singleLine } from './html.js';

/** What an invitation grants, as shown to the invited person. */
export interface InvitationDetails {
  /** The tenant's display name. */
  readonly tenantDisplayName: string;
  /** The invited email address. */
  readonly email: string;
  /** Role from the User spec. */
  readonly role: Role;
  /** Workspaces from the User spec (an Admin has all of them regardless). */
  readonly workspaces: readonly string[];
  /** Groups from the User spec. */
  readonly groups: readonly string[];
  /** When the invitation stops working. */
  readonly expiresAt: Date;
}

/** One labelled line, e.g. `Role` → `Builder: read, write and execute …`. */
export interface Fact {
  /** Label. */
  readonly label: string;
  /** Value, already reduced to a single line of plain text. */
  readonly value: string;
}

/** Formats an instant as `2026-01-08 00:00 UTC`: locale-free, so output does not depend on the server. */
export function formatInstant(instant: Date): string {
  return `${instant.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function list(items: readonly string[], none: string): string {
  const clean = [...new Set(items.map(singleLine).filter((item) => item !== ''))];
  return clean.length === 0 ? none : clean.join(', ');
}

/** The labelled facts of an invitation, in display order. */
export function invitationFacts(details: InvitationDetails): readonly Fact[] {
  const permissions = PERMISSION_MATRIX[details.role];
  return [
    { label: 'Organisation', value: singleLine(details.tenantDisplayName) },
    { label: 'Email', value: singleLine(details.email) },
    { label: 'Role', value: `${details.role}: ${permissions.summary}` },
    { label: 'Workspaces', value: permissions.scope === 'allWorkspaces' ? 'All workspaces' : list(details.workspaces, 'None yet') },
    { label: 'Groups', value: list(details.groups, 'None') },
    { label: 'Expires', value: formatInstant(details.expiresAt) },
  ];
}
