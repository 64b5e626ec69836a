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
