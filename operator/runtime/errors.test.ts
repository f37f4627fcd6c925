import { describe, expect, it } from 'vitest';
import { ApiError, TerminalError, TransientError, classifyOutcome, isNamespaceTerminating } from './errors.js';

const terminating = new ApiError('POST secrets: 403 forbidden', 403, 'Forbidden', { causes: ['NamespaceTerminating'] });
const forbidden = new ApiError('POST secrets: 403 forbidden', 403, 'Forbidden');

describe('classifyOutcome', () => {
  it.each([
    ['nothing returned', undefined, undefined, 'success'],
    ['a requeue-after result', { requeueAfterMs: 1_000 }, undefined, 'requeue_after'],
    ['a zero requeue-after', { requeueAfterMs: 0 }, undefined, 'success'],
    ['a TransientError', undefined, new TransientError('SMTP refused the connection'), 'error'],
    ['any other thrown error', undefined, new Error('boom'), 'error'],
    ['a TerminalError', undefined, new TerminalError('InvalidSpec', 'bad spec'), 'terminal_error'],
    ['a 403 that is not about a terminating namespace', undefined, forbidden, 'error'],
    ['a create refused because the namespace is being deleted', undefined, terminating, 'success'],
  ] as const)('%s → %s', (_what, result, error, outcome) => {
    expect(classifyOutcome(result, error)).toBe(outcome);
  });
});

describe('isNamespaceTerminating', () => {
  it('reads the NamespaceTerminating cause of a 403 only', () => {
    expect(isNamespaceTerminating(terminating)).toBe(true);
    expect(isNamespaceTerminating(forbidden)).toBe(false);
    expect(isNamespaceTerminating(new ApiError('x', 409, 'Conflict', { causes: ['NamespaceTerminating'] }))).toBe(false);
    expect(isNamespaceTerminating(new Error('NamespaceTerminating'))).toBe(false);
  });
});
