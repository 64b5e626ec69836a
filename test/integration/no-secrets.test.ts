/**
 * Every token Hearth issues is stored only as a hash (an authenticator secret sealed) and never
 * logged: after issuing one of each kind through a real daemon, neither the SQLite file (with its
 * WAL) nor the log holds any of them.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { bearer, call, setupCode, startDaemon, waitFor } from '../support/helpers.js';
import { codeAt } from '../support/totp.js';
import { registerVault } from '../support/vault-harness.js';

/** RFC 4648 base32 → bytes (the authenticator secret as the store would hold it in clear). */
function base32Bytes(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

it('no issued token, phrase, password, authenticator secret, recovery code or remember token appears in the database file or the logs', async () => {
  const adminPassword = 'admin-password-for-grep';
  const d = await startDaemon({
    env: { HEARTH_SECURITY_FAILURE_DELAY: '0', HEARTH_SECURITY_ADMIN_PASSWORD_HASH: await hashPassword(adminPassword), HEARTH_LOG_LEVEL: 'trace' },
  });
  const issued: string[] = [adminPassword, d.token];
  const keep = (s: string) => (issued.push(s), s);
  try {
    await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
    const owner = { url: d.url, token: d.token };
    const anon = { url: d.url };
    await call(anon, 'bonafide/user/create', { username: 'alice', pass: keep('alice-password-1'), setup_code: setupCode(d.home) });
    await call(owner, 'bonafide/user/create', ['bob', keep('bob-password-1')]);
    const login = (await call(anon, 'bonafide/user/authenticate', ['alice', 'alice-password-1'])).body.result;
    keep(login.token);
    keep(login.authorization.slice('Token '.length));
    const session = { authorization: login.authorization };

    // An authenticator: its secret (as base32 and as bytes), the recovery codes, a remember token.
    const setup = (await call(anon, '2fa/totp/setup', undefined, { headers: session })).body.result;
    const totp = keep(setup.secret);
    keep(Buffer.from(base32Bytes(totp)).toString('hex'));
    keep(Buffer.from(base32Bytes(totp)).toString('base64'));
    const enabled = await call(anon, '2fa/totp/enable', { code: codeAt(totp, Date.now()) }, { headers: session });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    for (const c of enabled.body.result.recovery_codes as string[]) {
      keep(c);
      keep(c.replace(/-/g, ''));
    }
    const [firstRecovery] = enabled.body.result.recovery_codes as string[];
    assert.equal((await call(anon, 'bonafide/user/authenticate', { username: 'alice', pass: 'alice-password-1', otp: firstRecovery })).status, 200);
    const vault = await registerVault(owner, 'alice', 'alice-master-password', undefined, 'localhost');
    const remembered = await vault.tokenRequest({
      grant_type: 'password',
      client_id: 'cli',
      scope: 'api offline_access',
      deviceType: '25',
      deviceIdentifier: vault.device,
      deviceName: 'linux',
      username: vault.email,
      password: vault.reg.masterPasswordHash,
      twoFactorToken: codeAt(totp, Date.now() + 30_000),
      twoFactorProvider: '0',
      twoFactorRemember: '1',
    });
    assert.equal(remembered.status, 200, JSON.stringify(remembered.body));
    keep(remembered.body.TwoFactorToken);

    const pairing = keep((await call(anon, 'device/pair', undefined, { headers: session })).body.result.token);
    const device = keep((await call(anon, '/auth/new_device/authorize', { token: pairing, device: 'laptop' })).body.token);
    const refreshed = keep((await call(anon, '/auth/tokens', undefined, { headers: bearer(device) })).body.token);
    const recovery = keep((await call(anon, 'recovery/create', { uses: 2 }, { headers: bearer(refreshed) })).body.result.token);
    keep((await call(anon, 'recovery/use', [recovery, 'tablet'])).body.result.token);
    for (const phrase of [pairing, recovery]) keep(Buffer.from(mnemonicToEntropy(phrase, wordlist)).toString('hex'));
    keep((await call(owner, 'bonafide/invite/create')).body.result.invitecode);
    keep((await call(owner, 'token/create', ['auditor', 600])).body.result.key);
    const basic = `Basic ${Buffer.from(`:${adminPassword}`).toString('base64')}`;
    const roleKey = keep((await call(anon, '/auth', { role: 'consumer', expiry: 60 }, { headers: { authorization: basic } })).body.key);
    keep((await call(anon, '/refresh', {}, { headers: bearer(roleKey) })).body.key);
    await call(anon, 'bonafide/user/update', ['alice', 'alice-password-1', keep('alice-password-2')], { headers: session });
    await call(anon, 'bonafide/user/authenticate', ['alice', keep('a-wrong-password')]);
    // The console's login token, session cookie and CSRF token (bob's: alice's sessions ended).
    const loginToken = keep((await call(anon, 'web/loginprep')).body.result.loginToken);
    const consoleLogin = await call(
      anon,
      'web/login',
      { loginToken, username: 'bob', password: 'bob-password-1' },
      { headers: { cookie: `hearth_login=${loginToken}` } },
    );
    const csrf = keep(consoleLogin.body.result.csrf);
    const cookie = consoleLogin.headers
      .getSetCookie()
      .find((c) => c.startsWith('hearth_session='))!
      .split(';')[0]!;
    keep(cookie.slice('hearth_session='.length));
    const console_ = { cookie, 'x-hearth-csrf': csrf };
    assert.equal((await call(anon, 'core/whoami', undefined, { headers: console_ })).status, 200);
    await call(anon, 'web/setpassword', { oldPassword: 'bob-password-1', newPassword: keep('bob-password-2') }, { headers: console_ });
    assert.ok(
      issued.every((s) => typeof s === 'string' && s.length >= 8),
      `every secret was issued: ${issued.map((s) => (typeof s === 'string' ? s.length : s))}`,
    );
  } finally {
    assert.equal(await d.stop(), 0);
  }
  const files = ['hearth.db', 'hearth.db-wal'].map((f) => join(d.home, f)).filter(existsSync);
  const haystacks = [...files.map((f) => ({ where: f, text: readFileSync(f).toString('latin1') })), { where: 'the log', text: d.output() }];
  assert.ok(d.logs().filter((l) => l.msg === 'request').length >= 14, `the daemon logged the requests: ${d.logs().length} lines`);
  for (const secret of issued) {
    for (const { where, text } of haystacks) {
      assert.ok(!text.includes(secret), `${where} holds an issued secret (${secret.slice(0, 6)}…)`);
    }
  }
});
