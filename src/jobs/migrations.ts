/** The `jobs` table: long actions with their state, progress and a bounded log tail; then the replica that runs each, and its heartbeat. */
import { sql } from 'kysely';
import type { MigrationPart } from '../store/migrate.js';

export const MIGRATIONS: readonly MigrationPart[] = [
  {
    id: '0010_jobs',
    async up(db) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('progress', 'integer')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('log', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('error', 'text')
        .addColumn('result', 'text')
        .execute();
      await db.schema.createIndex('jobs_by_created').on('jobs').column('created_at').execute();
      // One job of a kind at a time, on every replica sharing the store: a second insert fails.
      await db.schema
        .createIndex('jobs_one_active_per_kind')
        .on('jobs')
        .column('kind')
        .unique()
        .where(sql.ref('status'), 'in', [sql.lit('queued'), sql.lit('running')])
        .execute();
    },
  },
  {
    id: '0013_job_replicas',
    async up(db) {
      // Which daemon runs a job, and when it last said so: a starting replica fails only the
      // jobs of daemons that stopped beating, not those another live replica runs.
      await db.schema.alterTable('jobs').addColumn('replica', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('heartbeat_at', 'bigint').execute();
    },
  },
];
