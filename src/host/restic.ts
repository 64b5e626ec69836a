/**
 * restic, the backup program: argv only (never a shell), the repository password read by restic
 * from a 0600 file (`--password-file`, so it is never on a command line), Backblaze B2 keys
 * handed over in restic's own environment variables, `--json` output parsed for progress and
 * results. Errors carry restic's last stderr line, never the password or the keys.
 */
import { spawn } from 'node:child_process';

export type Repository = { kind: 'local'; path: string } | { kind: 'b2'; bucket: string; accountId: string; accountKey: string };

export interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  paths: string[];
  hostname: string;
  tags: string[];
}

export interface BackupProgress {
  /** 0–1 */
  percent: number;
  files_done: number;
  total_files: number;
  bytes_done: number;
  total_bytes: number;
}

export class ResticError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
    this.name = 'ResticError';
  }
}

/** The `--repo` argument: an absolute local path, or `b2:<bucket>:hearth`. */
export function repoArg(repo: Repository): string {
  return repo.kind === 'local' ? repo.path : `b2:${repo.bucket}:hearth`;
}

/** A human-readable place, without secrets. */
export function describeRepository(repo: Repository): string {
  return repo.kind === 'local' ? repo.path : `b2:${repo.bucket}`;
}

interface RunOpts {
  signal?: AbortSignal;
  /** Each line of stdout as it comes. */
  onLine?: (line: string) => void;
}

export class Restic {
  constructor(
    private readonly bin: string,
    private readonly repo: Repository,
    private readonly passwordFile: string,
  ) {}

  private env(): NodeJS.ProcessEnv {
    // Only what restic needs: no inherited RESTIC_* variable may point it elsewhere.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/',
      LC_ALL: 'C',
      RESTIC_CACHE_DIR: process.env.RESTIC_CACHE_DIR,
    };
    if (this.repo.kind === 'b2') {
      env.B2_ACCOUNT_ID = this.repo.accountId;
      env.B2_ACCOUNT_KEY = this.repo.accountKey;
    }
    return env;
  }

  /** Runs restic with the repository and password file; answers stdout. Rejects with a ResticError. */
  private run(args: string[], opts: RunOpts = {}): Promise<string> {
    const argv = ['--repo', repoArg(this.repo), '--password-file', this.passwordFile, ...args];
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, argv, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], env: this.env(), signal: opts.signal });
      let out = '';
      let partial = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => {
        const text = c.toString('utf8');
        if (out.length < 16 * 1024 * 1024) out += text;
        if (opts.onLine) {
          partial += text;
          const lines = partial.split('\n');
          partial = lines.pop()!;
          for (const l of lines) if (l.trim()) opts.onLine(l);
        }
      });
      child.stderr.on('data', (c: Buffer) => {
        err = (err + c.toString('utf8')).slice(-8192);
      });
      child.on('error', (e) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') reject(new ResticError(`restic is not installed (no ${this.bin})`, null));
        else if (e.name === 'AbortError') reject(new ResticError('restic was stopped', null));
        else reject(new ResticError(`restic could not run: ${e.message}`, null));
      });
      child.on('close', (code) => {
        if (partial.trim() && opts.onLine) opts.onLine(partial);
        if (code === 0) return resolve(out);
        const last =
          err
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .at(-1) ?? `exit code ${code}`;
        reject(new ResticError(`restic ${args[0]}: ${last}`, code));
      });
    });
  }

  /** Whether the repository exists (restic can read its config with the password). */
  async initialized(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.run(['cat', 'config'], { signal });
      return true;
    } catch (err) {
      if (signal?.aborted) throw err;
      return false;
    }
  }

  async init(signal?: AbortSignal): Promise<void> {
    await this.run(['init'], { signal });
  }

  /** Backs up `paths`; progress from restic's JSON status lines; answers the new snapshot's id. */
  async backup(paths: string[], opts: { tags: string[]; signal?: AbortSignal; onProgress?: (p: BackupProgress) => void }): Promise<string> {
    let snapshot: string | null = null;
    const args = ['backup', '--json', ...opts.tags.flatMap((t) => ['--tag', t]), '--', ...paths];
    await this.run(args, {
      signal: opts.signal,
      onLine: (line) => {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        if (msg.message_type === 'status' && opts.onProgress) {
          opts.onProgress({
            percent: Number(msg.percent_done ?? 0),
            files_done: Number(msg.files_done ?? 0),
            total_files: Number(msg.total_files ?? 0),
            bytes_done: Number(msg.bytes_done ?? 0),
            total_bytes: Number(msg.total_bytes ?? 0),
          });
        } else if (msg.message_type === 'summary' && typeof msg.snapshot_id === 'string') {
          snapshot = msg.snapshot_id;
          // A small backup can end before restic's first status line: the summary is the last word.
          const files = Number(msg.total_files_processed ?? 0);
          const bytes = Number(msg.total_bytes_processed ?? 0);
          opts.onProgress?.({ percent: 1, files_done: files, total_files: files, bytes_done: bytes, total_bytes: bytes });
        }
      },
    });
    if (!snapshot) throw new ResticError('restic backup: it ended without naming the snapshot', 0);
    return snapshot;
  }

  async snapshots(signal?: AbortSignal): Promise<Snapshot[]> {
    const out = await this.run(['snapshots', '--json'], { signal });
    const list = (JSON.parse(out || '[]') ?? []) as Partial<Snapshot>[];
    return list.map((s) => ({
      id: String(s.id),
      short_id: String(s.short_id ?? String(s.id).slice(0, 8)),
      time: new Date(String(s.time)).toISOString(),
      paths: s.paths ?? [],
      hostname: s.hostname ?? '',
      tags: s.tags ?? [],
    }));
  }

  /** Bytes a restore of the snapshot writes. */
  async restoreSize(snapshot: string, signal?: AbortSignal): Promise<number> {
    const out = await this.run(['stats', '--json', '--mode', 'restore-size', '--', snapshot], { signal });
    return Number((JSON.parse(out) as { total_size?: number }).total_size ?? 0);
  }

  /** Restores the `include`d paths of the snapshot under `target` (their absolute paths below it). */
  async restore(snapshot: string, target: string, include: string[], opts: { signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<void> {
    await this.run(['restore', '--target', target, ...include.flatMap((p) => ['--include', p]), '--', snapshot], opts);
  }
}
