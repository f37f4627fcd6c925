// What the users tests share besides their tenant (test/harness/tenant.ts
// createTenantWithNamespace: the Tenant controller is not part of these operators): a real dev
// SMTP server referenced through an SMTP Secret, and small readers of Users, records and mail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { User } from '../../operator/api/index.js';
import { invitationLinks, startDevSmtp } from '../../operator/dev-smtp/server.js';
import type { CaughtMessage, DevSmtpServer } from '../../operator/dev-smtp/server.js';
import type { Clock } from '../../operator/runtime/clock.js';
import { systemClock } from '../../operator/runtime/clock.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { SecretObject } from '../../operator/invitations/invitation-record.js';
import { invitationSecretName, recordFromSecret } from '../../operator/invitations/invitation-record.js';
import type { StoredInvitationRecord } from '../../operator/invitations/invitation-record.js';
import { eventually, kubectl } from '../harness/kube.js';
import { adminClient } from '../harness/tenant.js';

/** Applies objects (JSON is YAML) with the harness kubectl. */
export async function apply(...objects: object[]): Promise<void> {
  await kubectl(['apply', '-f', '-'], { input: objects.map((o) => JSON.stringify(o)).join('\n---\n') });
}

/** A User manifest. */
export function userManifest(namespace: string, name: string, spec: Partial<User['spec']> & { email: string }): object {
  return { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'User', metadata: { name, namespace }, spec: { role: 'Builder', ...spec } };
}

/** Reads a User. */
export async function getUser(namespace: string, name: string): Promise<User> {
  return (await adminClient().get(ACCOUNT_KINDS.user, namespace, name)) as unknown as User;
}

/** Reads a User's invitation record (undefined when its Secret is absent). */
export async function getRecord(namespace: string, userName: string): Promise<StoredInvitationRecord | undefined> {
  try {
    return recordFromSecret(await adminClient().get<SecretObject>(builtinKinds.secret, namespace, invitationSecretName(userName)));
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** The condition of a type from a User's status. */
export function condition(user: User, type: string): { status: string; reason: string; message: string } | undefined {
  return user.status?.conditions?.find((c) => c.type === type);
}

/** Waits until a User satisfies `check`. */
export async function waitForUser(namespace: string, name: string, check: (user: User) => boolean, what: string, timeoutMs = 30_000): Promise<User> {
  return eventually(async () => {
    const user = await getUser(namespace, name);
    return check(user) ? user : undefined;
  }, timeoutMs, what);
}

/** A dev SMTP server in a temporary folder, with its Secret in `namespace`. */
export interface TestSmtp {
  readonly server: DevSmtpServer;
  readonly secret: { readonly namespace: string; readonly name: string };
  /** Messages to one address, oldest first. */
  messagesTo(address: string): Promise<CaughtMessage[]>;
  /** Waits for the `count`-th message to `address` and returns it. */
  waitForMessage(address: string, count?: number, timeoutMs?: number): Promise<CaughtMessage>;
  close(): Promise<void>;
}

/** Starts a dev SMTP server and writes the SMTP Secret the operator reads. */
export async function startTestSmtp(namespace: string): Promise<TestSmtp> {
  const dir = await mkdtemp(join(tmpdir(), 'users-smtp-'));
  const server = await startDevSmtp({ dir });
  const secret = { namespace, name: 'smtp' };
  await apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: secret,
    stringData: { host: server.host, port: String(server.port), secure: 'false', from: 'Blink Accounts <accounts@blink.test>' },
  });
  const messagesTo = async (address: string) => (await server.messages()).filter((m) => m.to.includes(address));
  return {
    server,
    secret,
    messagesTo,
    waitForMessage: (address, count = 1, timeoutMs = 30_000) =>
      eventually(async () => (await messagesTo(address))[count - 1], timeoutMs, `message ${count} to ${address}`),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The one acceptance link of a message (asserts there is exactly one). */
export function linkOf(message: CaughtMessage): string {
  const links = [...new Set(invitationLinks(message))];
  if (links.length !== 1) throw new Error(`Expected one invitation link, found ${links.length}`);
  return links[0] as string;
}

/** A clock the test can move forward, for expiries (the operator's timers stay real). */
export interface ShiftableClock extends Clock {
  shift(ms: number): void;
  reset(): void;
}

/** A system clock with an adjustable offset. */
export function shiftableClock(): ShiftableClock {
  let offset = 0;
  return {
    now: () => systemClock.now() + offset,
    setTimer: (fn, ms) => systemClock.setTimer(fn, ms),
    shift: (ms) => {
      offset += ms;
    },
    reset: () => {
      offset = 0;
    },
  };
}

/** Headless Chromium (the Debian package) with the flags a sandboxed CI needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Posts the acceptance form the way a browser would, with the CSRF token from the GET page. */
export async function acceptOverHttp(link: string): Promise<Response> {
  const page = await fetch(link);
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error(`The page of the link had no form (status ${page.status})`);
  return fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf }).toString() });
}
