/** `hearth job watch ID`: follows a job to its end — a live progress bar on a terminal, plain lines otherwise, JSON lines with --json. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WatchedJob {
  id: string;
  kind: string;
  title: string;
  status: string;
  progress: number | null;
  log: string[];
  error: string | null;
}

const ENDED = new Set(['succeeded', 'failed']);
const BAR = 30;

/** The lines of `now` not yet printed, given the tail printed before (the log keeps only its last lines). */
export function newLines(before: string[], now: string[]): string[] {
  if (before.length === 0) return now;
  // The longest suffix of what was seen that starts what is there now.
  for (let k = Math.min(before.length, now.length); k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = before[before.length - k + i] === now[i];
    if (same) return now.slice(k);
  }
  return now;
}

/** `[#########---------------------]  30%  running  backup` */
export function progressBar(job: WatchedJob): string {
  const p = job.progress;
  const filled = p === null ? 0 : Math.round((p / 100) * BAR);
  const bar = p === null ? '?'.repeat(BAR) : '#'.repeat(filled) + '-'.repeat(BAR - filled);
  return `[${bar}] ${p === null ? '  ?' : String(p).padStart(3)}%  ${job.status}  ${job.title}`;
}

export interface WatchOptions {
  json: boolean;
  tty: boolean;
  intervalMs?: number;
  out?: NodeJS.WritableStream;
}

/** Polls `show` until the job ends; answers the final job. */
export async function watchJob(show: () => Promise<WatchedJob>, opts: WatchOptions): Promise<WatchedJob> {
  const out = opts.out ?? process.stdout;
  let seen: string[] = [];
  let last = '';
  let barShown = false;
  for (;;) {
    const job = await show();
    const fresh = newLines(seen, job.log);
    seen = job.log;
    const state = `${job.status} ${job.progress}`;
    if (opts.json) {
      if (fresh.length || state !== last) out.write(`${JSON.stringify(job)}\n`);
    } else if (opts.tty) {
      if (barShown) out.write('\r\x1b[2K');
      for (const line of fresh) out.write(`  ${line}\n`);
      out.write(progressBar(job));
      barShown = true;
      if (ENDED.has(job.status)) out.write('\n');
    } else {
      for (const line of fresh) out.write(`  ${line}\n`);
      if (state !== last) out.write(`${job.progress === null ? '?' : job.progress}% ${job.status} ${job.title}\n`);
    }
    last = state;
    if (ENDED.has(job.status)) return job;
    await sleep(opts.intervalMs ?? 400);
  }
}
