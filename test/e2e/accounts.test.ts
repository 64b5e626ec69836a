/**
 * The console's account pages in Chromium, at desktop and phone widths: invites (create with an
 * expiry, the link shown once, revoke), sign-up with an invite link where `[accounts]
 * registration = "invite"`, the sign-in log (everyone's for a maintainer, one's own otherwise),
 * and "Forgot password? Use a recovery phrase" on the sign-in page. Every page is checked for
 * sideways scrolling at 360 px. Screenshots go to test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { call, sessionAuth, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip, SHOTS } from '../support/browser.js';

const OWNER = { username: 'olivia', password: 'olivia-password' };
const PHONE = { viewport: { width: 360, height: 780 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

describe('the console: invites, sign-up, the sign-in log, recovery', async () => {
  const skip = chromiumSkip();
  let d: InProcessDaemon;
  let browser: Browser;
  let desk: BrowserContext;
  let page: Page;
  let inviteUrl = '';

  before(async () => {
    if (skip) return;
    mkdirSync(SHOTS, { recursive: true });
    d = await startInProcess({ env: { HEARTH_ACCOUNTS_REGISTRATION: 'invite' } });
    assert.equal((await call(d, 'bonafide/user/create', { username: OWNER.username, pass: OWNER.password })).status, 200);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    desk = await browser.newContext({ viewport: { width: 1200, height: 860 } });
    desk.setDefaultTimeout(10_000);
    page = await desk.newPage();
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const sideways = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  /** Buttons whose text does not fit them (cut off rather than wrapped). */
  const clipped = (p: Page) =>
    p.evaluate(() => [...document.querySelectorAll('button')].filter((b) => b.scrollWidth > b.clientWidth + 1).map((b) => b.textContent));
  async function signIn(p: Page, username: string, password: string) {
    await p.getByLabel('Username').fill(username);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
  }

  it('invites: create one with an expiry (its link shown once), list it, revoke another', { skip }, async () => {
    await page.goto(`${d.url}/#/invites`);
    await signIn(page, OWNER.username, OWNER.password);
    await page.getByRole('heading', { name: 'Invites', exact: true }).waitFor();
    await page.getByText('No open invites').waitFor();
    await page.getByLabel('Expires after').selectOption('86400');
    await page.getByRole('button', { name: 'Create invite' }).click();
    const code = (await page.locator('code.token').getAttribute('data-invite'))!;
    inviteUrl = (await page.locator('code.token').textContent())!;
    assert.equal(inviteUrl, `${d.url}/#invite=${encodeURIComponent(code)}`);
    const live = (await call(d, 'bonafide/invite/list')).body.result;
    assert.equal(live.length, 1);
    // Expires in a day, as chosen.
    assert.equal(Date.parse(live[0].expires_at) - Date.parse(live[0].created_at), 86_400_000);
    await page.getByRole('cell', { name: live[0].id.slice(0, 8), exact: true }).waitFor();
    await shot(page, '20-invites');

    // A second one, revoked from the page.
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Create invite' }).click();
    await page.locator('code.token').waitFor();
    await page
      .getByRole('button', { name: /^Revoke invite / })
      .nth(1)
      .waitFor();
    const ids = (await call(d, 'bonafide/invite/list')).body.result.map((i: { id: string }) => i.id);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Revoke invite ${ids[1].slice(0, 8)}` }).click();
    await page
      .getByRole('button', { name: /^Revoke invite / })
      .nth(1)
      .waitFor({ state: 'detached' });
    assert.deepEqual(
      (await call(d, 'bonafide/invite/list')).body.result.map((i: { id: string }) => i.id),
      [ids[0]],
    );
  });

  it('sign-up on a phone with the invite link: the code is filled in, the account is made and signed in', { skip }, async () => {
    const phone = await browser.newContext(PHONE);
    phone.setDefaultTimeout(10_000);
    try {
      const p = await phone.newPage();
      await p.goto(inviteUrl);
      await p.getByRole('heading', { name: 'Create your account' }).waitFor();
      assert.equal(await p.getByLabel('Invite code').inputValue(), decodeURIComponent(inviteUrl.split('#invite=')[1]!));
      await p.getByLabel('Username').fill('gina');
      await p.getByLabel('Full name').fill('Gina Guest');
      await p.getByLabel('Password', { exact: true }).fill('gina-password');
      await p.getByLabel('Password, again').fill('gina-password');
      assert.ok((await sideways(p)) <= 0, 'the sign-up page fits 360 px');
      assert.deepEqual(await clipped(p), []);
      await shot(p, '21-phone-sign-up');
      await p.getByRole('button', { name: 'Create account' }).click();
      await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
      assert.equal(await p.locator('.who-name').textContent(), 'Gina Guest');
      assert.ok(!p.url().includes('invite='), p.url());
      // The invite is spent: the link no longer works.
      assert.equal((await call(d, 'bonafide/invite/list')).body.result.length, 0);
      // Her own sign-in log: her sign-up's login, nobody else's.
      await p.goto(`${d.url}/#/log`);
      await p.getByRole('heading', { name: 'Sign-ins to your account' }).waitFor();
      await p.getByRole('cell', { name: 'gina' }).first().waitFor();
      assert.equal(await p.getByRole('cell', { name: OWNER.username }).count(), 0);
      assert.ok((await sideways(p)) <= 0, 'the log fits 360 px');
      await shot(p, '22-phone-own-log');
    } finally {
      await phone.close();
    }
  });

  it('the sign-in log: a maintainer sees every attempt, failed ones marked; "only failed" filters', { skip }, async () => {
    await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'gina', pass: 'not-her-password' });
    await page.getByRole('link', { name: 'Sign-ins' }).click();
    await page.getByRole('heading', { name: 'Every sign-in and failed attempt' }).waitFor();
    await page.locator('.badge', { hasText: 'Wrong password' }).first().waitFor();
    await page.getByRole('cell', { name: OWNER.username }).first().waitFor();
    await shot(page, '23-log');
    await page.getByLabel('Only failed attempts').check();
    await page.locator('.badge', { hasText: 'Signed in' }).first().waitFor({ state: 'detached' });
    assert.ok((await page.locator('.badge', { hasText: 'Wrong password' }).count()) >= 1);
  });

  it('"Forgot password? Use a recovery phrase": a new password from the phrase, then signed in; at 360 px', { skip }, async () => {
    const login = (await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'gina', pass: 'gina-password' })).body.result;
    const gina = sessionAuth('gina', login.token);
    const phrase = (await call({ url: d.url }, 'recovery/create', {}, { headers: gina })).body.result.token as string;

    const phone = await browser.newContext(PHONE);
    phone.setDefaultTimeout(10_000);
    try {
      const p = await phone.newPage();
      await p.goto(d.url);
      await p.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
      assert.ok((await sideways(p)) <= 0, 'the sign-in page fits 360 px');
      assert.deepEqual(await clipped(p), []);
      await shot(p, '24-phone-sign-in');
      await p.getByRole('button', { name: 'Forgot password? Use a recovery phrase' }).click();
      await p.getByRole('heading', { name: 'Recover your account' }).waitFor();
      // A wrong phrase says so.
      await p.getByLabel('Recovery phrase').fill('abandon '.repeat(17) + 'agent');
      await p.getByLabel('New password', { exact: true }).fill('gina-new-password');
      await p.getByLabel('New password, again').fill('gina-new-password');
      await p.getByRole('button', { name: 'Set password and sign in' }).click();
      await p.getByRole('alert').filter({ hasText: 'the recovery token is wrong' }).waitFor();
      await p.getByLabel('Recovery phrase').fill(phrase);
      assert.ok((await sideways(p)) <= 0, 'the recovery page fits 360 px');
      assert.deepEqual(await clipped(p), []);
      await shot(p, '25-phone-recover');
      await p.getByRole('button', { name: 'Set password and sign in' }).click();
      await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
      assert.equal(await p.locator('.who-name').textContent(), 'Gina Guest');
      // The old session ended; the new password works; only the console's own session is left.
      assert.equal((await call({ url: d.url }, 'core/whoami', {}, { headers: gina })).status, 401);
      assert.equal((await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'gina', pass: 'gina-new-password' })).status, 200);
      await p.goto(`${d.url}/#/account`);
      await p.getByText('this session').waitFor();
      await shot(p, '26-phone-account-after-recovery');
    } finally {
      await phone.close();
    }
  });

  it('sign-up with a typed invite code from the sign-in page; a wrong code says so', { skip }, async () => {
    const code = (await call(d, 'bonafide/invite/create', { expires_in: 3600 })).body.result.invitecode as string;
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 860 } });
    ctx.setDefaultTimeout(10_000);
    try {
      const p = await ctx.newPage();
      await p.goto(d.url);
      await p.getByRole('button', { name: 'No account yet? Sign up' }).click();
      await p.getByLabel('Invite code').fill('not-a-code');
      await p.getByLabel('Username').fill('hank');
      await p.getByLabel('Password', { exact: true }).fill('hank-password');
      await p.getByLabel('Password, again').fill('hank-password');
      await p.getByRole('button', { name: 'Create account' }).click();
      await p.getByRole('alert').filter({ hasText: 'the invite code is wrong' }).waitFor();
      await shot(p, '27-sign-up-wrong-code');
      await p.getByLabel('Invite code').fill(code);
      await p.getByRole('button', { name: 'Create account' }).click();
      await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
    } finally {
      await ctx.close();
    }
  });
});
