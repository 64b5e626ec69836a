/**
 * `hearth store copy --to URL`: runs in the CLI's own process against the home's configuration,
 * not through the daemon. The copy needs only the two stores: it works with hearthd stopped (the
 * way to move without losing a write), and a daemon that runs keeps serving from the source
 * while the copy reads a consistent snapshot of it.
 */
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { SingleBar } from 'cli-progress';
import { MIGRATIONS } from '../api/migrations.js';
import { runningPid } from '../daemon/home.js';
import { systemClock } from '../kernel/clock.js';
import { ConfigError, type LoadedConfig } from '../kernel/config.js';
import { copyStore, type CopyProgress, type CopyReport } from '../store/copy.js';
import { openStore, storeTarget, type Store, type StoreTarget } from '../store/db.js';
import { CliError } from './client.js';

export interface StoreCopyResult extends CopyReport {
  /** What to set `[store] url` to (a PostgreSQL password shown as ***). */
  store_url: string;
  /** Whether `[store] url` must be switched to the target (false when the target is the configured store). */
  switch_needed: boolean;
  /** Whether hearthd was running on this home during the copy. */
  daemon_running: boolean;
}

/** `--to`'s (or `--from`'s) URL, or a CliError that says what a URL looks like. */
export function targetOf(to: string, home: string, option = '--to'): StoreTarget {
  if (to.trim() === '') throw new CliError('store:badUrl', `${option} needs a store URL: sqlite:PATH or postgres://USER@HOST:PORT/DATABASE`);
  try {
    return storeTarget(to, home);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new CliError(
      'store:badUrl',
      `${option} ${JSON.stringify(to)}: not a store URL; expected sqlite:PATH (relative to the home) or postgres://USER@HOST:PORT/DATABASE`,
    );
  }
}

async function open(t: StoreTarget, which: 'source' | 'target'): Promise<Store> {
  try {
    return await openStore(t, { busyTimeoutMs: 5000 });
  } catch (err) {
    const where = t.kind === 'sqlite' ? t.target : t.target.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
    throw new CliError('store:unreachable', `cannot open the ${which} store (${where}): ${(err as Error).message}`);
  }
}

/** Progress on stderr: a bar on a terminal, one line per table otherwise, nothing with --json. */
function progressReporter(mode: 'bar' | 'lines' | 'none'): { onProgress: (p: CopyProgress) => void; stop: () => void } {
  if (mode === 'none') return { onProgress: () => {}, stop: () => {} };
  if (mode === 'lines') {
    return {
      onProgress: (p) => {
        if (p.done === p.total) process.stderr.write(`copied ${p.table}: ${p.total} rows (${p.allDone}/${p.allTotal})\n`);
      },
      stop: () => {},
    };
  }
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'copying {table} [{bar}] {percentage}% | {value}/{total} rows',
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  return {
    onProgress: (p) => {
      if (!started) {
        bar.start(Math.max(p.allTotal, 1), 0, { table: p.table });
        started = true;
      }
      bar.update(p.allTotal === 0 ? 1 : p.allDone, { table: p.table });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** Copies the configured store into the empty store at `to`; answers what was copied. */
export async function storeCopy(loaded: LoadedConfig, to: string, json: boolean, from?: string): Promise<StoreCopyResult> {
  const { config, home } = loaded;
  const target = targetOf(to, home);
  const source = from === undefined ? storeTarget(config.store.url, home) : targetOf(from, home, '--from');
  if (source.kind === target.kind && source.target === target.target) {
    throw new CliError('store:sameStore', `--to names the store to copy from (${source.kind === 'sqlite' ? source.target : 'the same URL'}); name another one`);
  }
  if (source.kind === 'sqlite' && !existsSync(source.target)) {
    throw new CliError('store:noSource', `the store ${source.target} does not exist: nothing to copy`);
  }
  const created = target.kind === 'sqlite' && !existsSync(target.target);
  if (target.kind === 'sqlite' && !existsSync(dirname(target.target))) {
    throw new CliError('store:badUrl', `--to: the directory ${dirname(target.target)} does not exist`);
  }
  if (target.kind === 'sqlite' && !created && !statSync(target.target).isFile()) {
    throw new CliError('store:badUrl', `--to: ${target.target} is not a file`);
  }
  const daemonRunning = runningPid(home) !== null;
  if (daemonRunning && !json) {
    process.stderr.write(
      'hearth: note: hearthd is running; the copy is a consistent snapshot, but writes made after it are not in the copy. To move without losing any, run "hearth daemon stop" first.\n',
    );
  }
  const src = await open(source, 'source');
  let into: Store | null = null;
  let ok = false;
  const progress = progressReporter(json ? 'none' : process.stderr.isTTY ? 'bar' : 'lines');
  try {
    // A new file holds every secret of the source: readable by its owner only (SQLite gives its
    // -wal and -shm files the same mode).
    if (created) closeSync(openSync(target.target, 'wx', 0o600));
    into = await open(target, 'target');
    const report = await copyStore(src, into, {
      migrations: MIGRATIONS,
      skippedMigrations: config.store.skipped_migrations,
      clock: systemClock,
      onProgress: progress.onProgress,
    });
    ok = true;
    const configured = storeTarget(config.store.url, home);
    return {
      ...report,
      store_url: target.kind === 'sqlite' ? `sqlite:${target.target}` : into.location,
      switch_needed: !(configured.kind === target.kind && configured.target === target.target),
      daemon_running: daemonRunning,
    };
  } finally {
    progress.stop();
    await src.close().catch(() => {});
    await into?.close().catch(() => {});
    // A file this command made and could not fill is removed: the next try starts clean.
    if (!ok && created) for (const suffix of ['', '-wal', '-shm']) rmSync(`${target.target}${suffix}`, { force: true });
  }
}

/** The human form: the tables, and what to do next. */
export function renderCopy(r: StoreCopyResult): string {
  const width = Math.max(5, ...r.tables.map((t) => t.table.length));
  const lines = [
    `copied ${r.rows} rows in ${r.tables.length} tables`,
    `  from ${r.from}`,
    `  to   ${r.to}`,
    '',
    `${'table'.padEnd(width)}  ${'rows'.padStart(6)}  checksum (SHA-256, verified on both sides)`,
    ...r.tables.map((t) => `${t.table.padEnd(width)}  ${String(t.rows).padStart(6)}  ${t.checksum.slice(0, 16)}…`),
    '',
    ...(r.switch_needed
      ? [
          'Next: stop hearthd ("hearth daemon stop") if it runs, set in hearth.toml',
          '  [store]',
          `  url = ${JSON.stringify(r.store_url)}`,
          'and start it again ("hearth daemon start"). The old store is left as it was.',
        ]
      : ['Next: restart hearthd ("hearth daemon restart"): its store now holds the copied rows. The old store is left as it was.']),
  ];
  return lines.join('\n');
}
