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
import { BW_MAIN, bwScenario } from '../support/bw-scenario.js';
import { call, startDaemon, type RunningDaemon } from '../support/helpers.js';
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
});
