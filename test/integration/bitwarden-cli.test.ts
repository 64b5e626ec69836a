/**
 * End to end with the official Bitwarden CLI (`@bitwarden/cli` 2026.9.0, a pinned dev
 * dependency) against a real hearthd over TLS on loopback, trusting the daemon's local CA:
 * config server, login, sync, folders, items of every type, trash and restore, permanent delete,
 * list, lock and unlock, a second device, logout. bw refuses plain HTTP, loopback included.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONFIG_SCHEMA } from '../../src/kernel/config.js';
import { BW_MAIN, BwDevice, bwScenario } from '../support/bw-scenario.js';
import { call, sessionAuth, startDaemon, type RunningDaemon } from '../support/helpers.js';
import { codeAt } from '../support/totp.js';
import { registerVault } from '../support/vault-harness.js';

const PASSWORD = 'correct horse battery staple';
const hasTls = 'tls_listen' in (CONFIG_SCHEMA.properties.server.properties as object);
const skip = !existsSync(BW_MAIN)
  ? 'the official bw CLI is not installed (npm install adds the pinned @bitwarden/cli dev dependency)'
  : !hasTls
    ? 'this build serves no HTTPS yet ([server] tls_listen), and bw refuses plain HTTP: the bw end-to-end test is skipped'
    : false;
if (skip) console.log(`# NOTICE: ${skip}`);

describe('the official bw CLI against hearthd', { skip }, () => {
  let d: RunningDaemon;
  let https = '';
  before(async () => {
    d = await startDaemon({ env: { HEARTH_SERVER_DOMAIN: 'home.example', HEARTH_SERVER_TLS_LISTEN: '127.0.0.1:0', HEARTH_SECURITY_FAILURE_DELAY: '0' } });
    const line = d.logs().find((l) => Array.isArray(l.urls));
    https = (line?.urls as string[]).find((u) => u.startsWith('https://')) ?? '';
    assert.ok(https, `the start-up line names an https URL: ${JSON.stringify(line?.urls)}`);
    for (const username of ['olga', 'alice']) {
      const r = await call(d, 'bonafide/user/create', { username, pass: 'account-password-1' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    await registerVault(d, 'alice', PASSWORD);
  });
  after(() => d?.stop());

  it(
    'config server, login, sync, folders and items of every type, trash/restore/delete, lock/unlock, a second device, logout',
    { timeout: 600_000 },
    async () => {
      const ran = await bwScenario(`${https}/bitwarden`, join(d.home, 'tls', 'ca.pem'), 'alice@home.example', PASSWORD).catch((err: Error) => {
        // When bw fails, say what the daemon was doing: its last lines and whether it still runs.
        const exit = d.proc.exitCode ?? d.proc.signalCode ?? 'still running';
        throw new Error(`${err.message}\n--- hearthd (${exit}), last output:\n${d.output().slice(-4000)}`);
      });
      assert.ok(ran.length > 30);
      // bw answered everything without one failed request.
      const seen = d.logs().filter((l) => l.msg === 'request' && l.surface === 'bitwarden');
      assert.ok(seen.length > 30, `bw's requests are in the log (${seen.length})`);
      const failed = d.logs().filter((l) => l.msg === 'request' && l.surface === 'bitwarden' && l.status >= 400);
      assert.deepEqual(
        failed.map((l) => `${l.method} ${l.route} ${l.status}`),
        [],
      );
    },
  );

  it(
    'bw login --method 0 --code logs in to an account with an authenticator (a real clock); without a code it fails cleanly',
    { timeout: 300_000 },
    async () => {
      await registerVault(d, 'olga', PASSWORD);
      const s = await call(d, 'bonafide/user/authenticate', { username: 'olga', pass: 'account-password-1' });
      const olga = { headers: sessionAuth('olga', s.body.result.token) };
      const setup = await call({ url: d.url }, '2fa/totp/setup', undefined, olga);
      const secret = setup.body.result.secret as string;
      const enabled = await call({ url: d.url }, '2fa/totp/enable', { code: codeAt(secret, Date.now()) }, olga);
      assert.equal(enabled.status, 200, JSON.stringify(enabled.body));

      const bw = new BwDevice(join(d.home, 'tls', 'ca.pem'), PASSWORD);
      await bw.ok(['config', 'server', `${https}/bitwarden`]);
      const without = await bw.run(['login', 'olga@home.example', '--passwordenv', 'BW_PASSWORD', '--raw', '--nointeraction']);
      assert.notEqual(without.code, 0, 'no code, no login');
      assert.match(without.stdout + without.stderr, /Code is required/);
      assert.equal((await bw.json(['status'])).status, 'unauthenticated');

      const wrong = await bw.run(['login', 'olga@home.example', '--passwordenv', 'BW_PASSWORD', '--method', '0', '--code', '000000', '--raw']);
      assert.notEqual(wrong.code, 0, 'a wrong code, no login');

      // The code enable used is spent: bw sends the next step's (within the ±1 step allowed).
      bw.session = await bw.ok([
        'login',
        'olga@home.example',
        '--passwordenv',
        'BW_PASSWORD',
        '--method',
        '0',
        '--code',
        codeAt(secret, Date.now() + 30_000),
        '--raw',
      ]);
      assert.match(bw.session, /^[A-Za-z0-9+/=]{40,}$/, 'login printed a session key');
      await bw.ok(['sync', '--force']);
      assert.equal((await bw.json(['status'])).status, 'unlocked');
    },
  );
});
