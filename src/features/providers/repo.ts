/** The `providers` table: known providers, their documents and pinned CAs. */
import type { Selectable } from 'kysely';
import type { Db } from '../../store/db.js';
import type { ProviderSessionsTable, ProvidersTable } from '../../store/schema.js';

export type ProviderRow = Selectable<ProvidersTable>;

export async function all(db: Db): Promise<ProviderRow[]> {
  return db.selectFrom('providers').selectAll().orderBy('domain').execute();
}

/** By its domain, or by the URL it was fetched from. */
export async function find(db: Db, name: string): Promise<ProviderRow | undefined> {
  return db
    .selectFrom('providers')
    .selectAll()
    .where((eb) => eb.or([eb('domain', '=', name), eb('url', '=', name)]))
    .executeTakeFirst();
}

export async function upsert(db: Db, row: ProviderRow): Promise<void> {
  await db
    .insertInto('providers')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('domain')
        .doUpdateSet({ url: row.url, document: row.document, ca_cert: row.ca_cert, ca_fingerprint: row.ca_fingerprint, refreshed_at: row.refreshed_at }),
    )
    .execute();
}

export async function remove(db: Db, domain: string): Promise<boolean> {
  const r = await db.deleteFrom('providers').where('domain', '=', domain).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export type ProviderSessionRow = Selectable<ProviderSessionsTable>;

export async function saveSession(db: Db, row: ProviderSessionRow): Promise<void> {
  await db
    .insertInto('provider_sessions')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['caller', 'provider']).doUpdateSet({ username: row.username, token: row.token, expires_at: row.expires_at, created_at: row.created_at }),
    )
    .execute();
}

export async function findSession(db: Db, caller: string, provider: string): Promise<ProviderSessionRow | undefined> {
  return db.selectFrom('provider_sessions').selectAll().where('caller', '=', caller).where('provider', '=', provider).executeTakeFirst();
}

export async function removeSessions(db: Db, provider: string): Promise<void> {
  await db.deleteFrom('provider_sessions').where('provider', '=', provider).execute();
}
