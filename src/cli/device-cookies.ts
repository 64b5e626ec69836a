/**
 * The device cookies the CLI was given at password sign-ins (`bonafide/user/authenticate`), kept
 * in `$HEARTH_HOME/device-cookies.json` (0600) by server and account, and presented at the next
 * sign-in to that account there: a stranger's failures from the same address then do not lock
 * its owner out (the server's per-address limits spare a sign-in with a valid device cookie).
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceSlot } from '../auth/device-cookies.js';

export const DEVICE_COOKIES_FILE = 'device-cookies.json';

function load(file: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
  } catch {
    return {}; // none kept yet, or unreadable: the sign-in goes without one
  }
}

/** The slot for a sign-in as `username` at `server` (`local`, or a remote's URL). */
export function deviceSlotFor(home: string, server: string, username: string): DeviceSlot {
  const file = join(home, DEVICE_COOKIES_FILE);
  const key = `${server} ${username.trim().toLowerCase()}`;
  const kept = load(file)[key];
  return {
    presented: typeof kept === 'string' ? kept : undefined,
    issue(cookie) {
      const all = { ...load(file), [key]: cookie };
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, file);
    },
  };
}
