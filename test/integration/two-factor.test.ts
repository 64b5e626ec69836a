/**
 * Second factors over HTTP on a manual clock, on SQLite and PostgreSQL: an authenticator set up
 * and enabled with a code (nothing changes before), sign-in on the native API, the console and
 * the Bitwarden token endpoint with and without a code, wrong, replayed and drifted codes,
 * recovery codes used once and replaced, remember-this-device tokens ended by the security stamp,
 * wrong codes in the failed-login limits, possession credentials not asked, disabling, and a
 * maintainer's logged reset.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, sessionAuth, type InProcessDaemon } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';
import { codeAt } from '../support/totp.js';
import { registerVault, type VaultClient } from '../support/vault-harness.js';

const STEP = 30_000;

forEachStore('two-factor sign-in', (store) => {
  let d: InProcessDaemon;
  let secret = '';
  let recovery: string[] = [];
  const anon = () => ({ url: d.url });
  const now = () => d.clock.now();
  const code = (offsetSteps = 0) => codeAt(secret, now() + offsetSteps * STEP);
  /** A fresh time step, so the next code has not been used. */
  const nextStep = () => d.clock.advance(STEP);

  async function session(username: string, pass: string, otp?: string) {
    const r = await call(anon(), 'bonafide/user/authenticate', { username, pass, ...(otp === undefined ? {} : { otp }) });
    return r;
  }
  const callAs = (s: { username: string; token: string }, path: string, body?: unknown) =>
    call(anon(), path, body, { headers: sessionAuth(s.username, s.token) });

  let alice: { username: string; token: string };

  store.before(async () => {
    d = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'home.example' } });
    for (const username of ['alice', 'bob']) {
      const r = await call({ url: d.url, token: d.token }, 'bonafide/user/create', { username, pass: `${username}-password` });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const r = await session('alice', 'alice-password');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    alice = { username: 'alice', token: r.body.result.token };
  });

  store.it('setup answers a secret, its otpauth:// URI and a QR code; nothing changes until enable gets a good code', async () => {
    const r = await callAs(alice, '2fa/totp/setup');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    secret = r.body.result.secret;
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const uri = new URL(r.body.result.uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Hearth');
    assert.match(decodeURIComponent(uri.pathname), /alice@home\.example/);
    assert.match(r.body.result.qr, /^data:image\/png;base64,/);

    const st = await callAs(alice, '2fa/status');
    assert.deepEqual([st.body.result.totp, st.body.result.totp_pending, st.body.result.methods], [false, true, []]);
    // Still no code asked for.
    assert.equal((await session('alice', 'alice-password')).status, 200);

    const wrong = await callAs(alice, '2fa/totp/enable', { code: String((Number(code()) + 1) % 1_000_000).padStart(6, '0') });
    assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
    assert.match(wrong.body.error.message, /not from the authenticator just set up/);
    assert.equal((await callAs(alice, '2fa/status')).body.result.totp, false);
  });

  store.it('enable with a good code turns it on and answers ten recovery codes once; the secret is sealed in the store', async () => {
    const r = await callAs(alice, '2fa/totp/enable', { code: code() });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    recovery = r.body.result.recovery_codes;
    assert.equal(recovery.length, 10);
    assert.equal(new Set(recovery).size, 10);
    for (const c of recovery) assert.match(c, /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    const st = (await callAs(alice, '2fa/status')).body.result;
    assert.deepEqual([st.totp, st.totp_pending, st.recovery_codes_left, st.methods], [true, false, 10, ['totp', 'recovery']]);
    // The home holds the key, 0600.
    const key = readFileSync(join(d.home, 'twofactor.key'), 'utf8').trim();
    assert.match(key, /^[0-9a-f]{64}$/);
    if (store.kind === 'sqlite') {
      const db = readFileSync(join(d.home, 'hearth.db')).toString('latin1') + readFileSync(join(d.home, 'hearth.db-wal')).toString('latin1');
      assert.ok(!db.includes(secret), 'the base32 secret is not in the store');
      for (const c of recovery) assert.ok(!db.includes(c) && !db.includes(c.replace(/-/g, '')), 'no recovery code in the store');
    }
    // The code used to enable is spent.
    const replay = await session('alice', 'alice-password', code());
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'user:badLogin');
  });

  store.it('native sign-in: a wrong password answers as before; no code asks for one with the methods; a code signs in once', async () => {
    nextStep();
    const wrongPass = await session('alice', 'not-the-password');
    assert.equal(wrongPass.status, 401);
    assert.deepEqual(wrongPass.body.error, { code: 'user:badLogin', message: 'wrong username or password' });
    const wrongPassGoodCode = await session('alice', 'not-the-password', code());
    assert.deepEqual(wrongPassGoodCode.body.error, { code: 'user:badLogin', message: 'wrong username or password' });

    const ask = await session('alice', 'alice-password');
    assert.equal(ask.status, 401);
    assert.equal(ask.body.error.code, 'user:needSecondFactor');
    assert.deepEqual(ask.body.error.methods, ['totp', 'recovery']);
    assert.equal(ask.body.result, null);

    const ok = await session('alice', 'alice-password', code());
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    // The same code again, in the same window: refused.
    const replay = await session('alice', 'alice-password', code());
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'user:badLogin');
    assert.match(replay.body.error.message, /already used/);
  });

  store.it('clock drift: the previous and next steps are accepted, two steps off is not; an older step than one used is refused', async () => {
    nextStep();
    nextStep();
    assert.equal((await session('alice', 'alice-password', code(-1))).status, 200, 'one step behind');
    assert.equal((await session('alice', 'alice-password', code(+2))).status, 401, 'two steps ahead');
    assert.equal((await session('alice', 'alice-password', code(+1))).status, 200, 'one step ahead');
    // A code for the current step is older than the one just used (+1): refused.
    assert.equal((await session('alice', 'alice-password', code())).status, 401, 'a step before the last one used');
    nextStep();
    nextStep();
  });

  store.it('a recovery code signs in once (typed with or without dashes, any case); the count goes down', async () => {
    const c = recovery[0]!;
    const ok = await session('alice', 'alice-password', c.toUpperCase().replace(/-/g, ' '));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const again = await session('alice', 'alice-password', c);
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, 'user:badLogin');
    assert.equal((await callAs(alice, '2fa/status')).body.result.recovery_codes_left, 9);
  });

  store.it('the console: web/login asks for the code, then signs in with it', async () => {
    nextStep();
    const login = async (otp?: string) => {
      const prep = await call(anon(), 'web/loginprep');
      const cookie = prep.headers.getSetCookie()[0]!.split(';')[0]!;
      return call(
        anon(),
        'web/login',
        { loginToken: prep.body.result.loginToken, username: 'alice', password: 'alice-password', ...(otp ? { otp } : {}) },
        { headers: { cookie } },
      );
    };
    const ask = await login();
    assert.equal(ask.status, 401);
    assert.equal(ask.body.error.code, 'user:needSecondFactor');
    assert.deepEqual(ask.body.error.methods, ['totp', 'recovery']);
    assert.equal(ask.headers.getSetCookie().filter((c) => c.includes('hearth_session=') && !c.includes('hearth_session=;')).length, 0, 'no session cookie');
    const ok = await login(code());
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.ok(ok.body.result.csrf);
  });

  store.it('possession credentials are not asked: a session token, a device paired by it, the global token', async () => {
    assert.equal((await callAs(alice, 'core/whoami')).status, 200);
    const pair = await callAs(alice, 'device/pair');
    assert.equal(pair.status, 200, JSON.stringify(pair.body));
    const dev = await call(anon(), '/auth/new_device/authorize', { token: pair.body.result.token, device: 'phone' });
    assert.equal(dev.status, 200, JSON.stringify(dev.body));
    const who = await call(anon(), 'core/whoami', undefined, { headers: { authorization: `Bearer ${dev.body.token}` } });
    assert.equal(who.status, 200, JSON.stringify(who.body));
    assert.equal((await call({ url: d.url, token: d.token }, '2fa/status', { username: 'alice' })).body.result.totp, true);
  });

  store.it('wrong codes count in the failed-login limits like wrong passwords (10 a minute from one address)', async () => {
    d.clock.advance(60_000 - (now() % 60_000)); // a fresh minute window
    const bad = String((Number(code()) + 500_000) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 10; i++) assert.equal((await session('alice', 'alice-password', bad)).status, 401);
    const limited = await session('alice', 'alice-password', code());
    assert.equal(limited.status, 429, JSON.stringify(limited.body));
    const log = await call({ url: d.url, token: d.token }, 'auth/log', { limit: 20 });
    assert.ok(log.body.result.some((e: any) => e.username === 'alice' && !e.success && e.reason === 'user:badLogin'));
    assert.ok(log.body.result.some((e: any) => e.username === 'alice' && !e.success && e.reason === 'rateLimited'));
    d.clock.advance(60_000);
  });

  store.it('recovery codes regenerated replace the old set; the password is needed', async () => {
    assert.equal((await callAs(alice, '2fa/recovery/regenerate', { password: 'wrong-password' })).status, 401);
    const r = await callAs(alice, '2fa/recovery/regenerate', { password: 'alice-password' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result.recovery_codes.length, 10);
    assert.equal((await session('alice', 'alice-password', recovery[1]!)).status, 401, 'an old code ends');
    assert.equal((await session('alice', 'alice-password', r.body.result.recovery_codes[0])).status, 200, 'a new one works');
    recovery = r.body.result.recovery_codes.slice(1);
  });

  let vault: VaultClient;
  const bwLogin = (form: Record<string, string> = {}) =>
    vault.tokenRequest({
      scope: 'api offline_access',
      client_id: 'cli',
      deviceType: '25',
      deviceIdentifier: vault.device,
      deviceName: 'linux',
      grant_type: 'password',
      username: vault.email,
      password: vault.reg.masterPasswordHash,
      ...form,
    });

  store.it('Bitwarden: 400 with TwoFactorProviders without a code; a code (provider 0) logs in; remember gives a 30-day TwoFactorToken', async () => {
    vault = await registerVault({ url: d.url, token: d.token }, 'alice', 'alice master password');
    const ask = await bwLogin();
    assert.equal(ask.status, 400);
    assert.deepEqual(ask.body, {
      error: 'invalid_grant',
      error_description: 'Two factor required.',
      TwoFactorProviders: ['0'],
      TwoFactorProviders2: { '0': null },
      MasterPasswordPolicy: { Object: 'masterPasswordPolicy' },
    });
    const wrongPass = await bwLogin({ password: vault.reg.masterPasswordHash.slice(1) + 'A' });
    assert.equal(wrongPass.status, 400);
    assert.equal(wrongPass.body.TwoFactorProviders, undefined, 'a wrong password is not asked for a code');

    nextStep();
    const wrong = await bwLogin({ twoFactorToken: '000000', twoFactorProvider: '0', twoFactorRemember: '0' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    assert.equal(wrong.body.TwoFactorProviders, undefined);

    const ok = await bwLogin({ twoFactorToken: code(), twoFactorProvider: '0', twoFactorRemember: '1' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.ok(ok.body.access_token && ok.body.UserDecryptionOptions);
    const remember = ok.body.TwoFactorToken as string;
    assert.ok(remember && remember.length >= 40, 'a remember token');

    // The remember token logs this device in without a code (provider 5); another device cannot use it.
    const again = await bwLogin({ twoFactorToken: remember, twoFactorProvider: '5' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.TwoFactorToken, undefined);
    const elsewhere = await bwLogin({ twoFactorToken: remember, twoFactorProvider: '5', deviceIdentifier: '0b7c2b3c-6a0e-4d55-9b5b-3f7c6a1d2e4f' });
    assert.equal(elsewhere.status, 400);
    assert.deepEqual(elsewhere.body.TwoFactorProviders, ['0']);

    // The profile says two-step login is on.
    vault.access = again.body.access_token;
    const sync = await vault.api('GET', '/api/sync?excludeDomains=true');
    assert.equal(sync.body.profile.twoFactorEnabled, true);

    // A recovery code as provider 8.
    const rc = await bwLogin({ twoFactorToken: recovery.shift()!, twoFactorProvider: '8' });
    assert.equal(rc.status, 200, JSON.stringify(rc.body));

    // A new security stamp (a password change) ends the remember token: a code is asked again.
    const pw = await callAs(alice, 'bonafide/user/update', { oldpass: 'alice-password', newpass: 'alice-password-2' });
    assert.equal(pw.status, 200, JSON.stringify(pw.body));
    const stale = await bwLogin({ twoFactorToken: remember, twoFactorProvider: '5' });
    assert.equal(stale.status, 400);
    assert.deepEqual(stale.body.TwoFactorProviders, ['0']);

    // After 30 days a fresh remember token ends too.
    nextStep();
    const fresh = (await bwLogin({ twoFactorToken: code(), twoFactorProvider: '0', twoFactorRemember: '1' })).body.TwoFactorToken as string;
    assert.equal((await bwLogin({ twoFactorToken: fresh, twoFactorProvider: '5' })).status, 200);
    d.clock.advance(30 * 86_400_000 + 1000);
    assert.equal((await bwLogin({ twoFactorToken: fresh, twoFactorProvider: '5' })).status, 400);
    // Refresh tokens are possession credentials: they refresh without a code.
    const refreshed = await vault.refreshTokens(again.body.refresh_token);
    assert.notEqual(refreshed.status, 500);
  });

  store.it('disable needs the password and a current code; then sign-in asks nothing', async () => {
    const s = await session('alice', 'alice-password-2', code());
    nextStep();
    const me = { username: 'alice', token: s.body.result?.token ?? '' };
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const noCode = await callAs(me, '2fa/totp/disable', { password: 'alice-password-2' });
    assert.equal(noCode.status, 400);
    const wrongCode = await callAs(me, '2fa/totp/disable', { password: 'alice-password-2', code: '000000' });
    assert.equal(wrongCode.status, 401);
    const wrongPass = await callAs(me, '2fa/totp/disable', { password: 'nope-nope-nope', code: code() });
    assert.equal(wrongPass.status, 401);
    const ok = await callAs(me, '2fa/totp/disable', { password: 'alice-password-2', code: code() });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual((await callAs(me, '2fa/status')).body.result.methods, []);
    assert.equal((await session('alice', 'alice-password-2')).status, 200);
  });

  store.it("a maintainer resets another account's authenticator (who lost their phone): logged; a creator may not", async () => {
    const b = await session('bob', 'bob-password');
    const bob = { username: 'bob', token: b.body.result.token };
    const setup = await callAs(bob, '2fa/totp/setup');
    const bobSecret = setup.body.result.secret;
    assert.equal((await callAs(bob, '2fa/totp/enable', { code: codeAt(bobSecret, now()) })).status, 200);
    assert.equal((await session('bob', 'bob-password')).body.error.code, 'user:needSecondFactor');

    // bob (a creator) cannot reset alice's; alice (the owner, a maintainer) resets bob's with her own password.
    assert.equal((await callAs(bob, '2fa/totp/disable', { username: 'alice', password: 'bob-password' })).status, 403);
    const a = await session('alice', 'alice-password-2');
    const owner = { username: 'alice', token: a.body.result.token };
    assert.equal((await callAs(owner, '2fa/totp/disable', { username: 'bob', password: 'wrong-password' })).status, 401);
    const list = await callAs(owner, '2fa/list');
    assert.deepEqual(
      list.body.result.map((r: any) => [r.username, r.totp]),
      [
        ['alice', false],
        ['bob', true],
      ],
    );
    const reset = await callAs(owner, '2fa/totp/disable', { username: 'bob', password: 'alice-password-2' });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal((await session('bob', 'bob-password')).status, 200);
    const log = await call({ url: d.url, token: d.token }, 'auth/log', { limit: 10 });
    assert.ok(
      log.body.result.some((e: any) => e.username === 'bob' && e.reason === '2fa reset by alice'),
      JSON.stringify(log.body.result),
    );
  });

  store.it('bonafide/user/recover (the recovery phrase) needs the second factor too; a missing or wrong code spends no use of the phrase', async () => {
    nextStep();
    const b = await session('bob', 'bob-password');
    const bob = { username: 'bob', token: b.body.result.token };
    const phrase = (await callAs(bob, 'recovery/create', { uses: 3 })).body.result.token as string;
    const bobSecret = (await callAs(bob, '2fa/totp/setup')).body.result.secret as string;
    const enabled = await callAs(bob, '2fa/totp/enable', { code: codeAt(bobSecret, now()) });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    const bobRecovery = enabled.body.result.recovery_codes as string[];
    nextStep();

    const ask = await call(anon(), 'bonafide/user/recover', { token: phrase, newpass: 'bob-password-new' });
    assert.equal(ask.status, 401, JSON.stringify(ask.body));
    assert.equal(ask.body.error.code, 'user:needSecondFactor');
    assert.deepEqual(ask.body.error.methods, ['totp', 'recovery']);
    const wrong = await call(anon(), 'bonafide/user/recover', { token: phrase, newpass: 'bob-password-new', otp: '000000' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'user:badLogin');
    // Neither spent a use, nor set the password.
    const fresh = await session('bob', 'bob-password', codeAt(bobSecret, now()));
    assert.equal(fresh.status, 200, 'the old password still works');
    const status = await call(anon(), 'recovery/status', {}, { headers: sessionAuth('bob', fresh.body.result.token) });
    assert.equal(status.body.result.uses_left, 3);

    const ok = await call(anon(), 'bonafide/user/recover', { token: phrase, newpass: 'bob-password-new', otp: bobRecovery[0] });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    nextStep();
    assert.equal((await session('bob', 'bob-password-new', codeAt(bobSecret, now()))).status, 200, 'the new password, with a code');
    assert.equal((await session('bob', 'bob-password-new')).body.error.code, 'user:needSecondFactor', 'still asks for the factor');
  });

  store.it('no secret, code or remember token is in the log', () => {
    const text = d.logText();
    assert.ok(!text.includes(secret));
    for (const c of recovery) assert.ok(!text.includes(c));
  });
});
