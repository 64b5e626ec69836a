/**
 * Start-up allocates much that it soon drops (loading modules, compiling, migrating); V8 grows
 * the young generation to fit that churn and an idle daemon would keep the room (some 15 MB of
 * its resident memory). So the young generation keeps its first size until start-up is over, and
 * may grow again under load after. Evaluated by ./entry.ts before the other modules load.
 */
import { setFlagsFromString } from 'node:v8';

/** V8's default growth factor. */
const SEMI_SPACE_GROWTH = 2;

setFlagsFromString('--semi-space-growth-factor=1');

export function startupOver(): void {
  setFlagsFromString(`--semi-space-growth-factor=${SEMI_SPACE_GROWTH}`);
}
