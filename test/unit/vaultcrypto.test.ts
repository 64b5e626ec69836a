/**
 * The console's WebCrypto key handling (web/src/vaultcrypto.ts) against the CLI's Node version
 * (src/vault-client/crypto.ts): the same master key and master-password hash for the same inputs
 * (and the research vector), a user key the Node side unwraps, a private key that matches the
 * public key, and EncStrings each side opens from the other. Node 20's globalThis.crypto.subtle is
 * WebCrypto, so the browser module runs here as it is, compiled from its TypeScript by esbuild.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { transform } from 'esbuild';
import { decrypt, encrypt, masterKey, masterPasswordHash, splitKey, stretch } from '../../src/vault-client/crypto.js';
import { PACKAGE_ROOT } from '../../src/kernel/paths.js';

type Web = typeof import('../../web/src/vaultcrypto.js');

describe("the console's vault crypto matches the CLI's", () => {
  let web: Web;
  before(async () => {
    const source = readFileSync(join(PACKAGE_ROOT, 'web', 'src', 'vaultcrypto.ts'), 'utf8');
    const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20' });
    web = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Web;
  });

  it("gives the research vector's master-password hash (alice@example.com, PBKDF2 600000)", async () => {
    const mk = await web.masterKey('correct horse battery', 'alice@example.com', 600000);
    assert.equal(await web.masterPasswordHash(mk, 'correct horse battery'), 'Dr+LfBjeFgc3fb8CS80vTNTA7FYlT10YB9Gg0EyHC+0=');
  });

  it('derives the same master key, hash and stretched key as the Node client; the e-mail is trimmed and lower-cased', async () => {
    for (const [password, email, iterations] of [
      ['correct horse battery staple', ' Alice@Home.Example ', 5000],
      ['pässwörd with ünïcode ✓', 'bob@localhost', 6000],
    ] as const) {
      const w = await web.masterKey(password, email, iterations);
      const n = await masterKey(password, email, { kdfType: 0, iterations });
      assert.equal(Buffer.from(w).toString('hex'), n.toString('hex'));
      assert.equal(await web.masterPasswordHash(w, password), masterPasswordHash(n, password));
      const [ws, ns] = [await web.stretch(w), stretch(n)];
      assert.deepEqual([Buffer.from(ws.enc).toString('hex'), Buffer.from(ws.mac).toString('hex')], [ns.enc.toString('hex'), ns.mac.toString('hex')]);
    }
    const a = await web.masterKey('one password', 'a@x', 5000);
    const b = await web.masterKey('another one', 'a@x', 5000);
    assert.notEqual(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'));
  });

  it('makes a registration the Node client opens: user key, RSA key pair, register/finish body', async () => {
    const password = 'correct horse battery staple';
    const reg = await web.makeRegistration('Carol@Home.example', password, 5000);
    assert.equal(reg.email, 'carol@home.example');
    const mk = await masterKey(password, 'carol@home.example', { kdfType: 0, iterations: 5000 });
    assert.equal(reg.masterPasswordHash, masterPasswordHash(mk, password));
    const userKey = decrypt(reg.key, stretch(mk));
    assert.equal(userKey.length, 64);
    assert.throws(() => decrypt(reg.key, stretch(Buffer.alloc(32))), /MAC does not match/);
    // The private key opens with the user key and is the public key's pair.
    const pkcs8 = decrypt(reg.encryptedPrivateKey, splitKey(userKey));
    const priv = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    assert.equal(priv.asymmetricKeyDetails?.modulusLength, 2048);
    const pubFromPriv = createPublicKey(priv).export({ type: 'spki', format: 'der' }).toString('base64');
    assert.equal(pubFromPriv, reg.publicKey);
    // EncStrings cross both ways.
    const k = splitKey(userKey);
    const wk = { enc: new Uint8Array(k.enc), mac: new Uint8Array(k.mac) };
    assert.equal(Buffer.from(await web.decrypt(encrypt('from node', k), wk)).toString('utf8'), 'from node');
    assert.equal(
      decrypt(await web.encrypt(new TextEncoder().encode('from the browser') as Uint8Array<ArrayBuffer>, wk), k).toString('utf8'),
      'from the browser',
    );
    await assert.rejects(web.decrypt(encrypt('x', k), { enc: new Uint8Array(32), mac: new Uint8Array(32) }), /MAC does not match/);

    const body = web.registerFinishBody(reg, 'the-token', 'Carol');
    assert.deepEqual(body.masterPasswordUnlock, {
      salt: 'carol@home.example',
      kdf: { kdfType: 0, iterations: 5000, memory: null, parallelism: null },
      masterKeyWrappedUserKey: reg.key,
    });
    assert.equal(body.masterPasswordAuthentication.masterPasswordAuthenticationHash, reg.masterPasswordHash);
    assert.equal(body.emailVerificationToken, 'the-token');
    assert.doesNotMatch(JSON.stringify(body), new RegExp(password), 'the master password is not in the body');
  });
});
