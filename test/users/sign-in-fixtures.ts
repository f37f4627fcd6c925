// Signing in through Chromium at a test identity provider (test/harness/identity-provider.ts) to
// accept an invitation: what the sign-in tests share.
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { expect } from 'vitest';

/** A fresh browser profile (no provider session, no cookies) that accepts the provider's test certificate for its pages. */
export async function freshContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  // The provider's development pages import a web font; nothing leaves the machine.
  await context.route(/fonts\.googleapis\.com/, (route) => route.abort());
  return context;
}

/** What one sign-in through Chromium ended with, and the callback request the provider sent the browser to. */
export interface SignInRun {
  readonly status: number | undefined;
  readonly heading: string | null;
  readonly text: string;
  readonly callback: { readonly url: string; readonly cookie: string } | undefined;
}

/** Where to sign in. */
export interface SignInTarget {
  readonly link: string;
  /** The login name on the provider's form (a test person). */
  readonly login: string;
  readonly operatorUrl: string;
  readonly issuer: string;
  readonly tenantDisplayName: string;
}

/** Opens the link, presses the sign-in button, signs in at the provider, consents, and reads the page it ends on. */
export async function signInWithChromium(browser: Browser, target: SignInTarget): Promise<SignInRun> {
  const context = await freshContext(browser);
  const callbackPrefix = `${target.operatorUrl}/sign-in/callback`;
  try {
    const page = await context.newPage();
    let callback: Request | undefined;
    page.on('request', (request) => {
      if (request.url().startsWith(callbackPrefix)) callback = request;
    });
    const opened = await page.goto(target.link);
    expect(opened?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Join ${target.tenantDisplayName} on Blink`);
    await page.getByRole('button', { name: 'Sign in to accept' }).click();
    await page.waitForURL((url) => url.href.startsWith(target.issuer));
    await page.locator('input[name="login"]').fill(target.login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // The provider asks once per person whether Blink may have the email; then it sends the browser back.
    const back = page.waitForResponse((response) => response.url().startsWith(callbackPrefix));
    await page.getByRole('button', { name: 'Continue' }).click();
    const landed = await back;
    await page.waitForLoadState();
    const headers = callback ? await callback.allHeaders() : {};
    return {
      status: landed.status(),
      heading: await page.getByRole('heading', { level: 1 }).textContent(),
      text: (await page.locator('main').textContent()) ?? '',
      callback: callback ? { url: callback.url(), cookie: headers['cookie'] ?? '' } : undefined,
    };
  } finally {
    await context.close();
  }
}
