/** Where the installed package lives, found from this file whether it runs from dist/ or a bundle. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('hearth: cannot find its package.json');
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();
/** The daemon's entry point, which the CLI starts when no daemon answers. */
export const DAEMON_MAIN = join(PACKAGE_ROOT, 'dist', 'hearthd.mjs');
/**
 * The Node.js options hearthd runs with, wherever it is started (the CLI, `npm start`, the
 * systemd unit, the tests): a young generation of at most 4 MB per semi-space. A personal
 * server's requests leave little alive; a vault sync would otherwise grow it to 16 MB per
 * semi-space and the resident memory with it (`npm run bench` shows both), at no measured
 * cost in requests per second.
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=4'];
