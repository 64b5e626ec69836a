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
  {
    id: '0012_provider_sessions',
    needs: ['0007_providers'],
    async up(db) {
      // Sessions at other providers (bonafide/user/authenticate with user@provider), one per
      // caller, provider and remote user; the remote token sealed (AES-256-GCM), never in clear.
      await db.schema
        .createTable('provider_sessions')
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('provider_sessions_pk', ['caller', 'provider'])
        .execute();
    },
  },
];
