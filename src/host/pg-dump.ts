/**
 * A PostgreSQL store's dump and load, argv only: `pg_dump` makes a consistent plain-SQL dump;
 * `psql` loads one into an empty database in a single transaction, stopping at the first error (so
 * a failed load leaves the database as it was). The password, when the URL has one, goes in
 * PGPASSWORD, never on the command line; a `search_path` in the URL's options limits the dump to
 * that schema.
 */
import { spawn } from 'node:child_process';

/** The URL without its password, and an environment carrying the password for libpq. */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', PGCONNECT_TIMEOUT: '10' };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.toString(), env };
}

/** The schema a store URL's `options` (`-c search_path=NAME`) names, or `public`. */
export function urlSchema(url: string): string {
  const options = new URL(url).searchParams.get('options') ?? '';
  return (/search_path=([A-Za-z0-9_]+)/.exec(options)?.[1] ?? 'public').toLowerCase();
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { shell: false, stdio: ['ignore', 'ignore', 'pipe'], env, signal });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', (e) => reject(new Error(`${tool}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      // The error itself, not the HINT or DETAIL lines that follow it.
      const lines = err.trim().split('\n');
      const why = [...lines].reverse().find((l) => /\b(ERROR|FATAL|error):/.test(l)) ?? lines.at(-1) ?? '';
      reject(new Error(`${tool}: ${why.replace(/^(pg_dump|psql):\s*/, '') || `exit code ${code}`}`));
    });
  });
}

export function pgDump(url: string, file: string, signal?: AbortSignal): Promise<void> {
  const { dbname, env } = connection(url);
  const options = new URL(url).searchParams.get('options') ?? '';
  const schema = /search_path=([A-Za-z0-9_]+)/.exec(options)?.[1];
  const args = ['--format=plain', '--no-owner', '--no-privileges', `--file=${file}`, ...(schema ? [`--schema=${schema}`] : []), `--dbname=${dbname}`];
  return run('pg_dump', args, env, signal);
}

/**
 * Loads a plain-SQL dump with `psql`: `before` (SQL statements) and then the file, all in one
 * transaction, stopping at the first error; psql's own startup file is not read.
 */
export function pgLoad(url: string, file: string, before: readonly string[] = [], signal?: AbortSignal): Promise<void> {
  const { dbname, env } = connection(url);
  const args = [
    '--no-psqlrc',
    '--quiet',
    '--set=ON_ERROR_STOP=1',
    '--single-transaction',
    ...before.flatMap((s) => ['--command', s]),
    `--file=${file}`,
    `--dbname=${dbname}`,
  ];
  return run('psql', args, env, signal);
}
