/**
 * SelfPrivacy's REST surface over real HTTP, on SQLite and on PostgreSQL: device tokens, pairing
 * phrases, recovery tokens, users, and the races SelfPrivacy 1.2.x lost.
 */
import assert from 'node:assert/strict';
import { entropyToMnemonic, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { randomBytes } from 'node:crypto';
import { bearer, call, type CallResult, type InProcessDaemon } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';

type Headers = Record<string, string>;

const PASS = 'correct horse battery';

interface Server extends InProcessDaemon {
  global: Headers;
}

/** One REST call: `method path`, with optional JSON body, headers, and a forwarded client address. */
function rest(
  d: { url: string },
  method: string,
  path: string,
  opts: { auth?: Headers; body?: unknown; from?: string; emptyJson?: boolean } = {},
): Promise<CallResult> {
  const headers: Headers = { ...opts.auth };
  if (opts.from) headers['x-forwarded-for'] = opts.from;
  if (opts.emptyJson) {
    headers['content-type'] = 'application/json; charset=utf-8';
    return call({ url: d.url }, path, undefined, { method, headers, raw: '' });
  }
  return call({ url: d.url }, path, opts.body, { method, headers });
}

/** A native command with the global token. */
async function native(d: Server, path: string, params: unknown): Promise<any> {
  const r = await call({ url: d.url }, path, params, { headers: d.global });
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  return r.body.result;
}

/** Creates an account (the first is the owner) and logs it in: its session's Authorization header. */
async function account(d: Server, username: string, role?: string): Promise<Headers> {
  await native(d, 'bonafide/user/create', { username, pass: PASS, ...(role ? { role } : {}) });
  const r = await call({ url: d.url }, 'bonafide/user/authenticate', { username, pass: PASS });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { authorization: r.body.result.authorization };
}

/** Pairs a new device by `pairer`: its Bearer header, and the device token. */
async function pair(d: Server, pairer: Headers, device = 'phone'): Promise<{ auth: Headers; token: string }> {
  const phrase = await rest(d, 'POST', '/auth/new_device', { auth: pairer });
  assert.equal(phrase.status, 200, JSON.stringify(phrase.body));
  const r = await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: phrase.body.token, device } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { auth: bearer(r.body.token), token: r.body.token };
}

async function whoami(d: { url: string }, auth: Headers): Promise<CallResult> {
  return call({ url: d.url }, 'core/whoami', {}, { headers: auth });
}

async function deviceNames(d: Server, auth: Headers): Promise<string[]> {
  const r = await rest(d, 'GET', '/auth/tokens', { auth });
  assert.equal(r.status, 200);
  return (r.body as { name: string }[]).map((t) => t.name);
}

/** The same words with the last one changed so that the entropy is the same but the checksum fails. */
function breakChecksum(phrase: string): string {
  const words = phrase.split(' ');
  const last = wordlist.indexOf(words.at(-1)!);
  words[words.length - 1] = wordlist[last ^ 1]!; // the lowest bit of the last word is a checksum bit
  const broken = words.join(' ');
  assert.equal(validateMnemonic(broken, wordlist), false);
  return broken;
}

const isPhrase = (s: unknown, words: number) => typeof s === 'string' && s.split(' ').length === words && validateMnemonic(s, wordlist);

/** SelfPrivacy's expiration format, `ms` after the daemon's clock. */
const expiration = (d: Server, ms: number) => new Date(d.clock.now() + ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

forEachStore('SelfPrivacy REST', (store) => {
  /** A fresh daemon on a fresh store; client addresses may be forwarded by 127.0.0.1. */
  const fresh = async (): Promise<Server> => {
    const d = await store.startInProcess({ env: { HEARTH_SERVER_TRUSTED_PROXIES: '["127.0.0.1"]' } });
    return Object.assign(d, { global: { 'x-hearth-auth': d.token } });
  };

  store.it('GET /api/version is public and reports the SelfPrivacy API version', async () => {
    const d = await fresh();
    const r = await rest(d, 'GET', '/api/version');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { version: '1.2.7' });
  });

  store.it('without a credential: 401, also on unknown paths under /auth/ and /users; a wrong Bearer is 401', async () => {
    const d = await fresh();
    for (const [method, path] of [
      ['GET', '/auth/tokens'],
      ['POST', '/auth/new_device'],
      ['GET', '/auth/recovery_token'],
      ['GET', '/users'],
      ['POST', '/users'],
      ['GET', '/auth/no_such_thing'],
      ['GET', '/users/someone/else'],
    ] as const) {
      const r = await rest(d, method, path);
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.equal(typeof r.body.error, 'string', `${method} ${path}: SelfPrivacy's {"error"} shape`);
    }
    assert.equal((await rest(d, 'GET', '/auth/tokens', { auth: bearer('hd_not-a-token') })).status, 401);
    assert.equal((await rest(d, 'GET', '/auth/tokens', { auth: { authorization: 'Bearer' } })).status, 401);
  });

  store.it('a wrong method on an existing route → 405 with Allow; an unknown route → 404, both in SelfPrivacy\'s {"error"} shape', async () => {
    const d = await fresh();
    for (const [method, path, allow] of [
      ['PUT', '/auth/tokens', 'GET, POST, DELETE'],
      ['GET', '/auth/new_device/authorize', 'POST'],
      ['GET', '/auth/recovery_token/use', 'POST'],
      ['PATCH', '/users', 'GET, POST'],
      ['GET', '/users/bob', 'DELETE'],
    ] as const) {
      const r = await rest(d, method, path, { auth: d.global });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get('allow'), allow, `${method} ${path}`);
      assert.equal(typeof r.body.error, 'string');
    }
    const unknown = await rest(d, 'GET', '/users/bob/keys', { auth: d.global });
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.body.error, 'string');
  });

  store.it('GET /auth/tokens lists names and dates, never tokens, and marks the caller', async () => {
    const d = await fresh();
    const a = await pair(d, d.global, 'laptop');
    const b = await pair(d, d.global, 'tablet');
    const r = await rest(d, 'GET', '/auth/tokens', { auth: a.auth });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [
      { name: 'laptop', date: new Date(d.clock.now()).toISOString(), is_caller: true },
      { name: 'tablet', date: new Date(d.clock.now()).toISOString(), is_caller: false },
    ]);
    const text = JSON.stringify(r.body);
    assert.ok(!text.includes(a.token) && !text.includes(b.token) && !text.includes('hd_'), 'no token string is listed');
    const byGlobal = await rest(d, 'GET', '/auth/tokens', { auth: d.global });
    assert.deepEqual(
      (byGlobal.body as { is_caller: boolean }[]).map((t) => t.is_caller),
      [false, false],
    );
  });

  store.it("DELETE /auth/tokens: the caller's own → 400, unknown → 404, another → revoked at once", async () => {
    const d = await fresh();
    const a = await pair(d, d.global, 'laptop');
    const b = await pair(d, d.global, 'tablet');
    assert.equal((await rest(d, 'DELETE', '/auth/tokens', { auth: a.auth, body: { token_name: 'laptop' } })).status, 400);
    assert.equal((await whoami(d, a.auth)).status, 200, 'refusing to delete itself leaves it working');
    assert.equal((await rest(d, 'DELETE', '/auth/tokens', { auth: a.auth, body: { token_name: 'nothing' } })).status, 404);
    assert.equal((await rest(d, 'DELETE', '/auth/tokens', { auth: a.auth, emptyJson: true })).status, 400, 'no name → 400');
    assert.equal((await whoami(d, b.auth)).status, 200);
    const del = await rest(d, 'DELETE', '/auth/tokens', { auth: a.auth, body: { token_name: 'tablet' } });
    assert.equal(del.status, 200);
    assert.equal((await whoami(d, b.auth)).status, 401, "the deleted device's token ends at once");
    assert.equal((await rest(d, 'GET', '/auth/tokens', { auth: b.auth })).status, 401);
    assert.deepEqual(await deviceNames(d, a.auth), ['laptop']);
  });

  store.it("POST /auth/tokens replaces the caller's token: the old one is 401 at once, name and date kept", async () => {
    const d = await fresh();
    const a = await pair(d, d.global, 'laptop');
    const created = new Date(d.clock.now()).toISOString();
    d.clock.advance(3_600_000);
    const r = await rest(d, 'POST', '/auth/tokens', { auth: a.auth, emptyJson: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(typeof r.body.token, 'string');
    assert.notEqual(r.body.token, a.token);
    assert.equal((await whoami(d, a.auth)).status, 401, 'the old token is refused at once');
    const renewed = bearer(r.body.token);
    assert.equal((await whoami(d, renewed)).status, 200);
    const list = await rest(d, 'GET', '/auth/tokens', { auth: renewed });
    assert.deepEqual(list.body, [{ name: 'laptop', date: created, is_caller: true }]);
    assert.equal((await rest(d, 'POST', '/auth/tokens', { auth: d.global })).status, 400, 'only a device token can be replaced');
  });

  store.it('POST /auth/new_device gives 12 BIP39 words; authorizing gives a working device token, once', async () => {
    const d = await fresh();
    const p = await rest(d, 'POST', '/auth/new_device', { auth: d.global, emptyJson: true });
    assert.equal(p.status, 200);
    assert.ok(isPhrase(p.body.token, 12), `12 valid BIP39 words: ${p.body.token}`);
    const second = await rest(d, 'POST', '/auth/new_device', { auth: d.global });
    assert.notEqual(second.body.token, p.body.token, 'phrases are random');

    // The new phrase replaced the first.
    assert.equal((await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: p.body.token, device: 'old' } })).status, 404);
    const ok = await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: second.body.token, device: 'phone' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(ok.body).sort(), ['message', 'token']);
    assert.equal(ok.body.message, 'Device authorized');
    const me = await whoami(d, bearer(ok.body.token));
    assert.equal(me.status, 200);
    assert.equal(me.body.result.credential, 'device');
    const again = await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: second.body.token, device: 'phone2' } });
    assert.equal(again.status, 404, 'a used phrase is refused');
    assert.equal(typeof again.body.error, 'string');
    assert.deepEqual(await deviceNames(d, d.global), ['phone']);
  });

  store.it('the phrase is matched by its words: case and spacing do not matter; a wrong or checksum-failing one is 404', async () => {
    const d = await fresh();
    const phrase = (await rest(d, 'POST', '/auth/new_device', { auth: d.global })).body.token as string;
    const wrong = entropyToMnemonic(randomBytes(16), wordlist);
    assert.equal((await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: wrong, device: 'x' } })).status, 404);
    assert.equal((await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: breakChecksum(phrase), device: 'x' } })).status, 404);
    assert.equal((await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: 'not words at all', device: 'x' } })).status, 404);
    assert.equal((await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: phrase } })).status, 400, 'no device → 400');
    const sloppy = `  ${phrase.toUpperCase().split(' ').join('   ')} `;
    const ok = await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: sloppy, device: 'x' } });
    assert.equal(ok.status, 200, 'failed attempts do not burn the phrase');
  });

  store.it('a pairing phrase expires after 10 minutes; DELETE /auth/new_device cancels it', async () => {
    const d = await fresh();
    const first = (await rest(d, 'POST', '/auth/new_device', { auth: d.global })).body.token as string;
    d.clock.advance(10 * 60_000 - 1);
    assert.equal((await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: first, device: 'a' } })).status, 200, 'valid just before 10 minutes');

    const late = (await rest(d, 'POST', '/auth/new_device', { auth: d.global })).body.token as string;
    d.clock.advance(10 * 60_000);
    assert.equal((await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: late, device: 'b' } })).status, 404, 'expired at 10 minutes');

    const cancelled = (await rest(d, 'POST', '/auth/new_device', { auth: d.global })).body.token as string;
    const del = await rest(d, 'DELETE', '/auth/new_device', { auth: d.global, emptyJson: true });
    assert.equal(del.status, 200);
    assert.equal((await rest(d, 'POST', '/auth/new_device/authorize', { body: { token: cancelled, device: 'c' } })).status, 404);
    assert.deepEqual(await deviceNames(d, d.global), ['a']);
  });

  store.it('device names: outside [a-zA-Z0-9] → _, empty → "Unknown device", a taken name gets a random suffix', async () => {
    const d = await fresh();
    await pair(d, d.global, "Ann's iPhone 15!");
    await pair(d, d.global, '');
    await pair(d, d.global, "Ann's iPhone 15!");
    await pair(d, d.global, "Ann's iPhone 15!");
    await pair(d, d.global, 'Привет');
    const names = await deviceNames(d, d.global);
    assert.equal(names[0], 'Ann_s_iPhone_15_');
    assert.equal(names[1], 'Unknown device');
    for (const n of [names[2]!, names[3]!]) assert.match(n, /^Ann_s_iPhone_15__[a-zA-Z0-9]+$/);
    assert.notEqual(names[2], names[3]);
    assert.equal(names[4], '______');
    assert.equal(new Set(names).size, names.length, 'names stay unique');
  });

  store.it("a new device gets the pairer's account and at most its role", async () => {
    const d = await fresh();
    const owner = await account(d, 'zed');
    const carol = await account(d, 'carol', 'creator');
    const bob = await account(d, 'bob', 'consumer');

    const ownerDevice = await pair(d, owner);
    let me = (await whoami(d, ownerDevice.auth)).body.result;
    assert.deepEqual([me.credential, me.account, me.role, me.owner], ['device', 'zed', 'maintainer', true]);

    const bobDevice = await pair(d, bob);
    me = (await whoami(d, bobDevice.auth)).body.result;
    assert.deepEqual([me.credential, me.account, me.role, me.owner], ['device', 'bob', 'consumer', false]);
    assert.deepEqual(await deviceNames(d, bob), ['phone'], 'bob sees his own devices only');
    assert.deepEqual(await deviceNames(d, owner), ['phone']);

    const carolDevice = await pair(d, carol);
    assert.equal((await whoami(d, carolDevice.auth)).body.result.role, 'creator');
    await native(d, 'bonafide/user/role', { username: 'carol', role: 'consumer' });
    assert.equal((await whoami(d, carolDevice.auth)).body.result.role, 'consumer', 'a demotion caps the device at once');

    // A consumer's device is a consumer: it may not create users.
    const r = await rest(d, 'POST', '/users', { auth: bobDevice.auth, body: { username: 'mallory', password: PASS } });
    assert.equal(r.status, 403);
    assert.equal((await rest(d, 'GET', '/users', { auth: bobDevice.auth })).status, 403);
  });

  store.it("a role token, even a maintainer's, cannot pair devices or make a recovery token (403)", async () => {
    const d = await fresh();
    const role = bearer((await native(d, 'token/create', { role: 'maintainer', expiry: 600 })).key);
    assert.equal((await rest(d, 'GET', '/users', { auth: role })).status, 200, 'the role token works here');
    assert.equal((await rest(d, 'POST', '/auth/new_device', { auth: role })).status, 403);
    assert.equal((await rest(d, 'POST', '/auth/recovery_token', { auth: role, body: {} })).status, 403);
    assert.equal((await rest(d, 'GET', '/auth/recovery_token', { auth: d.global })).body.exists, false);
  });

  store.it('recovery token: status, 18 words, one at a time, each use spends one and gives a device token', async () => {
    const d = await fresh();
    const owner = await account(d, 'zed');
    const none = await rest(d, 'GET', '/auth/recovery_token', { auth: owner });
    assert.deepEqual(none.body, { exists: false, valid: false, date: null, expiration: null, uses_left: null });

    const unlimited = await rest(d, 'POST', '/auth/recovery_token', { auth: owner, emptyJson: true });
    assert.equal(unlimited.status, 200, JSON.stringify(unlimited.body));
    assert.ok(isPhrase(unlimited.body.token, 18), `18 valid BIP39 words: ${unlimited.body.token}`);
    const created = new Date(d.clock.now()).toISOString();
    assert.deepEqual((await rest(d, 'GET', '/auth/recovery_token', { auth: owner })).body, {
      exists: true,
      valid: true,
      date: created,
      expiration: null,
      uses_left: null,
    });

    d.clock.advance(1000);
    const expires = expiration(d, 3_600_000);
    const limited = await rest(d, 'POST', '/auth/recovery_token', { auth: owner, body: { expiration: expires, uses: 2 } });
    assert.equal(limited.status, 200);
    const status = (await rest(d, 'GET', '/auth/recovery_token', { auth: owner })).body;
    assert.deepEqual(status, {
      exists: true,
      valid: true,
      date: new Date(d.clock.now()).toISOString(),
      expiration: new Date(d.clock.now() + 3_600_000).toISOString(),
      uses_left: 2,
    });

    const old = await rest(d, 'POST', '/auth/recovery_token/use', { body: { token: unlimited.body.token, device: 'x' } });
    assert.equal(old.status, 404, 'creating a new recovery token invalidates the old one');

    const used = await rest(d, 'POST', '/auth/recovery_token/use', { body: { token: limited.body.token, device: 'rescued laptop' } });
    assert.equal(used.status, 200, JSON.stringify(used.body));
    const me = (await whoami(d, bearer(used.body.token))).body.result;
    assert.deepEqual([me.credential, me.account, me.role], ['device', 'zed', 'maintainer']);
    assert.ok((await deviceNames(d, owner)).includes('rescued_laptop'));
    assert.equal((await rest(d, 'GET', '/auth/recovery_token', { auth: owner })).body.uses_left, 1);

    assert.equal((await rest(d, 'POST', '/auth/recovery_token/use', { body: { token: breakChecksum(limited.body.token), device: 'x' } })).status, 404);
    assert.equal((await rest(d, 'POST', '/auth/recovery_token/use', { body: { token: limited.body.token, device: 'y' } })).status, 200);
    const spent = await rest(d, 'POST', '/auth/recovery_token/use', { body: { token: limited.body.token, device: 'z' } });
    assert.equal(spent.status, 404, 'a spent token is refused');
    const after = (await rest(d, 'GET', '/auth/recovery_token', { auth: owner })).body;
    assert.deepEqual([after.exists, after.valid, after.uses_left], [true, false, 0]);
  });

  store.it('recovery token expiry: refused once the expiration passes', async () => {
    const d = await fresh();
    const t = await rest(d, 'POST', '/auth/recovery_token', { auth: d.global, body: { expiration: expiration(d, 60_000) } });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    d.clock.advance(60_000);
    assert.equal((await rest(d, 'POST', '/auth/recovery_token/use', { body: { token: t.body.token, device: 'x' } })).status, 404);
    const status = (await rest(d, 'GET', '/auth/recovery_token', { auth: d.global })).body;
    assert.deepEqual([status.exists, status.valid], [true, false]);
  });

  store.it('recovery token parameters: a malformed or past expiration → 400, uses below 1 → 400', async () => {
    const d = await fresh();
    const bad = (body: unknown) => rest(d, 'POST', '/auth/recovery_token', { auth: d.global, body });
    for (const e of [
      '2027-01-01 00:00:00.000000Z',
      '2027-01-01T00:00:00Z',
      '2027-01-01T00:00:00.1234567Z',
      '2027-02-30T00:00:00.0Z',
      '2027-01-01T24:00:00.0Z',
      'tomorrow',
      12,
    ]) {
      const r = await bad({ expiration: e });
      assert.equal(r.status, 400, `expiration ${JSON.stringify(e)}`);
      assert.equal(typeof r.body.error, 'string');
    }
    assert.equal((await bad({ expiration: expiration(d, -1000) })).status, 400, 'in the past');
    assert.equal((await bad({ expiration: expiration(d, 0) })).status, 400, 'now is not the future');
    for (const uses of [0, -1, 1.5, '2']) assert.equal((await bad({ uses })).status, 400, `uses ${JSON.stringify(uses)}`);
    assert.equal((await rest(d, 'GET', '/auth/recovery_token', { auth: d.global })).body.exists, false, 'nothing was created');
    assert.equal((await bad({ expiration: '2027-01-01T00:00:00.5Z', uses: 1 })).status, 200, 'one fraction digit is fine');
    assert.equal((await rest(d, 'GET', '/auth/recovery_token', { auth: d.global })).body.expiration, '2027-01-01T00:00:00.500Z');
  });

  store.it('GET /users lists usernames; withMainUser=true puts the owner first', async () => {
    const d = await fresh();
    const owner = await account(d, 'zed');
    const dev = await pair(d, owner);
    for (const username of ['bob', 'amy']) {
      d.clock.advance(1000);
      const r = await rest(d, 'POST', '/users', { auth: dev.auth, body: { username, password: PASS } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(r.body, { result: 0, username });
    }
    assert.deepEqual((await rest(d, 'GET', '/users', { auth: dev.auth })).body, ['bob', 'amy']);
    assert.deepEqual((await rest(d, 'GET', '/users?withMainUser=true', { auth: dev.auth })).body, ['zed', 'bob', 'amy']);
    const login = await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'amy', pass: PASS });
    assert.equal(login.status, 200, 'the created user can log in with the password given');
  });

  store.it('POST /users: bad username → 400, reserved or existing → 409', async () => {
    const d = await fresh();
    await account(d, 'zed');
    const create = (username: string) => rest(d, 'POST', '/users', { auth: d.global, body: { username, password: PASS } });
    for (const u of ['Bob', '1bob', 'a', 'bob.smith', 'b'.repeat(32), '']) assert.equal((await create(u)).status, 400, `username ${JSON.stringify(u)}`);
    assert.equal((await create('b'.repeat(31))).status, 201, '31 characters is fine');
    for (const u of ['root', 'nginx', 'postgres', 'systemd-foo', 'systemdx', 'nixbld1', 'selfprivacy-api', 'knot-resolver', 'virtualMail']) {
      assert.equal((await create(u)).status, 409, `reserved ${u}`);
    }
    assert.equal((await create('zed')).status, 409, 'existing');
    assert.equal((await rest(d, 'POST', '/users', { auth: d.global, body: { username: 'amy' } })).status, 400, 'no password');
    assert.equal((await rest(d, 'POST', '/users', { auth: d.global, body: { username: 'amy', password: 'short' } })).status, 400);
    assert.deepEqual((await rest(d, 'GET', '/users', { auth: d.global })).body, ['b'.repeat(31)]);
  });

  store.it('DELETE /users/{name}: unknown 404, the owner 400, another user deleted with its devices', async () => {
    const d = await fresh();
    await account(d, 'zed');
    const bob = await account(d, 'bob', 'consumer');
    const bobDevice = await pair(d, bob);
    assert.equal((await rest(d, 'DELETE', '/users/nobody_here', { auth: d.global, emptyJson: true })).status, 404);
    const owner = await rest(d, 'DELETE', '/users/zed', { auth: d.global, emptyJson: true });
    assert.equal(owner.status, 400);
    assert.equal(typeof owner.body.error, 'string');
    assert.equal((await rest(d, 'DELETE', '/users/bob', { auth: bobDevice.auth })).status, 403, 'a consumer may not delete users');
    const del = await rest(d, 'DELETE', '/users/bob', { auth: d.global, emptyJson: true });
    assert.equal(del.status, 200);
    assert.equal((await whoami(d, bobDevice.auth)).status, 401, "the deleted user's devices end");
    assert.deepEqual((await rest(d, 'GET', '/users?withMainUser=true', { auth: d.global })).body, ['zed']);
  });

  store.it('20 parallel uses of a 3-use recovery token: exactly 3 succeed, with distinct device names', async () => {
    const d = await fresh();
    const t = await rest(d, 'POST', '/auth/recovery_token', { auth: d.global, body: { uses: 3 } });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rest(d, 'POST', '/auth/recovery_token/use', { body: { token: t.body.token, device: 'rescue' }, from: `10.${i}.0.1` }),
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 3, `statuses: ${statuses.join(' ')}`);
    assert.equal(statuses.filter((s) => s === 404).length, 17, `statuses: ${statuses.join(' ')}`);
    for (const r of results.filter((x) => x.status === 200)) assert.equal((await whoami(d, bearer(r.body.token))).status, 200);
    assert.equal((await rest(d, 'GET', '/auth/recovery_token', { auth: d.global })).body.uses_left, 0);
    const names = await deviceNames(d, d.global);
    assert.equal(names.length, 3);
    assert.equal(new Set(names).size, 3, `device names must stay unique: ${names.join(', ')}`);
  });

  store.it('10 parallel authorizations with one pairing phrase: exactly 1 succeeds', async () => {
    const d = await fresh();
    const phrase = (await rest(d, 'POST', '/auth/new_device', { auth: d.global })).body.token as string;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => rest(d, 'POST', '/auth/new_device/authorize', { body: { token: phrase, device: `dev${i}` }, from: `10.${i}.0.1` })),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(' ')}`);
    assert.equal(statuses.filter((s) => s === 404).length, 9, `statuses: ${statuses.join(' ')}`);
    assert.equal((await deviceNames(d, d.global)).length, 1);
  });
});
