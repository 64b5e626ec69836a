/**
 * Backups with restic (SelfPrivacy's backup endpoints, and its lessons): the repository is a
 * local path or a Backblaze B2 bucket; its settings and password live in the home, mode 0600
 * (`backup/repository.json`, `backup/password`), and the B2 key is never answered back. Every
 * backup holds Hearth's own data — a consistent snapshot of the store (SQLite's online backup, or
 * `pg_dump`), the home's configuration and secrets — so a whole Hearth comes back on a new
 * machine with `hearth backup restore SNAPSHOT --home DIR` (a PostgreSQL store's dump loaded into
 * the empty database the restored configuration names), plus the `[backup] paths` (services'
 * data). Creating and restoring are jobs (one at a time; 409 while one runs); a restore stops the
 * `[backup] stop_units` first and starts them after, and is refused when the disk lacks room.
 */
import { cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { dirname, join, resolve as resolvePath, sep } from 'node:path';
import { randomToken } from '../../auth/secrets.js';
import { inHome, loadConfig } from '../../kernel/config.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { activeJob, startJob, type JobView } from '../../jobs/service.js';
import { writeFileAtomicSync } from '../../host/files.js';
import { pgDump, pgLoad, urlSchema } from '../../host/pg-dump.js';
import { describeRepository, Restic, ResticError, type Repository, type Snapshot } from '../../host/restic.js';
import { UnitCommands } from '../../host/service-control.js';
import { openStore, storeTarget } from '../../store/db.js';
import { snapshotSqlite } from '../../store/snapshot.js';

export type { Snapshot } from '../../host/restic.js';

const DIR = 'backup';
const REPO_FILE = 'repository.json';
const PASSWORD_FILE = 'password';
/** The directory, in the home, where Hearth's own data is gathered for a backup; its name marks a snapshot as Hearth's. */
export const STAGE = '.hearth-backup';
/** What is never copied from the home into a backup: the live store (its snapshot goes instead), run-time files, the stage itself. */
const NOT_COPIED = /^(hearth\.db(-wal|-shm|-journal)?|hearthd\.pid|hearthd\.log|\.hearth-backup|\.restore-.*|\.write-test-.*)$/;
const TAG = 'hearth';

interface Settings {
  repository: Repository;
  initialized: boolean;
}

const dirOf = (home: string) => join(home, DIR);
const passwordFile = (home: string) => join(dirOf(home), PASSWORD_FILE);

/** Writes a file with mode 0600, atomically (a temporary file, fsynced, renamed over it). */
function writeSecret(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(path, text, 0o600);
}

function readSettings(home: string): Settings | null {
  const file = join(dirOf(home), REPO_FILE);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as Settings;
}

function writeSettings(home: string, s: Settings): void {
  writeSecret(join(dirOf(home), REPO_FILE), `${JSON.stringify(s, null, 2)}\n`);
}

const homeOf = (h: Hearth) => h.options.home;

function resticFor(h: Hearth, s: Settings): Restic {
  return new Restic(h.config.backup.restic, s.repository, passwordFile(homeOf(h)));
}

function settingsOrFail(h: Hearth): Settings {
  const s = readSettings(homeOf(h));
  if (!s) throw badRequest('no backup repository is set: set one first (backup/configure, or PUT /services/restic/backblaze/config)');
  return s;
}

// ---- settings ----------------------------------------------------------------------------

export interface RepositoryView {
  configured: boolean;
  kind: 'local' | 'b2' | null;
  /** The local path, or `b2:<bucket>`; never a key. */
  location: string | null;
  bucket: string | null;
  /** Whether the B2 account id and key are set (they are never shown). */
  has_key: boolean;
  initialized: boolean;
  /** Where the repository password is kept (mode 0600): keep a copy away from this server. */
  password_file: string | null;
  paths: string[];
  stop_units: string[];
}

export function repositorySettings(h: Hearth): RepositoryView {
  const s = readSettings(homeOf(h));
  const r = s?.repository;
  return {
    configured: Boolean(s),
    kind: r?.kind ?? null,
    location: r ? describeRepository(r) : null,
    bucket: r?.kind === 'b2' ? r.bucket : null,
    has_key: r?.kind === 'b2',
    initialized: s?.initialized ?? false,
    password_file: s ? passwordFile(homeOf(h)) : null,
    paths: [...h.config.backup.paths],
    stop_units: [...h.config.backup.stop_units],
  };
}

export interface ConfigureRequest {
  kind: 'local' | 'b2';
  path?: string;
  bucket?: string;
  account_id?: string;
  account_key?: string;
  /** The repository's password; a random one is made when none is given and none is kept yet. */
  password?: string;
}

const BUCKET = /^[A-Za-z0-9-]{6,50}$/;
const ACCOUNT_ID = /^[A-Za-z0-9]{1,64}$/;
const ACCOUNT_KEY = /^[\x21-\x7e]{1,200}$/;

/** A local repository path: absolute, no `..`, no control characters. */
export function checkRepoPath(path: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > 4096 || /[\u0000-\u001f\u007f]/.test(path) || path.split('/').includes('..')) {
    throw badRequest('path must be an absolute path (starting with /), without .. or control characters');
  }
  return resolvePath(path);
}

function checkRepository(req: ConfigureRequest): Repository {
  if (req.kind === 'local') {
    if (req.path === undefined) throw badRequest('a local repository needs path');
    return { kind: 'local', path: checkRepoPath(req.path) };
  }
  if (req.kind !== 'b2') throw badRequest('kind must be local or b2');
  if (!req.bucket || !BUCKET.test(req.bucket)) throw badRequest('bucket must be a B2 bucket name: 6–50 letters, digits and dashes');
  if (!req.account_id || !ACCOUNT_ID.test(req.account_id)) throw badRequest('accountId must be a B2 key id: letters and digits');
  if (!req.account_key || !ACCOUNT_KEY.test(req.account_key)) throw badRequest('accountKey must be a B2 application key: printable characters, no spaces');
  return { kind: 'b2', bucket: req.bucket, accountId: req.account_id, accountKey: req.account_key };
}

/** Sets the repository (secrets to 0600 files in the home); answers the settings without secrets. 409 while a backup or restore runs. */
export async function configureRepository(h: Hearth, req: ConfigureRequest): Promise<RepositoryView> {
  const repository = checkRepository(req);
  if (req.password !== undefined && (req.password.length < 8 || req.password.length > 1024 || /[\r\n\0]/.test(req.password))) {
    throw badRequest('password must be 8 to 1024 characters on one line');
  }
  await refuseWhileBusy(h);
  const home = homeOf(h);
  if (req.password !== undefined) writeSecret(passwordFile(home), req.password);
  else if (!existsSync(passwordFile(home))) writeSecret(passwordFile(home), randomToken(32));
  writeSettings(home, { repository, initialized: false });
  snapshotCache.delete(h);
  return repositorySettings(h);
}

// ---- snapshots ---------------------------------------------------------------------------

const snapshotCache = new WeakMap<Hearth, Snapshot[]>();

/** The repository's snapshots, newest first (cached; `reload` asks restic again). Empty when none is set. */
export async function listSnapshots(h: Hearth, reload = false): Promise<Snapshot[]> {
  const s = readSettings(homeOf(h));
  if (!s) return [];
  if (!reload) {
    const cached = snapshotCache.get(h);
    if (cached) return cached;
  }
  let list: Snapshot[];
  try {
    list = (await resticFor(h, s).snapshots()).sort((a, b) => b.time.localeCompare(a.time));
  } catch (err) {
    if (!s.initialized) list = [];
    else throw new HearthError('unavailable', (err as Error).message);
  }
  snapshotCache.set(h, list);
  return list;
}

async function findSnapshot(h: Hearth, s: Settings, id: string): Promise<Snapshot> {
  if (!/^[0-9a-f]{8,64}$/.test(id)) throw notFound(`no snapshot ${JSON.stringify(id.slice(0, 80))}: give its id as backup/list shows it`);
  const list = await resticFor(h, s).snapshots();
  snapshotCache.set(h, list);
  const found = list.filter((x) => x.id.startsWith(id));
  if (found.length === 0) throw notFound(`no snapshot ${id} in the repository`);
  if (found.length > 1) throw badRequest(`${id} is the start of more than one snapshot's id: give more of it`);
  return found[0]!;
}

// ---- status ------------------------------------------------------------------------------

export type BackupState = 'NO_KEY' | 'NOT_INITIALIZED' | 'INITIALIZING' | 'INITIALIZED' | 'BACKING_UP' | 'RESTORING' | 'ERROR';

export interface BackupStatus {
  status: BackupState;
  /** 0–1 of the running backup or restore. */
  progress: number;
  error_message: string | null;
  /** The job running now, if any. */
  job: string | null;
}

const lastError = new WeakMap<Hearth, string | null>();

/** SelfPrivacy's backup state: NO_KEY, NOT_INITIALIZED, INITIALIZING, INITIALIZED, BACKING_UP, RESTORING or ERROR. */
export async function backupStatus(h: Hearth): Promise<BackupStatus> {
  const s = readSettings(homeOf(h));
  if (!s) return { status: 'NO_KEY', progress: 0, error_message: null, job: null };
  const restore = await activeJob(h, 'restore');
  if (restore) return { status: 'RESTORING', progress: (restore.progress ?? 0) / 100, error_message: null, job: restore.id };
  const backup = await activeJob(h, 'backup');
  if (backup) {
    const initializing = !s.initialized && (backup.progress ?? 0) < 5;
    return { status: initializing ? 'INITIALIZING' : 'BACKING_UP', progress: (backup.progress ?? 0) / 100, error_message: null, job: backup.id };
  }
  const error = lastError.get(h);
  if (error) return { status: 'ERROR', progress: 0, error_message: error, job: null };
  return { status: s.initialized ? 'INITIALIZED' : 'NOT_INITIALIZED', progress: 0, error_message: null, job: null };
}

async function refuseWhileBusy(h: Hearth): Promise<void> {
  for (const kind of ['backup', 'restore']) {
    const job = await activeJob(h, kind);
    if (job) throw new HearthError('conflict', `a ${kind} is already ${job.status} (job ${job.id}); wait for it to end`, { job: job.id });
  }
}

// ---- create ------------------------------------------------------------------------------

/** Gathers Hearth's own data into `stage`: the home's files (configuration, secrets, TLS) and a consistent copy of the store. */
async function stageHearth(h: Hearth, stage: string, signal: AbortSignal): Promise<string> {
  const home = homeOf(h);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { mode: 0o700 });
  const socket = h.config.server.socket ? inHome(home, h.config.server.socket) : null;
  for (const name of readdirSync(home)) {
    const from = join(home, name);
    if (NOT_COPIED.test(name) || from === socket) continue;
    cpSync(from, join(stage, name), { recursive: true, filter: (src) => src !== socket });
  }
  const target = storeTarget(h.config.store.url, home);
  if (target.kind === 'sqlite') {
    await snapshotSqlite(target.target, join(stage, 'hearth.db'));
    return 'sqlite';
  }
  await pgDump(target.target, join(stage, 'store.sql'), signal);
  return 'postgres';
}

/** Starts a backup job; answers it. 400 without a repository; 409 while a backup or restore runs. */
export async function createBackup(h: Hearth): Promise<JobView> {
  const s = settingsOrFail(h);
  await refuseWhileBusy(h);
  const restic = resticFor(h, s);
  const home = homeOf(h);
  return startJob(
    h,
    'backup',
    async (ctx) => {
      try {
        if (!s.initialized) {
          if (await restic.initialized(ctx.signal)) {
            ctx.log(`using the existing repository at ${describeRepository(s.repository)}`);
          } else {
            ctx.log(`initializing the repository at ${describeRepository(s.repository)}`);
            await restic.init(ctx.signal);
          }
          s.initialized = true;
          writeSettings(home, s);
        }
        ctx.progress(5);
        const stage = join(home, STAGE);
        const kind = await stageHearth(h, stage, ctx.signal);
        ctx.log(`Hearth's data gathered (store: ${kind} snapshot, configuration and secrets)`);
        ctx.progress(10);
        const paths = [stage, ...h.config.backup.paths];
        let lastLogged = -1;
        let id: string;
        try {
          id = await restic.backup(paths, {
            tags: [TAG],
            signal: ctx.signal,
            onProgress: (p) => {
              ctx.progress(10 + p.percent * 89);
              const pct = Math.floor(p.percent * 100);
              if (pct >= lastLogged + 25 || (pct === 100 && lastLogged !== 100)) {
                lastLogged = pct;
                ctx.log(`${pct}%: ${p.files_done} of ${p.total_files} files, ${p.bytes_done} of ${p.total_bytes} bytes`);
              }
            },
          });
        } finally {
          rmSync(stage, { recursive: true, force: true });
        }
        ctx.log(`snapshot ${id} saved`);
        snapshotCache.delete(h);
        lastError.set(h, null);
        return { snapshot: id, repository: describeRepository(s.repository) };
      } catch (err) {
        lastError.set(h, (err as Error).message);
        throw err;
      }
    },
    { title: `Back up to ${describeRepository(s.repository)}` },
  );
}

// ---- restore on this server --------------------------------------------------------------

/** The nearest existing directory at or above `path` (what statfs can measure). */
function existingAncestor(path: string): string {
  let p = resolvePath(path);
  while (!existsSync(p) && p !== dirname(p)) p = dirname(p);
  return p;
}

/** Refuses (400) when `dir`'s file system has less free space than `bytes` (plus 5 %). */
function checkRoom(dir: string, bytes: number): void {
  const st = statfsSync(existingAncestor(dir));
  const free = Number(st.bavail) * Number(st.bsize);
  const need = Math.ceil(bytes * 1.05);
  if (free < need) {
    throw badRequest(`not enough free space to restore: it needs ${need} bytes and ${existingAncestor(dir)} has ${free} free; free some space first`, {
      needed: need,
      free,
    });
  }
}

const isStage = (p: string) => p.endsWith(`${sep}${STAGE}`);

/**
 * Restores a snapshot's `[backup] paths` in place, as a job: the `[backup] stop_units` are
 * stopped first and started again after, whatever happens. Hearth's own data is left alone (it
 * is restored into a new home with `hearth backup restore SNAPSHOT --home DIR`). 404 unknown
 * snapshot; 409 while a backup or restore runs; 400 when the disk lacks room.
 */
export async function restoreSnapshot(h: Hearth, id: string): Promise<JobView> {
  const s = settingsOrFail(h);
  await refuseWhileBusy(h);
  const snap = await findSnapshot(h, s, id);
  const include = snap.paths.filter((p) => !isStage(p));
  if (include.length === 0) {
    throw badRequest(
      `snapshot ${snap.short_id} holds only Hearth's own data: restore it into a new home with "hearth backup restore ${snap.short_id} --home DIR"`,
    );
  }
  const restic = resticFor(h, s);
  checkRoom(include[0]!, await restic.restoreSize(snap.id));
  const units = new UnitCommands(h.config.backup.service_stop, h.config.backup.service_start, 120_000);
  const stopUnits = [...h.config.backup.stop_units];
  return startJob(
    h,
    'restore',
    async (ctx) => {
      const stopped: string[] = [];
      try {
        for (const unit of stopUnits) {
          ctx.log(`stopping ${unit}`);
          await units.stop(unit);
          stopped.push(unit);
        }
        ctx.progress(10);
        ctx.log(`restoring ${include.join(', ')} from snapshot ${snap.short_id}`);
        await restic.restore(snap.id, '/', include, { signal: ctx.signal });
        ctx.progress(90);
        ctx.log('restored');
      } catch (err) {
        lastError.set(h, (err as Error).message);
        throw err;
      } finally {
        for (const unit of stopped.reverse()) {
          ctx.log(`starting ${unit}`);
          await units.start(unit).catch((err: Error) => ctx.log(`could not start ${unit}: ${err.message}`));
        }
      }
      lastError.set(h, null);
      return { snapshot: snap.id, paths: include };
    },
    { title: `Restore snapshot ${snap.short_id}` },
  );
}

// ---- restore a whole Hearth into a new home (no daemon) ----------------------------------

export interface HomeRestoreRequest {
  home: string;
  snapshot: string;
  repository: Repository;
  passwordFile: string;
  restic?: string;
  /** Lines to tell the person restoring. */
  say?: (line: string) => void;
}

export interface HomeRestoreResult {
  home: string;
  snapshot: string;
  store: 'sqlite' | 'postgres';
  /** The PostgreSQL store the dump was loaded into (no password), for a PostgreSQL store. */
  loaded_into?: string;
  files: string[];
}

/** The schema a plain pg_dump file creates its tables in: its `CREATE SCHEMA`, or `public` when it has none. */
async function dumpSchema(file: string): Promise<string> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const m = /^CREATE SCHEMA (?:"([^"]+)"|([A-Za-z0-9_]+));$/.exec(line);
      if (m) return m[1] ?? m[2]!.toLowerCase();
      if (/^(CREATE TABLE|COPY) /.test(line)) break;
    }
  } finally {
    lines.close();
  }
  return 'public';
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Loads a snapshot's `store.sql` into the PostgreSQL store `url` names, which must be empty (no
 * table, sequence or view in its schema): refused with a 409 otherwise, and nothing is changed.
 * The dump goes in with psql in one transaction; a failed load leaves the database as it was.
 */
async function loadStoreDump(url: string, file: string, say: (line: string) => void): Promise<string> {
  const fromSchema = await dumpSchema(file);
  const schema = urlSchema(url);
  let store;
  try {
    store = await openStore({ kind: 'postgres', target: url });
  } catch (err) {
    throw badRequest(`cannot reach the PostgreSQL store [store] url names: ${(err as Error).message}; nothing was restored`);
  }
  const location = store.location;
  let schemaExists: boolean;
  try {
    if (fromSchema !== schema) {
      throw badRequest(
        `the snapshot's store was in schema ${fromSchema}, and [store] url (${location}) uses schema ${schema}: name schema ${fromSchema} in the URL's options (-c search_path=${fromSchema}), or use its default; nothing was restored`,
      );
    }
    const objects = await sql<{ name: string }>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') order by c.relname`.execute(store.db);
    if (objects.rows.length) {
      const names = objects.rows.map((r) => r.name);
      throw new HearthError(
        'conflict',
        `the target store (${location}) is not empty: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}. Restore into an empty database (or a new schema); nothing was restored`,
      );
    }
    schemaExists = (await sql<{ n: number }>`select 1 as n from pg_namespace where nspname = ${schema}`.execute(store.db)).rows.length > 0;
  } finally {
    await store.close();
  }
  say(`loading the store into ${location}…`);
  // The dump makes its schema itself (public aside): an existing, empty one goes first, in the
  // same transaction (DROP refuses a schema that still holds anything).
  const before = schema !== 'public' && schemaExists ? [`DROP SCHEMA ${quoteIdent(schema)}`] : [];
  try {
    await pgLoad(url, file, before);
  } catch (err) {
    throw badRequest(`the store could not be loaded into ${location}: ${(err as Error).message}; nothing was restored`);
  }
  return location;
}

/**
 * Brings a whole Hearth back from a snapshot into an empty home on a new machine: its
 * configuration, secrets and the store — the SQLite file, or, for a PostgreSQL store, its dump
 * loaded into the empty database `[store] url` names (the restored hearth.toml's, or
 * HEARTH_STORE_URL). Refused when the home already has a store or a running daemon, when the
 * database is not empty, or when the disk lacks room; a refusal changes nothing.
 */
export async function restoreIntoHome(req: HomeRestoreRequest): Promise<HomeRestoreResult> {
  const say = req.say ?? (() => {});
  const home = resolvePath(req.home);
  if (existsSync(join(home, 'hearth.db')) || existsSync(join(home, 'hearthd.pid'))) {
    throw new HearthError('conflict', `${home} already holds a Hearth (hearth.db or hearthd.pid): restore into an empty home`);
  }
  const restic = new Restic(req.restic ?? 'restic', req.repository, req.passwordFile);
  let snaps: Snapshot[];
  try {
    snaps = await restic.snapshots();
  } catch (err) {
    throw badRequest(`cannot read the repository: ${(err as ResticError).message}`);
  }
  const found = snaps.filter((x) => x.id.startsWith(req.snapshot));
  if (!/^[0-9a-f]{8,64}$/.test(req.snapshot) || found.length === 0) throw notFound(`no snapshot ${req.snapshot} in the repository`);
  if (found.length > 1) throw badRequest(`${req.snapshot} is the start of more than one snapshot's id: give more of it`);
  const snap = found[0]!;
  const stagePath = snap.paths.find(isStage);
  if (!stagePath) throw badRequest(`snapshot ${snap.short_id} holds no Hearth data`);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  checkRoom(home, await restic.restoreSize(snap.id));
  const tmp = join(home, `.restore-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  say(`restoring snapshot ${snap.short_id} (${snap.time}) into ${home}…`);
  try {
    await restic.restore(snap.id, tmp, [stagePath]);
    const from = join(tmp, stagePath);
    let files = readdirSync(from);
    const store = files.includes('store.sql') ? 'postgres' : 'sqlite';
    let loadedInto: string | undefined;
    if (store === 'postgres') {
      // The store the restored configuration names (HEARTH_STORE_URL and the like still apply).
      const { config } = loadConfig({ ...process.env, HEARTH_HOME: from });
      const target = storeTarget(config.store.url, home);
      if (target.kind !== 'postgres') {
        throw badRequest(
          `snapshot ${snap.short_id} holds a PostgreSQL store, and [store] url names no PostgreSQL database: set HEARTH_STORE_URL=postgres://… (an empty database) and restore again; nothing was restored`,
        );
      }
      loadedInto = await loadStoreDump(target.target, join(from, 'store.sql'), say);
      files = files.filter((f) => f !== 'store.sql');
    }
    for (const name of files) {
      rmSync(join(home, name), { recursive: true, force: true });
      renameSync(join(from, name), join(home, name));
    }
    return { home, snapshot: snap.id, store, ...(loadedInto ? { loaded_into: loadedInto } : {}), files: files.sort() };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
