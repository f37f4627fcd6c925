import { describe, expect, it } from 'vitest';
import { renderHistory } from './history.js';

const NOW = Date.parse('2026-01-03T00:00:00Z');

describe('renderHistory', () => {
  it('prints a timeline, oldest first, naming who changed the spec', () => {
    const text = renderHistory(
      {
        kind: 'ServiceAccount',
        namespace: 'tenant-acme',
        name: 'etl',
        history: [
          { at: '2026-01-01T00:00:00Z', event: 'KeyIssued', reason: 'Created', message: 'Issued API key K1' },
          { at: '2026-01-02T23:00:00Z', event: 'KeyRotated', reason: 'Requested', message: 'Rotated the API key to K2', by: 'kubectl-patch' },
        ],
      },
      NOW,
    );
    expect(text.split('\n')).toEqual([
      'ServiceAccount tenant-acme/etl: the last 2 transitions, oldest first',
      'TIME                            EVENT       REASON     DETAILS',
      '2026-01-01T00:00:00Z (2d ago)   KeyIssued   Created    Issued API key K1',
      '2026-01-02T23:00:00Z (60m ago)  KeyRotated  Requested  Rotated the API key to K2 [by kubectl-patch]',
      '',
    ]);
  });

  it('says so when nothing was recorded', () => {
    expect(renderHistory({ kind: 'User', namespace: 'n', name: 'jane', history: [] }, NOW)).toBe('User n/jane: no transitions recorded yet\n');
  });

  it('never passes terminal control sequences through', () => {
    const spoof = renderHistory({ kind: 'User', namespace: 'n', name: 'jane', history: [{ at: 'x', event: 'E', reason: 'R', message: 'ok\u001b[2J\r\u202eevil' }] }, NOW);
    expect(spoof).toContain('ok\\x1b[2J\\x0d\\u202eevil');
    const text = renderHistory({ kind: 'User', namespace: 'n', name: 'jane', history: [{ at: 'x', event: 'E', reason: 'R', message: 'm', by: 'a\u001b]0;title\u0007' }] }, NOW);
    expect([...text].filter((c) => c !== '\n' && c.charCodeAt(0) < 0x20)).toEqual([]);
  });
});
