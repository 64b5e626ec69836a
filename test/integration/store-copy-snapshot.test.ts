/**
 * The copy reads one consistent snapshot of the source: rows written by another connection (a
 * running hearthd) while the copy runs are not half in it, and the counts and checksums it
 * verifies are those of the snapshot. On each store kind as the source, into SQLite.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MIGRATIONS } from '../../src/api/migrations.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { copyStore } from '../../src/store/copy.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { tempHome } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';

const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
const account = (id: string) => ({
  id,
  username: id,
  password_hash: 'x',
  role: 'user',
  full_name: '',
  security_stamp: 's',
  created_at: 1,
  updated_at: 1,
  owner: 0,
});

forEachStore(
  (kind) => `store copy from ${kind}: a consistent snapshot`,
  (store) => {
    store.it('rows written by another connection during the copy are not in it, and the copy verifies', async () => {
      const fresh = await store.fresh();
      const source: Store = await openStore(fresh.target);
      const writer: Store = await openStore(fresh.target);
      const target = await openStore({ kind: 'sqlite', target: join(tempHome(), 'copy.db') });
      try {
        await migrate(source, clock, MIGRATIONS);
        await source.db
          .insertInto('accounts')
          .values([account('a1'), account('a2')])
          .execute();
        await source.db
          .insertInto('credentials')
          .values({
            id: 'c1',
            kind: 'device',
            account_id: 'a1',
            name: 'phone',
            token_hash: 'h',
            role: 'user',
            created_at: 1,
            last_used_at: null,
            expires_at: null,
            max_expires_at: null,
            csrf_hash: null,
          })
          .execute();
        let wrote = false;
        const report = await copyStore(source, target, {
          migrations: MIGRATIONS,
          clock,
          batchSize: 1,
          // While the first table is being copied, another connection adds an account and a credential.
          onProgress: async (p) => {
            if (wrote || p.table !== 'accounts' || p.done !== 1) return;
            wrote = true;
            await writer.db.transaction().execute(async (tx) => {
              await tx.insertInto('accounts').values(account('late')).execute();
              await tx
                .insertInto('credentials')
                .values({
                  id: 'c2',
                  kind: 'device',
                  account_id: 'late',
                  name: 'x',
                  token_hash: 'h2',
                  role: 'user',
                  created_at: 1,
                  last_used_at: null,
                  expires_at: null,
                  max_expires_at: null,
                  csrf_hash: null,
                })
                .execute();
            });
          },
        });
        // The write went through on the source (the copy never blocked it)…
        assert.ok(wrote);
        assert.equal((await writer.db.selectFrom('accounts').select('id').execute()).length, 3);
        // …and is not in the copy, which holds the snapshot whole.
        const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
        assert.equal(rows.accounts, 2);
        assert.equal(rows.credentials, 1);
        assert.deepEqual(
          (await target.db.selectFrom('accounts').select('id').orderBy('id').execute()).map((r) => r.id),
          ['a1', 'a2'],
        );
        assert.deepEqual(
          (await target.db.selectFrom('credentials').select('id').execute()).map((r) => r.id),
          ['c1'],
        );
        assert.equal(report.tables[0]!.table, 'accounts');
      } finally {
        await writer.close();
        await source.close();
        await target.close();
      }
    });
  },
);
