/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core, against a
 * hearthd in this process with a manual clock. First run, login, a wrong password, logout,
 * session expiry with the failed call retried after login, a call without CSRF refused, the
 * cookie jar's attributes, a password change ending another browser's session, and pairing a
 * device from the devices page. Screenshots of each page go to test-artifacts/console/.
 *
 * Without Chromium the suite is skipped with a NOTICE line, except on CI, where it must run.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { call, setupCode, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip, SHOTS } from '../support/browser.js';

const HOUR = 3_600_000;
const OWNER = { username: 'olivia', password: 'olivia-password', fullName: 'Olivia Owner' };

describe('the web console in Chromium', async () => {
  const skip = chromiumSkip();
  let d: InProcessDaemon;
  let browser: Browser;
  let main: BrowserContext;
  let page: Page;

  before(async () => {
    if (skip) return;
    mkdirSync(SHOTS, { recursive: true });
    d = await startInProcess();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    main = await browser.newContext({ viewport: { width: 1200, height: 860 } });
    main.setDefaultTimeout(10_000);
    page = await main.newPage();
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  async function signIn(p: Page, password = OWNER.password) {
    await p.getByLabel('Username').fill(OWNER.username);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
  }

  /** A command called from the page as the console calls it, with or without the CSRF header. */
  function fromPage(p: Page, command: string, withCsrf: boolean) {
    return p.evaluate(
      async ({ command, withCsrf }) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        const csrf = localStorage.getItem('hearth-csrf');
        if (withCsrf && csrf) headers['x-hearth-csrf'] = csrf;
        const res = await fetch(`/API/${command}`, { method: 'POST', headers, body: '{}' });
        return { status: res.status, body: await res.json() };
      },
      { command, withCsrf },
    );
  }

  it('first run: with no account, the console offers creating the owner, then signs in', { skip }, async () => {
    // Without the link's setup code the form asks for it, and a wrong one claims nothing.
    await page.goto(d.url);
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    await page.getByLabel('Setup code').fill('0'.repeat(32));
    await page.getByLabel('Username').fill('mallory');
    await page.getByLabel('Password', { exact: true }).fill('mallory-password');
    await page.getByLabel('Password, again').fill('mallory-password');
    await page.getByRole('button', { name: "Create the owner's account" }).click();
    await page.getByRole('alert').filter({ hasText: 'the setup code is wrong' }).waitFor();
    assert.equal((await call(d, 'core/stats')).body.result.accounts, 0);
    // The link hearthd prints carries the code in its fragment: the form does not ask for it.
    await page.goto(`${d.url}/#setup=${setupCode(d.home)}`);
    await page.reload();
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    assert.equal(await page.getByLabel('Setup code').count(), 0);
    await page.getByLabel('Username').fill(OWNER.username);
    await page.getByLabel('Full name').fill(OWNER.fullName);
    await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await page.getByLabel('Password, again').fill(OWNER.password);
    await shot(page, '01-first-run');
    await page.getByRole('button', { name: "Create the owner's account" }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.locator('.badge', { hasText: 'Ready' }).waitFor();
    await page.getByRole('cell', { name: 'store' }).waitFor();
    assert.equal(await page.locator('.who-name').textContent(), OWNER.fullName);
    assert.ok(!page.url().includes('setup='), `the code left the address bar: ${page.url()}`);
    await shot(page, '02-dashboard');
  });

  it('the cookie jar: hearth_session is HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP; the login cookie is gone', { skip }, async () => {
    const cookies = await main.cookies();
    const session = cookies.find((c) => c.name === 'hearth_session');
    assert.ok(session, JSON.stringify(cookies));
    assert.deepEqual(
      { httpOnly: session.httpOnly, sameSite: session.sameSite, path: session.path, secure: session.secure, expires: session.expires },
      { httpOnly: true, sameSite: 'Strict', path: '/', secure: false, expires: -1 },
    );
    assert.equal(
      cookies.some((c) => c.name.includes('hearth_login')),
      false,
    );
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session cookie');
  });

  it('a request without the CSRF header is refused, with it the same request works', { skip }, async () => {
    const without = await fromPage(page, 'core/whoami', false);
    assert.equal(without.status, 401);
    assert.equal(without.body.error.code, 'user:noAuth');
    const withIt = await fromPage(page, 'core/whoami', true);
    assert.equal(withIt.status, 200);
    assert.deepEqual([withIt.body.result.credential, withIt.body.result.account], ['session', OWNER.username]);
  });

  it('logout shows the login form without a message; a wrong password says so; the right one signs in', { skip }, async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
    assert.equal(await page.locator('.notice').count(), 0, 'no message after a logout');
    assert.equal(
      (await main.cookies()).some((c) => c.name === 'hearth_session'),
      false,
    );
    await shot(page, '03-sign-in');
    await signIn(page, 'not-the-password');
    await page.getByRole('alert').filter({ hasText: 'wrong username or password' }).waitFor();
    await shot(page, '04-sign-in-wrong-password');
    // By keyboard alone: the username field has the focus, Tab moves on, Enter submits.
    await page.getByLabel('Username').fill('');
    await page.getByLabel('Password').fill('');
    await page.getByLabel('Username').focus();
    await page.keyboard.type(OWNER.username);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'password');
    await page.keyboard.type(OWNER.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  it('the owner pages: users (create bob), API tokens (create, shown once), my account', { skip }, async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const create = page.getByRole('form', { name: 'Create an account' });
    await create.getByLabel('Username').fill('bob');
    await create.getByLabel('Full name').fill('Bob Builder');
    await create.getByLabel('Password').fill('bob-password');
    await create.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Created bob.').waitFor();
    await page.getByText('bob@localhost').waitFor();
    await shot(page, '05-users');

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'Create a role token' }).waitFor();
    await page.getByText('No live tokens').waitFor();
    await page.getByLabel('Label (optional)').fill('backup script');
    await page.getByRole('button', { name: 'Create token' }).click();
    const key = await page.locator('code.token').getAttribute('data-token');
    assert.match(key ?? '', /^hr_/);
    await page.getByRole('cell', { name: 'auditor' }).waitFor();
    await page.getByRole('cell', { name: 'backup script' }).waitFor();
    await shot(page, '06-api-tokens');
    // The token works as Bearer on the API.
    const r = await fetch(`${d.url}/API/core/status`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    assert.equal(r.status, 200);

    await page.getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'My sessions' }).waitFor();
    await page.getByText('this session').waitFor();
    await shot(page, '07-my-account');
  });

  it('pairing a device from the devices page: words, QR code, countdown; the phrase authorizes it over REST', { skip }, async () => {
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByText('No devices yet').waitFor();
    await page.getByRole('button', { name: 'Pair a new device' }).click();
    const words = page.getByRole('list', { name: 'Pairing phrase' });
    await words.waitFor();
    const phrase = (await words.getAttribute('data-phrase'))!;
    assert.equal(phrase.split(' ').length, 12);
    assert.deepEqual(await words.locator('li').allTextContents(), phrase.split(' '));
    await page.locator('.qr svg').waitFor(); // the QR code is drawn
    assert.match((await page.getByRole('timer').textContent())!, /Expires in (9:5\d|10:00)/);
    await shot(page, '08-devices-pairing');

    const res = await fetch(`${d.url}/auth/new_device/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: phrase, device: 'Pixel 9' }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { message: string; token: string };
    assert.equal(body.message, 'Device authorized');
    const me = await fetch(`${d.url}/API/core/whoami`, { method: 'POST', headers: { authorization: `Bearer ${body.token}` } });
    assert.equal(((await me.json()) as any).result.account, OWNER.username);

    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByText('Pixel_9').waitFor();

    // A recovery token with two uses: its 18 words shown once, then its status.
    await page.getByText('No recovery token').waitFor();
    await page.getByLabel('Uses (optional)').fill('2');
    await page.getByRole('button', { name: 'Create a recovery token' }).click();
    const recovery = page.getByRole('list', { name: 'Recovery phrase' });
    await recovery.waitFor();
    assert.equal(await recovery.locator('li').count(), 18);
    await page.locator('.badge', { hasText: 'valid' }).waitFor();
    await page.getByRole('definition').filter({ hasText: /^2$/ }).waitFor();
    await shot(page, '09-devices');
    await page.getByRole('button', { name: 'I have written them down' }).click();
    await recovery.waitFor({ state: 'detached' });
  });

  it('an expired session shows the login form with "session expired", and the failed call is retried after login', { skip }, async () => {
    const calls: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/API/device/list')) calls.push(r.status());
    });
    d.clock.advance(25 * HOUR);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
    await page.getByText('Your session has expired').waitFor();
    await shot(page, '10-session-expired');
    await signIn(page);
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    await page.getByText('Pixel_9').waitFor();
    assert.deepEqual(calls, [401, 200], 'the call failed once, then was retried by itself');
  });

  it('a password change in one browser ends the session of another, not its own', { skip }, async () => {
    const other = await browser.newContext();
    other.setDefaultTimeout(10_000);
    const otherPage = await other.newPage();
    await otherPage.goto(d.url);
    await otherPage.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
    await signIn(otherPage);
    await otherPage.getByRole('heading', { name: 'Dashboard' }).waitFor();

    await page.getByRole('link', { name: 'My account' }).click();
    await page
      .getByRole('button', { name: /^End the session signed in/ })
      .first()
      .waitFor();
    assert.ok((await page.getByRole('button', { name: /^End the session signed in/ }).count()) >= 1, 'the other browser is listed');
    await page.getByLabel('Current password').fill(OWNER.password);
    await page.getByLabel('New password', { exact: true }).fill('olivia-new-password');
    await page.getByLabel('New password, again').fill('olivia-new-password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    // Without a reload, the list already shows the other sessions gone: only this one is left.
    assert.equal(await page.getByRole('button', { name: /^End the session signed in/ }).count(), 0);
    await page.getByText('this session').waitFor();

    await otherPage.getByRole('button', { name: 'Refresh' }).click();
    await otherPage.getByText('Your session has expired').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'My sessions' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Sign in to Hearth' }).count(), 0);
    assert.equal((await fromPage(page, 'core/whoami', true)).status, 200);
    // The paired device ended with the change, like every other credential of the account.
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByText('No devices yet').waitFor();
    // The other browser signs in with the new password.
    await signIn(otherPage, 'olivia-new-password');
    await otherPage.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await other.close();
  });

  it('"Sign out everywhere else" ends the other browsers\' sessions and keeps this one', { skip }, async () => {
    const other = await browser.newContext({ colorScheme: 'dark' });
    other.setDefaultTimeout(10_000);
    const otherPage = await other.newPage();
    await otherPage.goto(d.url);
    await signIn(otherPage, 'olivia-new-password');
    await otherPage.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await otherPage.getByRole('cell', { name: 'store' }).waitFor();
    await shot(otherPage, '13-dark-dashboard');

    await page.getByRole('link', { name: 'My account' }).click();
    await page.reload();
    const sessions = page.getByRole('region', { name: 'My sessions' });
    // This one, the dark one, and the one the second browser opened after the password change.
    await sessions.getByText('Chrome on Linux').nth(2).waitFor();
    assert.equal(await sessions.getByText('Chrome on Linux').count(), 3);
    // Each says where it signed in from.
    assert.equal(await sessions.getByText(/^From 127\.0\.0\.1 · signed in/).count(), 3);
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByText('Signed out 2 other sessions.').waitFor();
    await sessions.getByText('Chrome on Linux').nth(1).waitFor({ state: 'detached' });
    assert.equal(await sessions.getByText('Chrome on Linux').count(), 1);

    await otherPage.getByRole('button', { name: 'Refresh' }).click();
    await otherPage.getByText('Your session has expired').waitFor();
    assert.equal((await fromPage(page, 'core/whoami', true)).status, 200);
    await other.close();
  });

  it('an account that is not a maintainer sees no owner pages, and the dashboard says what its role lacks', { skip }, async () => {
    const ctx = await browser.newContext();
    ctx.setDefaultTimeout(10_000);
    const p = await ctx.newPage();
    await p.goto(`${d.url}/#/users`);
    await p.getByLabel('Username').fill('bob');
    await p.getByLabel('Password').fill('bob-password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByText("This page is for the server's maintainers.").waitFor();
    assert.equal(await p.getByRole('link', { name: 'Users' }).count(), 0);
    assert.equal(await p.getByRole('link', { name: 'API tokens' }).count(), 0);
    assert.equal(await p.locator('.who-name').textContent(), 'Bob Builder');
    await p.getByRole('link', { name: 'Dashboard' }).click();
    await p.getByText('Component details need the auditor role.').waitFor();
    await shot(p, '14-creator-dashboard');
    await ctx.close();
  });

  it('behind an HTTPS proxy the browser keeps __Host-hearth_session, Secure, and the console works', { skip }, async () => {
    // A second daemon that trusts the loopback as its proxy; the browser says the request came
    // over HTTPS, as a TLS-terminating proxy would. Chromium treats 127.0.0.1 as a secure origin.
    const proxied = await startInProcess({ env: { HEARTH_SERVER_TRUSTED_PROXIES: '127.0.0.1' } });
    const ctx = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-proto': 'https' } });
    ctx.setDefaultTimeout(10_000);
    try {
      const p = await ctx.newPage();
      await p.goto(`${proxied.url}/#setup=${setupCode(proxied.home)}`);
      await p.getByLabel('Username').fill('carol');
      await p.getByLabel('Password', { exact: true }).fill('carol-password');
      await p.getByLabel('Password, again').fill('carol-password');
      await p.getByRole('button', { name: "Create the owner's account" }).click();
      await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
      const cookies = await ctx.cookies();
      const session = cookies.find((c) => c.name === '__Host-hearth_session');
      assert.ok(session, JSON.stringify(cookies.map((c) => c.name)));
      assert.deepEqual(
        { httpOnly: session.httpOnly, sameSite: session.sameSite, path: session.path, secure: session.secure },
        { httpOnly: true, sameSite: 'Strict', path: '/', secure: true },
      );
      assert.equal(
        cookies.some((c) => c.name === 'hearth_session' || c.name.includes('hearth_login')),
        false,
      );
      await p.getByRole('link', { name: 'My account' }).click();
      await p.getByText('this session').waitFor();
    } finally {
      await ctx.close();
      await proxied.stop();
    }
  });

  it('works at phone width', { skip }, async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(10_000);
    const p = await phone.newPage();
    await p.goto(d.url);
    await signIn(p, 'olivia-new-password');
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await p.locator('.badge', { hasText: 'Ready' }).waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await shot(p, '11-phone-dashboard');
    // The password change ended the paired device too; pair one at phone width.
    await p.goto(`${d.url}/#/devices`);
    await p.getByText('No devices yet').waitFor();
    await p.getByRole('button', { name: 'Pair a new device' }).click();
    await p.getByRole('list', { name: 'Pairing phrase' }).waitFor();
    const wide = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(wide <= 0, `the devices page scrolls sideways by ${wide}px`);
    await shot(p, '12-phone-devices');
    // Every page fits a 360 px phone: none scrolls sideways, with its tables full.
    await p.setViewportSize({ width: 360, height: 800 });
    await call(d, 'token/create', { role: 'auditor', expiry: 600, label: 'a label long enough to need wrapping on a phone' });
    for (const [hash, heading] of [
      ['#/dashboard', 'Dashboard'],
      ['#/account', 'My account'],
      ['#/devices', 'Devices'],
      ['#/tokens', 'API tokens'],
      ['#/users', 'Users'],
      ['#/vault', 'Vault'],
      ['#/log', 'Sign-in log'],
      ['#/invites', 'Invites'],
    ]) {
      await p.goto(`${d.url}/${hash}`);
      await p.getByRole('heading', { name: heading, exact: true }).waitFor();
      await p.waitForLoadState('networkidle');
      const sideways = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(sideways <= 0, `at 360 px ${heading} scrolls sideways by ${sideways}px`);
    }
    await p.goto(`${d.url}/#/tokens`);
    await p.getByText('a label long enough').waitFor();
    await shot(p, '15-phone-tokens');
    await phone.close();
  });
});
