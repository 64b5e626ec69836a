/** Failed-login counters and the login log (part of 0002); failures by time for sliding windows (0014). */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0002_credentials',
    needs: ['0001_accounts'],
    async up(db) {
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
    id: '0014_login_windows',
    needs: ['0002_credentials'],
    async up(db) {
      // One row per counted failure (per address bucket, per device cookie): the limits count
      // those within the last minute or day, a window that slides rather than a clock minute.
      await db.schema
        .createTable('rate_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('rate_events_key_at').on('rate_events').columns(['key', 'at']).execute();
      await db.schema.createIndex('rate_events_at').on('rate_events').column('at').execute();
      // The clock-minute and clock-day counters of the addresses are replaced by these.
      await db.deleteFrom('rate_counters').where('key', 'like', 'ip:%').execute();
    },
  },
];
