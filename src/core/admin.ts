/** The admin password (Swarm Bee's): its hash lives in config; `/auth` checks it under the login limits. */
import { verifyPassword } from '../auth/passwords.js';
import { HearthError } from '../errors.js';
import type { Hearth } from './hearth.js';
import { guarded, type Attempt } from './limits.js';

/** Answers when `password` is the admin password; else user:badLogin (or rateLimited). */
export async function checkAdminPassword(h: Hearth, password: string, from: Omit<Attempt, 'username' | 'accountId'>): Promise<void> {
  const hash = h.config.security.admin_password_hash;
  if (!hash) throw new HearthError('user:badLogin', 'no admin password is set: put a hash from "hearth admin hash-password" in [security] admin_password_hash');
  await guarded(
    h,
    { ...from, username: 'admin', accountId: 'admin' },
    async () => ((await verifyPassword(hash, password)) ? true : null),
    () => new HearthError('user:badLogin', 'wrong admin password'),
  );
}

