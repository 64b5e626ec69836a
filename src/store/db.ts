/**
 * The store: one schema over the embedded SQLite file (default) or PostgreSQL, through Kysely.
 * Drivers are loaded only for the kind in use, so the SQLite default never loads `pg`.
 */
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import { ConfigError, inHome } from '../kernel/config.js';
import type { Database } from './schema.js';

/**
 * The store's query builder. A transaction is one too (Kysely's Transaction extends Kysely), so
 * repository functions take a `Db` and run alike inside or outside a transaction.
 */
export type Db = Kysely<Database>;

/** `count(*)` as a number (PostgreSQL answers bigint counts as text). */
export const countAll = (n: number | string | bigint): number => Number(n);

/** Milliseconds since the epoch → ISO 8601, keeping null. */
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export type StoreKind = 'sqlite' | 'postgres';

/** A value now or later: SQLite answers the per-request reads synchronously, PostgreSQL with a promise. */
export type MaybePromise<T> = T | Promise<T>;

/** `f(value)` now if `value` is here, else once it is: keeps a synchronous path free of promises. */
export function then<T, R>(value: MaybePromise<T>, f: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

export interface Store {
  kind: StoreKind;
  /** Where it lives, safe to show (no password). */
  location: string;
  db: Kysely<Database>;
  /**
   * Runs one read-only statement, kept prepared, outside any transaction, seeing committed rows
   * only: the path for the lookups every request makes. SQLite: a second, read-only connection
   * (WAL lets it read while the writer writes), answering synchronously — no promise, no queue
   * behind Kysely's one connection; a repeat is answered from memory until any commit (see
   * ReadCache), so the rows are frozen and shared. PostgreSQL: one round trip on the pool, as a
   * named prepared statement (parsed and planned once per connection).
   */
  read<O>(sqlText: string, params: readonly unknown[]): MaybePromise<O[]>;
  /** The first row of `read`, or undefined. */
  readFirst<O>(sqlText: string, params: readonly unknown[]): MaybePromise<O | undefined>;
  /** SQLite: how long a statement waits for another process's lock (no-op on PostgreSQL). */
  setBusyTimeout(ms: number): void;
  close(): Promise<void>;
}

export interface StoreTarget {
  kind: StoreKind;
  /** File path for SQLite, connection string for PostgreSQL. */
  target: string;
}

/** Reads `[store] url`: empty → `hearth.db` in the home. Throws a ConfigError for other schemes. */
export function storeTarget(url: string, home: string): StoreTarget {
  if (url === '') return { kind: 'sqlite', target: inHome(home, 'hearth.db') };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new ConfigError('[store] url: sqlite: needs a file path, e.g. sqlite:/var/lib/hearth/hearth.db');
    return { kind: 'sqlite', target: inHome(home, path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', target: url };
  throw new ConfigError(`[store] url: expected empty, sqlite:PATH or postgres://…, got ${JSON.stringify(url.split(':')[0] + ':…')}`);
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}

/** Statements kept prepared, by SQL text; the least recently used goes first. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew, which costs SQLite more than running an indexed lookup does.
 * Statements are kept by their SQL text instead (the parameters are bound on each run). Safe to
 * share: Kysely runs one query at a time on the connection, and SQLite re-prepares a statement
 * by itself when the schema changes under it.
 */
function withStatementCache(file: import('better-sqlite3').Database): { close(): void; prepare(sqlText: string): import('better-sqlite3').Statement } {
  const statements = new Map<string, ReturnType<typeof file.prepare>>();
  return {
    close: () => file.close(),
    prepare(sqlText) {
      let stmt = statements.get(sqlText);
      if (stmt) {
        statements.delete(sqlText);
      } else {
        stmt = file.prepare(sqlText);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(sqlText, stmt);
      return stmt;
    },
  };
}

/** How many answers the read cache keeps, and the most rows one answer may have to be kept. */
const READ_CACHE_ENTRIES = 2048;
const READ_CACHE_MAX_ROWS = 64;

/**
 * Answers of read-only statements, by statement and parameters, kept while the store's data
 * version stays the same and all dropped at once when it moves. Answers are frozen: callers share them.
 */
class ReadCache {
  private version: unknown = undefined;
  private size = 0;
  /** Per shape of answer (all rows, or the first), per statement, per parameters. */
  private readonly byStatement = { all: new Map<string, Map<string, unknown>>(), first: new Map<string, Map<string, unknown>>() };
  private dataVersion: { get(): unknown } | null = null;

  constructor(private readonly openDataVersion: () => { get(): unknown }) {}

  get(shape: 'all' | 'first', sqlText: string, params: readonly unknown[], read: () => unknown): unknown {
    const current = (this.dataVersion ??= this.openDataVersion()).get();
    if (current !== this.version) this.clear(current);
    const statements = this.byStatement[shape];
    let answers = statements.get(sqlText);
    if (!answers) statements.set(sqlText, (answers = new Map()));
    const key = params.length === 1 && typeof params[0] === 'string' ? params[0] : JSON.stringify(params);
    const known = answers.get(key);
    if (known !== undefined) return known;
    const answer = read();
    // Nothing found is not kept (an unknown token costs a read, never memory).
    if (answer === undefined || (Array.isArray(answer) && answer.length > READ_CACHE_MAX_ROWS)) return answer;
    if (this.size >= READ_CACHE_ENTRIES) this.clear(current);
    answers.set(key, deepFreeze(answer));
    this.size++;
    return answer;
  }

  private clear(version: unknown): void {
    for (const answers of this.byStatement.all.values()) answers.clear();
    for (const answers of this.byStatement.first.values()) answers.clear();
    this.size = 0;
    this.version = version;
  }
}

function deepFreeze<T>(value: T): T {
  if (Array.isArray(value)) value.forEach(deepFreeze);
  return Object.freeze(value);
}

export interface OpenOptions {
  /** SQLite busy timeout in ms; migrations use 0 so a locked file is retried without blocking. */
  busyTimeoutMs?: number;
}

export async function openStore(t: StoreTarget, opts: OpenOptions = {}): Promise<Store> {
  if (t.kind === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    const file = new SQLite(t.target, { timeout: opts.busyTimeoutMs ?? 1000 });
    try {
      // WAL with synchronous=NORMAL: a commit is in the WAL (the OS's cache) before it is
      // acknowledged, so a killed or crashed hearthd loses nothing it answered (the crash test
      // kills it mid-write); only a power loss or kernel crash may lose the last commits, never
      // corrupt the file. synchronous=FULL would close that gap at an fsync per commit.
      file.pragma('journal_mode = WAL');
      file.pragma('synchronous = NORMAL');
      file.pragma('foreign_keys = ON');
    } catch (err) {
      file.close();
      throw err;
    }
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(file) }) });
    let busyMs = opts.busyTimeoutMs ?? 1000;
    let readerFile: import('better-sqlite3').Database | null = null;
    let reader: ReturnType<typeof withStatementCache> | null = null;
    // Opened on first use: by then migrations have made the file and its WAL.
    const openReader = () => {
      readerFile ??= new SQLite(t.target, { readonly: true, fileMustExist: true, timeout: busyMs });
      return (reader ??= withStatementCache(readerFile));
    };
    // The per-request reads, answered from memory while no connection — the daemon's writer, or
    // any other process — has committed anything since: SQLite's data_version says so exactly, at
    // a fraction of a read's cost. A revoked token is therefore refused on the very next request.
    const answers = new ReadCache(() => openReader().prepare('pragma data_version').pluck());
    return {
      kind: 'sqlite',
      location: t.target,
      db,
      read<O>(sqlText: string, params: readonly unknown[]) {
        return answers.get('all', sqlText, params, () => openReader().prepare(sqlText).all(params)) as O[];
      },
      readFirst<O>(sqlText: string, params: readonly unknown[]) {
        return answers.get('first', sqlText, params, () => openReader().prepare(sqlText).get(params)) as O | undefined;
      },
      setBusyTimeout: (ms: number) => {
        busyMs = Math.floor(ms);
        file.pragma(`busy_timeout = ${busyMs}`);
        readerFile?.pragma(`busy_timeout = ${busyMs}`);
      },
      close: async () => {
        reader?.close();
        await db.destroy();
      },
    };
  }
  const pg = (await import('pg')).default;
  pg.types.setTypeParser(20, (v: string) => Number(v)); // bigint columns hold ms timestamps
  const pool = new pg.Pool({ connectionString: t.target, max: 10, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {}); // an idle client's broken connection is replaced on next use
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Statement names by SQL text: each connection parses and plans a statement once, on its first use there.
  const names = new Map<string, string>();
  const prepared = (text: string, params: readonly unknown[]) => {
    let name = names.get(text);
    if (name === undefined) names.set(text, (name = `hearth_read_${names.size + 1}`));
    return { name, text, values: params as unknown[] };
  };
  // Fail now, not on the first request, when the server does not answer.
  await sql`select 1`.execute(db).catch(async (err) => {
    await db.destroy();
    throw err;
  });
  return {
    kind: 'postgres',
    location: redactUrl(t.target),
    db,
    read: async <O>(sqlText: string, params: readonly unknown[]) => (await pool.query(prepared(sqlText, params))).rows as O[],
    readFirst: async <O>(sqlText: string, params: readonly unknown[]) => (await pool.query(prepared(sqlText, params))).rows[0] as O | undefined,
    setBusyTimeout: () => {},
    close: () => db.destroy(),
  };
}

/**
 * A query built and compiled once per store, then run with new parameters: for the lookups every
 * authenticated request makes, where building and compiling a query costs more than running it.
 * `build` must turn its arguments into the query's parameters, in order (checked on first use).
 */
export function compiledOnce<P extends unknown[], O>(build: (db: Kysely<Database>, ...params: P) => { compile(): CompiledQuery<O> }) {
  const texts = new WeakMap<Store, string>();
  const textFor = (store: Store, params: P): string => {
    let text = texts.get(store);
    if (text === undefined) {
      const compiled = build(store.db, ...params).compile();
      if (compiled.parameters.length !== params.length || compiled.parameters.some((v, i) => v !== params[i])) {
        throw new Error("compiledOnce: the query's parameters must be its arguments, in order");
      }
      text = compiled.sql;
      texts.set(store, text);
    }
    return text;
  };
  const all = (store: Store, ...params: P): MaybePromise<O[]> => store.read<O>(textFor(store, params), params);
  /** The first row only (the statement should ask for one: by a unique key). */
  all.first = (store: Store, ...params: P): MaybePromise<O | undefined> => store.readFirst<O>(textFor(store, params), params);
  return all;
}

/**
 * Rows of `table` in the SQLite file at `path`, read-only (nothing is written, not even its WAL
 * mode); null when the file or the table is absent or cannot be read.
 */
export async function rowsInSqliteFile(path: string, table: string): Promise<number | null> {
  const { default: SQLite } = await import('better-sqlite3');
  let file: import('better-sqlite3').Database | null = null;
  try {
    file = new SQLite(path, { readonly: true, fileMustExist: true, timeout: 1000 });
    const row = file.prepare(`select count(*) as n from "${table.replace(/"/g, '""')}"`).get() as { n: number };
    return Number(row.n);
  } catch {
    return null;
  } finally {
    file?.close();
  }
}

/** Narrows a query to the rows of one account, or of the server owner (`account_id` null). */
export function ownedBy<T extends { where(column: 'account_id', op: 'is' | '=', value: string | null): unknown }>(q: T, accountId: string | null): T {
  return (accountId === null ? q.where('account_id', 'is', null) : q.where('account_id', '=', accountId)) as T;
}
