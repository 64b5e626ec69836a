/**
 * Schema migrations, in order. Ids are permanent: `[store] skipped_migrations` names them.
 * Each runs once, in a transaction, on SQLite and PostgreSQL alike (Kysely's schema builder).
 */
import type { Kysely } from 'kysely';

export interface Migration {
  id: string;
  up(db: Kysely<any>): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: '0001_accounts',
    async up(db) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('full_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('security_stamp', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
