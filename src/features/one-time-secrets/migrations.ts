/** Pairing phrases, recovery tokens, invite codes, vault registration tokens (part of 0002). */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0002_credentials',
    needs: ['0001_accounts'],
    async up(db) {
      // Pairing phrases, recovery tokens and invite codes: hashed, spent by a conditional update.
      await db.schema
        .createTable('one_time_secrets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('uses_left', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('one_time_secrets_owner').on('one_time_secrets').columns(['kind', 'account_id']).execute();
    },
  },
];
