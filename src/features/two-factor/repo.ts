/** The second-factor tables: `two_factor`, `recovery_codes`, `two_factor_remember`. */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../../store/db.js';
import { countAll } from '../../store/db.js';
import type { PasskeysTable, TwoFactorTable } from '../../store/schema.js';

export type TwoFactorRow = Selectable<TwoFactorTable>;

export async function find(db: Db, accountId: string): Promise<TwoFactorRow | undefined> {
  return db.selectFrom('two_factor').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

/** Which of `accountIds` have an authenticator enabled. */
export async function enabledAmong(db: Db, accountIds: string[]): Promise<Set<string>> {
  if (accountIds.length === 0) return new Set();
  const rows = await db.selectFrom('two_factor').select('account_id').where('account_id', 'in', accountIds).where('totp_secret', 'is not', null).execute();
  return new Set(rows.map((r) => r.account_id));
}

export async function upsert(db: Db, accountId: string, values: Updateable<TwoFactorTable>): Promise<void> {
  await db
    .insertInto('two_factor')
    .values({
      account_id: accountId,
      totp_secret: null,
      totp_enabled_at: null,
      totp_last_step: null,
      pending_secret: null,
      pending_at: null,
      ...values,
    } as TwoFactorRow)
    .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
    .execute();
}

/**
 * Records `step` as used, only if it is later than the last one used: false when another
 * request took this step (or a later one) first, so a code is accepted once.
 */
export async function useStep(db: Db, accountId: string, step: number): Promise<boolean> {
  const r = await db
    .updateTable('two_factor')
    .set({ totp_last_step: step })
    .where('account_id', '=', accountId)
    .where('totp_secret', 'is not', null)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

// ---- recovery codes ------------------------------------------------------------------------

export async function replaceRecoveryCodes(db: Db, accountId: string, rows: { id: string; code_hash: string }[], now: number): Promise<void> {
  await db.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
  if (rows.length)
    await db
      .insertInto('recovery_codes')
      .values(rows.map((r) => ({ ...r, account_id: accountId, created_at: now, used_at: null })))
      .execute();
}

export async function deleteRecoveryCodes(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
}

/** Spends the unused code with this hash: true when this call spent it. */
export async function spendRecoveryCode(db: Db, accountId: string, codeHash: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function recoveryCodesLeft(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return countAll(row.n);
}

// ---- remember-this-device tokens -----------------------------------------------------------

export async function insertRemember(
  db: Db,
  row: { token_hash: string; account_id: string; device: string; stamp: string; created_at: number; expires_at: number },
) {
  await db.deleteFrom('two_factor_remember').where('account_id', '=', row.account_id).where('device', '=', row.device).execute();
  await db.insertInto('two_factor_remember').values(row).execute();
}

export async function findRemember(db: Db, tokenHash: string) {
  return db.selectFrom('two_factor_remember').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function deleteRemembers(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom('two_factor_remember').where('account_id', '=', accountId).execute();
}

// ---- passkeys --------------------------------------------------------------------------------

export type PasskeyRow = Selectable<PasskeysTable>;

export async function passkeysOf(db: Db, accountId: string): Promise<PasskeyRow[]> {
  return db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
}

export async function countPasskeys(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('passkeys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return countAll(row.n);
}

export async function passkeyById(db: Db, id: string): Promise<PasskeyRow | undefined> {
  return db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertPasskey(db: Db, row: PasskeyRow): Promise<void> {
  await db.insertInto('passkeys').values(row).execute();
}

export async function usePasskey(db: Db, id: string, counter: number, now: number): Promise<void> {
  await db.updateTable('passkeys').set({ counter, last_used_at: now }).where('id', '=', id).execute();
}

export async function deletePasskey(db: Db, accountId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('passkeys').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function insertChallenge(db: Db, row: { challenge: string; purpose: string; account_id: string | null; expires_at: number }, now: number) {
  await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
  await db.insertInto('webauthn_challenges').values(row).execute();
}

/** Spends a live challenge of `purpose` (and of `accountId`, where given): true when this call spent it. */
export async function spendChallenge(db: Db, challenge: string, purpose: string, accountId: string | null, now: number): Promise<boolean> {
  let q = db.deleteFrom('webauthn_challenges').where('challenge', '=', challenge).where('purpose', '=', purpose).where('expires_at', '>', now);
  q = accountId === null ? q.where('account_id', 'is', null) : q.where('account_id', '=', accountId);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
