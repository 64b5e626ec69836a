/**
 * Two-factor sign-in in the console, in Chromium, against a hearthd in this process with a
 * manual clock (the authenticator's codes are computed for the daemon's time): set up an
 * authenticator from My account (QR code, then a code), recovery codes shown once, sign-in's code
 * step (a wrong code, a right one, a recovery code), at desktop width and on a 360 px phone, and
 * turning it off. Screenshots go to test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { call, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip, SHOTS } from '../support/browser.js';
import { codeAt } from '../support/totp.js';

const OWNER = { username: 'tove', password: 'tove-password-1' };

describe('two-factor in the console (Chromium)', async () => {
  const skip = chromiumSkip();
  let d: InProcessDaemon;
  let browser: Browser;
  let desktop: BrowserContext;
  let page: Page;
  let secret = '';
  let recovery: string[] = [];

  before(async () => {
    if (skip) return;
    mkdirSync(SHOTS, { recursive: true });
    d = await startInProcess();
    const r = await call({ url: d.url, token: d.token }, 'bonafide/user/create', { username: OWNER.username, pass: OWNER.password });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    desktop = await browser.newContext({ viewport: { width: 1200, height: 860 } });
    desktop.setDefaultTimeout(10_000);
    page = await desktop.newPage();
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const code = () => codeAt(secret, d.clock.now());
  const nextStep = () => d.clock.advance(30_000);
  const sideways = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  async function password(p: Page) {
    await p.getByLabel('Username').fill(OWNER.username);
    await p.getByLabel('Password').fill(OWNER.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
  }

  it('My account: set up an authenticator with its QR code, confirm a code, see the recovery codes once', { skip }, async () => {
    await page.goto(d.url);
    await password(page);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.goto(`${d.url}/#/account`);
    await page.getByRole('heading', { name: 'Two-factor' }).waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator' }).click();
    const qr = page.getByRole('img', { name: 'QR code of the authenticator secret' });
    await qr.waitFor();
    assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 100), 'the QR code is drawn');
    secret = (await page.locator('code.secret').textContent())!.trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await shot(page, '2fa-01-setup');

    // A wrong code is refused and nothing changes.
    await page.getByLabel('Code from the app').fill('000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('alert').filter({ hasText: 'not from the authenticator just set up' }).waitFor();

    await page.getByLabel('Code from the app').fill(code());
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByRole('region', { name: 'Recovery codes' }).locator('.codes code');
    await codes.first().waitFor();
    recovery = await codes.allTextContents();
    assert.equal(recovery.length, 10);
    const download = page.getByRole('link', { name: 'Download as text' });
    assert.equal(await download.getAttribute('download'), `hearth-recovery-codes-${OWNER.username}.txt`);
    assert.ok(decodeURIComponent((await download.getAttribute('href'))!).includes(recovery[0]!));
    await page.getByText('10 recovery codes left').waitFor();
    await shot(page, '2fa-02-recovery-codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    assert.equal(await codes.count(), 0, 'shown once');
    await page.reload();
    await page.getByText('10 recovery codes left').waitFor();
    assert.equal(await page.locator('.codes').count(), 0, 'not shown again');
  });

  it('sign-in asks for the code after the password: a wrong code says so, the right one signs in', { skip }, async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
    await password(page);
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    await shot(page, '2fa-03-code-step');
    nextStep();
    await page.getByLabel('Code').fill('123456' === code() ? '654321' : '123456');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong or already used code' }).waitFor();
    await page.getByLabel('Code').fill(code());
    await page.getByRole('button', { name: 'Verify' }).click();
    // Signed in, back on the page it left (My account).
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Two-factor sign-in' }).count(), 0);
  });

  it('on a 360 px phone: the code step and the Two-factor section fit; a recovery code signs in once', { skip }, async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 } });
    phone.setDefaultTimeout(10_000);
    const p = await phone.newPage();
    await p.goto(d.url);
    await password(p);
    await p.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    assert.ok((await sideways(p)) <= 0, 'the code step fits 360 px');
    await shot(p, '2fa-04-code-step-phone');
    await p.getByLabel('Code').fill(recovery[0]!);
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await p.goto(`${d.url}/#/account`);
    await p.getByText('9 recovery codes left').waitFor();
    assert.ok((await sideways(p)) <= 0, 'My account fits 360 px');
    await shot(p, '2fa-05-account-phone');
    await phone.close();
  });

  it('turning it off needs the password and a code; then sign-in asks only for the password', { skip }, async () => {
    await page.goto(`${d.url}/#/account`);
    await page.getByRole('heading', { name: 'Two-factor' }).waitFor();
    nextStep();
    const off = page.getByRole('form', { name: 'Turn off the authenticator' });
    await off.getByLabel('Password').fill(OWNER.password);
    await off.getByLabel('Code or recovery code').fill(code());
    await off.getByRole('button', { name: 'Turn off' }).click();
    await page.getByText('The authenticator is off').waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator' }).waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await password(page);
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Two-factor sign-in' }).count(), 0);
  });
});
