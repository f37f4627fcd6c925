// What spec.secretTemplate asks of the API-key Secret, and the writes that bring a Secret there
// without changing its key (pure; secret-template.test.ts).
//
// The operator records on the Secret which labels, annotations and data keys the template put
// there (annotation accounts.blinkops.com/template), so an entry dropped from the template is
// removed from the Secret and nothing anyone else added is touched. The data key that holds the
// key is recorded too (accounts.blinkops.com/key-data-key): renaming it moves the value on the
// API server (a JSON patch `move`), so the operator never reads a key it did not just generate.

import { OPERATOR_APP_LABELS, OPERATOR_KEY_PREFIX, RESERVED_DATA_KEY } from '../api/index.js';

/** Annotation: the names the template put on the Secret (JSON). */
export const TEMPLATE_RECORD_ANNOTATION = 'accounts.blinkops.com/template';
/** Annotation: the data key that holds the API key. */
export const KEY_DATA_KEY_ANNOTATION = 'accounts.blinkops.com/key-data-key';
/** The data key of the API key when the template names none. */
export const DEFAULT_KEY_DATA_KEY = 'apiKey';

/** spec.secretTemplate as the API declares it. */
export interface SecretTemplateSpec {
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly keyName?: string | undefined;
  readonly data?: Readonly<Record<string, string>> | undefined;
}

/** The template with its defaults. */
export interface SecretTemplate {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly keyName: string;
  readonly data: Readonly<Record<string, string>>;
}

/** The template of a spec (empty when it has none). */
export function secretTemplateOf(spec: SecretTemplateSpec | undefined): SecretTemplate {
  return { labels: spec?.labels ?? {}, annotations: spec?.annotations ?? {}, keyName: spec?.keyName ?? DEFAULT_KEY_DATA_KEY, data: spec?.data ?? {} };
}

/** Which names on a Secret came from the template. */
export interface TemplateRecord {
  readonly labels: readonly string[];
  readonly annotations: readonly string[];
  readonly data: readonly string[];
}

const EMPTY_RECORD: TemplateRecord = { labels: [], annotations: [], data: [] };

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A label the template can never have set: the operator's own (admission refuses them in a template). */
function operatorLabel(name: string): boolean {
  return name.startsWith(OPERATOR_KEY_PREFIX) || (OPERATOR_APP_LABELS as readonly string[]).includes(name);
}

/**
 * Reads the record annotation; an absent or unreadable one means the template put nothing there. The
 * annotation is not signed: names a template can never set (the operator's own labels, annotations
 * and previous-key data) are dropped, so an edited record never makes the operator remove its own.
 */
export function parseTemplateRecord(text: string | undefined): TemplateRecord {
  if (!text) return EMPTY_RECORD;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return {
      labels: names(parsed['labels']).filter((n) => !operatorLabel(n)),
      annotations: names(parsed['annotations']).filter((n) => !n.startsWith(OPERATOR_KEY_PREFIX)),
      data: names(parsed['data']).filter((n) => n !== RESERVED_DATA_KEY),
    };
  } catch {
    return EMPTY_RECORD;
  }
}

/** The record annotation's value for `template` (sorted, so equal templates give equal text). */
export function templateRecordText(template: SecretTemplate): string {
  return JSON.stringify({ labels: Object.keys(template.labels).sort(), annotations: Object.keys(template.annotations).sort(), data: Object.keys(template.data).sort() });
}

/** True when the template adds nothing (no record annotation is kept then, so Secrets without a template are never rewritten). */
function isEmpty(template: SecretTemplate): boolean {
  return Object.keys(template.labels).length + Object.keys(template.annotations).length + Object.keys(template.data).length === 0;
}

/** The annotations a template puts on the Secret, its record included. */
function desiredAnnotations(template: SecretTemplate): Record<string, string> {
  return isEmpty(template) ? {} : { ...template.annotations, [TEMPLATE_RECORD_ANNOTATION]: templateRecordText(template) };
}

/** The labels, annotations and extra data a template adds to a Secret written whole (create or replace). */
export function templateContent(template: SecretTemplate): { labels: Record<string, string>; annotations: Record<string, string>; data: Record<string, string> } {
  return {
    labels: { ...template.labels },
    annotations: { ...desiredAnnotations(template), ...(template.keyName !== DEFAULT_KEY_DATA_KEY ? { [KEY_DATA_KEY_ANNOTATION]: template.keyName } : {}) },
    data: Object.fromEntries(Object.entries(template.data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
  };
}

/** The Secret as cached: metadata, and the data values other than the key only as digests. */
export interface TemplateObservation {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Digest of every data value except the key's and the previous key hash's. */
  readonly dataDigests: Readonly<Record<string, string>>;
  /** Data key that holds the key now. */
  readonly keyDataKey: string;
}

/** What to write so the Secret matches the template; undefined when it does. */
export interface TemplateWrites {
  /** A merge patch of labels, annotations and data (null removes), or undefined. */
  readonly merge?: { metadata: { labels: Record<string, string | null>; annotations: Record<string, string | null> }; data: Record<string, string | null> };
  /** Move the key from one data key to another. */
  readonly moveKey?: { readonly from: string; readonly to: string };
}

function mapChanges(current: Readonly<Record<string, string>>, desired: Readonly<Record<string, string>>, previouslySet: readonly string[]): Record<string, string | null> {
  const changes: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(desired)) if (current[k] !== v) changes[k] = v;
  for (const k of previouslySet) if (!(k in desired) && k in current) changes[k] = null;
  return changes;
}

/** Decides the writes that bring `observed` to `template` (`digest` is the one the cache used for data values). */
export function planTemplateWrites(observed: TemplateObservation, template: SecretTemplate, digest: (value: string) => string): TemplateWrites | undefined {
  const record = parseTemplateRecord(observed.annotations[TEMPLATE_RECORD_ANNOTATION]);
  const labels = mapChanges(observed.labels, template.labels, record.labels);
  const annotations = mapChanges(observed.annotations, desiredAnnotations(template), [...record.annotations, TEMPLATE_RECORD_ANNOTATION]);
  const data: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(template.data)) if (observed.dataDigests[k] !== digest(v)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  for (const k of record.data) if (!(k in template.data) && k in observed.dataDigests) data[k] = null;
  const changed = Object.keys(labels).length + Object.keys(annotations).length + Object.keys(data).length > 0;
  const moveKey = observed.keyDataKey !== template.keyName ? { from: observed.keyDataKey, to: template.keyName } : undefined;
  if (!changed && !moveKey) return undefined;
  return { ...(changed ? { merge: { metadata: { labels, annotations }, data } } : {}), ...(moveKey ? { moveKey } : {}) };
}

/** JSON patch that moves the key to another data key, guarded by the resourceVersion read. */
export function moveKeyPatch(move: { from: string; to: string }, resourceVersion: string): object[] {
  const pointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return [
    { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion },
    { op: 'move', from: `/data/${pointer(move.from)}`, path: `/data/${pointer(move.to)}` },
    { op: 'add', path: `/metadata/annotations/${pointer(KEY_DATA_KEY_ANNOTATION)}`, value: move.to },
  ];
}
