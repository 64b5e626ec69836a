/**
 * A PostgreSQL schema of its own for each test, on the server at 127.0.0.1:5432 (database test).
 * Without a server the tests skip with a notice, except on CI, where they must run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_BASE = process.env.HEARTH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | null = null;
export function pgReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 10000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  })();
  return reachable;
}

/** Skip reason for PostgreSQL tests, or null when they can run. Throws on CI without a server. */
export async function pgSkip(): Promise<string | false> {
  if (await pgReachable()) return false;
  if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${PG_BASE}, and CI must run the PostgreSQL tests`);
  const why = `PostgreSQL not reachable at ${PG_BASE}: PostgreSQL tests skipped`;
  console.log(`# NOTICE: ${why}`);
  return why;
}

/** A fresh schema; answers a connection URL that uses it and a function that drops it. */
export async function pgSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `hearth_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_BASE });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = `${PG_BASE}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}
