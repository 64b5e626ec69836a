/**
 * The console's jobs and backups pages in Chromium, at desktop width and on a 360 px phone:
 * a job's progress moves on the page without a reload (polling), its log opens; a repository is
 * set, a backup runs with the real restic from the page to its end, and its snapshot is listed.
 * Screenshots go to test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startJob, type JobContext } from '../../src/jobs/service.js';
import { call, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip, SHOTS } from '../support/browser.js';

const OWNER = { username: 'olivia', password: 'olivia-password' };
const VIEWPORTS = [
  { name: 'desktop', width: 1200, height: 860 },
  { name: 'phone', width: 360, height: 740 },
];

describe('the jobs and backups pages in Chromium', () => {
  const skip = chromiumSkip();
  let d: InProcessDaemon;
  let browser: Browser;
  const root = mkdtempSync(join(tmpdir(), 'hearth-e2e-backup-'));

  before(async () => {
    if (skip) return;
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'data', 'notes.txt'), 'keep me');
    d = await startInProcess({ toml: `[backup]\npaths = ["${join(root, 'data')}"]\n` });
    assert.equal((await call(d, 'bonafide/user/create', { username: OWNER.username, pass: OWNER.password })).status, 200);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const shot = async (p: Page, name: string) => {
    await p.evaluate(() => scrollTo(0, 0));
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };

  async function open(hash: string, viewport: { width: number; height: number }) {
    const ctx = await browser.newContext({ viewport });
    ctx.setDefaultTimeout(30_000);
    const p = await ctx.newPage();
    await p.goto(`${d.url}/#/${hash}`);
    await p.getByLabel('Username').fill(OWNER.username);
    await p.getByLabel('Password').fill(OWNER.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    return p;
  }

  const noSideScroll = (p: Page, width: number) =>
    p.evaluate((w) => document.documentElement.scrollWidth <= w, width).then((ok) => assert.ok(ok, `no sideways scrolling at ${width} px`));

  for (const vp of VIEWPORTS) {
    it(`jobs (${vp.name}): progress moves without a reload, the log opens`, { skip }, async () => {
      let release: () => void = () => {};
      let ctx!: JobContext;
      const job = await startJob(
        d.daemon.hearth,
        `demo-${vp.name}`,
        async (c) => {
          ctx = c;
          c.progress(40);
          c.log('copied the first half');
          await new Promise<void>((r) => (release = r));
        },
        { title: `Demo ${vp.name}` },
      );
      const p = await open('jobs', vp);
      await p.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
      const row = p.locator(`tr[data-job="${job.id}"]`);
      await row.getByText('40%').waitFor();
      await row.getByText('running').waitFor();
      ctx.progress(80);
      ctx.log('copied most of it');
      await row.getByText('80%').waitFor();
      await p.getByRole('button', { name: `Log of Demo ${vp.name}` }).click();
      await p.getByLabel('Job log').getByText('copied most of it').waitFor();
      await noSideScroll(p, vp.width);
      await shot(p, `40-jobs-${vp.name}`);
      release();
      await row.getByText('succeeded').waitFor();
      await row.getByText('100%').waitFor();
      await p.context().close();
    });
  }

  for (const vp of VIEWPORTS) {
    it(`backups (${vp.name}): set a local repository, back up from the page with restic, the snapshot is listed`, { skip }, async () => {
      const repo = join(root, `repo-${vp.name}`);
      const p = await open('backups', vp);
      await p.getByRole('heading', { name: 'Backups', exact: true }).waitFor();
      if (vp.name === 'desktop') await p.getByText('No repository set').waitFor();
      await p.getByRole('textbox', { name: 'Local path' }).fill(repo);
      await p.getByRole('button', { name: 'Use this path' }).click();
      await p.locator(`[data-repository="${repo}"]`).waitFor();
      await p.getByText('Ready (the first backup creates the repository)').waitFor();
      await noSideScroll(p, vp.width);
      await p.getByRole('button', { name: 'Back up now' }).click();
      const job = p.locator('[data-backup-job]');
      await job.getByText('succeeded').waitFor({ timeout: 60_000 });
      await p.locator('[data-backup-status="INITIALIZED"]').waitFor();
      const snapshots = (await call(d, 'backup/list')).body.result as { short_id: string }[];
      assert.equal(snapshots.length, 1);
      await p.locator(`tr[data-snapshot="${snapshots[0]!.short_id}"]`).waitFor();
      await p.getByRole('button', { name: `Restore snapshot ${snapshots[0]!.short_id}` }).waitFor();
      await noSideScroll(p, vp.width);
      await shot(p, `41-backups-${vp.name}`);
      await p.context().close();
    });
  }
});
