/** The Bitwarden vault's tables (0003), and the index the sync pages by (0015). */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0003_vault',
    needs: ['0002_credentials'],
    async up(db) {
      // A Hearth account's Bitwarden vault: the keys its client made (wrapped; the server cannot
      // open them), the KDF settings the client uses, and the client's master-password hash
      // hashed again here (argon2id). The security stamp is the account's own.
      await db.schema
        .createTable('vault_users')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('kdf_type', 'integer', (c) => c.notNull())
        .addColumn('kdf_iterations', 'integer', (c) => c.notNull())
        .addColumn('kdf_memory', 'integer')
        .addColumn('kdf_parallelism', 'integer')
        .addColumn('akey', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('user_key_id', 'text')
        .addColumn('revision_date', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_sync_at', 'bigint')
        .execute();

      // One row per client device: its refresh token (SHA-256 only), rotated on every use, and
      // the security stamp it was issued under (a new stamp ends it).
      await db.schema
        .createTable('vault_devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'integer', (c) => c.notNull())
        .addColumn('refresh_hash', 'text', (c) => c.notNull().unique())
        .addColumn('stamp', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .addColumn('refresh_expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vault_devices_account').on('vault_devices').columns(['account_id', 'identifier']).unique().execute();

      await db.schema
        .createTable('vault_folders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('revision_date', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vault_folders_account').on('vault_folders').column('account_id').execute();

      // Ciphers as the client sent them: the type's data (EncStrings untouched) as JSON text.
      await db.schema
        .createTable('vault_ciphers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('folder_id', 'text')
        .addColumn('type', 'integer', (c) => c.notNull())
        .addColumn('favorite', 'integer', (c) => c.notNull())
        .addColumn('reprompt', 'integer', (c) => c.notNull())
        .addColumn('cipher_key', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revision_date', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute();
      await db.schema.createIndex('vault_ciphers_account').on('vault_ciphers').column('account_id').execute();
    },
  },
  {
    id: '0015_vault_cipher_pages',
    needs: ['0003_vault'],
    async up(db) {
      // The sync reads an account's ciphers a page at a time, by id: one index serves that and
      // every other by-account read.
      await db.schema.createIndex('vault_ciphers_account_id').on('vault_ciphers').columns(['account_id', 'id']).execute();
      await db.schema.dropIndex('vault_ciphers_account').execute();
    },
  },
];
