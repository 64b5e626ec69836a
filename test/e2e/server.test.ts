/**
 * The console's SSH keys and Server pages in Chromium, at desktop width and on a 360 px phone:
 * a maintainer adds and removes a key (from ssh-keygen), enables a service, sets the time zone and
 * applies the configuration as a job; what the pages did is in the state file and what the fake
 * host commands received. Screenshots go to test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { call, startInProcess, waitFor, type InProcessDaemon } from '../support/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip, SHOTS } from '../support/browser.js';
import { fakeHost, type FakeHost } from '../support/fake-host.js';
import { sshFingerprint, sshKeygen } from '../support/ssh-keys.js';

const OWNER = { username: 'olivia', password: 'olivia-password' };

describe('the console: SSH keys and the server', async () => {
  const skip = chromiumSkip();
  let d: InProcessDaemon;
  let f: FakeHost;
  let browser: Browser;

  before(async () => {
    if (skip) return;
    mkdirSync(SHOTS, { recursive: true });
    f = fakeHost();
    // Every volume is below a 100 % threshold, and one cannot be read: the dashboard shows both.
    d = await startInProcess({ toml: f.toml('volumes = ["/", "/no/such/volume"]\ndisk_warning = 100') });
    await call(d, 'bonafide/user/create', { username: OWNER.username, pass: OWNER.password });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const sideways = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  async function open(width: number): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width, height: 860 } });
    ctx.setDefaultTimeout(15_000);
    const p = await ctx.newPage();
    await p.goto(d.url);
    await p.getByLabel('Username').fill(OWNER.username);
    await p.getByLabel('Password').fill(OWNER.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
    return p;
  }

  const state = () => JSON.parse(readFileSync(f.stateFile, 'utf8'));

  it('Dashboard: each volume with its free space, and what needs attention', { skip }, async () => {
    const p = await open(1200);
    const disks = p.getByRole('region', { name: 'Disks' });
    const root = disks.getByRole('row').filter({ has: p.getByRole('cell', { name: '/', exact: true }) });
    await root.getByText('warning').waitFor();
    assert.match((await root.textContent()) ?? '', /[\d.]+ (KiB|MiB|GiB|TiB)/);
    const missing = disks.getByRole('row').filter({ has: p.getByRole('cell', { name: '/no/such/volume' }) });
    await missing.getByText('unknown').waitFor();
    await missing.getByText('no such directory (ENOENT)').waitFor();
    await p
      .getByRole('status')
      .filter({ hasText: 'Needs your attention' })
      .getByText(/^\/ is running out of room: .* free \(\d+ %\)$/)
      .waitFor();
    await shot(p, 'server-00-dashboard');
    await p.context().close();
  });

  it('SSH keys: add one, see its fingerprint, a bad one is refused with the reason, remove it', { skip }, async () => {
    const p = await open(1200);
    await p.goto(`${d.url}/#/ssh`);
    await p.getByRole('heading', { name: 'SSH keys', exact: true }).waitFor();
    await p.getByText('No SSH key').waitFor();
    const key = sshKeygen('ed25519', undefined, 'olivia@laptop');
    await p.getByLabel('Public key').fill(key);
    await p.getByRole('button', { name: 'Add key' }).click();
    await p.getByText(sshFingerprint(key)).waitFor();
    assert.deepEqual(state().users[0].sshKeys, [key]);
    await shot(p, '40-ssh-keys');
    await p.getByLabel('Public key').fill(sshKeygen('rsa', 1024));
    await p.getByRole('button', { name: 'Add key' }).click();
    await p.getByText('RSA keys need at least 2048 bits').waitFor();
    p.once('dialog', (dlg) => void dlg.accept());
    await p.getByRole('button', { name: `Remove the key ${sshFingerprint(key)}` }).click();
    await p.getByText('No SSH key').waitFor();
    assert.deepEqual(state().users[0].sshKeys, []);
    await p.context().close();
  });

  it('Server: enable a service, set the time zone, apply as a job', { skip }, async () => {
    f.states['gitea.service'] = 'active';
    const p = await open(1200);
    await p.goto(`${d.url}/#/server`);
    await p.getByRole('heading', { name: 'Server', exact: true }).waitFor();
    await p.getByRole('button', { name: 'Enable Gitea' }).click();
    await p.getByRole('button', { name: 'Disable Gitea' }).waitFor();
    assert.deepEqual(state().services.gitea, { enable: true });
    await p.getByRole('textbox', { name: 'Time zone' }).fill('Mars/Olympus');
    await p.getByRole('button', { name: 'Save' }).click();
    await p.getByText('is not an IANA time zone name').waitFor();
    await p.getByRole('textbox', { name: 'Time zone' }).fill('Europe/Berlin');
    await p.getByRole('button', { name: 'Save' }).click();
    await p.waitForFunction(() => !document.body.textContent?.includes('is not an IANA'));
    // The error goes as the save starts; the state file is written when it ends.
    await waitFor('the time zone in the state file', () => state().timezone === 'Europe/Berlin');
    await p.getByRole('button', { name: 'Apply now' }).click();
    await p.getByText(/Apply job [0-9a-f]{8}: succeeded/).waitFor();
    assert.deepEqual(f.calls('nixos-rebuild').at(-1), ['switch']);
    await shot(p, '41-server');
    await p.context().close();
  });

  it('both pages fit a 360 px phone', { skip }, async () => {
    await call(d, 'ssh/key/add', {
      public_key: sshKeygen('rsa', 4096, 'a-comment-long-enough-to-need-wrapping@a-rather-long-host-name.example'),
      username: OWNER.username,
    });
    const p = await open(360);
    for (const [hash, heading, name] of [
      ['#/ssh', 'SSH keys', '42-phone-ssh-keys'],
      ['#/server', 'Server', '43-phone-server'],
    ]) {
      await p.goto(`${d.url}/${hash}`);
      await p.getByRole('heading', { name: heading, exact: true }).waitFor();
      await p.waitForLoadState('networkidle');
      // With its table full: the keys, or every service's state.
      await p
        .getByText(hash === '#/ssh' ? 'a-comment-long-enough' : 'Nextcloud')
        .first()
        .waitFor();
      assert.ok((await sideways(p)) <= 0, `at 360 px ${heading} scrolls sideways by ${await sideways(p)}px`);
      await shot(p, name!);
    }
    await p.context().close();
  });
});
