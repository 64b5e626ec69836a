/**
 * Passkeys in the console, in Chromium with virtual authenticators (the DevTools protocol's
 * WebAuthn domain through playwright-core): register two (named, listed), sign out, sign in with
 * one as the second factor and then with a passkey alone, remove one (it no longer signs in).
 * The console is reached as http://localhost:<port>, the relying party of a loopback public URL.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { call, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip, SHOTS } from '../support/browser.js';

const USER = { username: 'pia', password: 'pia-password-1' };

describe('passkeys in the console (Chromium, virtual authenticators)', async () => {
  const skip = chromiumSkip();
  let d: InProcessDaemon;
  let url = '';
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticator = '';

  /** A platform authenticator with resident keys that verifies its user without asking. */
  async function newAuthenticator(): Promise<string> {
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return authenticatorId;
  }

  before(async () => {
    if (skip) return;
    mkdirSync(SHOTS, { recursive: true });
    d = await startInProcess();
    url = d.url.replace('127.0.0.1', 'localhost');
    const r = await call({ url: d.url, token: d.token }, 'bonafide/user/create', { username: USER.username, pass: USER.password });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    authenticator = await newAuthenticator();
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const passkeyNames = () => page.getByRole('list', { name: 'Passkeys' }).locator('strong').allTextContents();
  /** The list as it settles: the page loads (and reloads) its passkeys after its headings and notices show. */
  async function passkeysAre(expected: string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    let names = await passkeyNames();
    while (JSON.stringify(names) !== JSON.stringify(expected) && Date.now() < deadline) {
      await page.waitForTimeout(100);
      names = await passkeyNames();
    }
    assert.deepEqual(names, expected);
  }
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
  };

  async function addPasskey(name: string) {
    await page.getByLabel('Passkey name').fill(name);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText(`Passkey "${name}" added.`).waitFor();
  }

  it('registers two named passkeys from My account; the first comes with recovery codes', { skip }, async () => {
    await page.goto(url);
    await page.getByLabel('Username').fill(USER.username);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.goto(`${url}/#/account`);
    await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
    await page.getByText('No passkeys').waitFor();

    await addPasskey('laptop');
    const codes = page.getByRole('region', { name: 'Recovery codes' }).locator('.codes code');
    assert.equal(await codes.count(), 10, 'the first factor comes with ten recovery codes');
    const recovery = await codes.allTextContents();
    await page.getByRole('button', { name: 'I have saved them' }).click();

    // Where a passkey cannot be used (the CLI, scripts), the password alone is not enough: a recovery code is.
    const ask = await call({ url: d.url }, 'bonafide/user/authenticate', { username: USER.username, pass: USER.password });
    assert.equal(ask.status, 401);
    assert.equal(ask.body.error.code, 'user:needSecondFactor');
    assert.deepEqual(ask.body.error.methods, ['passkey', 'recovery']);
    assert.equal(ask.body.error.passkey, undefined, 'no passkey challenge outside the console');
    const withCode = await call({ url: d.url }, 'bonafide/user/authenticate', { username: USER.username, pass: USER.password, otp: recovery[0] });
    assert.equal(withCode.status, 200, JSON.stringify(withCode.body));

    // A second passkey, on another authenticator (the first one's is excluded: it has one already).
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator });
    authenticator = await newAuthenticator();
    await addPasskey('phone');
    assert.equal(await page.getByRole('region', { name: 'Recovery codes' }).count(), 0, 'no new codes for a second factor');
    await passkeysAre(['laptop', 'phone']);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]!.isResidentCredential, true, 'a discoverable credential');
    assert.equal(credentials[0]!.rpId, 'localhost');
    await shot(page, 'passkeys-01-registered');
  });

  it('sign-in asks for the second factor and a passkey answers it', { skip }, async () => {
    await signOut();
    await page.getByLabel('Username').fill(USER.username);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    await shot(page, 'passkeys-02-second-factor');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    const log = await call({ url: d.url, token: d.token }, 'auth/log', { limit: 5 });
    assert.equal(log.body.result[0].username, USER.username);
    assert.equal(log.body.result[0].success, true);
  });

  it('signs in with a passkey alone (no username or password)', { skip }, async () => {
    await signOut();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    await passkeysAre(['laptop', 'phone']);
    const used = await page.getByRole('list', { name: 'Passkeys' }).locator('li').nth(1).textContent();
    assert.doesNotMatch(used!, /last used -/, 'the phone passkey shows when it was used');
  });

  it('removes a passkey: it no longer signs in', { skip }, async () => {
    page.once('dialog', (dlg) => void dlg.accept());
    await page.getByRole('button', { name: 'Remove the passkey phone' }).click();
    await page.getByText('Passkey "phone" removed.').waitFor();
    await passkeysAre(['laptop']);
    await signOut();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'did not sign in' }).waitFor();
    await shot(page, 'passkeys-03-removed');
    assert.equal(await page.getByRole('heading', { name: 'Sign in to Hearth' }).count(), 1);
  });
});
