/**
 * Jobs: every long action (apply, upgrade, rollback, backup, restore) runs as a job with an id,
 * a kind, a status (queued → running → succeeded | failed), progress 0–100 where known, start and
 * end times and the last lines of its log. One job of a kind runs at a time, on every replica
 * sharing the store (a unique index on the active job of each kind): a second start is a 409.
 *
 *   const job = await startJob(hearth, 'backup', async (ctx) => {
 *     ctx.progress(40);
 *     ctx.log('uploaded 12 of 30 files');
 *     return { snapshot: 'abc123' }; // the job's result, shown by job/show
 *   }, { title: 'Back up to b2:bucket' });
 *
 * The work runs after `startJob` answers (the caller gets the queued job at once). A job's
 * progress and log are kept in memory while it runs and written to the store at most every
 * quarter of a second. Each daemon is a replica with a random id, recorded on the jobs it runs,
 * and beats for them every `[jobs] heartbeat_interval` seconds; a job whose heartbeat is older than
 * three intervals was left by a daemon that died, and is marked failed when a daemon starts (or
 * starts a job of its kind). `ctx.signal` aborts when the daemon stops: pass it to child processes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { HearthError, notFound } from '../kernel/errors.js';
import type { Hearth } from '../kernel/hearth.js';
import { isoOrNull } from '../store/db.js';
import type { JobStatus } from '../store/schema.js';
import * as repo from './repo.js';
import { LOG_LINE_LENGTH, LOG_LINES } from './limits.js';

export type { JobStatus };

export { LOG_LINE_LENGTH, LOG_LINES };
/** Finished jobs older than this are forgotten when the daemon starts. */
const KEEP_FINISHED_MS = 90 * 24 * 3600 * 1000;
const FLUSH_MS = 250;
/** A heartbeat older than this many intervals means the replica that wrote it is gone. */
const STALE_BEATS = 3;
const ORPHANED = 'hearthd stopped while the job ran';

export interface JobContext {
  /** The job's id. */
  readonly id: string;
  /** Progress, 0–100 (rounded and clamped); never goes backwards. */
  progress(percent: number): void;
  /** One line of the log (control characters removed, cut to LOG_LINE_LENGTH); never log secrets. */
  log(line: string): void;
  /** Aborted when the daemon stops: hand it to child processes and long waits. */
  readonly signal: AbortSignal;
}

export type JobWork = (ctx: JobContext) => Promise<Record<string, unknown> | void>;

export interface JobView {
  id: string;
  kind: string;
  title: string;
  status: JobStatus;
  progress: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  log: string[];
  error: string | null;
  result: Record<string, unknown> | null;
}

interface Active {
  row: repo.JobRow;
  lines: string[];
  controller: AbortController;
  done: Promise<JobView>;
  timer: NodeJS.Timeout | null;
  flushing: Promise<void>;
}

/** The jobs this daemon runs, per Hearth (tests run several daemons in one process). */
const running = new WeakMap<Hearth, Map<string, Active>>();
/** Each daemon's replica id, and the timer that beats for its jobs while it runs any. */
const replicas = new WeakMap<Hearth, string>();
const beats = new WeakMap<Hearth, NodeJS.Timeout>();

/** This daemon's replica id: random, taken on first use (at start), recorded on the jobs it runs. */
export function replicaId(h: Hearth): string {
  let id = replicas.get(h);
  if (!id) replicas.set(h, (id = randomBytes(8).toString('hex')));
  return id;
}

const intervalMs = (h: Hearth) => h.config.jobs.heartbeat_interval * 1000;
const staleBefore = (h: Hearth, now: number) => now - STALE_BEATS * intervalMs(h);

/** Beats for this daemon's jobs while it runs any (unref'd: it never keeps the process up). */
function beat(h: Hearth): void {
  if (beats.has(h)) return;
  const timer = setInterval(() => {
    if (activeOf(h).size === 0) return stopBeating(h);
    void repo.heartbeat(h.store.db, replicaId(h), h.clock.now()).catch(() => {});
  }, intervalMs(h));
  timer.unref();
  beats.set(h, timer);
}

function stopBeating(h: Hearth): void {
  clearInterval(beats.get(h));
  beats.delete(h);
}

function activeOf(h: Hearth): Map<string, Active> {
  let m = running.get(h);
  if (!m) running.set(h, (m = new Map()));
  return m;
}

const KIND = /^[a-z][a-z0-9-]{0,39}$/;

function clean(line: string): string {
  // eslint-disable-next-line no-control-regex
  const text = line.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').replace(/\t/g, ' ');
  return text.length > LOG_LINE_LENGTH ? `${text.slice(0, LOG_LINE_LENGTH - 1)}…` : text;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function view(row: repo.JobRow, lines?: string[]): JobView {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    status: row.status,
    progress: row.progress,
    created_at: new Date(row.created_at).toISOString(),
    started_at: isoOrNull(row.started_at),
    finished_at: isoOrNull(row.finished_at),
    log: lines ?? parseJson<string[]>(row.log, []),
    error: row.error,
    result: parseJson<Record<string, unknown> | null>(row.result, null),
  };
}

const isUniqueViolation = (err: unknown) => {
  const code = String((err as { code?: unknown }).code ?? '');
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
};

/** The 409 for a kind that already has a job running, naming that job. */
async function busy(h: Hearth, kind: string): Promise<HearthError> {
  const other = await repo.activeOfKind(h.store.db, kind);
  return new HearthError('conflict', `a ${kind} job is already ${other?.status ?? 'running'}${other ? ` (job ${other.id})` : ''}; wait for it to end`, {
    job: other?.id ?? null,
  });
}

/**
 * Fails the queued or running job of `kind` left by a replica that died (its heartbeat stale or
 * missing), so it holds the kind no longer. This daemon's own jobs are never such orphans: it
 * beats for them while they run. Answers whether one was failed.
 */
async function failOrphanOfKind(h: Hearth, kind: string): Promise<boolean> {
  const now = h.clock.now();
  const freed = await repo.failOrphans(h.store.db, { now, staleBefore: staleBefore(h, now), error: ORPHANED, kind, keep: [...activeOf(h).keys()] });
  return freed > 0;
}

/**
 * Starts `work` as a job of `kind`; answers the job as it is queued. 409 (conflict) while a job
 * of the same kind is queued or running here or on another replica.
 */
export async function startJob(h: Hearth, kind: string, work: JobWork, opts: { title?: string } = {}): Promise<JobView> {
  if (!KIND.test(kind)) throw new Error(`job kind ${JSON.stringify(kind)} must be lower-case letters, digits and dashes`);
  if (h.stopping) throw new HearthError('unavailable', 'hearthd is stopping; start the job again once it is back');
  const jobs = activeOf(h);
  for (const a of jobs.values()) if (a.row.kind === kind) throw await busy(h, kind);
  const row: repo.JobRow = {
    id: randomUUID(),
    kind,
    title: opts.title ?? kind,
    status: 'queued',
    progress: null,
    created_at: h.clock.now(),
    started_at: null,
    finished_at: null,
    log: '[]',
    error: null,
    result: null,
    replica: replicaId(h),
    heartbeat_at: h.clock.now(),
  };
  try {
    await repo.insert(h.store.db, row);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // The kind's active job may be an orphan of a replica that died: fail it, then try once more.
    if (!(await failOrphanOfKind(h, kind))) throw await busy(h, kind);
    try {
      await repo.insert(h.store.db, row);
    } catch (again) {
      if (isUniqueViolation(again)) throw await busy(h, kind);
      throw again;
    }
  }
  const queued = view(row, []);
  const active: Active = { row, lines: [], controller: new AbortController(), done: Promise.resolve(queued), timer: null, flushing: Promise.resolve() };
  jobs.set(row.id, active);
  beat(h);
  active.done = new Promise<JobView>((resolve) => setImmediate(() => void run(h, active, work).then(resolve)));
  return queued;
}

/** Writes the in-memory state of a running job to the store (one write at a time, in order). */
function flush(h: Hearth, a: Active): Promise<void> {
  if (a.timer) clearTimeout(a.timer);
  a.timer = null;
  const { status, progress, started_at, finished_at, error, result } = a.row;
  const log = JSON.stringify(a.lines);
  const heartbeat_at = h.clock.now();
  a.flushing = a.flushing.then(() =>
    repo.update(h.store.db, a.row.id, { status, progress, started_at, finished_at, error, result, log, heartbeat_at }).catch(() => {}),
  );
  return a.flushing;
}

function soon(h: Hearth, a: Active): void {
  a.timer ??= setTimeout(() => void flush(h, a), FLUSH_MS);
}

async function run(h: Hearth, a: Active, work: JobWork): Promise<JobView> {
  const ctx: JobContext = {
    id: a.row.id,
    signal: a.controller.signal,
    progress(n) {
      if (!Number.isFinite(n) || a.row.finished_at !== null) return;
      const p = Math.max(0, Math.min(100, Math.round(n)));
      if (a.row.progress === null || p > a.row.progress) {
        a.row.progress = p;
        soon(h, a);
      }
    },
    log(line) {
      if (a.row.finished_at !== null) return;
      for (const l of String(line).split(/\r?\n/)) {
        if (l.trim() === '') continue;
        a.lines.push(clean(l));
      }
      if (a.lines.length > LOG_LINES) a.lines.splice(0, a.lines.length - LOG_LINES);
      soon(h, a);
    },
  };
  a.row.status = 'running';
  a.row.started_at = h.clock.now();
  await flush(h, a);
  try {
    const result = await work(ctx);
    a.row.status = 'succeeded';
    a.row.progress = 100;
    a.row.result = result ? JSON.stringify(result) : null;
  } catch (err) {
    a.row.status = 'failed';
    a.row.error = a.controller.signal.aborted ? ORPHANED : (err as Error).message || String(err);
    a.lines.push(clean(`failed: ${a.row.error}`));
    if (a.lines.length > LOG_LINES) a.lines.splice(0, a.lines.length - LOG_LINES);
  }
  a.row.finished_at = h.clock.now();
  await flush(h, a);
  activeOf(h).delete(a.row.id);
  if (activeOf(h).size === 0) stopBeating(h);
  return view(a.row, a.lines);
}

/** A job by id: live from memory while this daemon runs it, else from the store. 404 unknown. */
export async function getJob(h: Hearth, id: string): Promise<JobView> {
  const a = activeOf(h).get(id);
  if (a) return view(a.row, [...a.lines]);
  const row = /^[0-9a-f-]{36}$/.test(id) ? await repo.find(h.store.db, id) : undefined;
  if (!row) throw notFound(`no job ${id}; "hearth job list" shows them`);
  return view(row);
}

/** Jobs, newest first (at most `limit`, default 50), of one kind when given. */
export async function listJobs(h: Hearth, opts: { kind?: string; limit?: number } = {}): Promise<JobView[]> {
  const rows = await repo.list(h.store.db, Math.max(1, Math.min(500, opts.limit ?? 50)), opts.kind);
  return rows.map((r) => {
    const a = activeOf(h).get(r.id);
    return a ? view(a.row, [...a.lines]) : view(r);
  });
}

/** The job of `kind` queued or running now, if any (from the store: any replica's). */
export async function activeJob(h: Hearth, kind: string): Promise<JobView | null> {
  for (const a of activeOf(h).values()) if (a.row.kind === kind) return view(a.row, [...a.lines]);
  const row = await repo.activeOfKind(h.store.db, kind);
  if (!row) return null;
  // Left by a replica that died (its heartbeat stale): it can never end, so it is failed now
  // and holds the kind no longer.
  const now = h.clock.now();
  if (row.heartbeat_at === null || row.heartbeat_at < staleBefore(h, now)) {
    await failOrphanOfKind(h, kind);
    return null;
  }
  return view(row);
}

/** The job's end (for tests and callers that wait): its final state. 404 when it is not running here. */
export async function jobFinished(h: Hearth, id: string): Promise<JobView> {
  const a = activeOf(h).get(id);
  return a ? a.done : getJob(h, id);
}

/**
 * At start, once the store is open: jobs left queued or running by a daemon that is gone — its
 * heartbeat older than three intervals, or missing — can never finish, so they are marked failed;
 * those another live replica runs (its heartbeat fresh) are left alone. Finished jobs older than
 * 90 days are forgotten. Answers how many were marked failed.
 */
export async function recoverJobs(h: Hearth): Promise<number> {
  const now = h.clock.now();
  await repo.deleteFinishedBefore(h.store.db, now - KEEP_FINISHED_MS);
  // This daemon runs nothing yet: any job under its own id is one it left before a restart.
  return repo.failOrphans(h.store.db, { now, staleBefore: staleBefore(h, now), replica: replicaId(h), error: ORPHANED });
}

/** At stop, before the store closes: aborts the running jobs and waits (up to `ms`) for them to record their end. */
export async function stopJobs(h: Hearth, ms = 10_000): Promise<void> {
  stopBeating(h);
  const jobs = [...activeOf(h).values()];
  if (jobs.length === 0) return;
  for (const a of jobs) a.controller.abort();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(jobs.map((a) => a.done)), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
