/**
 * The owner: the global token acts as the owner's account once it exists (devices, sessions,
 * vault, recovery token are the owner's on every surface, through the API and the `hearth`
 * CLI); what the global token made before the owner existed becomes the owner's; and the claimed
 * first run (the setup code in the home, needed to create the first account without a credential).
 * On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { call, runCli, sessionAuth, setupCode, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { forEachStore, type FreshStore } from '../support/stores.js';

const PASS = 'olga-password-1';

forEachStore('the owner', (store) => {
  let d: InProcessDaemon;
  let fresh: FreshStore;
  const anon = () => ({ url: d.url });
  const global = () => ({ url: d.url, token: d.token });
  let olga: Record<string, string>;
  let laptop: string;

  store.before(async () => {
    const started = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'home.example' } });
    fresh = started.store;
    d = started;
  });

  const cli = async (args: string[]) => {
    const r = await runCli(['--json', ...args], { HEARTH_HOME: d.home, ...fresh.env });
    assert.equal(r.code, 0, `hearth ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  /** Pairs a device with the credential in `auth` and answers its device token. */
  async function pair(auth: { headers?: Record<string, string>; global?: boolean }, name: string): Promise<string> {
    const phrase = (await call(auth.global ? global() : anon(), 'device/pair', {}, { headers: auth.headers })).body.result.token as string;
    const r = await call(anon(), 'device/authorize', { token: phrase, device: name });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.result.token as string;
  }

  store.it('while no account exists: a setup code in the home (0600); the global token is nobody, and may pair and make a recovery token', async () => {
    const path = join(d.home, 'setup-code');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.match(setupCode(d.home), /^[0-9a-f]{32}$/);
    assert.equal((await call(global(), 'bonafide/user/active')).body.result, null);
    laptop = await pair({ global: true }, 'laptop');
    assert.equal((await call(global(), 'recovery/create', {})).status, 200);
  });

  store.it('a wrong setup code is refused and counts as a failed login in auth/log', async () => {
    const r = await call(anon(), 'bonafide/user/create', { username: 'mallory', pass: 'mallory-pass', setup_code: '0'.repeat(32) });
    assert.equal(r.status, 403);
    assert.match(r.body.error.message, /setup code is wrong/);
    const log = (await call(global(), 'auth/log', { failures: true })).body.result;
    assert.ok(
      log.some((e: { username: string; reason: string }) => e.username === '(setup code)' && e.reason === 'forbidden'),
      JSON.stringify(log),
    );
  });

  store.it('creating the owner with the setup code removes the file; what the global token made is now the owner’s', async () => {
    const r = await call(anon(), 'bonafide/user/create', { username: 'olga', pass: PASS, setup_code: setupCode(d.home) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(existsSync(join(d.home, 'setup-code')), false);
    const login = await call(anon(), 'bonafide/user/authenticate', { username: 'olga', pass: PASS });
    olga = { authorization: login.body.result.authorization };

    // The device paired with the global token before olga existed is hers, seen from her session.
    const hers = (await call(anon(), 'device/list', {}, { headers: olga })).body.result;
    assert.deepEqual(
      hers.map((x: { name: string }) => x.name),
      ['laptop'],
    );
    const who = (await call(anon(), 'core/whoami', {}, { headers: { authorization: `Bearer ${laptop}` } })).body.result;
    assert.equal(who.account, 'olga');
    // So is the recovery token.
    assert.equal((await call(anon(), 'recovery/status', {}, { headers: olga })).body.result.exists, true);
  });

  store.it('the global token is the owner: whoami, active, devices both ways, sessions, vault', async () => {
    const who = (await call(global(), 'core/whoami')).body.result;
    assert.deepEqual([who.credential, who.account, who.role, who.owner], ['global', 'olga', 'maintainer', true]);
    assert.equal((await call(global(), 'bonafide/user/active')).body.result.username, 'olga');

    // A phone paired in her session shows in the global token's list, and one the CLI pairs in hers.
    await pair({ headers: olga }, 'phone');
    await pair({ global: true }, 'tablet');
    const byGlobal = (await call(global(), 'device/list')).body.result.map((x: { name: string }) => x.name);
    assert.deepEqual(byGlobal, ['laptop', 'phone', 'tablet']);
    const bySession = (await call(anon(), 'device/list', {}, { headers: olga })).body.result.map((x: { name: string }) => x.name);
    assert.deepEqual(bySession, byGlobal);

    const sessions = await call(global(), 'web/sessions');
    assert.equal(sessions.status, 200, JSON.stringify(sessions.body));
    assert.equal(sessions.body.result.length, 1);
    assert.equal(sessions.body.result[0].is_caller, false);

    const vault = await call(global(), 'vault/status');
    assert.equal(vault.status, 200, JSON.stringify(vault.body));
    assert.equal(vault.body.result.email, 'olga@home.example');
    assert.equal(vault.body.result.registered, false);
  });

  store.it('the hearth CLI (the global token) lists the devices paired in the console, her sessions, her vault', async () => {
    const devices = await cli(['device', 'list']);
    assert.deepEqual(
      devices.map((x: { name: string }) => x.name),
      ['laptop', 'phone', 'tablet'],
    );
    const sessions = await cli(['web', 'sessions']);
    assert.equal(sessions.length, 1);
    const vault = await cli(['vault', 'status']);
    assert.equal(vault.email, 'olga@home.example');
    const who = await cli(['core', 'whoami']);
    assert.equal(who.account, 'olga');
  });

  store.it('another account stays apart: its devices are not the owner’s, and the global token still acts on it as a maintainer', async () => {
    assert.equal((await call(global(), 'bonafide/user/create', { username: 'bob', pass: 'bob-password-1' })).status, 200);
    const bob = sessionAuth('bob', (await call(anon(), 'bonafide/user/authenticate', { username: 'bob', pass: 'bob-password-1' })).body.result.token);
    await pair({ headers: bob }, 'bobphone');
    const byGlobal = (await call(global(), 'device/list')).body.result.map((x: { name: string }) => x.name);
    assert.ok(!byGlobal.includes('bobphone'));
    assert.equal((await call(global(), 'bonafide/user/reset', { username: 'bob', newpass: 'bob-password-2' })).status, 200);
  });

  store.it('a restart finds the owner again (no setup code); the global token still acts as her', async () => {
    await d.stop();
    d = await startInProcess({ home: d.home, env: { HEARTH_SERVER_DOMAIN: 'home.example', ...fresh.env } });
    try {
      assert.equal(existsSync(join(d.home, 'setup-code')), false);
      assert.equal((await call(global(), 'core/whoami')).body.result.account, 'olga');
    } finally {
      await d.stop();
    }
  });
});

forEachStore('recovering a forgotten password', (store) => {
  let d: InProcessDaemon;
  const anon = () => ({ url: d.url });
  const global = () => ({ url: d.url, token: d.token });
  let phrase: string;
  let device: string;
  let session: Record<string, string>;

  store.before(async () => {
    d = await store.startInProcess({ env: { HEARTH_SERVER_TRUSTED_PROXIES: '127.0.0.1' } });
    assert.equal((await call(global(), 'bonafide/user/create', { username: 'olga', pass: PASS })).status, 200);
    assert.equal((await call(global(), 'bonafide/user/create', { username: 'bob', pass: 'bob-password-1' })).status, 200);
    session = sessionAuth('bob', (await call(anon(), 'bonafide/user/authenticate', { username: 'bob', pass: 'bob-password-1' })).body.result.token);
    phrase = (await call(anon(), 'recovery/create', { uses: 2 }, { headers: session })).body.result.token;
    const pairing = (await call(anon(), 'device/pair', {}, { headers: session })).body.result.token;
    device = (await call(anon(), 'device/authorize', { token: pairing, device: 'bobphone' })).body.result.token;
  });

  store.it('recover: the phrase sets a new password, ends every other credential, answers a login session, spends one use', async () => {
    const r = await call(anon(), 'bonafide/user/recover', { token: `  ${phrase.toUpperCase()} `, newpass: 'bob-password-2' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result.account.username, 'bob');
    // The answer is a working login session, like authenticate's.
    const fresh = { authorization: r.body.result.authorization };
    assert.equal((await call(anon(), 'core/whoami', {}, { headers: fresh })).body.result.account, 'bob');
    // Every other credential of bob's has ended; olga's have not.
    assert.equal((await call(anon(), 'core/whoami', {}, { headers: session })).status, 401);
    assert.equal((await call(anon(), 'core/whoami', {}, { headers: { authorization: `Bearer ${device}` } })).status, 401);
    assert.equal((await call(global(), 'core/whoami')).status, 200);
    // The new password works, the old one not.
    assert.equal((await call(anon(), 'bonafide/user/authenticate', { username: 'bob', pass: 'bob-password-2' })).status, 200);
    assert.equal((await call(anon(), 'bonafide/user/authenticate', { username: 'bob', pass: 'bob-password-1' })).status, 401);
    // One use was spent: one is left.
    const status = (await call(anon(), 'recovery/status', {}, { headers: fresh })).body.result;
    assert.deepEqual([status.valid, status.uses_left], [true, 1]);
    assert.equal((await call(anon(), 'bonafide/user/recover', { token: phrase, newpass: 'bob-password-3' })).status, 200);
    const spent = await call(anon(), 'bonafide/user/recover', { token: phrase, newpass: 'bob-password-4' });
    assert.equal(spent.status, 404, 'used up');
  });

  store.it('a short new password is refused before the phrase is spent', async () => {
    const phrase2 = (await call(global(), 'recovery/create', { uses: 1 })).body.result.token;
    const short = await call(anon(), 'bonafide/user/recover', { token: phrase2, newpass: 'short' });
    assert.equal(short.status, 400);
    assert.equal((await call(anon(), 'bonafide/user/recover', { token: phrase2, newpass: 'olga-password-2' })).body.result.account.username, 'olga');
  });

  store.it('the CLI: hearth bonafide user recover reads the phrase and the new password from stdin, not argv', async () => {
    const phrase3 = (await call(global(), 'recovery/create', { uses: 1 })).body.result.token as string;
    const r = await runCli(['--json', 'bonafide', 'user', 'recover'], { HEARTH_HOME: d.home }, `${phrase3}\nolga-password-3\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).account.username, 'olga');
    assert.equal((await call(anon(), 'bonafide/user/authenticate', { username: 'olga', pass: 'olga-password-3' })).status, 200);
  });

  store.it('wrong phrases count in the failed-login limits: after 10 from one address, 429, and they are in auth/log', async () => {
    const wrong = { token: 'abandon '.repeat(17) + 'about', newpass: 'whatever-pass' };
    const from = { headers: { 'x-forwarded-for': '198.51.100.7' } };
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) codes.push((await call(anon(), 'bonafide/user/recover', wrong, from)).status);
    assert.deepEqual(codes.slice(0, 10), Array(10).fill(404));
    assert.equal(codes[10], 429);
    const log = (await call(global(), 'auth/log', { failures: true })).body.result;
    assert.ok(log.filter((e: { username: string; address: string }) => e.username === '(recovery phrase)' && e.address === '198.51.100.7').length >= 11);
  });
});
