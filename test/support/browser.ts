/** What the browser tests share: where Chromium is, how it is launched, when the tests skip. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/kernel/paths.js';

export const CHROMIUM = process.env.HEARTH_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Headless, no network beyond the daemon, no first-run or background work. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SHOTS = join(PACKAGE_ROOT, 'test-artifacts', 'console');

/** Skips without Chromium (with a NOTICE line), except on CI, where the browser tests must run. */
export function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI) throw new Error(`Chromium is not installed at ${CHROMIUM}, and CI must run the browser tests (.ci/run installs it)`);
  const why = `Chromium not found at ${CHROMIUM}: browser tests skipped`;
  console.log(`# NOTICE: ${why}`);
  return why;
}
