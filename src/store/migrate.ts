/**
 * The migration runner. Each feature declares its migrations (its `migrations.ts`); the registry
 * joins them into one ordered list. Ids are permanent: `[store] skipped_migrations` names them.
 * Each runs once, in a transaction, on SQLite and PostgreSQL alike (Kysely's schema builder).
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../kernel/clock.js';
import type { Store } from './db.js';

/**
 * One feature's part of a migration. Parts with the same id run as one migration, in one
 * transaction, in the order the registry lists them: a migration that made several features'
 * tables at once keeps its id.
 */
export interface MigrationPart {
  id: string;
  /** Migrations this one builds on: while one of them is skipped, this one is skipped too. */
  needs?: readonly string[];
  // A migration sees the schema as it was at its time, not as today's table types say.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>): Promise<void>;
}

export interface Migration {
  id: string;
  needs: readonly string[];
  // A migration sees the schema as it was at its time, not as today's table types say.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>): Promise<void>;
}

/** Features' parts → migrations in id order; parts of one id run in the order given. */
export function joinMigrations(parts: readonly MigrationPart[]): Migration[] {
  const byId = new Map<string, MigrationPart[]>();
  for (const p of parts) byId.set(p.id, [...(byId.get(p.id) ?? []), p]);
  return [...byId.keys()].sort().map((id) => {
    const group = byId.get(id)!;
    return {
      id,
      needs: [...new Set(group.flatMap((p) => p.needs ?? []))],
      async up(db) {
        for (const p of group) await p.up(db);
      },
    };
  });
}

export const DISABLE_ALL = 'DISABLE_ALL';

export interface MigrationReport {
  applied: string[];
  skipped: string[];
  disabled: boolean;
}

/**
 * Runs the migrations not yet applied, each in its own transaction, in order. On PostgreSQL an
 * advisory lock makes replicas that start together take turns.
 */
export async function migrate(store: Store, clock: Clock, migrations: readonly Migration[], skipped: readonly string[] = []): Promise<MigrationReport> {
  if (skipped.includes(DISABLE_ALL)) return { applied: [], skipped: [], disabled: true };
  const report: MigrationReport = { applied: [], skipped: [], disabled: false };
  await store.db.connection().execute(async (conn) => {
    if (store.kind === 'postgres') await sql`select pg_advisory_lock(7070)`.execute(conn);
    try {
      await conn.schema
        .createTable('hearth_migrations')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .execute();
      const done = new Set((await conn.selectFrom('hearth_migrations').select('id').execute()).map((r) => r.id));
      for (const m of migrations) {
        if (done.has(m.id)) continue;
        if (skipped.includes(m.id) || m.needs.some((id) => !done.has(id))) {
          report.skipped.push(m.id);
          continue;
        }
        await conn.transaction().execute(async (tx) => {
          await m.up(tx);
          await tx.insertInto('hearth_migrations').values({ id: m.id, applied_at: clock.now() }).execute();
        });
        report.applied.push(m.id);
        done.add(m.id);
      }
    } finally {
      if (store.kind === 'postgres') await sql`select pg_advisory_unlock(7070)`.execute(conn);
    }
  });
  return report;
}
