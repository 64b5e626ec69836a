/**
 * Role tokens (Swarm Bee's /auth and /refresh, done better) over real HTTP: the admin password
 * as Basic auth, roles from a closed list, capped expiry, refresh that never raises a role nor
 * outlives the chain's maximum, revocation seen by every replica, and keys shared by replicas.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/auth/passwords.js';
import { bearer, call, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { pgSchema, pgSkip } from '../support/pg.js';

const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`:${password}`).toString('base64')}` });

async function auth(d: { url: string }, password: string, body: unknown) {
  return call(d, '/auth', body, { headers: basic(password) });
}

describe('role tokens', () => {
  let d: InProcessDaemon;
  const anon = () => ({ url: d.url });
  before(async () => {
    const hash = await hashPassword('admin-secret-pw');
    d = await startInProcess({
      env: { HEARTH_SECURITY_ADMIN_PASSWORD_HASH: hash, HEARTH_SECURITY_MAX_TOKEN_TTL: '7200', HEARTH_SECURITY_MAX_TOKEN_CHAIN: '14400' },
    });
  });
  after(() => d.stop());

  it('POST /auth with the admin password → 201 {key} for the role asked', async () => {
    const r = await auth(anon(), 'admin-secret-pw', { role: 'auditor', expiry: 3600 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.key, /^hr_[A-Za-z0-9_-]{60,}$/);
    assert.equal(r.body.role, 'auditor');
    const who = await call(anon(), 'core/whoami', undefined, { headers: bearer(r.body.key) });
    assert.deepEqual(
      { ...who.body.result, credential_id: undefined },
      { credential: 'role', credential_id: undefined, account: null, role: 'auditor', owner: false },
    );
    assert.equal((await call(anon(), 'core/status', undefined, { headers: bearer(r.body.key) })).status, 200, 'auditor route');
    const stop = await call(anon(), 'core/stop', undefined, { headers: bearer(r.body.key) });
    assert.equal(stop.status, 403, 'a good token with too low a role → 403');
    assert.equal(stop.body.error.code, 'forbidden');
  });

  it('a wrong or missing admin password → 401 with WWW-Authenticate', async () => {
    for (const headers of [basic('wrong-password'), {}, { authorization: 'Basic !!!' }]) {
      const r = await call(anon(), '/auth', { role: 'consumer', expiry: 60 }, { headers });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="hearth"');
      assert.ok(r.body.error && r.body.code.startsWith('user:'));
    }
  });

  it('roles are a closed list and expiry must be a positive number → 400; a long expiry is cut to max_token_ttl', async () => {
    for (const body of [
      { role: 'god', expiry: 60 },
      { role: 'accountant', expiry: 60 },
      { role: 'consumer', expiry: 0 },
      { role: 'consumer', expiry: -5 },
      { role: 'consumer' },
    ]) {
      const r = await auth(anon(), 'admin-secret-pw', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error, /role must be one of consumer, creator, auditor, maintainer|expiry must be/);
    }
    // The native command names the roles too, not "must be equal to constant".
    const native = await call(d, 'token/create', { role: 'god', expiry: 60 });
    assert.equal(native.status, 400);
    assert.equal(native.body.error.message, 'parameter "role" must be one of "consumer", "creator", "auditor", "maintainer"');
    const long = await auth(anon(), 'admin-secret-pw', { role: 'consumer', expiry: 10 ** 7 });
    assert.equal(long.status, 201);
    assert.equal(Date.parse(long.body.expires_at), d.clock.now() + 7200 * 1000);
  });

  it('a well-sealed token this store has no record of (an older backup restored, another store under the key) → 401', async () => {
    const r = await auth(anon(), 'admin-secret-pw', { role: 'auditor', expiry: 3600 });
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: bearer(r.body.key) })).status, 200);
    await d.daemon.hearth.store.db.deleteFrom('role_tokens').where('id', '=', r.body.id).execute();
    const gone = await call(anon(), 'core/whoami', undefined, { headers: bearer(r.body.key) });
    assert.equal(gone.status, 401);
    assert.match(gone.body.error.message, /not issued by this server's store/);
  });

  it('an expired, tampered, garbage or empty token → 401 user:badAuth, never 500', async () => {
    const { key } = (await auth(anon(), 'admin-secret-pw', { role: 'consumer', expiry: 60 })).body;
    const flipped = key.slice(0, 20) + (key[20] === 'A' ? 'B' : 'A') + key.slice(21);
    for (const bad of [flipped, 'hr_garbage', 'hr_', `${key}x`, 'hr_' + 'A'.repeat(2000)]) {
      const r = await call(anon(), 'core/whoami', undefined, { headers: bearer(bad) });
      assert.equal(r.status, 401, bad.slice(0, 30));
      assert.equal(r.body.error.code, 'user:badAuth');
    }
    d.clock.advance(61_000);
    const expired = await call(anon(), 'core/whoami', undefined, { headers: bearer(key) });
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
  });

  it('/refresh: a new key, the old one revoked at once; the role may go down, never up', async () => {
    const { key, label } = (await auth(anon(), 'admin-secret-pw', { role: 'creator', expiry: 600, label: 'monitoring' })).body;
    assert.equal(label, 'monitoring');
    const up = await call(anon(), '/refresh', { role: 'maintainer' }, { headers: bearer(key) });
    assert.equal(up.status, 403);
    const down = await call(anon(), '/refresh', { role: 'consumer', expiry: 300 }, { headers: bearer(key) });
    assert.equal(down.status, 201, JSON.stringify(down.body));
    assert.equal(down.body.role, 'consumer');
    assert.equal(down.body.label, 'monitoring', 'a refresh keeps the label');
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: bearer(key) })).status, 401, 'the old key is revoked');
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: bearer(down.body.key) })).body.result.role, 'consumer');
    const again = await call(anon(), '/refresh', {}, { headers: bearer(key) });
    assert.equal(again.status, 401, 'a revoked key cannot be refreshed');
    assert.equal(again.headers.get('www-authenticate'), 'Bearer realm="hearth"');
    const none = await call(anon(), '/refresh', {});
    assert.equal(none.status, 401);
    const bodiless = await call(anon(), '/refresh', undefined, { headers: bearer(down.body.key) });
    assert.equal(bodiless.status, 201, 'no body keeps the role and lifetime');
    assert.equal(bodiless.body.role, 'consumer');
  });

  it('/refresh takes only role tokens', async () => {
    const r = await call(d, '/refresh', {});
    assert.equal(r.status, 401, 'the global token is not a Bearer role token');
  });

  it('a refresh chain ends at max_token_chain however often it is refreshed', async () => {
    let { key } = (await auth(anon(), 'admin-secret-pw', { role: 'consumer', expiry: 3600 })).body;
    let refreshed = 0;
    for (let i = 0; i < 10; i++) {
      d.clock.advance(3000_000); // 50 minutes
      const r = await call(anon(), '/refresh', {}, { headers: bearer(key) });
      if (r.status !== 201) {
        assert.equal(r.status, 401);
        assert.match(r.body.error, /max_token_chain|expired/);
        break;
      }
      assert.ok(Date.parse(r.body.expires_at) <= d.clock.now() - 50 * 60_000 * (i + 1) + 14_400_000, 'never past the chain end');
      key = r.body.key;
      refreshed++;
    }
    assert.ok(refreshed >= 3 && refreshed <= 5, `refreshed ${refreshed} times within a 4 h chain`);
  });

  it('token/list shows live tokens; token/revoke ends one before its expiry', async () => {
    const made = await call(d, 'token/create', ['auditor', 600]);
    assert.equal(made.status, 200);
    const { key, id } = made.body.result;
    const list = await call(d, 'token/list');
    const row = list.body.result.find((t: { id: string }) => t.id === id);
    assert.deepEqual({ role: row.role, revoked: row.revoked }, { role: 'auditor', revoked: false });
    assert.ok(!JSON.stringify(list.body).includes(key), 'the list never shows a key');
    assert.equal((await call(d, 'token/revoke', [id])).status, 200);
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: bearer(key) })).status, 401);
    assert.equal((await call(d, 'token/revoke', ['no-such-id'])).status, 404);
    // A label says what a token is for; the console and `token list` show the id's first 8
    // characters, and those name it for token/revoke too.
    const labelled = (await call(d, 'token/create', { role: 'auditor', expiry: 600, label: '  backup script ' })).body.result;
    assert.equal(labelled.label, 'backup script');
    const listed = (await call(d, 'token/list')).body.result.find((t: { id: string }) => t.id === labelled.id);
    assert.equal(listed.label, 'backup script');
    const short = labelled.id.slice(0, 8);
    const byPrefix = await call(d, 'token/revoke', [short]);
    assert.equal(byPrefix.status, 200, JSON.stringify(byPrefix.body));
    assert.equal(byPrefix.body.result.revoked, labelled.id, 'it answers the whole id');
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: bearer(labelled.key) })).status, 401);
    assert.equal((await call(d, 'token/revoke', [labelled.id.slice(0, 7)])).status, 404, 'fewer than 8 characters name nothing');
    assert.equal((await call(d, 'token/create', { role: 'auditor', expiry: 600, label: 'x'.repeat(101) })).status, 400);
    const byAuditor = await call(anon(), 'token/list', undefined, { headers: bearer((await call(d, 'token/create', ['auditor', 600])).body.result.key) });
    assert.equal(byAuditor.status, 403, "listing tokens is the owner's");
  });

  it("role tokens cannot make or change stored credentials, nor touch the owner's devices", async () => {
    const { key } = (await call(d, 'token/create', ['maintainer', 600])).body.result;
    const as = { headers: bearer(key) };
    for (const [path, body] of [
      ['device/pair', undefined],
      ['recovery/create', {}],
      ['token/create', ['maintainer', 600]],
      ['device/list', undefined],
      ['device/revoke', ['ownerlaptop']],
      ['recovery/status', undefined],
      ['bonafide/invite/create', undefined],
    ] as [string, unknown][]) {
      const r = await call(anon(), path, body, as);
      assert.equal(r.status, 403, path);
    }
    assert.equal((await call(d, 'bonafide/user/create', ['theowner', 'owner-password'])).status, 200);
    const made = await call(anon(), 'bonafide/user/create', { username: 'svc', pass: 'svc-password', role: 'maintainer' }, as);
    assert.equal(made.status, 403, 'a role token creates no maintainer account');
  });

  it('parallel refreshes of one token: exactly one new token', async () => {
    const { key } = (await call(d, 'token/create', ['consumer', 600])).body.result;
    const all = await Promise.all(Array.from({ length: 10 }, () => call(anon(), '/refresh', {}, { headers: bearer(key) })));
    assert.equal(all.filter((r) => r.status === 201).length, 1);
    assert.equal(all.filter((r) => r.status === 401).length, 9);
  });
});

describe('role tokens across replicas', async () => {
  const skip = await pgSkip();
  it("replicas sharing the key accept each other's tokens and see each other's revocations; another key is refused", { skip }, async () => {
    const { url, drop } = await pgSchema();
    const shared = { HEARTH_STORE_URL: url, HEARTH_SECURITY_TOKEN_ENCRYPTION_KEY: 'one shared secret for both replicas' };
    const a = await startInProcess({ env: shared });
    const b = await startInProcess({ env: shared });
    const other = await startInProcess({ env: { HEARTH_STORE_URL: url, HEARTH_SECURITY_TOKEN_ENCRYPTION_KEY: 'a different secret, also long enough' } });
    try {
      const { key, id } = (await call(a, 'token/create', ['auditor', 600])).body.result;
      assert.equal((await call({ url: b.url }, 'core/whoami', undefined, { headers: bearer(key) })).status, 200, "b accepts a's token");
      assert.equal((await call({ url: other.url }, 'core/whoami', undefined, { headers: bearer(key) })).status, 401, 'another key refuses it');
      await call(a, 'token/revoke', [id]);
      assert.equal((await call({ url: b.url }, 'core/whoami', undefined, { headers: bearer(key) })).status, 401, "b sees a's revocation");
    } finally {
      await Promise.all([a.stop(), b.stop(), other.stop()]);
      await drop();
    }
  });

  it('without a configured key, a random one kept in the home survives restarts; deleting it revokes all', async () => {
    const a = await startInProcess();
    const { key } = (await call(a, 'token/create', ['consumer', 600])).body.result;
    await a.stop();
    const again = await startInProcess({ home: a.home });
    try {
      assert.equal((await call({ url: again.url }, 'core/whoami', undefined, { headers: bearer(key) })).status, 200);
    } finally {
      await again.stop();
    }
    const { rmSync } = await import('node:fs');
    rmSync(`${a.home}/token.key`);
    const fresh = await startInProcess({ home: a.home });
    try {
      assert.equal((await call({ url: fresh.url }, 'core/whoami', undefined, { headers: bearer(key) })).status, 401);
    } finally {
      await fresh.stop();
    }
  });
});

describe('admin password hashes', () => {
  it("bcrypt (as Swarm Bee's `bee bcrypt`) is accepted as well as argon2id", async () => {
    const { hash } = await import('@node-rs/bcrypt');
    const d = await startInProcess({ env: { HEARTH_SECURITY_ADMIN_PASSWORD_HASH: await hash('bcrypt-admin-pw', 4) } });
    try {
      assert.equal((await auth({ url: d.url }, 'bcrypt-admin-pw', { role: 'consumer', expiry: 60 })).status, 201);
      assert.equal((await auth({ url: d.url }, 'bcrypt-admin-pX', { role: 'consumer', expiry: 60 })).status, 401);
    } finally {
      await d.stop();
    }
  });

  it('with no admin password set, /auth says how to set one', async () => {
    const d = await startInProcess();
    try {
      const r = await auth({ url: d.url }, 'anything-at-all', { role: 'consumer', expiry: 60 });
      assert.equal(r.status, 401);
      assert.match(r.body.error, /hearth admin hash-password.*admin_password_hash/);
    } finally {
      await d.stop();
    }
  });
});
