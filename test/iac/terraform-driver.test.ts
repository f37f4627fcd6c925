// The plan/apply stand-in decides like Terraform: by evaluated triggers.
import { describe, expect, it } from 'vitest';
import { apply, evaluate, plan } from './terraform-driver.js';

const echo = (text: string, when: 'create' | 'destroy' = 'create') => [{ 'local-exec': { command: `echo ${text}`, when } }];

describe('terraform driver', () => {
  it('evaluates self.triggers references and escapes, and refuses anything else', () => {
    expect(evaluate('a $${b} %%{c} ${self.triggers.k} ${self.triggers["k"]}', { k: 'v' })).toBe('a ${b} %{c} v v');
    expect(() => evaluate('${var.x}')).toThrow(/not supported/);
    expect(() => evaluate('${self.triggers.missing}', {})).toThrow(/no key missing/);
  });

  it('plans create, replace (changed triggers), unchanged and delete', () => {
    const state = new Map([
      ['null_resource.same', { m: '${x}' }],
      ['null_resource.changed', { m: 'old' }],
      ['null_resource.gone', { m: 'x' }],
    ]);
    const configuration = { resource: { null_resource: { same: { triggers: { m: '$${x}' } }, changed: { triggers: { m: 'new' } }, added: { triggers: {} } } } };
    expect(plan(configuration, state)).toEqual({ create: ['null_resource.added'], replace: ['null_resource.changed'], delete: ['null_resource.gone'], unchanged: ['null_resource.same'] });
  });

  it('replaces by running the old destroy-time and the new create-time provisioners, in dependency order', async () => {
    const configuration = {
      resource: {
        null_resource: {
          b: { triggers: { v: '2' }, depends_on: ['null_resource.a'], provisioner: [...echo('create-b-${self.triggers.v}'), ...echo('destroy-b-${self.triggers.v}', 'destroy')] },
          a: { triggers: { v: '2' }, provisioner: [...echo('create-a'), ...echo('destroy-a-${self.triggers.v}', 'destroy')] },
        },
      },
    };
    const state = new Map([
      ['null_resource.a', { v: '1' }],
      ['null_resource.b', { v: '1' }],
    ]);
    const result = await apply(configuration, state, { env: process.env });
    expect(result.runs.map((r) => r.stdout.trim())).toEqual(['destroy-b-1', 'destroy-a-1', 'create-a', 'create-b-2']);
    expect(result.state).toEqual(new Map([['null_resource.a', { v: '2' }], ['null_resource.b', { v: '2' }]]));
  });

  it('runs no provisioner for a resource removed from the configuration, as Terraform', async () => {
    const result = await apply({ resource: { null_resource: {} } }, new Map([['null_resource.gone', {}]]), { env: process.env });
    expect(result.runs).toEqual([]);
    expect(result.state.size).toBe(0);
  });
});
