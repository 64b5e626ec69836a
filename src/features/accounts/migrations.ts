/** The accounts table (0001), and the owner flag (part of 0002). */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
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
  {
    id: '0002_credentials',
    needs: ['0001_accounts'],
    async up(db) {
      // The first account is the owner; 0/1 rather than a boolean so both engines agree.
      await db.schema
        .alterTable('accounts')
        .addColumn('owner', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
];
