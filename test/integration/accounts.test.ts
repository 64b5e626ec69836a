/**
 * Accounts and login sessions over real HTTP (native commands), on SQLite and PostgreSQL:
 * registration policy, username and password rules, sessions with sliding and absolute expiry,
 * password changes that revoke every other credential, deletion, and role capping.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bearer, call, type InProcessDaemon, sessionAuth, setupCode, startInProcess } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';

const HOUR = 3_600_000;

/** The same suite on each store. */
forEachStore('accounts', (store) => {
  let d: InProcessDaemon;
  const anon = () => ({ url: d.url });
  const owner = () => ({ url: d.url, token: d.token });

  store.before(async () => {
    d = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'home.example' } });
  });

  /** Logs in and answers the `Authorization: Token …` header. */
  async function login(username: string, pass: string): Promise<Record<string, string>> {
    const r = await call(anon(), 'bonafide/user/authenticate', { username, pass });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { authorization: r.body.result.authorization };
  }

  store.it('the first account needs the setup code (no credential) and becomes the owner, a maintainer', async () => {
    const code = setupCode(d.home);
    const none = await call(anon(), 'bonafide/user/create', { username: 'mallory', pass: 'mallory-password' });
    assert.equal(none.status, 403, JSON.stringify(none.body));
    assert.match(none.body.error.message, /setup code/);
    const wrong = await call(anon(), 'bonafide/user/create', { username: 'mallory', pass: 'mallory-password', setup_code: 'f'.repeat(32) });
    assert.equal(wrong.status, 403, JSON.stringify(wrong.body));
    assert.equal((await call(owner(), 'core/stats')).body.result.accounts, 0, 'a stranger cannot claim the empty store');
    const r = await call(anon(), 'bonafide/user/create', { username: 'alice', pass: 'alice-password', setup_code: code });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(existsSync(join(d.home, 'setup-code')), false, 'the setup code is gone once the owner exists');
    assert.deepEqual(
      { username: r.body.result.username, address: r.body.result.address, role: r.body.result.role, owner: r.body.result.owner },
      { username: 'alice', address: 'alice@home.example', role: 'maintainer', owner: true },
    );
    assert.equal(JSON.stringify(r.body).includes('alice-password'), false);
  });

  store.it('registration is closed by default: a second account needs a maintainer', async () => {
    const r = await call(anon(), 'bonafide/user/create', ['bob', 'bob-password']);
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'user:noAuth');
    assert.match(r.body.error.message, /registration is closed/);
    const byOwner = await call(owner(), 'bonafide/user/create', ['bob@home.example', 'bob-password']);
    assert.equal(byOwner.status, 200, JSON.stringify(byOwner.body));
    assert.equal(byOwner.body.result.username, 'bob', 'user@domain is accepted');
    assert.equal(byOwner.body.result.role, 'creator', 'others default to creator');
    assert.equal(byOwner.body.result.owner, false);
    const auditor = await call(owner(), 'bonafide/user/create', { username: 'carol', pass: 'carol-password', role: 'auditor', full_name: 'Carol C.' });
    assert.equal(auditor.body.result.role, 'auditor');
    assert.equal(auditor.body.result.full_name, 'Carol C.');
  });

  const badNames: [string, number, RegExp][] = [
    ['Alice', 400, /a-z, 0-9 and _/],
    ['1abc', 400, /not starting with a digit/],
    ['a', 400, /2 to 31 characters/],
    ['a'.repeat(32), 400, /2 to 31 characters/],
    ['bad-name', 400, /a-z, 0-9 and _/],
    ['dave@elsewhere.org', 400, /not on this server's domain home\.example/],
    ['root', 409, /reserved/],
    ['nginx', 409, /reserved/],
    ['admin', 409, /reserved/],
    ['systemd_journal', 409, /reserved/],
    ['nixbld1', 409, /reserved/],
    ['bob', 409, /exists already/],
  ];
  for (const [name, status, message] of badNames) {
    store.it(`username ${JSON.stringify(name)} → ${status}`, async () => {
      const r = await call(owner(), 'bonafide/user/create', { username: name, pass: 'long-enough' });
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.body.error.message, message);
    });
  }

  store.it('a password shorter than 8 characters → 400 naming the parameter', async () => {
    const r = await call(owner(), 'bonafide/user/create', { username: 'shorty', pass: 'seven77' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.message, 'pass must be at least 8 characters');
  });

  store.it('only a maintainer chooses a role; a creator cannot create accounts', async () => {
    const bob = await login('bob', 'bob-password');
    const r = await call(anon(), 'bonafide/user/create', { username: 'eve', pass: 'eve-password', role: 'maintainer' }, { headers: bob });
    assert.equal(r.status, 403);
  });

  store.it('user/list (auditor) lists every account, the owner first, without secrets', async () => {
    const bob = await login('bob', 'bob-password');
    assert.equal((await call(anon(), 'bonafide/user/list', undefined, { headers: bob })).status, 403, 'a creator is not an auditor');
    const carol = await login('carol', 'carol-password');
    const r = await call(anon(), 'bonafide/user/list', undefined, { headers: carol });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.result.map((a: { username: string }) => a.username),
      ['alice', 'bob', 'carol'],
    );
    assert.ok(!/hash|stamp|password/.test(JSON.stringify(r.body)));
  });

  store.it('authenticate gives a session token for `Authorization: Token base64(user:token)`; user/active names its account', async () => {
    const r = await call(anon(), 'bonafide/user/authenticate', ['bob@home.example', 'bob-password']);
    assert.equal(r.status, 200);
    const { token, account } = r.body.result;
    assert.ok(Buffer.from(token, 'base64url').length >= 32, 'at least 32 random bytes');
    assert.equal(account.username, 'bob');
    for (const user of ['bob', 'bob@home.example']) {
      const who = await call(anon(), 'core/whoami', undefined, { headers: sessionAuth(user, token) });
      assert.equal(who.status, 200);
      assert.deepEqual(
        { ...who.body.result, credential_id: undefined },
        { credential: 'session', credential_id: undefined, account: 'bob', role: 'creator', owner: false },
      );
    }
    const active = await call(anon(), 'bonafide/user/active', undefined, { headers: sessionAuth('bob', token) });
    assert.equal(active.body.result.username, 'bob');
    assert.equal((await call(owner(), 'bonafide/user/active')).body.result.username, 'alice', "the global token is the owner's account");
    const otherUser = await call(anon(), 'core/whoami', undefined, { headers: sessionAuth('alice', token) });
    assert.equal(otherUser.status, 401, 'the token is bound to its user');
    assert.equal(otherUser.body.error.code, 'user:badAuth');
    const otherDomain = await call(anon(), 'core/whoami', undefined, { headers: sessionAuth('bob@elsewhere.example', token) });
    assert.equal(otherDomain.status, 401, "another server's bob is not this one");
  });

  store.it('a console session is not accepted as `Authorization: Token` (it needs its CSRF token)', async () => {
    const prep = await call(anon(), 'web/loginprep');
    const cookie = prep.headers.get('set-cookie')!.split(';')[0]!;
    const login = await call(
      anon(),
      'web/login',
      { loginToken: prep.body.result.loginToken, username: 'bob', password: 'bob-password' },
      { headers: { cookie } },
    );
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const session = /hearth_session=([^;]+)/.exec(login.headers.get('set-cookie')!)![1]!;
    const r = await call(anon(), 'core/whoami', undefined, { headers: sessionAuth('bob', decodeURIComponent(session)) });
    assert.equal(r.status, 401);
  });

  store.it('wrong password and unknown user both answer 401 user:badLogin, alike', async () => {
    const wrong = await call(anon(), 'bonafide/user/authenticate', ['bob', 'not-the-password']);
    const unknown = await call(anon(), 'bonafide/user/authenticate', ['nobody_here', 'not-the-password']);
    for (const r of [wrong, unknown]) {
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error, { code: 'user:badLogin', message: 'wrong username or password' });
    }
  });

  store.it('logout destroys the session it was called with, and only that one', async () => {
    const a = await login('bob', 'bob-password');
    const b = await login('bob', 'bob-password');
    const out = await call(anon(), 'bonafide/user/logout', undefined, { headers: a });
    assert.equal(out.status, 200);
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: a })).body.error.code, 'user:badAuth');
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: b })).status, 200);
    const global = await call(owner(), 'bonafide/user/logout');
    assert.equal(global.status, 400);
    assert.match(global.body.error.message, /logout ends a login session; this call was made with a global credential/);
  });

  store.it('a session expires after 24 h without use, and each use extends it', async () => {
    const s = await login('bob', 'bob-password');
    for (let i = 0; i < 3; i++) {
      d.clock.advance(23 * HOUR);
      assert.equal((await call(anon(), 'core/whoami', undefined, { headers: s })).status, 200, `still alive after use ${i}`);
    }
    d.clock.advance(24 * HOUR + 1000);
    const r = await call(anon(), 'core/whoami', undefined, { headers: s });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'user:badAuth');
  });

  store.it('a session ends after 30 days however much it is used', async () => {
    const s = await login('bob', 'bob-password');
    let alive = 0;
    for (let day = 1; day <= 31; day++) {
      d.clock.advance(24 * HOUR - 1000);
      if ((await call(anon(), 'core/whoami', undefined, { headers: s })).status === 200) alive = day;
    }
    assert.ok(alive >= 29 && alive <= 30, `alive for ${alive} days`);
  });

  store.it('changing a password needs the old one, and revokes every other credential of the account but the one used', async () => {
    const used = await login('bob', 'bob-password');
    const other = await login('bob', 'bob-password');
    const pair = await call(anon(), 'device/pair', undefined, { headers: used });
    const dev = await call(anon(), '/auth/new_device/authorize', { token: pair.body.result.token, device: 'bob phone' });
    const device = bearer(dev.body.token);
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: device })).status, 200);
    const recovery = (await call(anon(), 'recovery/create', {}, { headers: used })).body.result.token;
    const pending = (await call(anon(), 'device/pair', undefined, { headers: used })).body.result.token;

    const wrongOld = await call(anon(), 'bonafide/user/update', { oldpass: 'nope-nope', newpass: 'bob-new-password' }, { headers: used });
    assert.equal(wrongOld.status, 401);
    assert.equal(wrongOld.body.error.code, 'user:badLogin');
    const short = await call(anon(), 'bonafide/user/update', { oldpass: 'bob-password', newpass: 'short' }, { headers: used });
    assert.equal(short.status, 400);
    assert.match(short.body.error.message, /newpass must be at least 8/);
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: other })).status, 200, 'failed changes revoke nothing');

    const ok = await call(anon(), 'bonafide/user/update', ['bob', 'bob-password', 'bob-new-password'], { headers: used });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: used })).status, 200, 'the credential used keeps working');
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: other })).status, 401, 'another session is revoked');
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: device })).status, 401, 'a device token is revoked');
    assert.equal((await call(anon(), 'recovery/use', [recovery, 'thief'])).status, 404, 'the recovery token is revoked');
    assert.equal((await call(anon(), 'device/authorize', [pending, 'thief'])).status, 404, 'the pending pairing phrase is revoked');
    assert.equal((await call(anon(), 'bonafide/user/authenticate', ['bob', 'bob-password'])).status, 401, 'the old password is gone');
    await login('bob', 'bob-new-password');
  });

  store.it("a creator cannot change another account's password; a maintainer resets one and its credentials end", async () => {
    const bob = await login('bob', 'bob-new-password');
    const r = await call(anon(), 'bonafide/user/update', ['carol', 'carol-password', 'whatever-new'], { headers: bob });
    assert.equal(r.status, 403);
    const carol = await login('carol', 'carol-password');
    assert.equal((await call(anon(), 'bonafide/user/reset', ['carol', 'carol-reset-pw'], { headers: bob })).status, 403);
    const reset = await call(owner(), 'bonafide/user/reset', ['carol', 'carol-reset-pw']);
    assert.equal(reset.status, 200);
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: carol })).status, 401);
    await login('carol', 'carol-reset-pw');
  });

  store.it("a credential carries at most its account's role now: a demotion takes effect at once", async () => {
    const carol = await login('carol', 'carol-reset-pw');
    assert.equal((await call(anon(), 'core/status', undefined, { headers: carol })).status, 200, 'an auditor reads core/status');
    assert.equal((await call(owner(), 'bonafide/user/role', ['carol', 'consumer'])).status, 200);
    const r = await call(anon(), 'core/status', undefined, { headers: carol });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'forbidden');
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: carol })).body.result.role, 'consumer');
  });

  store.it("delete: maintainers only, never the last maintainer, and the account's credentials end with it", async () => {
    const bob = await login('bob', 'bob-new-password');
    assert.equal((await call(anon(), 'bonafide/user/delete', ['carol'], { headers: bob })).status, 403);
    const last = await call(owner(), 'bonafide/user/delete', ['alice']);
    assert.equal(last.status, 400);
    assert.match(last.body.error.message, /is the owner/);
    const demote = await call(owner(), 'bonafide/user/role', ['alice', 'consumer']);
    assert.equal(demote.status, 400, 'the owner stays a maintainer');
    assert.match(demote.body.error.message, /owner and stays a maintainer/);
    const gone = await call(owner(), 'bonafide/user/delete', ['bob@home.example']);
    assert.equal(gone.status, 200);
    assert.equal((await call(anon(), 'core/whoami', undefined, { headers: bob })).status, 401);
    assert.equal((await call(owner(), 'bonafide/user/delete', ['bob'])).status, 404);
  });
});

describe('registration policy', () => {
  it('open: anyone creates a creator account, but cannot choose a higher role', async () => {
    const d = await startInProcess({ env: { HEARTH_ACCOUNTS_REGISTRATION: 'open' } });
    try {
      await call(d, 'bonafide/user/create', ['owner1', 'owner1-password']);
      const r = await call({ url: d.url }, 'bonafide/user/create', ['stranger', 'stranger-pw']);
      assert.equal(r.status, 200);
      assert.equal(r.body.result.role, 'creator');
      const higher = await call({ url: d.url }, 'bonafide/user/create', { username: 'climber', pass: 'climber-pw', role: 'maintainer' });
      assert.equal(higher.status, 403);
    } finally {
      await d.stop();
    }
  });

  it('invite: a single-use code from a maintainer, which expires', async () => {
    const d = await startInProcess({ env: { HEARTH_ACCOUNTS_REGISTRATION: 'invite', HEARTH_ACCOUNTS_INVITE_TTL: '3600' } });
    const anon = { url: d.url };
    try {
      await call(d, 'bonafide/user/create', ['owner1', 'owner1-password']);
      const none = await call(anon, 'bonafide/user/create', ['guest1', 'guest1-password']);
      assert.equal(none.status, 400);
      assert.match(none.body.error.message, /needs an invite code/);
      const invite = await call(d, 'bonafide/invite/create');
      const code = invite.body.result.invitecode;
      assert.ok(Buffer.from(code, 'base64url').length >= 16);
      assert.equal((await call(d, 'bonafide/invite/list')).body.result.length, 1);
      const used = await call(anon, 'bonafide/user/create', { username: 'guest1', pass: 'guest1-password', invitecode: code });
      assert.equal(used.status, 200, JSON.stringify(used.body));
      const again = await call(anon, 'bonafide/user/create', { username: 'guest2', pass: 'guest2-password', invitecode: code });
      assert.equal(again.status, 403, 'single use');
      const late = (await call(d, 'bonafide/invite/create')).body.result.invitecode;
      d.clock.advance(3_600_001);
      assert.equal((await call(anon, 'bonafide/user/create', { username: 'guest3', pass: 'guest3-password', invitecode: late })).status, 403, 'expired');
      assert.equal((await call(d, 'bonafide/invite/list')).body.result.length, 0);
    } finally {
      await d.stop();
    }
  });
});
