/**
 * The hearth CLI's second-factor commands against a real hearthd on a real clock: setup prints a
 * QR code to scan with the otpauth:// URI and the secret, enable prints the recovery codes once,
 * authenticate asks for --otp, status and --json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startDaemonForCli, type RunningDaemon } from '../support/helpers.js';
import { codeAt } from '../support/totp.js';

describe('hearth CLI: two-factor', () => {
  let d: RunningDaemon;
  let env: Record<string, string>;
  const password = 'correct-horse-23';
  let secret = '';
  before(async () => {
    ({ d, env } = await startDaemonForCli());
    const r = await runCli(['bonafide', 'user', 'create', 'alice'], env, `${password}\n`);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => d.stop());

  it('setup prints a QR code, the otpauth:// URI and the secret; enable prints ten recovery codes', async () => {
    const setup = await runCli(['2fa', 'totp', 'setup'], env);
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stdout, /Scan this with an authenticator app/);
    assert.match(setup.stdout, /[▀▄█]/, 'a QR code drawn in block characters');
    assert.match(setup.stdout, /otpauth:\/\/totp\/Hearth:alice%40localhost\?/);
    secret = /or type the secret: ([A-Z2-7]+)/.exec(setup.stdout)![1]!;
    assert.match(setup.stdout, /hearth 2fa totp enable <code>/);

    const enable = await runCli(['2fa', 'totp', 'enable', codeAt(secret, Date.now())], env);
    assert.equal(enable.code, 0, enable.stderr);
    const codes = enable.stdout.match(/^ {2}[a-z2-7]{4}(-[a-z2-7]{4}){3}$/gm) ?? [];
    assert.equal(codes.length, 10, enable.stdout);

    const status = await runCli(['--json', '2fa', 'status'], env);
    assert.deepEqual(JSON.parse(status.stdout).methods, ['totp', 'recovery']);
  });

  it('authenticate without --otp says what to send; with a code it logs in', async () => {
    const ask = await runCli(['bonafide', 'user', 'authenticate', 'alice'], env, `${password}\n`);
    assert.equal(ask.code, 1);
    assert.match(ask.stderr, /^hearth: user:needSecondFactor: this account has a second factor: send otp/m);
    const ok = await runCli(['--json', 'bonafide', 'user', 'authenticate', 'alice', '--otp', codeAt(secret, Date.now() + 30_000)], env, `${password}\n`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(JSON.parse(ok.stdout).token);
  });
});
