/**
 * The console's Vault page in Chromium: an account creates its vault in the browser (keys made
 * with WebCrypto, the master password never sent), then a Bitwarden client logs in over HTTP with
 * the same master password and opens the keys; the maintainer's table shows the vault (counts
 * only) and deletes it. Screenshots go to test-artifacts/console/.
 *
 * Without Chromium the suite is skipped with a NOTICE line, except on CI, where it must run.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { decrypt, masterKey, masterPasswordHash, splitKey, stretch, type Registration } from '../../src/vault-client/crypto.js';
import { call, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { VaultClient } from '../support/vault-harness.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip, SHOTS } from '../support/browser.js';

const OWNER = { username: 'olivia', password: 'olivia-password' };
const BOB = { username: 'bob', password: 'bob-password' };
const MASTER = 'a master password only bob knows';

describe("the console's vault page in Chromium", async () => {
  const skip = chromiumSkip();
  let d: InProcessDaemon;
  let browser: Browser;
  let bob: VaultClient;
  /** Every request body the browser sent, to show the master password is never among them. */
  const sent: string[] = [];

  before(async () => {
    if (skip) return;
    mkdirSync(SHOTS, { recursive: true });
    d = await startInProcess();
    for (const u of [OWNER, BOB]) {
      const r = await call(d, 'bonafide/user/create', {
        username: u.username,
        pass: u.password,
        ...(u === BOB ? { role: 'consumer', full_name: 'Bob Builder' } : {}),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  const shot = async (p: Page, name: string) => {
    await p.evaluate(() => scrollTo(0, 0)); // the sticky top bar stays on top in a full-page shot
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };

  async function open(who: { username: string; password: string }, viewport = { width: 1200, height: 860 }) {
    const ctx = await browser.newContext({ viewport });
    ctx.setDefaultTimeout(20_000);
    const p = await ctx.newPage();
    p.on('request', (r) => sent.push(`${r.url()} ${r.postData() ?? ''}`));
    await p.goto(`${d.url}/#/vault`);
    await p.getByLabel('Username').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Vault', exact: true }).waitFor();
    return p;
  }

  it('an account without a vault creates one in the browser; the page then shows the HTTPS server URL', { skip }, async () => {
    const p = await open(BOB);
    await p.getByText('You have no vault yet').waitFor();
    await p.getByText('The master password cannot be recovered.').waitFor();
    await p.getByText('Argon2id is not offered in the browser').waitFor();
    assert.equal(await p.getByLabel('PBKDF2-SHA256 iterations').inputValue(), '600000', "Bitwarden's default");
    assert.equal(await p.getByRole('heading', { name: 'Vaults on this server' }).count(), 0, 'no admin table for a consumer');
    await shot(p, '20-vault-create');

    // Mistakes are caught before anything is sent.
    await p.getByLabel('Master password', { exact: true }).fill(MASTER);
    await p.getByLabel('Master password, again').fill(`${MASTER}!`);
    await p.getByLabel('PBKDF2-SHA256 iterations').fill('5000');
    await p.getByRole('button', { name: 'Create my vault' }).click();
    await p.getByRole('alert').filter({ hasText: 'The two master passwords differ.' }).waitFor();
    await p.getByLabel('Master password, again').fill(MASTER);
    await p.getByLabel('PBKDF2-SHA256 iterations').fill('100');
    await p.getByRole('button', { name: 'Create my vault' }).click();
    await p.getByRole('alert').filter({ hasText: 'Iterations must be a whole number from 5,000' }).waitFor();
    await shot(p, '21-vault-create-mistake');

    await p.getByLabel('PBKDF2-SHA256 iterations').fill('5000');
    // Held back for a moment, the last step shows its progress and the button waits.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await p.route('**/bitwarden/identity/accounts/register/finish', async (route) => {
      await held;
      await route.continue();
    });
    await p.getByRole('button', { name: 'Create my vault' }).click();
    await p.getByRole('status').filter({ hasText: 'Sending the encrypted keys to Hearth' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Create my vault' }).getAttribute('aria-busy'), 'true');
    await shot(p, '22-vault-create-progress');
    release();
    await p.getByText('Your vault is ready: bob@localhost.').waitFor();
    await p.getByText('PBKDF2-SHA256, 5,000 iterations').waitFor();
    const url = await p.locator('code[data-url]').getAttribute('data-url');
    const { tls } = (await call(d, 'core/status', {})).body.result;
    assert.equal(url, `${tls.url}/bitwarden`);
    await p.getByText(tls.ca_cert_fingerprint).waitFor();
    // Devices can trust this server: the download is the CA whose fingerprint the page shows.
    const href = await p.getByRole('link', { name: 'Download the CA certificate' }).getAttribute('href');
    const pem = await p.evaluate(async (h) => (await fetch(h!)).text(), href);
    assert.equal(`SHA256: ${new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase()}`, tls.ca_cert_fingerprint);
    await p.getByText('Android', { exact: true }).click();
    await p.getByText('Install a certificate', { exact: false }).waitFor();
    await shot(p, '23-vault-ready');

    assert.equal(sent.filter((s) => s.includes(MASTER)).length, 0, 'the master password never left the browser');
    assert.ok(sent.some((s) => s.includes('/bitwarden/identity/accounts/register/finish')));
    assert.doesNotMatch(d.logText(), new RegExp(MASTER));
    await p.context().close();
  });

  it('a Bitwarden client logs in over HTTP with the same master password and opens the browser-made keys', { skip }, async () => {
    const email = 'bob@localhost';
    const mk = await masterKey(MASTER, email, { kdfType: 0, iterations: 5000 });
    const hash = masterPasswordHash(mk, MASTER);
    bob = new VaultClient({ url: d.url, token: d.token }, email, { masterPasswordHash: hash } as Registration);
    const login = await bob.login();
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const userKey = decrypt(login.body.Key, stretch(mk));
    assert.equal(userKey.length, 64);
    const pkcs8 = decrypt(login.body.PrivateKey, splitKey(userKey));
    assert.equal(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).asymmetricKeyDetails?.modulusLength, 2048);
    // An item made with that user key round-trips through the server.
    bob = new VaultClient({ url: d.url, token: d.token }, email, { masterPasswordHash: hash, userKey } as Registration);
    await bob.login();
    const made = await bob.api('POST', '/api/ciphers', bob.loginCipher('Bank', 's3cret'));
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const sync = await bob.api('GET', '/api/sync');
    assert.equal(bob.dec(sync.body.ciphers[0].name), 'Bank');
    // A wrong master password is refused.
    const wrong = masterPasswordHash(await masterKey('not the master password', email, { kdfType: 0, iterations: 5000 }), 'not the master password');
    assert.equal((await bob.login(wrong)).status, 400);
  });

  it('the maintainer sees the vault in the table (counts, never contents) and deletes it; then the empty state', { skip }, async () => {
    const p = await open(OWNER);
    await p.getByText('You have no vault yet').waitFor();
    const table = p.getByRole('table', { name: 'Vaults' });
    await table.waitFor();
    const row = table.getByRole('row').filter({ hasText: 'bob@localhost' });
    await row.getByRole('cell', { name: 'PBKDF2-SHA256, 5000 iterations' }).waitFor();
    assert.equal(await row.getByRole('cell', { name: '1', exact: true }).count(), 1, 'one item');
    await row.getByRole('cell', { name: '2: linux, linux' }).waitFor(); // the two clients above
    assert.doesNotMatch(await p.content(), /2\.[A-Za-z0-9+/=]+\|/, 'no EncString on the page');
    await shot(p, '24-vault-admin');

    // At a phone's width the table fits the page, "Delete vault" included.
    for (const width of [360, 390]) {
      const phone = await open(OWNER, { width, height: 800 });
      await phone.getByRole('table', { name: 'Vaults' }).waitFor();
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `at ${width} px the vault page scrolls sideways by ${overflow}px`);
      const button = await phone.getByRole('button', { name: 'Delete the vault of bob' }).boundingBox();
      assert.ok(button && button.x >= 0 && button.x + button.width <= width, `at ${width} px "Delete vault" is on screen`);
      if (width === 360) await shot(phone, '27-phone-vault-admin');
      await phone.context().close();
    }

    // Dismissing the confirmation keeps the vault; accepting it deletes it.
    p.once('dialog', (dlg) => void dlg.dismiss());
    await p.getByRole('button', { name: 'Delete the vault of bob' }).click();
    assert.equal((await call(d, 'vault/accounts', {})).body.result.length, 1);
    p.once('dialog', (dlg) => {
      assert.match(dlg.message(), /Delete the vault of bob/);
      void dlg.accept();
    });
    await p.getByRole('button', { name: 'Delete the vault of bob' }).click();
    await p.getByText('Deleted the vault of bob.').waitFor();
    await p.getByText('No vaults yet').waitFor();
    await shot(p, '25-vault-admin-empty');
    assert.equal((await bob.login()).status, 400, 'the vault is gone');
    assert.deepEqual((await call(d, 'vault/accounts', {})).body.result, []);
    await p.context().close();
  });

  it('works at phone width', { skip }, async () => {
    const p = await open(OWNER, { width: 390, height: 844 });
    await p.getByText('No vaults yet').waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the vault page scrolls sideways by ${overflow}px`);
    await shot(p, '26-phone-vault');
    await p.context().close();
  });
});
