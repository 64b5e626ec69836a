/**
 * OpenPGP keys (Bitmask's keys/*) over real HTTP: a new account's key pair made in the
 * background, its private key encrypted under the password (re-encrypted on a change, remade on
 * a reset) and exported only with the password given again; others' public keys imported only
 * for an address their self-signed user ids name, expired and revoked ones stored as such; every
 * bad input a 4xx that changes nothing. Keys are real (openpgp.js in the test, gpg to read exports).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { call, sessionAuth, waitFor, type InProcessDaemon } from '../support/helpers.js';
import { forEachStore, type FreshStore } from '../support/stores.js';

const HOUR = 3600_000;

/** A key made by openpgp.js at the daemon's (manual) time, for `email`. */
async function keyFor(email: string, at: number, opts: { expiresIn?: number; revoked?: boolean } = {}) {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'Someone', email }],
    date: new Date(at),
    keyExpirationTime: opts.expiresIn,
    format: 'object',
  });
  if (!opts.revoked) return { publicKey: publicKey.armor(), privateKey: privateKey.armor(), fingerprint: publicKey.getFingerprint().toUpperCase() };
  const revoked = await openpgp.revokeKey({ key: privateKey, date: new Date(at + 1000), format: 'object' });
  return { publicKey: revoked.publicKey.armor(), privateKey: privateKey.armor(), fingerprint: publicKey.getFingerprint().toUpperCase() };
}

/** What gpg reads from an armored key: its fingerprints (`fpr` records), in a home of its own. */
function gpgFingerprints(armored: string): string[] {
  const home = mkdtempSync(join(tmpdir(), 'hearth-gpg-'));
  const out = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--import-options', 'show-only', '--import'], {
    input: armored,
    stdio: ['pipe', 'pipe', 'ignore'],
  }).toString();
  return out
    .split('\n')
    .filter((l) => l.startsWith('fpr:'))
    .map((l) => l.split(':')[9]!);
}

forEachStore('OpenPGP keys', (store) => {
  let d: InProcessDaemon & { store: FreshStore };
  let alice: Record<string, string>;
  let bobSession: Record<string, string>;
  const pass = 'correct horse battery';

  const as = (headers: Record<string, string>) => (path: string, body: unknown) => call(d, path, body, { headers, noToken: true });
  const login = async (username: string, password: string) => {
    const r = await call(d, 'bonafide/user/authenticate', { username, pass: password }, { noToken: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return sessionAuth(username, r.body.result.token);
  };
  const own = async (headers: Record<string, string>) => (await as(headers)('keys/list', {})).body.result.find((k: { private: boolean }) => k.private);
  const waitFound = async (headers: Record<string, string>) => {
    await waitFor('the key pair', async () => (await own(headers))?.status === 'found');
    return own(headers);
  };

  store.before(async () => {
    d = await store.startInProcess();
    assert.equal((await call(d, 'bonafide/user/create', { username: 'alice', pass })).status, 200); // the global token needs no setup code
    assert.equal((await call(d, 'bonafide/user/create', { username: 'bob', pass })).status, 200);
    alice = await login('alice', pass);
    bobSession = await login('bob', pass);
  });

  store.it('a new account gets an ed25519 key pair in the background: generating, then found', async () => {
    const first = await own(alice);
    assert.ok(['generating', 'found'].includes(first.status), first.status);
    const key = await waitFound(alice);
    assert.match(key.fingerprint, /^[0-9A-F]{40}$/);
    assert.deepEqual(
      { address: key.address, uids: key.uids, algorithm: key.algorithm, bits: key.bits, private: key.private, state: key.state, validation: key.validation },
      {
        address: 'alice@localhost',
        uids: ['alice <alice@localhost>'],
        algorithm: 'ed25519',
        bits: 256,
        private: true,
        state: 'valid',
        validation: 'Fingerprint',
      },
    );
    assert.equal(key.created_at, new Date(d.clock.now()).toISOString());
    assert.equal(key.expires_at, null);
    // Each account has its own: bob's is another key, and alice's list does not show it.
    const bobs = await waitFound(bobSession);
    assert.notEqual(bobs.fingerprint, key.fingerprint);
    assert.equal((await as(alice)('keys/list', {})).body.result.length, 1);
  });

  store.it('the public key exports armored and gpg reads the same fingerprint', async () => {
    const key = await waitFound(alice);
    const r = await as(alice)('keys/export', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.result.armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.equal(r.body.result.private, false);
    assert.equal(gpgFingerprints(r.body.result.armored)[0], key.fingerprint);
  });

  store.it('the private key exports only with the password given again, and stays encrypted under it', async () => {
    const key = await waitFound(alice);
    const none = await as(alice)('keys/export', { private: true });
    assert.equal(none.status, 400);
    assert.match(none.body.error.message, /needs the account's password/);
    const wrong = await as(alice)('keys/export', { private: true, password: 'not the password' });
    assert.equal(wrong.status, 401);
    const r = await as(alice)('keys/export', { private: true, password: pass });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const priv = await openpgp.readPrivateKey({ armoredKey: r.body.result.armored });
    assert.equal(priv.isDecrypted(), false, 'exported encrypted');
    assert.equal(priv.getFingerprint().toUpperCase(), key.fingerprint);
    await openpgp.decryptKey({ privateKey: priv, passphrase: pass });
    // Never another address's private key: bob's is bob's.
    const others = await as(alice)('keys/export', { address: 'bob@localhost', private: true, password: pass });
    assert.equal(others.status, 400);
  });

  store.it('a password change re-encrypts the private key under the new password (same key); a reset makes a new key pair', async () => {
    const before = await waitFound(alice);
    const newpass = 'a brand new password';
    const change = await as(alice)('bonafide/user/update', { oldpass: pass, newpass });
    assert.equal(change.status, 200, JSON.stringify(change.body));
    const r = await as(alice)('keys/export', { private: true, password: newpass });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result.fingerprint, before.fingerprint);
    const priv = await openpgp.readPrivateKey({ armoredKey: r.body.result.armored });
    await assert.rejects(openpgp.decryptKey({ privateKey: priv, passphrase: pass }), /Incorrect key passphrase/);
    await openpgp.decryptKey({ privateKey: priv, passphrase: newpass });
    assert.equal((await as(alice)('bonafide/user/update', { oldpass: newpass, newpass: pass })).status, 200);

    // A maintainer's reset: the old private key cannot be opened without the old password; a new one is made.
    const bobBefore = await waitFound(bobSession);
    assert.equal((await as(alice)('bonafide/user/reset', { username: 'bob', newpass: 'bob reset password' })).status, 200);
    bobSession = await login('bob', 'bob reset password');
    const bobAfter = await waitFound(bobSession);
    assert.notEqual(bobAfter.fingerprint, bobBefore.fingerprint);
    const exported = await as(bobSession)('keys/export', { private: true, password: 'bob reset password' });
    await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: exported.body.result.armored }), passphrase: 'bob reset password' });
  });

  store.it("imports another address's public key; list shows its facts; delete forgets it", async () => {
    const carol = await keyFor('carol@example.org', d.clock.now() - HOUR);
    const r = await as(alice)('keys/insert', { address: 'Carol@Example.org', key: carol.publicKey });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result.replaced, false);
    const listed = (await as(alice)('keys/list', { address: 'carol@example.org' })).body.result;
    assert.equal(listed.length, 1);
    assert.deepEqual(
      { ...listed[0], refreshed_at: undefined },
      {
        address: 'carol@example.org',
        fingerprint: carol.fingerprint,
        uids: ['Someone <carol@example.org>'],
        algorithm: 'ed25519',
        bits: 256,
        created_at: new Date(d.clock.now() - HOUR).toISOString(),
        expires_at: null,
        private: false,
        status: 'found',
        state: 'valid',
        validation: 'Weak_Chain',
        refreshed_at: undefined,
        error: null,
      },
    );
    const exported = await as(alice)('keys/export', { address: 'carol@example.org' });
    assert.equal(gpgFingerprints(exported.body.result.armored)[0], carol.fingerprint);
    // Bob does not see alice's imports.
    assert.equal((await as(bobSession)('keys/list', { address: 'carol@example.org' })).body.result.length, 0);
    // A newer key for the address replaces the old one.
    const carol2 = await keyFor('carol@example.org', d.clock.now() - HOUR);
    const again = await as(alice)('keys/insert', { address: 'carol@example.org', key: carol2.publicKey, validation: 'Fingerprint' });
    assert.equal(again.body.result.replaced, true);
    assert.equal(again.body.result.fingerprint, carol2.fingerprint);
    assert.equal(again.body.result.validation, 'Fingerprint');
    assert.deepEqual((await as(alice)('keys/delete', { address: 'carol@example.org' })).body.result, { deleted: 'carol@example.org' });
    assert.equal((await as(alice)('keys/list', { address: 'carol@example.org' })).body.result.length, 0);
    const gone = await as(alice)('keys/delete', { address: 'carol@example.org' });
    assert.equal(gone.status, 404);
  });

  store.it('an expired or revoked key is stored with that state and says so', async () => {
    const expired = await keyFor('old@example.org', d.clock.now() - 3 * HOUR, { expiresIn: 3600 });
    const r = await as(alice)('keys/insert', { address: 'old@example.org', key: expired.publicKey });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result.state, 'expired');
    assert.equal(r.body.result.expires_at, new Date(d.clock.now() - 2 * HOUR).toISOString());
    const revoked = await keyFor('gone@example.org', d.clock.now() - HOUR, { revoked: true });
    const v = await as(alice)('keys/insert', { address: 'gone@example.org', key: revoked.publicKey });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.result.state, 'revoked');
    const states = Object.fromEntries((await as(alice)('keys/list', {})).body.result.map((k: { address: string; state: string }) => [k.address, k.state]));
    assert.deepEqual(states, { 'alice@localhost': 'valid', 'old@example.org': 'expired', 'gone@example.org': 'revoked' });
    // A key that expires later turns expired as time passes.
    const soon = await keyFor('soon@example.org', d.clock.now() - HOUR, { expiresIn: 2 * 3600 });
    assert.equal((await as(alice)('keys/insert', { address: 'soon@example.org', key: soon.publicKey })).body.result.state, 'valid');
    d.clock.advance(2 * HOUR);
    assert.equal((await as(alice)('keys/list', { address: 'soon@example.org' })).body.result[0].state, 'expired');
    for (const address of ['old@example.org', 'gone@example.org', 'soon@example.org']) await as(alice)('keys/delete', { address });
  });

  store.it('bad input gets a clear 4xx and changes nothing', async () => {
    const dave = await keyFor('dave@example.org', d.clock.now() - HOUR);
    const two = await keyFor('erin@example.org', d.clock.now() - HOUR);
    const before = (await as(alice)('keys/list', {})).body.result;
    const cases: [unknown, number, RegExp][] = [
      [{ address: 'dave@example.org', key: 'garbage' }, 400, /not an ASCII-armored OpenPGP key/],
      [
        { address: 'dave@example.org', key: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n' },
        400,
        /not an ASCII-armored OpenPGP key/,
      ],
      [{ address: 'mallory@example.org', key: dave.publicKey }, 400, /user ids \(dave@example.org\) do not include mallory@example.org/],
      [{ address: 'dave@example.org', key: dave.privateKey }, 400, /private key/],
      [{ address: 'dave@example.org', key: dave.publicKey + two.publicKey }, 400, /holds 2 armored blocks/],
      [{ address: 'alice@localhost', key: dave.publicKey }, 400, /own address/],
      [{ address: 'not an address', key: dave.publicKey }, 400, /must be an email address/],
      [{ address: 'dave@example.org', key: dave.publicKey, validation: 'Trust_Me' }, 400, /validation/],
    ];
    for (const [body, status, message] of cases) {
      const r = await as(alice)('keys/insert', body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.body.error.message, message);
    }
    // A key from the future (its self-signature not yet valid) is no key at all.
    const future = await keyFor('dave@example.org', d.clock.now() + HOUR);
    const f = await as(alice)('keys/insert', { address: 'dave@example.org', key: future.publicKey });
    assert.equal(f.status, 400);
    assert.match(f.body.error.message, /not valid/);
    assert.deepEqual((await as(alice)('keys/list', {})).body.result, before, 'nothing changed');
    assert.equal((await as(alice)('keys/delete', { address: 'alice@localhost' })).status, 400, 'the own key pair is not deleted');
    // The global token acts as the owner (alice, the first account): her keys, nobody else's.
    const global = await call(d, 'keys/list', {});
    assert.equal(global.status, 200);
    assert.deepEqual(global.body.result, before, "the owner's keys");
    assert.equal((await call(d, 'keys/list', {}, { noToken: true })).status, 401);
  });

  store.it('keys/generate makes a new key pair with the password; replacing one needs replace', async () => {
    const before = await waitFound(alice);
    const refused = await as(alice)('keys/generate', { password: pass });
    assert.equal(refused.status, 409);
    assert.equal((await as(alice)('keys/generate', { password: 'wrong password', replace: true })).status, 401);
    assert.equal((await own(alice)).fingerprint, before.fingerprint, 'a refused generate changes nothing');
    const r = await as(alice)('keys/generate', { password: pass, replace: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.result, { address: 'alice@localhost', status: 'generating' });
    const after = await waitFound(alice);
    assert.notEqual(after.fingerprint, before.fingerprint);
  });
});
