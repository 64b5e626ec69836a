/**
 * Secrets at rest: every token Hearth issues is stored only as a hash (an authenticator secret,
 * a provider session sealed), and never logged. After issuing one of each kind through a real
 * daemon — accounts' passwords, sessions, devices, pairing and recovery phrases, invite codes, role
 * tokens, the console's cookies, TOTP secrets, recovery codes, remember tokens, the setup code
 * once used, an OpenPGP key pair (its secret key material), a backup repository's B2 key and
 * password — no file in the home (the store with its WAL, any other) holds any of them in clear,
 * except the 0600 files that exist to keep one (`authtoken`, `backup/`), nor does the daemon's log
 * or, on PostgreSQL, a dump of the store. The backup secrets are never answered back by the API.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import * as openpgp from 'openpgp';
import { hashPassword } from '../../src/auth/passwords.js';
import { bearer, call, setupCode, waitFor } from '../support/helpers.js';
import { PG_BASE } from '../support/pg.js';
import { forEachStore } from '../support/stores.js';
import { codeAt } from '../support/totp.js';
import { registerVault } from '../support/vault-harness.js';

/** Every file under `dir` (not sockets), as paths relative to it. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    if (st.isDirectory()) out.push(...filesUnder(join(dir, name)).map((p) => join(name, p)));
    else if (st.isFile()) out.push(name);
  }
  return out;
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** The secret material of an OpenPGP private key (each key packet's private parameters), as bytes. */
function secretMaterial(key: openpgp.PrivateKey): Uint8Array[] {
  const packets = [key.keyPacket, ...key.subkeys.map((s) => s.keyPacket)] as unknown as { privateParams?: Record<string, Uint8Array> }[];
  return packets.flatMap((p) => Object.values(p.privateParams ?? {}));
}

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

forEachStore('secrets at rest', (store) => {
  store.it('no issued secret appears in the home, the store or the log; backup secrets stay in 0600 files and are never answered back', async () => {
    const adminPassword = 'admin-password-for-grep';
    const d = await store.startDaemon({
      env: { HEARTH_SECURITY_FAILURE_DELAY: '0', HEARTH_SECURITY_ADMIN_PASSWORD_HASH: await hashPassword(adminPassword), HEARTH_LOG_LEVEL: 'trace' },
    });
    const issued: string[] = [adminPassword, d.token];
    const keep = (s: string) => (issued.push(s), s);
    /** Where a secret may be, in the home: the 0600 files that exist to keep it. */
    const keptIn = new Map<string, string>([[d.token, 'authtoken']]);
    let code: string | undefined;
    try {
      await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
      const owner = { url: d.url, token: d.token };
      const anon = { url: d.url };
      code = keep(setupCode(d.home));
      await call(anon, 'bonafide/user/create', { username: 'alice', pass: keep('alice-password-1'), setup_code: code });
      // Used, the setup code is dead: its file is gone and it makes no second account.
      assert.equal((await call(anon, 'bonafide/user/create', { username: 'mallory', pass: 'mallory-password', setup_code: code })).status >= 400, true);
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

      // An OpenPGP key pair: the private key is kept encrypted under the account's password, so its
      // secret material is nowhere in clear.
      // (made with the account)
      await waitFor('the key pair', async () =>
        (await call(anon, 'keys/list', undefined, { headers: session })).body.result.some((k: any) => k.private && k.status === 'found'),
      );
      const exported = await call(anon, 'keys/export', { private: true, password: 'alice-password-1' }, { headers: session });
      assert.equal(exported.status, 200, JSON.stringify(exported.body));
      const locked = await openpgp.readPrivateKey({ armoredKey: exported.body.result.armored });
      assert.equal(locked.isDecrypted(), false, 'the private key is kept encrypted');
      const unlocked = await openpgp.decryptKey({ privateKey: locked, passphrase: 'alice-password-1' });
      assert.ok(secretMaterial(unlocked).length >= 2, 'the secret key material of the key and its subkey');
      for (const bytes of secretMaterial(unlocked)) {
        keep(Buffer.from(bytes).toString('hex'));
        keep(Buffer.from(bytes).toString('base64'));
        keep(Buffer.from(bytes).toString('latin1'));
      }

      // A backup repository on B2: its key and the repository password live in 0600 files of the
      // home, and no answer holds them.
      const b2Key = keep('K005aBcDeFgHiJkLmNoPqRsTuVwXyZ0123');
      const b2 = await call(owner, 'backup/b2', { bucket: 'hearth-backups', account_id: '0051234567890ab', account_key: b2Key });
      assert.equal(b2.status, 200, JSON.stringify(b2.body));
      const backupPassword = keep(readFileSync(join(d.home, 'backup', 'password'), 'utf8').trim());
      keptIn.set(b2Key, join('backup', 'repository.json'));
      keptIn.set(backupPassword, join('backup', 'password'));
      assert.equal(mode(join(d.home, 'backup')), 0o700);
      for (const f of ['password', 'repository.json']) assert.equal(mode(join(d.home, 'backup', f)), 0o600, f);
      for (const r of [
        b2,
        await call(owner, 'backup/settings'),
        await call(owner, 'backup/status'),
        await call(owner, '/services/restic/backup/status', undefined, { method: 'GET' }),
      ]) {
        const text = JSON.stringify(r.body);
        assert.ok(!text.includes(b2Key) && !text.includes(backupPassword), `an answer holds a backup secret: ${text.slice(0, 200)}`);
      }
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
    // Every file of the home (the store and its WAL among them on SQLite), the log, and the store's dump on PostgreSQL.
    // Every file that holds a key or a secret is its owner's only.
    for (const f of filesUnder(d.home)) {
      if (/^(authtoken|token\.key|twofactor\.key|setup-code)$|-key\.pem$|^(backup|acme)\//.test(f)) assert.equal(mode(join(d.home, f)), 0o600, `${f}: 0600`);
    }
    const haystacks = filesUnder(d.home).map((f) => ({ where: f, text: readFileSync(join(d.home, f)).toString('latin1') }));
    assert.ok(store.kind === 'postgres' || haystacks.some((h) => h.where === 'hearth.db'), 'the store file is searched');
    haystacks.push({ where: 'the log', text: d.output() });
    if (store.kind === 'postgres') {
      const schema = /search_path=(\w+)/.exec(decodeURIComponent(d.store.url))![1]!;
      haystacks.push({
        where: 'the PostgreSQL dump',
        text: execFileSync('pg_dump', ['--data-only', '--schema', schema, PG_BASE], { maxBuffer: 1 << 28 }).toString('latin1'),
      });
      assert.ok(haystacks.at(-1)!.text.includes('alice'), 'the dump holds the store');
    }
    assert.ok(d.logs().filter((l) => l.msg === 'request').length >= 14, `the daemon logged the requests: ${d.logs().length} lines`);
    for (const secret of issued) {
      for (const { where, text } of haystacks) {
        if (keptIn.get(secret) === where) continue;
        // The first-run line shows the owner where to start (the setup link); the code dies with its first use.
        if (secret === code && where === 'the log') continue;
        assert.ok(!text.includes(secret), `${where} holds an issued secret (${secret.slice(0, 6)}…)`);
      }
    }
    for (const [secret, where] of keptIn) {
      assert.equal(mode(join(d.home, where)), 0o600, `${where} keeps a secret: 0600`);
      assert.ok(readFileSync(join(d.home, where), 'utf8').includes(secret), `${where} keeps it`);
    }
  });
});
