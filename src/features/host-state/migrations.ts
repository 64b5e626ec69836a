/** The server's desired state (0006): settings, SSH keys, and crypt(3) hashes for system logins. */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0011_host_state',
    needs: ['0001_accounts'],
    async up(db) {
      await db.schema
        .createTable('host_settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('ssh_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('ssh_keys_scope_fingerprint', ['scope', 'fingerprint'])
        .execute();
      await db.schema
        .createTable('system_passwords')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('crypt_hash', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
