// `user invite --from-csv`: the file is read and every row checked before anything is written
// (pure; bulk-invite.test.ts). A row is checked with the validators of operator/api (the verdicts
// of the API server), against the other rows and against the Users that already exist; the CLI
// then has the API server dry-run every good row (admission, RBAC) before the real creates.
//
// The file: one person a line, columns email, role, groups, workspaces, and optionally name and
// displayName. A first line naming columns (one of them "email") sets their order; without one
// the order is email, role, groups, workspaces. groups and workspaces hold names separated by
// ";", "," or spaces (quote the cell when it contains commas). Empty lines and lines starting with
// "#" are skipped. The User's name is the name column, else the email's local part made a DNS label.
import { parse } from 'csv-parse/sync';
import type { Info } from 'csv-parse/sync';
import { API_VERSION, ROLES, SOURCE_LABEL, SOURCES, validate } from '../api/index.js';
import type { FieldError, Role, User } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';

type UserObject = User & KubeObject;

/** Columns of the file. */
export const CSV_COLUMNS = ['email', 'role', 'groups', 'workspaces', 'name', 'displayName'] as const;
type Column = (typeof CSV_COLUMNS)[number];
const POSITIONAL: readonly Column[] = ['email', 'role', 'groups', 'workspaces'];

/** One person of the file, with the line it starts on. */
export interface InviteRow {
  readonly line: number;
  readonly cells: Partial<Record<Column, string>>;
  /** Cells beyond the known columns. */
  readonly extraCells: number;
}

/** Thrown when the file is not CSV the CLI can read at all (nothing is checked further). */
export class CsvFileError extends Error {
  override readonly name = 'CsvFileError';
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

function columnOf(header: string): Column | undefined {
  const normal = header.trim().toLowerCase().replace(/[-_ ]/g, '');
  return CSV_COLUMNS.find((c) => c.toLowerCase() === normal);
}

/** A first line that names the email column, and no cell of which looks like an email address. */
function looksLikeHeader(record: readonly string[]): boolean {
  return record.some((cell) => columnOf(cell) === 'email') && !record.some((cell) => cell.includes('@'));
}

/** Parses the file into rows (line numbers as an editor shows them); throws CsvFileError when it is not readable CSV. */
export function parseInviteCsv(text: string): InviteRow[] {
  let records: { record: string[]; info: Info }[];
  try {
    records = parse(text, {
      bom: true,
      comment: '#',
      comment_no_infix: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as { record: string[]; info: Info }[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new CsvFileError(`${line !== undefined ? `line ${line}: ` : ''}${(error as Error).message.replace(/ at line \d+$/, '')}`, line);
  }
  let columns: readonly Column[] = POSITIONAL;
  const rows: InviteRow[] = [];
  records.forEach(({ record, info }, index) => {
    // info.lines is the line a record ends on; a quoted cell may span lines.
    const line = info.lines - record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    if (record.every((cell) => cell === '')) return;
    if (index === 0 && looksLikeHeader(record)) {
      const named = record.map((header) => [header, columnOf(header)] as const);
      const unknown = named.filter(([, column]) => column === undefined).map(([header]) => header);
      if (unknown.length > 0) throw new CsvFileError(`line ${line}: unknown column ${unknown.map((h) => `"${h}"`).join(', ')}; the columns are ${CSV_COLUMNS.join(', ')}`, line);
      const seen = named.map(([, column]) => column as Column);
      const duplicate = seen.find((column, i) => seen.indexOf(column) !== i);
      if (duplicate) throw new CsvFileError(`line ${line}: column "${duplicate}" appears twice`, line);
      columns = seen;
      return;
    }
    const cells: Partial<Record<Column, string>> = {};
    columns.forEach((column, i) => {
      const value = record[i];
      if (value !== undefined && value !== '') cells[column] = value;
    });
    rows.push({ line, cells, extraCells: Math.max(0, record.length - columns.length) });
  });
  return rows;
}

/** The User name for an email: its local part, lowercased, anything but letters and digits made "-", at most 63 characters. */
export function userNameFromEmail(email: string): string {
  const local = email.slice(0, Math.max(0, email.lastIndexOf('@'))) || email;
  return local
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

function names(cell: string | undefined): string[] {
  return (cell ?? '').split(/[;,\s]+/).filter(Boolean);
}

/** What happens to a row. */
export type RowOutcome =
  /** Valid: to be created. */
  | 'create'
  /** A User with this email exists already: left as it is. */
  | 'exists'
  /** Refused: `problems` says why. */
  | 'invalid';

/** The verdict on one row. */
export interface RowPlan {
  readonly line: number;
  readonly email: string;
  /** Name of the User (to be created, or the existing one). */
  readonly user: string;
  readonly role: string;
  readonly outcome: RowOutcome;
  /** Why the row is refused (invalid), or a note (exists). */
  readonly problems: readonly string[];
  /** The User to create (outcome create). */
  readonly object?: UserObject;
}

function fieldProblem(error: FieldError): string {
  const field = error.field.replace(/^spec\./, '').replace(/^metadata\.name$/, 'name');
  return `${field}: ${error.message}`;
}

/** Decides every row: nothing is written for an invalid row, and rows never depend on each other's success. */
export function planBulkInvite(rows: readonly InviteRow[], namespace: string, existing: readonly UserObject[]): RowPlan[] {
  const existingByEmail = new Map(existing.map((u) => [u.spec.email.toLowerCase(), u]));
  const existingNames = new Map(existing.map((u) => [u.metadata?.name ?? '', u]));
  const seenEmails = new Map<string, number>();
  const seenNames = new Map<string, number>();
  return rows.map((row) => {
    const email = row.cells.email ?? '';
    const problems: string[] = [];
    if (!email) problems.push('email: Required value');
    if (row.extraCells > 0) problems.push(`${row.extraCells} more cell(s) than the file has columns: quote a cell that contains commas, e.g. "admins,data"`);
    const role = ROLES.find((r) => r.toLowerCase() === (row.cells.role ?? '').toLowerCase());
    if (!row.cells.role) problems.push(`role: Required value: one of ${ROLES.join(', ')}`);
    else if (!role) problems.push(`role: must be one of ${ROLES.join(', ')}, got "${row.cells.role}"`);
    const name = row.cells.name ?? userNameFromEmail(email);
    if (!name && email) problems.push(`name: no User name can be made from "${email}": add a name column`);

    const already = existingByEmail.get(email.toLowerCase());
    const earlierEmail = seenEmails.get(email.toLowerCase());
    if (email && earlierEmail !== undefined) problems.push(`email: also on line ${earlierEmail}`);
    if (email && earlierEmail === undefined) seenEmails.set(email.toLowerCase(), row.line);
    if (already && problems.length === 0) {
      return { line: row.line, email, user: already.metadata?.name ?? '', role: already.spec.role, outcome: 'exists', problems: [`User ${already.metadata?.name ?? ''} already has this email; not changed`] };
    }
    const earlierName = seenNames.get(name);
    if (name && earlierName !== undefined && earlierEmail === undefined) problems.push(`name: User name "${name}" is also used on line ${earlierName}: add a name column to tell them apart`);
    if (name && earlierName === undefined) seenNames.set(name, row.line);
    const taken = existingNames.get(name);
    if (name && taken) problems.push(`name: User "${name}" already exists with email ${taken.spec.email}: add a name column with another name`);

    const object = {
      apiVersion: API_VERSION,
      kind: 'User',
      metadata: { name, namespace, labels: { [SOURCE_LABEL]: SOURCES.cli } },
      spec: {
        email,
        role: (role ?? row.cells.role ?? '') as Role,
        ...(row.cells.displayName ? { displayName: row.cells.displayName } : {}),
        groups: names(row.cells.groups),
        workspaces: names(row.cells.workspaces),
      },
    } as UserObject;
    // The schema's verdict, unless the cells are already known to be wrong in the same way.
    if (role && email && name) for (const error of validate(object)) problems.push(fieldProblem(error));
    const base = { line: row.line, email, user: name, role: role ?? row.cells.role ?? '' };
    return problems.length > 0 ? { ...base, outcome: 'invalid', problems } : { ...base, outcome: 'create', problems: [], object };
  });
}
