/**
 * A consistent dump of a PostgreSQL store with `pg_dump` (argv only): the password, when the URL
 * has one, goes in PGPASSWORD, never on the command line; a `search_path` in the URL's options
 * limits the dump to that schema.
 */
import { spawn } from 'node:child_process';

export function pgDump(url: string, file: string, signal?: AbortSignal): Promise<void> {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  u.password = '';
  const options = u.searchParams.get('options') ?? '';
  const schema = /search_path=([A-Za-z0-9_]+)/.exec(options)?.[1];
  const args = ['--format=plain', '--no-owner', '--no-privileges', `--file=${file}`, ...(schema ? [`--schema=${schema}`] : []), `--dbname=${u.toString()}`];
  return new Promise((resolve, reject) => {
    const child = spawn('pg_dump', args, { shell: false, stdio: ['ignore', 'ignore', 'pipe'], env, signal });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', (e) => reject(new Error(`pg_dump: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_dump: ${err.trim().split('\n').at(-1) ?? `exit code ${code}`}`))));
  });
}
