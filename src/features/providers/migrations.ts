/** Known providers (0007): other Hearths (or Bitmask-style providers), their documents and pinned CAs. */
import type { MigrationPart } from '../../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0007_providers',
    async up(db) {
      // The provider document as fetched, and the CA certificate it was fetched under (pinned:
      // later connections trust that CA only, and a different one is refused until confirmed).
      await db.schema
        .createTable('providers')
        .addColumn('domain', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('ca_cert', 'text', (c) => c.notNull())
        .addColumn('ca_fingerprint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('refreshed_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
