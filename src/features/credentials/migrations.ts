/** Login sessions and device tokens (part of 0002), and where a session came from (0005). */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0002_credentials',
    needs: ['0001_accounts'],
    async up(db) {
      // Stored credentials: login sessions and device tokens. Only the SHA-256 of a token is kept.
      await db.schema
        .createTable('credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
        .addColumn('name', 'text')
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('max_expires_at', 'bigint')
        .addColumn('csrf_hash', 'text')
        .execute();
      await db.schema.createIndex('credentials_account').on('credentials').columns(['account_id', 'kind']).execute();
    },
  },
  {
    id: '0005_session_origin',
    needs: ['0002_credentials'],
    async up(db) {
      // Where a session was opened from and by what client, so the owner can tell sessions apart.
      await db.schema.alterTable('credentials').addColumn('address', 'text').execute();
      await db.schema.alterTable('credentials').addColumn('user_agent', 'text').execute();
    },
  },
];
