/**
 * Moving a store: every table of one store (SQLite or PostgreSQL) copied into another, empty one,
 * from a consistent snapshot of the source, in one transaction on the target, verified before it
 * commits. `hearth store copy --to URL` runs it; afterwards the owner switches `[store] url`.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Clock } from '../kernel/clock.js';
import { HearthError } from '../kernel/errors.js';
import type { Store } from './db.js';
import { migrate, type Migration } from './migrate.js';

/** What was copied of one table, and the checksum both sides agreed on. */
export interface TableCopy {
  table: string;
  rows: number;
  /** SHA-256 over the table's rows (each row's SHA-256 of its columns, sorted): equal on both sides. */
  checksum: string;
}

export interface CopyReport {
  from: string;
  to: string;
  /** Migrations the target was brought to before the copy. */
  migrations_applied: string[];
  tables: TableCopy[];
  rows: number;
}

export interface CopyProgress {
  table: string;
  /** Rows of this table written so far, and its total. */
  done: number;
  total: number;
  /** Rows of every table written so far, and the total. */
  allDone: number;
  allTotal: number;
}

export interface CopyOptions {
  migrations: readonly Migration[];
  skippedMigrations?: readonly string[];
  clock: Clock;
  /** Awaited: the copy goes on when it returns. */
  onProgress?: (p: CopyProgress) => void | Promise<void>;
  /** Rows per INSERT (bounded further by the number of columns). */
  batchSize?: number;
}

/** The runner's own table: the target keeps its own rows, made by its migrations. */
const MIGRATIONS_TABLE = 'hearth_migrations';
/** Bound parameters per statement: SQLite allows 32766, PostgreSQL 65535. */
const MAX_PARAMS = 30000;

// Tables are named at run time, so the copy works on rows as the driver gives them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
type Row = Record<string, unknown>;

const conflict = (message: string) => new HearthError('conflict', message);

async function tableNames(db: AnyDb, kind: Store['kind']): Promise<string[]> {
  const rows =
    kind === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
      : await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema()`.execute(db);
  return rows.rows.map((r) => r.name).sort();
}

/** Each table's columns, sorted by name. */
async function columnsOf(db: AnyDb, kind: Store['kind'], table: string): Promise<string[]> {
  const rows =
    kind === 'sqlite'
      ? await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db)
      : await sql<{
          name: string;
        }>`select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = ${table}`.execute(db);
  return rows.rows.map((r) => r.name).sort();
}

/** Tables each table references through a foreign key. */
async function references(db: AnyDb, kind: Store['kind'], tables: readonly string[]): Promise<Map<string, Set<string>>> {
  const refs = new Map(tables.map((t) => [t, new Set<string>()]));
  if (kind === 'sqlite') {
    for (const t of tables) {
      const rows = await sql<{ ref: string }>`select "table" as ref from pragma_foreign_key_list(${t})`.execute(db);
      for (const r of rows.rows) if (r.ref !== t) refs.get(t)!.add(r.ref);
    }
  } else {
    const rows = await sql<{ name: string; ref: string }>`
      select cl.relname as name, rf.relname as ref from pg_constraint c
      join pg_class cl on cl.oid = c.conrelid join pg_class rf on rf.oid = c.confrelid
      where c.contype = 'f' and c.connamespace = current_schema()::regnamespace`.execute(db);
    for (const r of rows.rows) if (r.ref !== r.name) refs.get(r.name)?.add(r.ref);
  }
  return refs;
}

/** Tables ordered so that every table comes after the tables it references. */
export function foreignKeyOrder(tables: readonly string[], refs: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: string) => {
    if (state.get(t) === 'done') return;
    if (state.get(t) === 'visiting') throw new Error(`foreign keys form a cycle through ${t}`);
    state.set(t, 'visiting');
    for (const r of [...(refs.get(t) ?? [])].sort()) if (tables.includes(r)) visit(r);
    state.set(t, 'done');
    order.push(t);
  };
  for (const t of tables) visit(t);
  return order;
}

const countOf = async (db: AnyDb, table: string): Promise<number> =>
  Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);

/** One value as both drivers agree on it: numbers as numbers, text as text, bytes as base64. */
function canonical(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('base64') };
  return v;
}

/** A table's checksum: each row hashed over its columns (by name), the row hashes sorted, hashed. */
export function checksumRows(rows: readonly Row[], columns: readonly string[]): string {
  const rowHashes = rows.map((r) =>
    createHash('sha256')
      .update(JSON.stringify(columns.map((c) => canonical(r[c]))))
      .digest('hex'),
  );
  rowHashes.sort();
  const h = createHash('sha256');
  for (const rh of rowHashes) h.update(rh);
  return h.digest('hex');
}

/** Tables of the target that hold rows (its own migrations table aside). */
async function nonEmptyTables(db: AnyDb, kind: Store['kind'], tables: readonly string[]): Promise<string[]> {
  const present = new Set(await tableNames(db, kind));
  const full: string[] = [];
  for (const t of tables) {
    if (t === MIGRATIONS_TABLE || !present.has(t)) continue;
    const n = await countOf(db, t);
    if (n > 0) full.push(`${t} (${n} rows)`);
  }
  return full;
}

const appliedIds = async (db: AnyDb): Promise<string[]> =>
  (await sql<{ id: string }>`select id from ${sql.table(MIGRATIONS_TABLE)} order by id`.execute(db)).rows.map((r) => r.id);

/**
 * Copies every table of `source` into `target`, which must hold no rows. The source is read in
 * one transaction (SQLite: a read transaction, whose snapshot writers of the running daemon do not
 * change; PostgreSQL: REPEATABLE READ, READ ONLY). The target is migrated first, then filled in
 * one transaction, tables in foreign-key order, in batches; each table's row count and checksum
 * are compared with the source's before it commits, so a failed copy leaves the target as it was
 * (migrated, empty).
 */
export async function copyStore(source: Store, target: Store, opts: CopyOptions): Promise<CopyReport> {
  const srcDb = source.db as AnyDb;
  // Refuse before touching anything: the migrations must not change a store that is not empty.
  const sourceTables = await tableNames(srcDb, source.kind);
  if (!sourceTables.includes(MIGRATIONS_TABLE)) {
    throw new HearthError('badRequest', `the source store (${source.location}) has no Hearth tables: nothing to copy`);
  }
  const full = await nonEmptyTables(target.db, target.kind, sourceTables);
  if (full.length) {
    throw conflict(`the target store (${target.location}) is not empty: ${full.join(', ')}. Copy into an empty database (or a new file); nothing was changed`);
  }
  const migrated = await migrate(target, opts.clock, opts.migrations, opts.skippedMigrations ?? []);

  const run = async (src: Transaction<unknown>): Promise<CopyReport> => {
    const s = src as AnyDb;
    const tables = (await tableNames(s, source.kind)).filter((t) => t !== MIGRATIONS_TABLE);
    const [fromIds, toIds] = [await appliedIds(s), await appliedIds(target.db as AnyDb)];
    const missing = toIds.filter((id) => !fromIds.includes(id));
    const unknown = fromIds.filter((id) => !toIds.includes(id));
    if (unknown.length) {
      throw new HearthError(
        'badRequest',
        `the source store has migrations this version does not know (${unknown.join(', ')}): copy it with the Hearth that made it`,
      );
    }
    if (missing.length) {
      throw new HearthError(
        'badRequest',
        `the source store lacks migrations (${missing.join(', ')}): start hearthd on it once with this version (or name the same [store] skipped_migrations), then copy`,
      );
    }
    const order = foreignKeyOrder(tables, await references(s, source.kind, tables));
    const totals = new Map<string, number>();
    for (const t of order) totals.set(t, await countOf(s, t));
    const allTotal = [...totals.values()].reduce((a, b) => a + b, 0);

    return (target.db as AnyDb).transaction().execute(async (tx) => {
      // Checked again inside the transaction: nobody filled it since.
      const again = await nonEmptyTables(tx, target.kind, order);
      if (again.length) throw conflict(`the target store (${target.location}) is not empty: ${again.join(', ')}`);
      const copied: TableCopy[] = [];
      let allDone = 0;
      for (const table of order) {
        const columns = await columnsOf(s, source.kind, table);
        const targetColumns = await columnsOf(tx, target.kind, table);
        if (columns.join() !== targetColumns.join()) {
          throw new HearthError('badRequest', `table ${table} differs between the stores (source: ${columns.join(', ')}; target: ${targetColumns.join(', ')})`);
        }
        const rows = (await sql<Row>`select * from ${sql.table(table)}`.execute(s)).rows;
        const total = totals.get(table)!;
        if (rows.length !== total) throw new Error(`table ${table}: ${rows.length} rows read, ${total} counted in the same snapshot`);
        const batch = Math.max(1, Math.min(opts.batchSize ?? 500, Math.floor(MAX_PARAMS / columns.length)));
        await opts.onProgress?.({ table, done: 0, total, allDone, allTotal });
        for (let i = 0; i < rows.length; i += batch) {
          const chunk = rows.slice(i, i + batch).map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
          await tx.insertInto(table).values(chunk).execute();
          allDone += chunk.length;
          await opts.onProgress?.({ table, done: Math.min(i + batch, rows.length), total, allDone, allTotal });
        }
        const checksum = checksumRows(rows, columns);
        const written = (await sql<Row>`select * from ${sql.table(table)}`.execute(tx)).rows;
        if (written.length !== total) throw new Error(`table ${table}: ${total} rows copied but ${written.length} in the target; nothing was committed`);
        const writtenSum = checksumRows(written, columns);
        if (writtenSum !== checksum) throw new Error(`table ${table}: the copied rows differ from the source's (checksum); nothing was committed`);
        copied.push({ table, rows: total, checksum });
      }
      return { from: source.location, to: target.location, migrations_applied: migrated.applied, tables: copied, rows: allTotal };
    });
  };

  return source.kind === 'postgres'
    ? srcDb
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (src) => {
          await sql`set transaction read only`.execute(src);
          return run(src);
        })
    : srcDb.transaction().execute(run);
}
