// Building blocks of the API schemas. Every schema is a TypeBox schema (JSON
// Schema + a static TypeScript type); Kubernetes-only facts ride along as
// `x-kubernetes-*` keywords. A CEL rule is declared together with its
// TypeScript twin (`check`), so the ajv validators reach the same verdict as the
// API server without a CEL interpreter.
import { Type } from '@sinclair/typebox';
import type { SchemaOptions, StringOptions, TArray, TInteger, TString, TUnsafe } from '@sinclair/typebox';

/** A CEL validation rule as Kubernetes stores it in `x-kubernetes-validations`. */
export interface CelRule {
  /** The CEL expression; `self` is the value, `oldSelf` the previous one (transition rule). */
  readonly rule: string;
  /** What the user reads when the rule fails: what is wrong and what to do. */
  readonly message: string;
  /** Path, relative to the value, of the field the error is reported on. */
  readonly fieldPath?: string;
  /** Machine-readable reason reported with the error. */
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The TypeScript twin of a CEL rule: true when the value passes. `oldSelf` is only given to transition rules. */
export type RuleCheck = (self: unknown, oldSelf: unknown) => boolean;

const checks = new Map<string, RuleCheck>();

/** The TypeScript implementation of a CEL rule, by the rule's text. */
export function ruleCheck(rule: string): RuleCheck | undefined {
  return checks.get(rule);
}

/** True for rules that compare with the previous value (evaluated on update only). */
export function isTransitionRule(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}

/** Declares a CEL rule and its TypeScript twin; returns the rule to put into `x-kubernetes-validations`. */
export function cel(rule: CelRule, check: RuleCheck): CelRule {
  // The text of a CEL rule is its whole meaning, so one declaration per text suffices.
  if (!checks.has(rule.rule)) checks.set(rule.rule, check);
  return rule;
}

/** Options every field builder takes: a description is mandatory. */
type Described<T extends SchemaOptions> = T & { description: string };

/**
 * A CEL `matches()` rule with its RegExp twin. The pattern is put into a CEL
 * double-quoted string, so it may contain neither `"` nor `\` (use `[.]`).
 */
export function matches(pattern: string, message: string): CelRule {
  if (/["\\]/.test(pattern)) throw new Error(`Pattern may not contain " or \\: ${pattern}`);
  const regexp = new RegExp(pattern);
  return cel({ rule: `self.matches("${pattern}")`, message }, (self) => typeof self !== 'string' || regexp.test(self));
}

/** DNS-1123 label: what Kubernetes accepts as a namespace name. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** DNS-1123 subdomain in lowercase: a domain name such as `example.com`. */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** An email address `local@domain.tld` (no display name, no IP literal). */
export const EMAIL = "^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?([.][A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";
/** A Go duration such as `168h`, `1h30m`, `90s` or `0`. */
export const DURATION = '^(0|([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+)$';
/** An http or https URL. */
export const HTTP_URL = '^https?://[^ /?#]+([/?#][^ ]*)?$';
/** Longest email address SMTP allows. */
export const EMAIL_MAX_LENGTH = 254;

/**
 * Characters free text may not hold: control characters (C0, DEL, C1: tab, newline, escape
 * sequences) and invisible formatting (bidi marks, embeddings, overrides and isolates, zero-width
 * space, word joiners, line and paragraph separators, byte order mark). Zero-width (non-)joiners stay:
 * emoji sequences and several scripts need them.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const UNSAFE_TEXT_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff]/u;

/** The CEL rule (RE2 in a raw string) and message refusing {@link UNSAFE_TEXT_CHARACTERS}. */
export const PLAIN_TEXT_RULE = cel(
  {
    rule: "!self.matches(r'[\\x00-\\x1F\\x7F-\\x9F\\x{061C}\\x{200B}\\x{200E}\\x{200F}\\x{2028}-\\x{202E}\\x{2060}-\\x{206F}\\x{FEFF}]')",
    message: 'must be plain text on one line: no control characters (tab, newline, escape sequences) and no invisible formatting characters (bidi overrides and isolates, zero-width spaces, line separators)',
  },
  (self) => typeof self !== 'string' || !UNSAFE_TEXT_CHARACTERS.test(self),
);

/** A free-text string field with a description: plain text, one line (see {@link UNSAFE_TEXT_CHARACTERS}). */
export function text(options: Described<StringOptions>): TString {
  return Type.String({ ...options, 'x-kubernetes-validations': [PLAIN_TEXT_RULE] });
}

/** A string that must be one of `values`; the static type is their union. */
export function stringEnum<const T extends readonly string[]>(values: T, options: Described<SchemaOptions>): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** A string field that holds a DNS-1123 label (a Kubernetes object or namespace name). */
export function dnsLabel(options: Described<SchemaOptions> & { message: string; maxLength?: number; rules?: CelRule[] }): TString {
  const { message, maxLength = 63, rules = [], ...rest } = options;
  return Type.String({ ...rest, maxLength, 'x-kubernetes-validations': [matches(DNS_LABEL, message), ...rules] });
}

/** A string field that holds an email address. */
export function emailAddress(options: Described<SchemaOptions> & { message: string; rules?: CelRule[] }): TString {
  const { message, rules = [], ...rest } = options;
  return Type.String({ ...rest, maxLength: EMAIL_MAX_LENGTH, 'x-kubernetes-validations': [matches(EMAIL, message), ...rules] });
}

/**
 * A list of object names (references to Workspaces or Groups): DNS-1123 labels,
 * unique (`x-kubernetes-list-type: set`), at most `maxItems`.
 */
export function nameList(options: Described<SchemaOptions> & { itemDescription: string; itemMessage: string; maxItems: number }): TArray<TString> {
  const { itemDescription, itemMessage, ...rest } = options;
  return Type.Array(dnsLabel({ description: itemDescription, message: itemMessage }), { ...rest, 'x-kubernetes-list-type': 'set' });
}

/** Milliseconds of a Go duration string (`1h30m`, `90s`, `0`); undefined when it is not one. */
export function parseDuration(value: string): number | undefined {
  if (!new RegExp(DURATION).test(value)) return undefined;
  if (value === '0') return 0;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const part of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (unitMs[part[2] ?? ''] ?? Number.NaN);
  }
  return total;
}

/** A Go duration string between `min` and `max` (both Go durations), checked by CEL. */
export function durationField(options: Described<SchemaOptions> & { min: string; max: string; message: string }): TString {
  const { min, max, message, ...rest } = options;
  const minMs = parseDuration(min);
  const maxMs = parseDuration(max);
  if (minMs === undefined || maxMs === undefined) throw new Error(`Bad duration bounds ${min}..${max}`);
  const rule = cel(
    { rule: `self.matches("${DURATION}") && duration(self) >= duration('${min}') && duration(self) <= duration('${max}')`, message },
    (self) => {
      if (typeof self !== 'string') return true;
      const ms = parseDuration(self);
      return ms !== undefined && ms >= minMs && ms <= maxMs;
    },
  );
  return Type.String({ ...rest, maxLength: 64, 'x-kubernetes-validations': [rule] });
}

/**
 * Largest counter value: 2^53-1, the largest integer JavaScript (the operator) and every JSON
 * client that reads numbers as doubles hold exactly. int64 goes further, but 2^63-1 read by the
 * operator becomes 2^63, which it could then not write back into status (no int64): the object
 * would never report its generation again.
 */
export const COUNTER_MAX = Number.MAX_SAFE_INTEGER;

/** A non-negative counter that may only grow: bump it by one to trigger an action. */
export function counter(options: Described<SchemaOptions> & { message: string }): TInteger {
  const { message, ...rest } = options;
  const rule = cel({ rule: 'self >= oldSelf', message }, (self, oldSelf) => typeof self !== 'number' || typeof oldSelf !== 'number' || self >= oldSelf);
  return Type.Integer({ ...rest, format: 'int64', minimum: 0, maximum: COUNTER_MAX, default: 0, 'x-kubernetes-validations': [rule] });
}

/**
 * A map of strings (labels, annotations, data): `additionalProperties` with at most
 * `maxProperties` entries; `valueRules` apply to every value, `rules` to the whole map.
 */
export function stringMap(
  options: Described<SchemaOptions> & { maxProperties: number; valueDescription: string; valueMaxLength: number; valueRules?: CelRule[]; rules?: CelRule[] },
): TUnsafe<Record<string, string>> {
  const { maxProperties, valueDescription, valueMaxLength, valueRules = [], rules = [], ...rest } = options;
  return Type.Unsafe<Record<string, string>>({
    ...rest,
    type: 'object',
    maxProperties,
    additionalProperties: { description: valueDescription, type: 'string', maxLength: valueMaxLength, ...(valueRules.length ? { 'x-kubernetes-validations': valueRules } : {}) },
    ...(rules.length ? { 'x-kubernetes-validations': rules } : {}),
  });
}

/** An RFC 3339 timestamp written by the operator. */
export function timestamp(description: string): TString {
  return Type.String({ description, format: 'date-time' });
}

/** A list of object names reported in status. */
export function statusNames(description: string, itemDescription: string): TArray<TString> {
  return Type.Array(Type.String({ description: itemDescription }), { description, 'x-kubernetes-list-type': 'atomic' });
}
