/**
 * The server's desired state: Hearth keeps it in its store (settings, SSH keys, and — only while
 * `[host] system_logins` is on — crypt(3) hashes) and publishes it whole to the host: the state
 * file the operating system's configuration reads, and one authorized_keys file per user.
 * Features change it through this module; each change is stored, then published.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encrypt as sha512Crypt, verify as sha512Verify } from 'unixcrypt';
import { newId } from '../../auth/secrets.js';
import { HearthError } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import type { AccountEvent } from '../../kernel/hooks.js';
import { hostOf, type HostState } from '../../host/index.js';
import { listAccounts } from '../accounts/service.js';
import * as repo from './repo.js';
import type { SshKeyRow } from './repo.js';

export type { SshKeyRow } from './repo.js';

/** The scope of root's keys (any other scope is an account's id). */
export const ROOT = 'root';

export interface SshSettings {
  enable: boolean;
  passwordAuthentication: boolean;
}
export interface AutoUpgrade {
  enable: boolean;
  allowReboot: boolean;
}

/** Each setting's default, before anyone sets it. */
const DEFAULTS = {
  ssh: { enable: true, passwordAuthentication: false } as SshSettings,
  autoUpgrade: { enable: true, allowReboot: false } as AutoUpgrade,
  timezone: 'Etc/UTC',
  services: {} as Record<string, boolean>,
};
type Settings = typeof DEFAULTS;

export async function getSetting<K extends keyof Settings>(h: Hearth, key: K): Promise<Settings[K]> {
  const raw = await repo.getSetting(h.store.db, key);
  if (raw === undefined) return DEFAULTS[key];
  const value = JSON.parse(raw) as Settings[K];
  return typeof DEFAULTS[key] === 'object' ? ({ ...(DEFAULTS[key] as object), ...(value as object) } as Settings[K]) : value;
}

/** Stores a setting, then publishes the state (503 before anything is stored when it cannot be published). */
export async function setSetting<K extends keyof Settings>(h: Hearth, key: K, value: Settings[K]): Promise<void> {
  await ensurePublishing(h);
  await repo.setSetting(h.store.db, key, JSON.stringify(value), h.clock.now());
  await publish(h);
}

// ---- SSH keys ------------------------------------------------------------------------------

export const keysOf = (h: Hearth, scope: string): Promise<SshKeyRow[]> => repo.keysOf(h.store.db, scope);

/** Stores a key; false when the scope has it already. Publishes the state when it was added. */
export async function addKey(h: Hearth, k: Omit<SshKeyRow, 'id' | 'created_at'>): Promise<boolean> {
  await ensurePublishing(h);
  const added = await repo.insertKey(h.store.db, { ...k, id: newId(), created_at: h.clock.now() });
  if (added) await publish(h);
  return added;
}

export async function deleteKey(h: Hearth, scope: string, fingerprint: string): Promise<boolean> {
  await ensurePublishing(h);
  const deleted = await repo.deleteKey(h.store.db, scope, fingerprint);
  if (deleted) await publish(h);
  return deleted;
}

// ---- publishing ----------------------------------------------------------------------------

const USERNAME = /^[a-z_][a-z0-9_]{0,31}$/;
const keyLine = (k: SshKeyRow) => (k.comment ? `${k.public_key} ${k.comment}` : k.public_key);

/** The whole desired state, as the state file holds it. */
export async function buildState(h: Hearth): Promise<HostState> {
  const db = h.store.db;
  const [accounts, keys, ssh, autoUpgrade, timezone, services] = await Promise.all([
    listAccounts(h),
    repo.allKeys(db),
    getSetting(h, 'ssh'),
    getSetting(h, 'autoUpgrade'),
    getSetting(h, 'timezone'),
    getSetting(h, 'services'),
  ]);
  const hashes = h.config.host.system_logins ? await repo.cryptHashes(db) : new Map<string, string>();
  const byScope = new Map<string, string[]>();
  for (const k of keys) byScope.set(k.scope, [...(byScope.get(k.scope) ?? []), keyLine(k)]);
  return {
    version: 1,
    generatedAt: new Date(h.clock.now()).toISOString(),
    domain: h.config.server.domain,
    timezone,
    autoUpgrade: { enable: autoUpgrade.enable, allowReboot: autoUpgrade.allowReboot },
    ssh: { enable: ssh.enable, passwordAuthentication: ssh.passwordAuthentication, rootKeys: byScope.get(ROOT) ?? [] },
    // Accounts are created with names the host accepts; one that is not (made before these rules) is left out.
    users: accounts
      .filter((a) => USERNAME.test(a.username))
      .map((a) => {
        const hash = hashes.get(a.id);
        return { username: a.username, isOwner: a.owner, sshKeys: byScope.get(a.id) ?? [], ...(hash ? { hashedPassword: hash } : {}) };
      }),
    services: Object.fromEntries(Object.entries(services).map(([id, enable]) => [id, { enable }])),
  };
}

/** Whether the host's state is published here: the state file's directory exists (Hearth never creates it). */
export async function publishing(h: Hearth): Promise<boolean> {
  try {
    return (await stat(dirname(hostOf(h).stateFile.path))).isDirectory();
  } catch {
    return false;
  }
}

const notPublishing = (h: Hearth) =>
  new HearthError(
    'unavailable',
    `the server's state cannot be written: the state file's directory ${dirname(hostOf(h).stateFile.path)} does not exist (set [host] state_file)`,
  );

/** 503 unless the state is published here: a change is refused before it is stored. */
export async function ensurePublishing(h: Hearth): Promise<void> {
  if (!(await publishing(h))) throw notPublishing(h);
}

const queues = new WeakMap<Hearth, Promise<unknown>>();

/**
 * Writes the state file and every authorized_keys file from the store, one publication at a
 * time (each reads the store when its turn comes, so the last one written is the newest).
 * 503 when the state file's directory does not exist.
 */
export function publish(h: Hearth): Promise<void> {
  const run = (queues.get(h) ?? Promise.resolve()).then(async () => {
    const host = hostOf(h);
    if (!(await publishing(h))) throw notPublishing(h);
    const state = await buildState(h);
    await host.stateFile.write(state);
    const files = new Map<string, string[]>([[ROOT, state.ssh.rootKeys]]);
    for (const u of state.users) files.set(u.username, u.sshKeys);
    await host.authorizedKeys.sync(files);
  });
  queues.set(
    h,
    run.catch(() => undefined),
  );
  return run;
}

// ---- accounts: the server's users ----------------------------------------------------------

/** A crypt(3) SHA-512 hash (`$6$`, 16 random salt characters, 5000 rounds), computed in-process. */
export function cryptSha512(password: string): string {
  const alphabet = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const salt = [...randomBytes(16)].map((b) => alphabet[b & 63]).join('');
  return sha512Crypt(password, `$6$${salt}`);
}

/**
 * Follows account changes: republishes the users, and while `[host] system_logins` is on keeps
 * each account's crypt(3) hash current (made when the password is set, or at the next login of
 * an account that has none yet). Only the account's own password makes one: a Bitwarden sign-in
 * carries a hash of the vault's master password, never a password. Registered once at start.
 */
export function followAccounts(h: Hearth): void {
  h.hooks.onAccount(async (e: AccountEvent) => {
    let changed = e.kind === 'created' || e.kind === 'deleted';
    if (h.config.host.system_logins && e.password !== undefined && e.kind !== 'deleted') {
      const current = await repo.cryptHashOf(h.store.db, e.accountId);
      if (e.kind !== 'login' || !current || !sha512Verify(e.password, current)) {
        await repo.setCryptHash(h.store.db, e.accountId, cryptSha512(e.password), h.clock.now());
        changed = true;
      }
    }
    if (changed && (await publishing(h))) await publish(h);
  });
}

/** At start: with system logins off, no crypt(3) hash is kept; publishes the state where it is published. */
export async function startHostState(h: Hearth): Promise<void> {
  if (!h.config.host.system_logins) await repo.clearCryptHashes(h.store.db);
  if (await publishing(h)) await publish(h);
}
