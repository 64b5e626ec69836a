import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { compiledOnce, openStore, storeTarget } from '../../src/store/db.js';
import { bearer, call, type InProcessDaemon, sessionAuth, setupCode, startInProcess, tempHome } from '../support/helpers.js';
import { pgSchema, pgSkip } from '../support/pg.js';
import { forEachStore, type FreshStore } from '../support/stores.js';

const DELETE_DEVICE = "delete from credentials where kind = 'device' and name = 'tablet'";

/** The per-request lookups are compiled once and their statements kept prepared: revocation must still be immediate. */
forEachStore(
  (kind) => `stored credentials on ${kind}: revocation takes effect on the next call`,
  (store) => {
    let d: InProcessDaemon & { store: FreshStore };
    const pass = 'correct horse battery';
    store.before(async () => {
      d = await store.startInProcess();
      assert.equal((await call(d, 'bonafide/user/create', { username: 'alice', pass, setup_code: setupCode(d.home) }, { noToken: true })).status, 200);
    });

    const whoami = (headers: Record<string, string>) => call(d, 'core/whoami', {}, { headers, noToken: true });
    async function newDevice(name: string): Promise<string> {
      const phrase = (await call(d, 'device/pair', {})).body.result.token as string;
      const r = await call(d, '/auth/new_device/authorize', { token: phrase, device: name }, { noToken: true });
      assert.equal(r.status, 200);
      return r.body.token as string;
    }

    store.it('a device token revoked by name', async () => {
      const token = await newDevice('phone');
      assert.equal((await whoami(bearer(token))).body.result.credential, 'device');
      assert.equal((await call(d, 'device/revoke', { name: 'phone' })).status, 200);
      assert.equal((await whoami(bearer(token))).status, 401);
    });

    store.it('a role token revoked by id', async () => {
      const issued = (await call(d, 'token/create', ['auditor', 3600])).body.result;
      assert.equal((await whoami(bearer(issued.key))).body.result.credential, 'role');
      assert.equal((await call(d, 'token/revoke', { id: issued.id })).status, 200);
      assert.equal((await whoami(bearer(issued.key))).status, 401);
    });

    store.it('a session ended by logout', async () => {
      const login = (await call(d, 'bonafide/user/authenticate', { username: 'alice', pass }, { noToken: true })).body.result;
      const headers = sessionAuth('alice', login.token);
      assert.equal((await whoami(headers)).body.result.account, 'alice');
      assert.equal((await call(d, 'bonafide/user/logout', {}, { headers, noToken: true })).status, 200);
      assert.equal((await whoami(headers)).status, 401);
    });

    store.it('a credential deleted by another connection to the store', async () => {
      const token = await newDevice('tablet');
      assert.equal((await whoami(bearer(token))).status, 200);
      if (store.kind === 'sqlite') {
        const other = new SQLite(join(d.home, 'hearth.db'));
        try {
          assert.equal(other.prepare(DELETE_DEVICE).run().changes, 1);
        } finally {
          other.close();
        }
      } else {
        const other = new pg.Client({ connectionString: d.store.url });
        await other.connect();
        try {
          assert.equal((await other.query(DELETE_DEVICE)).rowCount, 1);
        } finally {
          await other.end();
        }
      }
      assert.equal((await whoami(bearer(token))).status, 401);
    });
  },
);

describe('compiledOnce', () => {
  it('runs the query with new parameters, and refuses a query whose parameters are not its arguments', async () => {
    const store = await openStore(storeTarget('', tempHome()));
    try {
      const byNumber = compiledOnce((db, n: number) => db.selectNoFrom((eb) => eb.val(n).as('n')));
      assert.deepEqual(await byNumber(store, 1), [{ n: 1 }]);
      assert.deepEqual(await byNumber(store, 2), [{ n: 2 }]);
      const hidden = compiledOnce((db, n: number) => db.selectNoFrom((eb) => [eb.val(n).as('n'), eb.val('x').as('x')]));
      await assert.rejects(async () => hidden(store, 1), /parameters must be its arguments/);
    } finally {
      await store.close();
    }
  });

  forEachStore('store.read', (backend) => {
    backend.it('sees what a write committed at once, and nothing of a transaction still open', async () => {
      const store = await backend.open();
      try {
        await sql`create table t (v text)`.execute(store.db);
        const values = async () => (await store.read<{ v: string }>('select v from t order by v', [])).map((r) => r.v);
        assert.deepEqual(await values(), []);
        await store.db
          .insertInto('t' as never)
          .values({ v: 'a' } as never)
          .execute();
        assert.deepEqual(await values(), ['a']);
        await store.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('t' as never)
            .values({ v: 'b' } as never)
            .execute();
          assert.deepEqual(await values(), ['a'], 'an uncommitted row is not read');
        });
        assert.deepEqual(await values(), ['a', 'b']);
      } finally {
        await store.close();
      }
    });
  });
});

describe('stored credentials across replicas', async () => {
  const skip = await pgSkip();
  it(
    'two replicas on one PostgreSQL store: a revoked device, an ended session, a changed password are refused by the other on the next call',
    { skip },
    async () => {
      const { url, drop } = await pgSchema();
      const a = await startInProcess({ env: { HEARTH_STORE_URL: url } });
      const b = await startInProcess({ env: { HEARTH_STORE_URL: url } });
      try {
        const pass = 'correct horse battery';
        assert.equal((await call(a, 'bonafide/user/create', { username: 'alice', pass, setup_code: setupCode(a.home) }, { noToken: true })).status, 200);
        const onB = (headers: Record<string, string>) => call({ url: b.url }, 'core/whoami', {}, { headers });
        const login = async () =>
          sessionAuth('alice', (await call(a, 'bonafide/user/authenticate', { username: 'alice', pass }, { noToken: true })).body.result.token);
        const phrase = (await call(a, 'device/pair', {})).body.result.token as string;
        const device = bearer((await call({ url: a.url }, '/auth/new_device/authorize', { token: phrase, device: 'phone' })).body.token as string);

        assert.equal((await onB(device)).status, 200, "b accepts a's device token");
        assert.equal((await call(a, 'device/revoke', { name: 'phone' })).status, 200);
        assert.equal((await onB(device)).status, 401, 'b refuses it once a revoked it');

        const ended = await login();
        assert.equal((await onB(ended)).status, 200, "b accepts a's session");
        assert.equal((await call({ url: a.url }, 'bonafide/user/logout', {}, { headers: ended })).status, 200);
        assert.equal((await onB(ended)).status, 401, 'b refuses it once it was ended on a');

        const changer = await login();
        const other = await login();
        assert.equal((await onB(other)).status, 200);
        const changed = await call({ url: a.url }, 'bonafide/user/update', { oldpass: pass, newpass: 'another horse battery' }, { headers: changer });
        assert.equal(changed.status, 200, JSON.stringify(changed.body));
        assert.equal((await onB(other)).status, 401, 'b refuses the other session once the password changed on a');
        assert.equal((await onB(changer)).status, 200, 'the session that changed it goes on');
      } finally {
        await Promise.all([a.stop(), b.stop()]);
        await drop();
      }
    },
  );
});
