/** The record of issued role tokens (part of 0002), and their labels (0004). */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0002_credentials',
    needs: ['0001_accounts'],
    async up(db) {
      // Role tokens are stateless; this records them so they can be listed and revoked early.
      await db.schema
        .createTable('role_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('chain_started_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
    },
  },
  {
    id: '0004_role_token_labels',
    needs: ['0002_credentials'],
    async up(db) {
      // What a role token is for ("backup script"), so the owner can tell them apart.
      await db.schema
        .alterTable('role_tokens')
        .addColumn('label', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    },
  },
];
