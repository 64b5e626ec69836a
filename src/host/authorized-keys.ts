/**
 * OpenSSH `authorized_keys` files: one per user in a configured directory, named after the user
 * (sshd's `AuthorizedKeysFile /etc/ssh/authorized_keys.d/%u`), written whole and atomically with
 * mode 0600. Only files that start with Hearth's header are ever removed.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { fileInDir, removeLeftoverTemps, writeFileAtomic } from './files.js';

export const HEADER = '# Written by hearthd: changes made here are overwritten.';

export interface AuthorizedKeysWriter {
  readonly dir: string;
  /** Writes the user's file (removes it when `lines` is empty). */
  write(username: string, lines: readonly string[]): Promise<void>;
  /** Writes every user's file and removes Hearth's files of users no longer listed. */
  sync(byUser: ReadonlyMap<string, readonly string[]>): Promise<void>;
}

export class AuthorizedKeysDir implements AuthorizedKeysWriter {
  constructor(readonly dir: string) {}

  async write(username: string, lines: readonly string[]): Promise<void> {
    const path = fileInDir(this.dir, username, 'username');
    for (const line of lines) {
      if (/[\r\n\0]/.test(line)) throw new Error('an authorized_keys line cannot hold a line break or NUL');
    }
    if (lines.length === 0) {
      if (await isOurs(path)) await rm(path, { force: true });
      return;
    }
    await writeFileAtomic(path, `${HEADER}\n${lines.join('\n')}\n`, 0o600);
  }

  async sync(byUser: ReadonlyMap<string, readonly string[]>): Promise<void> {
    await removeLeftoverTemps(this.dir);
    for (const [user, lines] of byUser) await this.write(user, lines);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.') || byUser.has(name)) continue;
      const path = fileInDir(this.dir, name, 'file');
      if (await isOurs(path)) await rm(path, { force: true });
    }
  }
}

async function isOurs(path: string): Promise<boolean> {
  try {
    return (await readFile(path, 'utf8')).startsWith(HEADER);
  } catch {
    return false;
  }
}
