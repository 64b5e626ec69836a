/** OpenPGP keys (0006): each account's own key pair and the public keys it imported. */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0006_openpgp_keys',
    needs: ['0001_accounts'],
    async up(db) {
      // One row per (account, address, private): the account's own key pair, or another
      // address's public key. The private key is kept encrypted under the account's password.
      await db.schema
        .createTable('openpgp_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('private', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text')
        .addColumn('public_armor', 'text')
        .addColumn('private_armor', 'text')
        .addColumn('uids', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('algorithm', 'text')
        .addColumn('bits', 'integer')
        .addColumn('key_created_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('validation', 'text', (c) => c.notNull())
        .addColumn('refreshed_at', 'bigint', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('openpgp_keys_address').on('openpgp_keys').columns(['account_id', 'address', 'private']).unique().execute();
    },
  },
];
