import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { ManualClock } from '../../src/kernel/clock.js';
import { ConfigError } from '../../src/kernel/config.js';
import { MIGRATIONS } from '../../src/api/migrations.js';
import { openStore, storeTarget, type Store } from '../../src/store/db.js';
import { DISABLE_ALL, migrate as migrateWith, type Migration } from '../../src/store/migrate.js';
import { forEachStore } from '../support/stores.js';

const clock = new ManualClock();
const ALL = MIGRATIONS.map((m) => m.id);
/** The migrations that build, directly or not, on `id` (with it): skipping it skips them. */
function buildingOn(id: string): string[] {
  const out = new Set([id]);
  for (const m of MIGRATIONS) if (m.needs.some((n) => out.has(n))) out.add(m.id);
  return ALL.filter((m) => out.has(m));
}
/** The registry's migrations (or `list`), skipping `skipped`. */
const migrate = (store: Store, clock: ManualClock, skipped: readonly string[] = [], list: readonly Migration[] = MIGRATIONS) =>
  migrateWith(store, clock, list, skipped);

async function tableNames(store: Store): Promise<string[]> {
  if (store.kind === 'postgres') {
    const r = await sql<{ n: string }>`select table_name as n from information_schema.tables where table_schema = current_schema()`.execute(store.db);
    return r.rows.map((row) => row.n).sort();
  }
  const tables = await store.db.introspection.getTables();
  return tables.map((t) => t.name).sort();
}

/** The same suite on each kind of store. */
forEachStore('store', (backend) => {
  const fresh = () => backend.open();

  backend.it('applies every migration once, in order, and records them', async () => {
    const store = await fresh();
    try {
      const first = await migrate(store, clock);
      assert.deepEqual(first.applied, ALL);
      const second = await migrate(store, clock);
      assert.deepEqual(second.applied, [], 'nothing runs twice');
      const rows = await store.db.selectFrom('hearth_migrations').select(['id', 'applied_at']).orderBy('id').execute();
      assert.deepEqual(
        rows.map((r) => r.id),
        ALL,
      );
      assert.equal(rows[0]!.applied_at, clock.now());
      assert.ok((await tableNames(store)).includes('accounts'));
    } finally {
      await store.close();
    }
  });

  backend.it('skips the migrations named in skipped_migrations, and runs them once no longer skipped', async () => {
    const store = await fresh();
    try {
      const skipped = buildingOn('0001_accounts');
      assert.ok(skipped.length > 1 && skipped.length < ALL.length, 'some migrations build on the accounts, some (the jobs table) do not');
      const report = await migrate(store, clock, ['0001_accounts']);
      assert.deepEqual(report.skipped, skipped, 'what builds on a skipped migration is skipped with it');
      assert.deepEqual(
        report.applied,
        ALL.filter((id) => !skipped.includes(id)),
        'what does not is applied',
      );
      assert.ok(!(await tableNames(store)).includes('accounts'));
      const later = await migrate(store, clock, []);
      assert.deepEqual(later.applied, skipped);
      assert.ok((await tableNames(store)).includes('accounts'));
    } finally {
      await store.close();
    }
  });

  backend.it('DISABLE_ALL disables the migration module entirely', async () => {
    const store = await fresh();
    try {
      const report = await migrate(store, clock, [DISABLE_ALL]);
      assert.equal(report.disabled, true);
      assert.deepEqual(await tableNames(store), []);
    } finally {
      await store.close();
    }
  });

  backend.it('a failing migration leaves nothing half-done and is retried next time', async () => {
    const store = await fresh();
    try {
      const broken = [
        ...MIGRATIONS,
        {
          id: '9999_broken',
          needs: [],
          async up(db: any) {
            await db.schema.createTable('half').addColumn('a', 'text').execute();
            throw new Error('boom');
          },
        },
      ];
      await assert.rejects(migrate(store, clock, [], broken), /boom/);
      assert.ok(!(await tableNames(store)).includes('half'), 'the migration was rolled back');
      const rows = await store.db.selectFrom('hearth_migrations').select('id').execute();
      assert.deepEqual(rows.map((r) => r.id).sort(), ALL, 'the earlier ones stay applied');
    } finally {
      await store.close();
    }
  });

  backend.it('stores and reads rows with numbers as numbers', async () => {
    const store = await fresh();
    try {
      await migrate(store, clock);
      await store.db
        .insertInto('accounts')
        .values({
          id: 'a1',
          username: 'alice',
          password_hash: 'x',
          role: 'creator',
          full_name: '',
          security_stamp: 's',
          created_at: 1_790_000_000_000,
          updated_at: 1_790_000_000_000,
        })
        .execute();
      const row = await store.db.selectFrom('accounts').selectAll().where('username', '=', 'alice').executeTakeFirstOrThrow();
      assert.equal(row.created_at, 1_790_000_000_000);
      await assert.rejects(
        store.db
          .insertInto('accounts')
          .values({ ...row, id: 'a2' })
          .execute(),
        /unique|duplicate/i,
        'usernames are unique',
      );
    } finally {
      await store.close();
    }
  });

  if (backend.kind === 'postgres') {
    backend.it('replicas starting together migrate once (advisory lock)', async () => {
      const made = await backend.fresh();
      const a = await openStore(made.target);
      const b = await openStore(made.target);
      try {
        const [ra, rb] = await Promise.all([migrate(a, clock), migrate(b, clock)]);
        assert.deepEqual([...ra.applied, ...rb.applied].sort(), [...ALL].sort());
        const n = await sql<{ n: number }>`select count(*)::int as n from hearth_migrations`.execute(a.db);
        assert.equal(n.rows[0]!.n, ALL.length);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }
});

describe('[store] url', () => {
  it('empty → hearth.db in the home; sqlite:PATH; postgres://…; anything else is refused', () => {
    assert.deepEqual(storeTarget('', '/h'), { kind: 'sqlite', target: '/h/hearth.db' });
    assert.deepEqual(storeTarget('sqlite:data/x.db', '/h'), { kind: 'sqlite', target: '/h/data/x.db' });
    assert.deepEqual(storeTarget('sqlite:///var/x.db', '/h'), { kind: 'sqlite', target: '/var/x.db' });
    assert.equal(storeTarget('postgresql://u@h/db', '/h').kind, 'postgres');
    assert.throws(() => storeTarget('mysql://u@h/db', '/h'), ConfigError);
  });
});
