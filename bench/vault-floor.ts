/**
 * The floor for the vault's sync, in a process of its own like hearthd: read the same rows from
 * the same store and JSON.stringify them. Prints {"p50": ms, "peakMb": VmHWM} as JSON.
 *
 *   node dist/bench/vault-floor.js HOME USERNAME ROUNDS
 */
import { readFileSync } from 'node:fs';
import { openStore, storeTarget } from '../src/store/db.js';

const [home, username, roundsArg] = process.argv.slice(2) as [string, string, string];
const rounds = Number(roundsArg);
const store = await openStore(storeTarget('', home));
const accountId = (await store.db.selectFrom('accounts').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
const times: number[] = [];
let bytes = 0;
for (let i = 0; i < rounds + 3; i++) {
  const t0 = performance.now();
  const [user, folders, ciphers] = await Promise.all([
    store.db.selectFrom('vault_users').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow(),
    store.db.selectFrom('vault_folders').selectAll().where('account_id', '=', accountId).execute(),
    store.db.selectFrom('vault_ciphers').selectAll().where('account_id', '=', accountId).execute(),
  ]);
  bytes = JSON.stringify({ user, folders, ciphers }).length;
  if (i >= 3) times.push(performance.now() - t0);
}
await store.close();
const hwm = readFileSync('/proc/self/status', 'utf8')
  .split('\n')
  .find((l) => l.startsWith('VmHWM:'))!;
times.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ p50: times[Math.floor(times.length / 2)], peakMb: Number(hwm.replace(/\D+/g, '')) / 1024, bytes }));
