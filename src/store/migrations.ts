/**
 * Schema migrations, in order. Ids are permanent: `[store] skipped_migrations` names them.
 * Each runs once, in a transaction, on SQLite and PostgreSQL alike (Kysely's schema builder).
 */
import type { Kysely } from 'kysely';

export interface Migration {
  id: string;
  /** Migrations this one builds on: while one of them is skipped, this one is skipped too. */
  needs?: readonly string[];
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
  {
    id: '0002_credentials',
    needs: ['0001_accounts'],
    async up(db) {
      // The first account is the owner; 0/1 rather than a boolean so both engines agree.
      await db.schema.alterTable('accounts').addColumn('owner', 'integer', (c) => c.notNull().defaultTo(0)).execute();

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

      // Failed-login counters, in the store so replicas share them.
      await db.schema
        .createTable('rate_counters')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('reset_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('login_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('surface', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('success', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_attempts_at').on('login_attempts').column('at').execute();
      await db.schema.createIndex('login_attempts_account').on('login_attempts').columns(['account_id', 'address', 'success']).execute();
    },
  },
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
];
