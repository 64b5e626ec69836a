/**
 * The console's Keys and Providers pages and the dashboard's mail card, in Chromium: the key
 * pair's fingerprint as keys/list has it, the public key exported, the private key only after the
 * password is typed again, an import refused for the wrong address then accepted; a provider
 * refused without its fingerprint (shown to the owner), then added with it. At desktop width and
 * at 360 px, where no page scrolls sideways. Screenshots go to test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import type { Browser, Page } from 'playwright-core';
import { call, sessionAuth, startInProcess, waitFor, type InProcessDaemon } from '../support/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip, SHOTS } from '../support/browser.js';

const OWNER = { username: 'kim', password: 'kim-password-1' };

describe('the console: keys, mail and providers in Chromium', async () => {
  const skip = chromiumSkip();
  let d: InProcessDaemon;
  let browser: Browser;
  let page: Page;
  let fingerprint: string;

  before(async () => {
    if (skip) return;
    mkdirSync(SHOTS, { recursive: true });
    d = await startInProcess({ env: { HEARTH_MAIL_SMTP_HOST: '127.0.0.1', HEARTH_MAIL_SMTP_PORT: '1', HEARTH_MAIL_TIMEOUT: '1' } });
    assert.equal((await call(d, 'bonafide/user/create', { username: OWNER.username, pass: OWNER.password })).status, 200); // the global token needs no setup code
    const login = await call(d, 'bonafide/user/authenticate', { username: OWNER.username, pass: OWNER.password }, { noToken: true });
    const headers = sessionAuth(OWNER.username, login.body.result.token);
    await waitFor('the key pair', async () => {
      const own = (await call(d, 'keys/list', {}, { headers, noToken: true })).body.result[0];
      fingerprint = own?.fingerprint;
      return own?.status === 'found';
    });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    await page.goto(d.url);
    await page.getByLabel('Username').fill(OWNER.username);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('the dashboard shows the mail status: the key pair found, SMTP failed with the reason', { skip }, async () => {
    const mail = page.locator('[data-mail-status]');
    await mail.waitFor();
    assert.equal(await mail.getAttribute('data-mail-status'), 'failed');
    assert.match((await mail.textContent())!, /Key pair: found/);
    await page.getByText('ECONNREFUSED').waitFor();
    await shot(page, '20-dashboard-mail');
  });

  it('Keys: the fingerprint, the public key exported, the private key only with the password', { skip }, async () => {
    await page.goto(`${d.url}/#/keys`);
    await page.getByRole('heading', { name: 'Keys', exact: true }).waitFor();
    assert.equal(await page.locator('[data-fingerprint]').getAttribute('data-fingerprint'), fingerprint);
    await page.getByRole('button', { name: 'Export public key' }).click();
    await page.getByRole('textbox', { name: 'Public key', exact: true }).waitFor();
    assert.match(await page.getByRole('textbox', { name: 'Public key', exact: true }).inputValue(), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);

    await page.getByLabel('Your password').fill('not-the-password');
    await page.getByRole('button', { name: 'Export private key' }).click();
    await page.getByText('not the account').waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Private key' }).count(), 0);
    await page.getByLabel('Your password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Export private key' }).click();
    await page.getByRole('textbox', { name: 'Private key' }).waitFor();
    const armored = await page.getByRole('textbox', { name: 'Private key' }).inputValue();
    const key = await openpgp.readPrivateKey({ armoredKey: armored });
    assert.equal(key.getFingerprint().toUpperCase(), fingerprint);
    await openpgp.decryptKey({ privateKey: key, passphrase: OWNER.password });
    await shot(page, '21-keys');
  });

  it('Keys: a key for another address is refused with the reason; the right address imports it', { skip }, async () => {
    const { publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ email: 'lee@example.org' }],
      date: new Date(d.clock.now() - 60_000),
    });
    await page.getByLabel('Their address').fill('someone@example.org');
    await page.getByLabel('Public key (ASCII-armored)').fill(publicKey);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('do not include someone@example.org').waitFor();
    await page.getByLabel('Their address').fill('lee@example.org');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported the key of lee@example.org').waitFor();
    await page.getByRole('cell', { name: 'lee@example.org', exact: true }).waitFor();
    await shot(page, '22-keys-imported');
  });

  it("Providers: this server's fingerprint shown; a provider without its fingerprint refused, showing it; added with it", { skip }, async () => {
    const tls = (await call(d, 'core/status', {})).body.result.tls;
    await page.goto(`${d.url}/#/providers`);
    await page.getByRole('heading', { name: 'Providers', exact: true }).waitFor();
    await page.getByText(tls.ca_cert_fingerprint).first().waitFor();
    await page.getByLabel('Domain or https:// URL').fill(tls.url);
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.locator('.notice', { hasText: tls.ca_cert_fingerprint }).waitFor();
    await page.getByLabel('CA fingerprint (if asked)').fill(tls.ca_cert_fingerprint);
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.getByRole('cell', { name: 'localhost', exact: true }).waitFor();
    await shot(page, '23-providers');
  });

  it('at 360 px the dashboard, Keys and Providers do not scroll sideways', { skip }, async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    for (const [hash, heading] of [
      ['#/dashboard', 'Dashboard'],
      ['#/keys', 'Keys'],
      ['#/providers', 'Providers'],
    ] as const) {
      await page.goto(`${d.url}/${hash}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.waitForLoadState('networkidle');
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(sideways <= 0, `at 360 px ${heading} scrolls sideways by ${sideways}px`);
      await shot(page, `24-phone-${heading.toLowerCase()}`);
    }
  });
});
