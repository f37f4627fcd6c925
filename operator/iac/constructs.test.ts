import { TerraformStack, Testing } from 'cdktf';
import { NullProvider } from '@cdktf/provider-null/lib/provider/index.js';
import { describe, expect, it } from 'vitest';
import {
  BlinkGroup,
  BlinkServiceAccount,
  BlinkTenant,
  BlinkUser,
  BlinkValidationError,
  BlinkWorkspace,
  DECLARED_OBJECTS_ID,
  escapeTemplate,
  KUBECTL_CONTEXT_KEY,
  manifestsOfStack,
  RESOURCE_TYPE_CONTEXT_KEY,
} from './index.js';
import type { BindingResourceType, BlinkObject } from './index.js';

interface Block {
  readonly triggers_replace: Record<string, string>;
  readonly triggers: Record<string, string>;
  readonly depends_on?: string[];
  readonly provisioner: { 'local-exec': Record<string, unknown> }[];
}

interface Synthesized {
  readonly resource: { readonly terraform_data: Record<string, Block>; readonly null_resource: Record<string, Block> };
  readonly provider?: Record<string, unknown[]>;
  readonly terraform?: { readonly required_providers?: Record<string, unknown> };
}

/** Synthesizes a stack holding the acme tenant plus what `declare` adds; returns the JSON text. */
function synthAcme(declare: (acme: BlinkTenant) => void = () => undefined, type?: BindingResourceType): string {
  const stack = new TerraformStack(Testing.app(type === undefined ? {} : { context: { [RESOURCE_TYPE_CONTEXT_KEY]: type } }), 'stack');
  declare(new BlinkTenant(stack, 'acme', { displayName: 'Acme' }));
  return Testing.synth(stack);
}

function parsed(json: string): Synthesized {
  return JSON.parse(json) as Synthesized;
}

/** The error `fn` throws, which must be a BlinkValidationError. */
function validationError(fn: () => unknown): BlinkValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BlinkValidationError);
    return error as BlinkValidationError;
  }
  throw new Error('expected a BlinkValidationError');
}

describe('BlinkTenant', () => {
  it('renders the Tenant manifest into the trigger of the resource that applies it', () => {
    const json = Testing.synthScope((stack) => {
      new BlinkTenant(stack, 'acme', { displayName: 'Acme', invitationTTL: '72h', deletionPolicy: 'Delete', allowedEmailDomains: ['acme.example'] });
    });
    expect(
      Testing.toHaveResourceWithProperties(json, 'terraform_data', {
        triggers_replace: {
          manifest:
            'apiVersion: accounts.blinkops.com/v1alpha1\nkind: Tenant\nmetadata:\n  name: acme\nspec:\n  displayName: Acme\n  invitationTTL: 72h\n  allowedEmailDomains:\n    - acme.example\n  deletionPolicy: Delete\n',
        },
        depends_on: ['terraform_data.blink_tenant_acme'],
      }),
    ).toBe(true);
    expect(Testing.toHaveProvider(json, 'null')).toBe(false);
  });

  it('renders SCIM provisioning (spec.provisioning.scim), and refuses at synth what the API server would refuse', () => {
    const json = Testing.synthScope((stack) => {
      new BlinkTenant(stack, 'acme', { displayName: 'Acme', scim: { enabled: true, lifecycle: 'ActiveAtOnce', roleMapping: [{ group: 'Blink Admins', role: 'Admin' }] } });
    });
    expect(json).toContain('provisioning:\\n    scim:\\n      enabled: true\\n      lifecycle: ActiveAtOnce\\n      roleMapping:\\n        - group: Blink Admins\\n          role: Admin');
    expect(() =>
      Testing.synthScope((stack) => {
        new BlinkTenant(stack, 'acme', { displayName: 'Acme', scim: { enabled: true, defaultRole: 'Admin' } });
      }),
    ).toThrow(/defaultRole may not be Admin/);
  });

  it('renders webhooks into spec.notifications, and refuses a plain-http URL to another host at synthesis', () => {
    let tenant: BlinkTenant | undefined;
    Testing.synthScope((stack) => {
      tenant = new BlinkTenant(stack, 'acme', {
        displayName: 'Acme',
        webhooks: [{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' }, events: ['user.invited', 'serviceaccount.key.rotated'], retryFor: '1h' }],
      });
    });
    expect((tenant?.manifest as { spec?: unknown } | undefined)?.spec).toMatchObject({
      notifications: { webhooks: [{ name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'webhook-signing', key: 'secret' }, events: ['user.invited', 'serviceaccount.key.rotated'], retryFor: '1h' }] },
    });
    const error = validationError(() =>
      Testing.synthScope((stack) => {
        new BlinkTenant(stack, 'acme', { displayName: 'Acme', webhooks: [{ name: 'audit', url: 'http://hooks.acme.example/blink', secretRef: { name: 's', key: 'k' } }] });
      }),
    );
    expect(error.message).toContain('spec.notifications.webhooks[0].url');
  });

  it('defaults the name to the construct id and the namespace to tenant-<name>', () => {
    let tenant: BlinkTenant | undefined;
    Testing.synthScope((stack) => {
      tenant = new BlinkTenant(stack, 'globex', { displayName: 'Globex' });
    });
    expect(tenant?.name).toBe('globex');
    expect(tenant?.tenantNamespace).toBe('tenant-globex');
    expect(tenant?.manifest.metadata).toEqual({ name: 'globex' });
  });

  it('puts the objects of a tenant with its own namespace there', () => {
    const json = Testing.synthScope((stack) => {
      new BlinkWorkspace(new BlinkTenant(stack, 'acme', { displayName: 'Acme', namespace: 'acme-prod' }), 'production');
    });
    expect(Testing.toHaveResourceWithProperties(json, 'terraform_data', { triggers_replace: { name: 'production', namespace: 'acme-prod', resource: 'workspaces.accounts.blinkops.com' } })).toBe(true);
  });

  it('escapes ${ and %{ so Terraform applies the text as written', () => {
    const json = Testing.synthScope((stack) => {
      new BlinkTenant(stack, 'acme', { displayName: 'Acme ${corp} %{x}' });
    });
    const trigger = parsed(json).resource.terraform_data['blink_tenant_acme_manifest']?.triggers_replace['manifest'];
    expect(trigger).toContain('displayName: Acme $${corp} %%{x}');
    expect(manifestsOfStack(parsed(json)).get('1-tenant.acme.yaml')).toContain('displayName: Acme ${corp} %{x}');
  });

  it('runs the kubectl named in the context, quoted for the shell', () => {
    const stack = new TerraformStack(Testing.app({ context: { [KUBECTL_CONTEXT_KEY]: '/opt/k8s bin/kubectl' } }), 'stack');
    new BlinkTenant(stack, 'acme', { displayName: 'Acme' });
    const resources = parsed(Testing.synth(stack)).resource.terraform_data;
    expect(resources['blink_tenant_acme']?.provisioner[0]?.['local-exec']['command']).toMatch(/^'\/opt\/k8s bin\/kubectl' delete /);
    expect(resources['blink_tenant_acme_manifest']?.provisioner[0]?.['local-exec']['command']).toContain("| '/opt/k8s bin/kubectl' apply ");
  });

  it.each([
    ['an empty displayName', { displayName: '' }, 'spec.displayName "": must NOT have fewer than 1 characters'],
    ['a namespace that is not a DNS label', { displayName: 'Acme', namespace: 'Tenant_Acme' }, 'spec.namespace "Tenant_Acme":'],
    ['an invitationTTL out of range', { displayName: 'Acme', invitationTTL: '1000h' }, 'spec.invitationTTL "1000h":'],
    ['a sender with a display name', { displayName: 'Acme', sender: 'Acme <a@acme.example>' }, 'spec.sender "Acme <a@acme.example>":'],
    ['an acceptanceURL that is not http(s)', { displayName: 'Acme', acceptanceURL: 'ftp://acme' }, 'spec.acceptanceURL "ftp://acme":'],
    [
      'an identity provider whose issuer is not https',
      { displayName: 'Acme', identityProvider: { issuerURL: 'http://idp.acme.example', clientID: 'blink', clientSecretRef: { name: 'oidc' } } },
      'spec.identityProvider.issuerURL "http://idp.acme.example":',
    ],
    ['an uppercase email domain', { displayName: 'Acme', allowedEmailDomains: ['Acme.example'] }, 'spec.allowedEmailDomains[0] "Acme.example":'],
    ['a duplicate email domain', { displayName: 'Acme', allowedEmailDomains: ['a.example', 'a.example'] }, 'spec.allowedEmailDomains[1] "a.example": Duplicate value'],
    ['an unknown deletionPolicy', { displayName: 'Acme', deletionPolicy: 'Purge' }, 'spec.deletionPolicy "Purge": Unsupported value: supported values: "Retain", "Delete"'],
    ['a name that is not a DNS label', { displayName: 'Acme', name: 'Acme' }, 'metadata.name'],
    ['a name too long for tenant-<name>', { displayName: 'Acme', name: 'a'.repeat(57) }, `metadata.name "${'a'.repeat(57)}": must NOT have more than 56 characters`],
  ])('rejects %s with the bad value in the message', (_what, props, message) => {
    const error = validationError(() => Testing.synthScope((stack) => new BlinkTenant(stack, 'acme', props as never)));
    expect(error.message).toContain(message);
    expect(error.message).toContain('stack/acme: Tenant');
    expect(error.errors.length).toBeGreaterThan(0);
  });
});

describe('BlinkWorkspace and BlinkGroup', () => {
  it('render into the tenant namespace and are applied after the tenant', () => {
    const json = synthAcme((acme) => {
      new BlinkWorkspace(acme, 'production', { displayName: 'Production', description: 'Live systems' });
      new BlinkGroup(acme, 'platform', { displayName: 'Platform team' });
    });
    expect(
      Testing.toHaveResourceWithProperties(json, 'terraform_data', {
        triggers_replace: {
          manifest:
            'apiVersion: accounts.blinkops.com/v1alpha1\nkind: Workspace\nmetadata:\n  name: production\n  namespace: tenant-acme\nspec:\n  displayName: Production\n  description: Live systems\n',
        },
      }),
    ).toBe(true);
    expect(
      Testing.toHaveResourceWithProperties(json, 'terraform_data', {
        triggers_replace: { manifest: 'apiVersion: accounts.blinkops.com/v1alpha1\nkind: Group\nmetadata:\n  name: platform\n  namespace: tenant-acme\nspec:\n  displayName: Platform team\n' },
      }),
    ).toBe(true);
    const resources = parsed(json).resource.terraform_data;
    expect(resources['blink_workspace_tenant-acme_production']?.depends_on).toEqual(['terraform_data.blink_tenant_acme_manifest']);
    expect(resources['blink_group_tenant-acme_platform']?.depends_on).toEqual(['terraform_data.blink_tenant_acme_manifest']);
    expect(resources['blink_group_tenant-acme_platform']?.triggers_replace).toEqual({ name: 'platform', namespace: 'tenant-acme', resource: 'groups.accounts.blinkops.com' });
  });

  it('renders an empty spec when nothing is declared, with labels and annotations in metadata', () => {
    let group: BlinkGroup | undefined;
    synthAcme((acme) => {
      group = new BlinkGroup(acme, 'g', { name: 'readers', labels: { team: 'a' }, annotations: { 'example.com/owner': 'b' } });
    });
    expect(group?.yaml).toBe(
      'apiVersion: accounts.blinkops.com/v1alpha1\nkind: Group\nmetadata:\n  name: readers\n  namespace: tenant-acme\n  labels:\n    team: a\n  annotations:\n    example.com/owner: b\nspec: {}\n',
    );
  });

  it.each([
    ['Workspace', (acme: BlinkTenant) => new BlinkWorkspace(acme, 'Prod'), 'metadata.name "Prod":'],
    ['Workspace', (acme: BlinkTenant) => new BlinkWorkspace(acme, 'w', { displayName: 'x'.repeat(101) }), 'spec.displayName "xxxx'],
    ['Workspace', (acme: BlinkTenant) => new BlinkWorkspace(acme, 'w', { description: 'x'.repeat(501) }), 'must NOT have more than 500 characters'],
    ['Group', (acme: BlinkTenant) => new BlinkGroup(acme, 'g', { name: 'ops_team' }), 'metadata.name "ops_team":'],
    ['Group', (acme: BlinkTenant) => new BlinkGroup(acme, 'g', { displayName: 'x'.repeat(101) }), 'must NOT have more than 100 characters'],
  ])('a %s rejects bad props with the bad value in the message', (kind, declare, message) => {
    const error = validationError(() => synthAcme(declare));
    expect(error.message).toContain(`${kind} tenant-acme/`);
    expect(error.message).toContain(message);
  });
});

describe('BlinkUser', () => {
  it('renders the User with its references, applied after the tenant, workspaces and groups it names', () => {
    const json = synthAcme((acme) => {
      const platform = new BlinkGroup(acme, 'platform');
      new BlinkUser(acme, 'bob', { email: 'bob@acme.example', role: 'Builder', displayName: 'Bob', groups: [platform], workspaces: ['staging'], active: false, invitationResend: 2 });
      // Declared after the user that names it: resolved at synthesis.
      new BlinkWorkspace(acme, 'staging');
    });
    expect(
      Testing.toHaveResourceWithProperties(json, 'terraform_data', {
        triggers_replace: {
          manifest:
            'apiVersion: accounts.blinkops.com/v1alpha1\nkind: User\nmetadata:\n  name: bob\n  namespace: tenant-acme\nspec:\n  email: bob@acme.example\n  displayName: Bob\n  role: Builder\n  groups:\n    - platform\n  workspaces:\n    - staging\n  active: false\n  invitation:\n    resend: 2\n',
        },
      }),
    ).toBe(true);
    expect(parsed(json).resource.terraform_data['blink_user_tenant-acme_bob']?.depends_on).toEqual([
      'terraform_data.blink_tenant_acme_manifest',
      'terraform_data.blink_workspace_tenant-acme_staging_manifest',
      'terraform_data.blink_group_tenant-acme_platform_manifest',
    ]);
  });

  it('writes only what was declared', () => {
    let user: BlinkUser | undefined;
    synthAcme((acme) => {
      user = new BlinkUser(acme, 'alice', { email: 'alice@acme.example', role: 'Admin' });
    });
    expect((user?.manifest as { spec?: unknown } | undefined)?.spec).toEqual({ email: 'alice@acme.example', role: 'Admin' });
  });

  it.each([
    ['an email with a display name', { email: 'Bob <bob@acme.example>', role: 'Admin' }, 'spec.email "Bob <bob@acme.example>":'],
    ['a missing email', { role: 'Admin' }, 'spec.email: Required value'],
    ['an unknown role', { email: 'bob@acme.example', role: 'Owner' }, 'spec.role "Owner": Unsupported value: supported values: "Admin", "Builder", "Consumer"'],
    ['a workspace name that is not a DNS label', { email: 'bob@acme.example', role: 'Builder', workspaces: ['Prod'] }, 'spec.workspaces[0] "Prod":'],
    ['a group listed twice', { email: 'bob@acme.example', role: 'Builder', groups: ['ops', 'ops'] }, 'spec.groups[1] "ops": Duplicate value'],
    ['a negative resend counter', { email: 'bob@acme.example', role: 'Builder', invitationResend: -1 }, 'spec.invitation.resend -1: must be >= 0'],
    ['more than 100 workspaces', { email: 'bob@acme.example', role: 'Builder', workspaces: Array.from({ length: 101 }, (_, i) => `w${i}`) }, 'spec.workspaces ["w0",'],
  ])('rejects %s with the bad value in the message', (_what, props, message) => {
    const error = validationError(() => synthAcme((acme) => new BlinkUser(acme, 'bob', props as never)));
    expect(error.message).toContain('stack/acme/bob: User tenant-acme/bob is invalid: ');
    expect(error.message).toContain(message);
  });

  it('refuses a workspace that is not declared in the tenant, at synthesis', () => {
    const error = validationError(() =>
      synthAcme((acme) => {
        new BlinkWorkspace(acme, 'staging');
        new BlinkWorkspace(acme, 'production');
        new BlinkUser(acme, 'bob', { email: 'bob@acme.example', role: 'Builder', workspaces: ['prod'] });
      }),
    );
    expect(error.message).toBe('stack/acme/bob: User tenant-acme/bob refers to Workspace "prod", which is not declared in tenant acme (declared: production, staging)');
  });

  it('refuses a group that is not declared in the tenant, at synthesis', () => {
    const error = validationError(() => synthAcme((acme) => new BlinkUser(acme, 'bob', { email: 'bob@acme.example', role: 'Builder', groups: ['ops'] })));
    expect(error.message).toBe('stack/acme/bob: User tenant-acme/bob refers to Group "ops", which is not declared in tenant acme (declared: none)');
  });

  it('refuses a workspace or group of another tenant', () => {
    const error = validationError(() =>
      Testing.synthScope((stack) => {
        const acme = new BlinkTenant(stack, 'acme', { displayName: 'Acme' });
        const globex = new BlinkTenant(stack, 'globex', { displayName: 'Globex' });
        new BlinkUser(acme, 'bob', { email: 'bob@acme.example', role: 'Builder', groups: [new BlinkGroup(globex, 'ops')] });
      }),
    );
    expect(error.message).toBe('stack/acme/bob: refers to Group tenant-globex/ops of tenant globex, not of its own tenant acme');
  });
});

describe('BlinkServiceAccount', () => {
  it('renders the ServiceAccount and names its Secret without touching the key', () => {
    let deployer: BlinkServiceAccount | undefined;
    const json = synthAcme((acme) => {
      const staging = new BlinkWorkspace(acme, 'staging');
      deployer = new BlinkServiceAccount(acme, 'deployer', { role: 'Builder', description: 'CI', workspaces: [staging], keyRevision: 1, keyGracePeriod: '24h' });
    });
    expect(
      Testing.toHaveResourceWithProperties(json, 'terraform_data', {
        triggers_replace: {
          manifest:
            'apiVersion: accounts.blinkops.com/v1alpha1\nkind: ServiceAccount\nmetadata:\n  name: deployer\n  namespace: tenant-acme\nspec:\n  description: CI\n  role: Builder\n  workspaces:\n    - staging\n  keyRotation:\n    revision: 1\n    gracePeriod: 24h\n',
        },
      }),
    ).toBe(true);
    expect(deployer?.secretName).toBe('deployer-api-key');
    expect(deployer?.secretNamespace).toBe('tenant-acme');
    // Nothing about the key reaches Terraform: no outputs, no key material in any trigger.
    expect(JSON.parse(json)).not.toHaveProperty('output');
    expect(json).not.toMatch(/api-key|apiKey|secret/i);
  });

  it.each([
    ['a missing role', {}, 'spec.role: Required value'],
    ['an unknown role', { role: 'Robot' }, 'spec.role "Robot": Unsupported value'],
    ['a grace period over 168h', { role: 'Admin', keyGracePeriod: '200h' }, 'spec.keyRotation.gracePeriod "200h":'],
    ['a fractional key revision', { role: 'Admin', keyRevision: 1.5 }, 'spec.keyRotation.revision 1.5: must be integer'],
    ['a description over 500 characters', { role: 'Admin', description: 'd'.repeat(501) }, 'spec.description "ddd'],
  ])('rejects %s with the bad value in the message', (_what, props, message) => {
    const error = validationError(() => synthAcme((acme) => new BlinkServiceAccount(acme, 'ci', props as never)));
    expect(error.message).toContain('stack/acme/ci: ServiceAccount tenant-acme/ci is invalid: ');
    expect(error.message).toContain(message);
  });

  it('asks for copies of the key in other namespaces (spec.delivery) and says where they will be', () => {
    let etl: BlinkServiceAccount | undefined;
    const json = synthAcme((acme) => {
      etl = new BlinkServiceAccount(acme, 'etl', { role: 'Builder', delivery: [{ namespace: 'payments' }, { namespace: 'billing', secretName: 'blink-key', restartTargets: [{ kind: 'Deployment', name: 'api' }] }] });
    });
    expect(
      Testing.toHaveResourceWithProperties(json, 'terraform_data', {
        triggers_replace: {
          manifest:
            'apiVersion: accounts.blinkops.com/v1alpha1\nkind: ServiceAccount\nmetadata:\n  name: etl\n  namespace: tenant-acme\nspec:\n  role: Builder\n  delivery:\n    - namespace: payments\n    - namespace: billing\n      secretName: blink-key\n      restartTargets:\n        - kind: Deployment\n          name: api\n',
        },
      }),
    ).toBe(true);
    expect(etl?.deliveredSecrets).toEqual([
      { namespace: 'payments', secretName: 'etl-api-key' },
      { namespace: 'billing', secretName: 'blink-key' },
    ]);
  });

  it.each([
    ['a system namespace', [{ namespace: 'kube-system' }], "keys are never delivered there"],
    ['the same namespace twice', [{ namespace: 'payments' }, { namespace: 'payments' }], 'spec.delivery'],
    ['a namespace that is no name', [{ namespace: 'Payments!' }], 'spec.delivery[0].namespace'],
  ])('refuses delivery to %s, at synthesis', (_what, delivery, message) => {
    const error = validationError(() => synthAcme((acme) => new BlinkServiceAccount(acme, 'ci', { role: 'Builder', delivery })));
    expect(error.message).toContain(message);
  });

  it('refuses a workspace that is not declared in the tenant, at synthesis', () => {
    const error = validationError(() => synthAcme((acme) => new BlinkServiceAccount(acme, 'ci', { role: 'Builder', workspaces: ['staging'] })));
    expect(error.message).toBe('stack/acme/ci: ServiceAccount tenant-acme/ci refers to Workspace "staging", which is not declared in tenant acme (declared: none)');
  });
});

describe('a stack', () => {
  it('refuses the same object declared twice', () => {
    const error = validationError(() =>
      synthAcme((acme) => {
        new BlinkWorkspace(acme, 'staging');
        new BlinkWorkspace(acme, 'staging-again', { name: 'staging' });
      }),
    );
    expect(error.message).toBe('stack/acme/staging-again: Workspace tenant-acme/staging is already declared in this stack by stack/acme/staging');
  });

  it('synthesizes the acme example as before (snapshot)', () => {
    const objects: BlinkObject[] = [];
    const json = Testing.synthScope((stack) => {
      const acme = new BlinkTenant(stack, 'acme', { displayName: 'Acme Corporation' });
      const production = new BlinkWorkspace(acme, 'production');
      const platform = new BlinkGroup(acme, 'platform');
      objects.push(acme, production, platform);
      objects.push(new BlinkUser(acme, 'alice', { email: 'alice@acme.example', role: 'Admin', groups: [platform] }));
      objects.push(new BlinkServiceAccount(acme, 'deployer', { role: 'Builder', workspaces: [production] }));
    });
    expect(json).toMatchSnapshot();
    // Every construct's YAML is what Terraform applies.
    expect([...manifestsOfStack(parsed(json)).values()].sort()).toEqual(objects.map((o) => o.yaml).sort());
    for (const object of objects) expect(json).toContain(JSON.stringify(escapeTemplate(object.yaml)));
  });
});

describe.each([
  ['terraform_data', 'triggers_replace', 'self.triggers_replace'],
  ['null_resource', 'triggers', 'self.triggers'],
] as const)('bound by %s', (type, triggersKey, self) => {
  const declareAll = (acme: BlinkTenant) => {
    const staging = new BlinkWorkspace(acme, 'staging');
    new BlinkUser(acme, 'bob', { email: 'bob@acme.example', role: 'Builder', workspaces: [staging] });
  };
  const resourcesOf = (json: string) => parsed(json).resource[type];

  it('binds the object with identity triggers and a destroy-time delete that reads only self', () => {
    const resources = resourcesOf(synthAcme(declareAll, type));
    expect(resources['blink_tenant_acme']).toEqual({
      [triggersKey]: { name: 'acme', resource: 'tenants.accounts.blinkops.com' },
      provisioner: [
        {
          'local-exec': {
            when: 'destroy',
            command: 'kubectl delete "$BLINK_RESOURCE" "$BLINK_NAME" --ignore-not-found',
            environment: { BLINK_NAME: `\${${self}.name}`, BLINK_RESOURCE: `\${${self}.resource}` },
          },
        },
      ],
    });
    expect(resources['blink_user_tenant-acme_bob']?.provisioner[0]?.['local-exec']['environment']).toEqual({
      BLINK_NAME: `\${${self}.name}`,
      BLINK_NAMESPACE: `\${${self}.namespace}`,
      BLINK_RESOURCE: `\${${self}.resource}`,
    });
    expect(resources['blink_tenant_acme_manifest']?.provisioner).toEqual([
      {
        'local-exec': {
          command: "printf '%s' \"$BLINK_MANIFEST\" | kubectl apply --server-side --force-conflicts --field-manager=blink-accounts-iac -f -",
          environment: { BLINK_MANIFEST: `\${${self}.manifest}` },
        },
      },
    ]);
    expect(resources['blink_user_tenant-acme_bob']?.depends_on).toEqual([`${type}.blink_tenant_acme_manifest`, `${type}.blink_workspace_tenant-acme_staging_manifest`]);
  });

  it('has the same ids, triggers and manifests as the other type', () => {
    const other = type === 'terraform_data' ? 'null_resource' : 'terraform_data';
    const mine = resourcesOf(synthAcme(declareAll, type));
    const theirs = parsed(synthAcme(declareAll, other)).resource[other];
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    const otherKey = triggersKey === 'triggers' ? 'triggers_replace' : 'triggers';
    for (const [id, block] of Object.entries(mine)) expect(block[triggersKey], id).toEqual(theirs[id]?.[otherKey]);
    expect(manifestsOfStack(parsed(synthAcme(declareAll, type)))).toEqual(manifestsOfStack(parsed(synthAcme(declareAll, other))));
  });

  it(`lists every declared object in ${DECLARED_OBJECTS_ID}, whose destroy-time provisioner deletes the ones no longer declared`, () => {
    const declared = resourcesOf(synthAcme(declareAll, type))[DECLARED_OBJECTS_ID];
    const lines = 'tenants.accounts.blinkops.com acme\nusers.accounts.blinkops.com bob tenant-acme\nworkspaces.accounts.blinkops.com staging tenant-acme';
    expect(declared?.[triggersKey]).toEqual({ objects: lines });
    const exec = declared?.provisioner[0]?.['local-exec'];
    expect(exec?.['when']).toBe('destroy');
    expect(exec?.['environment']).toEqual({ BLINK_PREVIOUS: `\${${self}.objects}`, BLINK_DECLARED: lines });
    expect(exec?.['command']).toContain('kubectl delete "$1" "$2" $${3:+--namespace "$3"} --ignore-not-found');
  });

  it(type === 'terraform_data' ? 'needs no provider' : 'holds one null provider, also when the app declared one', () => {
    const stack = new TerraformStack(Testing.app({ context: { [RESOURCE_TYPE_CONTEXT_KEY]: type } }), 'stack');
    if (type === 'null_resource') new NullProvider(stack, 'declared-by-the-app');
    new BlinkWorkspace(new BlinkTenant(stack, 'acme', { displayName: 'Acme' }), 'w');
    new BlinkTenant(stack, 'globex', { displayName: 'Globex' });
    const json = parsed(Testing.synth(stack));
    if (type === 'terraform_data') {
      expect(json.provider).toBeUndefined();
      expect(json.terraform?.required_providers).toBeUndefined();
    } else {
      expect(json.provider?.['null']).toHaveLength(1);
    }
  });
});

describe('the resource type setting', () => {
  it('refuses an unknown type, naming the setting and the value', () => {
    const error = validationError(() => synthAcme(() => undefined, 'local_file' as never));
    expect(error.message).toBe('stack: context blink-accounts:resource-type "local_file": Unsupported value: supported values: "terraform_data", "null_resource"');
  });
});
