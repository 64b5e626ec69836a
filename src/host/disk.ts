/** Free and used space of mounted volumes (`statfs`). */
import { statfs } from 'node:fs/promises';

export interface VolumeUsage {
  path: string;
  /** Bytes in all, free to unprivileged users, and used. */
  total: number;
  free: number;
  used: number;
  /** Free space as a percentage of the total. */
  free_percent: number;
  /** `ok`, `warning` (free below the threshold) or `unknown` (could not be read). */
  state: 'ok' | 'warning' | 'unknown';
  error: string | null;
}

export interface DiskReader {
  usage(paths: readonly string[], warnBelowPercent: number): Promise<VolumeUsage[]>;
}

export const disks: DiskReader = {
  async usage(paths, warnBelowPercent) {
    return Promise.all(
      paths.map(async (path): Promise<VolumeUsage> => {
        try {
          const s = await statfs(path);
          const total = s.blocks * s.bsize;
          const free = s.bavail * s.bsize;
          const used = (s.blocks - s.bfree) * s.bsize;
          const freePercent = total > 0 ? Math.round((free / total) * 1000) / 10 : 0;
          return { path, total, free, used, free_percent: freePercent, state: freePercent < warnBelowPercent ? 'warning' : 'ok', error: null };
        } catch (err) {
          return { path, total: 0, free: 0, used: 0, free_percent: 0, state: 'unknown', error: unreadable(err as NodeJS.ErrnoException) };
        }
      }),
    );
  },
};

/** Why a volume could not be read, for a person: the errno's meaning, then its code. */
function unreadable(err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = { ENOENT: 'no such directory', EACCES: 'permission denied', ENOTDIR: 'not a directory' };
  return err.code ? `${why[err.code] ?? 'cannot be read'} (${err.code})` : String(err);
}
