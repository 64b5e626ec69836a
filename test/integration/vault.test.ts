/**
 * The vault's Bitwarden surface over real HTTP, with a TypeScript client harness, on SQLite and
 * PostgreSQL: prelogin, registration, the token endpoint, refresh rotation, security-stamp
 * revocation, sync, revision dates, ciphers of every type and folders with every alias, out-of-date
 * edits, malformed type data refused with nothing lost, and the owner's view.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { decrypt, encrypt, makeRegistration, masterKey, masterPasswordHash, registerFinishBody, stretch } from '../../src/vault-client/crypto.js';
import { bearer, call, type InProcessDaemon } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';
import { FAST_KDF, registerVault, VaultClient } from '../support/vault-harness.js';
import { bwDate } from '../../src/features/vault/model.js';

const PW = 'correct horse battery staple';

forEachStore('vault', (store) => {
  let d: InProcessDaemon;
  let alice: VaultClient;
  const owner = () => ({ url: d.url, token: d.token });

  store.before(async () => {
    d = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'home.example' } });
    for (const username of ['owner', 'alice', 'bob', 'carol']) {
      const r = await call(owner(), 'bonafide/user/create', { username: username === 'owner' ? 'olga' : username, pass: 'account-password-1' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    alice = await registerVault(owner(), 'alice', PW);
    assert.equal((await alice.login()).status, 200);
  });

  store.it("prelogin answers the vault's KDF in kdfSettings, and defaults for an unknown e-mail", async () => {
    const known = await alice.api('POST', '/identity/accounts/prelogin/password', { email: ' Alice@Home.example ' }, null);
    assert.equal(known.status, 200);
    assert.deepEqual(known.body.kdfSettings, { kdfType: 0, iterations: 5000, memory: null, parallelism: null });
    assert.equal(known.body.kdf, 0);
    for (const email of ['nobody@home.example', 'bob@home.example' /* an account without a vault */]) {
      const unknown = await alice.api('POST', '/identity/accounts/prelogin/password', { email }, null);
      assert.equal(unknown.status, 200);
      assert.deepEqual(unknown.body.kdfSettings, { kdfType: 0, iterations: 600000, memory: null, parallelism: null });
    }
    const legacy = await alice.api('POST', '/api/accounts/prelogin', { email: 'alice@home.example' }, null);
    assert.equal(legacy.body.kdfIterations, 5000);
  });

  store.it('registration needs a single-use token for that very account', async () => {
    const reg = await makeRegistration('bob@home.example', PW, FAST_KDF);
    const finish = (token: string, r = reg) => call({ url: d.url }, '/bitwarden/identity/accounts/register/finish', registerFinishBody(r, token));
    const none = await finish('');
    assert.equal(none.status, 400);
    assert.match(none.body.message, /registration token|registration needs a token/);
    const forCarol = (await call(owner(), 'vault/registration_token', { username: 'carol' })).body.result.token;
    const wrong = await finish(forCarol);
    assert.equal(wrong.status, 400, "carol's token does not register bob");
    assert.match(wrong.body.message, /wrong, used, expired or for another account/);
    const t = (await call(owner(), 'vault/registration_token', { username: 'bob' })).body.result.token;
    // Malformed keys are refused before the token is spent.
    const bad = await finish(t, { ...reg, key: 'not an encstring' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /userSymmetricKey must be an EncString/);
    const other = await call(
      { url: d.url },
      '/bitwarden/identity/accounts/register/finish',
      registerFinishBody(await makeRegistration('bob@elsewhere.example', PW, FAST_KDF), t),
    );
    assert.equal(other.status, 400);
    assert.match(other.body.message, /not on this server's domain/);
    // A client may send null for the older fields it leaves unused: the newer ones are read.
    const legacyNulls = { masterPasswordHash: null, userSymmetricKey: null, key: null, keys: null, kdf: null, kdfIterations: null, token: null };
    const ok = await call({ url: d.url }, '/bitwarden/identity/accounts/register/finish', { ...registerFinishBody(reg, t), ...legacyNulls });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body, { object: 'register', captchaBypassToken: '' });
    const again = await finish(t);
    assert.equal(again.status, 400, 'the token is spent');
    const dup = await call(owner(), 'vault/registration_token', { username: 'bob' });
    assert.equal(dup.status, 409, 'a second vault for bob needs vault/delete first');
    const email = await call({ url: d.url }, '/bitwarden/identity/accounts/register/send-verification-email', { email: 'x@home.example' });
    assert.equal(email.status, 400);
    assert.match(email.body.message, /registration_token/);
  });

  store.it('the legacy register body and Argon2id keys work too, and the client-side hash matches the research vector', async () => {
    // bitwarden.md §3: alice@example.com / correct horse battery / PBKDF2 600000.
    const mk = await masterKey('correct horse battery', 'alice@example.com', { kdfType: 0, iterations: 600000 });
    assert.equal(masterPasswordHash(mk, 'correct horse battery'), 'Dr+LfBjeFgc3fb8CS80vTNTA7FYlT10YB9Gg0EyHC+0=');
    const kdf = { kdfType: 1 as const, iterations: 2, memory: 16, parallelism: 1 };
    const reg = await makeRegistration('carol@home.example', PW, kdf);
    const token = (await call(owner(), 'vault/registration_token', { username: 'carol' })).body.result.token;
    const legacy = {
      email: reg.email,
      name: 'Carol',
      masterPasswordHash: reg.masterPasswordHash,
      key: reg.key,
      kdf: 1,
      kdfIterations: 2,
      kdfMemory: 16,
      kdfParallelism: 1,
      keys: { publicKey: reg.publicKey, encryptedPrivateKey: reg.encryptedPrivateKey },
      token,
    };
    const r = await call({ url: d.url }, '/bitwarden/identity/accounts/register', legacy);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const carol = new VaultClient(owner(), reg.email, reg);
    const login = await carol.login();
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual(login.body.UserDecryptionOptions.MasterPasswordUnlock.Kdf, { KdfType: 1, Iterations: 2, Memory: 16, Parallelism: 1 });
    const pre = await carol.api('POST', '/identity/accounts/prelogin/password', { email: reg.email }, null);
    assert.deepEqual(pre.body.kdfSettings, { kdfType: 1, iterations: 2, memory: 16, parallelism: 1 });
  });

  store.it('the token answer carries what bw 2026.9.0 requires; the JWT its claims', async () => {
    const c = new VaultClient(owner(), alice.email, alice.reg);
    const r = await c.login();
    assert.equal(r.status, 200);
    const b = r.body;
    assert.equal(b.token_type, 'Bearer');
    assert.equal(b.expires_in, 3600);
    assert.equal(b.Key, alice.reg.key);
    assert.equal(b.Kdf, 0);
    assert.equal(b.KdfIterations, 5000);
    assert.deepEqual(b.AccountKeys.publicKeyEncryptionKeyPair, {
      wrappedPrivateKey: alice.reg.encryptedPrivateKey,
      publicKey: alice.reg.publicKey,
      Object: 'publicKeyEncryptionKeyPair',
    });
    const unlock = b.UserDecryptionOptions.MasterPasswordUnlock;
    assert.equal(unlock.Salt, 'alice@home.example');
    assert.equal(unlock.MasterKeyEncryptedUserKey, alice.reg.key);
    assert.deepEqual(unlock.Kdf, { KdfType: 0, Iterations: 5000, Memory: null, Parallelism: null });
    assert.match(b.refresh_token, /^[A-Za-z0-9_-]{64}$/);
    const claims = decodeJwt(b.access_token);
    assert.equal(claims.client_id, 'cli');
    assert.equal(claims.email, 'alice@home.example');
    assert.equal(claims.email_verified, true);
    assert.equal(typeof claims.sstamp, 'string');
    assert.equal(typeof claims.sub, 'string');
    assert.equal(claims.exp! - claims.iat!, 3600);
    assert.equal(claims.exp! * 1000, d.clock.now() + 3600_000);
    assert.deepEqual(claims.amr, ['Application']);
    // Tokens and keys: no cache may keep the answer, nor a sync's.
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const sync = await c.api('GET', '/api/sync');
    assert.equal(sync.status, 200);
    assert.equal(sync.headers.get('cache-control'), 'no-store');
  });

  store.it('a wrong master-password hash → 400 invalid_grant, logged and rate-limited like every login', async () => {
    const c = new VaultClient(owner(), alice.email, alice.reg);
    const r = await c.login('d3Jvbmcgd3Jvbmcgd3Jvbmcgd3Jvbmcgd3Jvbmc=');
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_grant');
    assert.match(r.body.ErrorModel.Message, /Username or password is incorrect/);
    const unknown = await new VaultClient(owner(), 'nobody@home.example', alice.reg).login();
    assert.equal(unknown.status, 400, 'an unknown e-mail answers the same');
    assert.equal(unknown.body.ErrorModel.Message, r.body.ErrorModel.Message);
    const log = await call(owner(), 'auth/log', { failures: true });
    assert.ok(
      log.body.result.some((e: any) => e.surface === 'bitwarden' && e.username === 'alice@home.example'),
      'in the login log',
    );
    // The address limits of every other login: 10 failures a minute, then 429 with Retry-After.
    let limited = null;
    for (let i = 0; i < 12 && !limited; i++) {
      const f = await c.login('d3Jvbmcgd3Jvbmcgd3Jvbmcgd3Jvbmcgd3Jvbmc=');
      if (f.status === 429) limited = f;
      else assert.equal(f.status, 400);
    }
    assert.ok(limited, 'rate-limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await c.login()).status, 429, 'even the right password waits');
    d.clock.advance(61_000);
    assert.equal((await c.login()).status, 200);
  });

  store.it('config, profile, revision-date (ms) and user-key-id as the client calls them', async () => {
    const cfg = await alice.api('GET', '/api/config', undefined, null);
    assert.equal(cfg.status, 200);
    assert.deepEqual(cfg.body.featureStates, {});
    assert.match(cfg.body.environment.api, /\/bitwarden\/api$/);
    const p = await alice.api('GET', '/api/accounts/profile');
    assert.equal(p.status, 200);
    assert.equal(p.body.email, 'alice@home.example');
    assert.equal(p.body.key, alice.reg.key);
    const rev = await alice.api('GET', '/api/accounts/revision-date');
    assert.equal(rev.status, 200);
    assert.equal(typeof rev.body, 'number');
    assert.ok(rev.body > 1.7e12 && rev.body <= d.clock.now());
    const keyId = 'a'.repeat(32);
    assert.equal((await alice.api('POST', '/api/accounts/key-management/user-key-id', { userKeyId: 'NOT-HEX' })).status, 400);
    const set = await alice.api('POST', '/api/accounts/key-management/user-key-id', { userKeyId: keyId });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal((await alice.api('POST', '/api/accounts/key-management/user-key-id', { userKeyId: keyId })).status, 200, 'the same id again is fine');
    const other = await alice.api('POST', '/api/accounts/key-management/user-key-id', { userKeyId: 'b'.repeat(32) });
    assert.equal(other.status, 400);
    assert.match(other.body.message, /already set/);
    const sync = await alice.api('GET', '/api/sync?excludeDomains=true');
    assert.equal(sync.body.userDecryption.userKeyId, keyId);
    assert.equal(sync.body.userDecryption.masterPasswordUnlock.salt, 'alice@home.example');
    const renamed = await alice.api('PUT', '/api/accounts/profile', { name: 'Alice A.' });
    assert.equal(renamed.body.name, 'Alice A.');
  });

  store.it('folders: create, get, list, rename (PUT and POST), delete (DELETE and POST) — ciphers stay, folderless', async () => {
    const rev0 = (await alice.api('GET', '/api/accounts/revision-date')).body;
    d.clock.advance(1000);
    const f = await alice.api('POST', '/api/folders', { name: alice.enc('Work') });
    assert.equal(f.status, 200, JSON.stringify(f.body));
    assert.equal(f.body.object, 'folder');
    assert.equal(alice.dec(f.body.name), 'Work');
    assert.ok((await alice.api('GET', '/api/accounts/revision-date')).body > rev0, 'revision date bumped');
    assert.equal((await alice.api('GET', `/api/folders/${f.body.id}`)).body.id, f.body.id);
    const name2 = alice.enc('Work 2');
    const put = await alice.api('PUT', `/api/folders/${f.body.id}`, { name: name2 });
    assert.equal(put.body.name, name2, 'stored exactly as sent');
    const post = await alice.api('POST', `/api/folders/${f.body.id}`, { name: alice.enc('Work 3') });
    assert.equal(alice.dec(post.body.name), 'Work 3');
    assert.equal((await alice.api('POST', '/api/folders', { name: 'plain text' })).status, 400, 'a plaintext name is refused');
    const c = await alice.api('POST', '/api/ciphers', alice.loginCipher('in folder', 'pw', { folderId: f.body.id }));
    assert.equal(c.body.folderId, f.body.id);
    assert.equal((await alice.api('DELETE', `/api/folders/${f.body.id}`)).status, 200);
    assert.equal((await alice.api('GET', `/api/ciphers/${c.body.id}`)).body.folderId, null);
    assert.equal((await alice.api('GET', `/api/folders/${f.body.id}`)).status, 404);
    const g = await alice.api('POST', '/api/folders', { name: alice.enc('Gone') });
    assert.equal((await alice.api('POST', `/api/folders/${g.body.id}/delete`)).status, 200);
    assert.equal((await alice.api('GET', '/api/folders')).body.data.length, 0);
    assert.equal(
      (await alice.api('POST', '/api/ciphers', alice.loginCipher('x', 'y', { folderId: g.body.id }))).status,
      400,
      'a deleted folder is not a folder',
    );
  });

  store.it('ciphers of every type are stored as sent and come back in sync', async () => {
    const e = (s: string) => alice.enc(s);
    const bodies = [
      alice.loginCipher('Login', 'hunter2', {
        fields: [{ type: 1, name: e('pin'), value: e('1234'), linkedId: null }],
        passwordHistory: [{ password: e('old'), lastUsedDate: '2026-01-01T00:00:00.000Z' }],
      }),
      { type: 2, name: e('Note'), notes: e('secret note'), secureNote: { type: 0 } },
      {
        type: 3,
        name: e('Card'),
        card: { cardholderName: e('A'), brand: e('Visa'), number: e('4111111111111111'), expMonth: e('1'), expYear: e('2030'), code: e('123') },
      },
      { type: 4, name: e('Me'), identity: { firstName: e('Alice'), lastName: e('A'), email: e('a@example.com') } },
      { type: 5, name: e('Key'), sshKey: { privateKey: e('-----BEGIN…'), publicKey: e('ssh-ed25519 AAAA'), keyFingerprint: e('SHA256:xyz') } },
    ];
    const ids: string[] = [];
    for (const b of bodies) {
      const r = await alice.api('POST', '/api/ciphers', b);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.object, 'cipherDetails');
      assert.equal(r.body.name, b.name, 'EncString untouched');
      ids.push(r.body.id);
    }
    const sync = await alice.api('GET', '/api/sync?excludeDomains=true');
    assert.equal(sync.status, 200);
    const byId = new Map(sync.body.ciphers.map((c: any) => [c.id, c]));
    const [l, n, c, i, s] = ids.map((id) => byId.get(id) as any);
    assert.equal(alice.dec(l.login.password), 'hunter2');
    assert.deepEqual(l.login.fido2Credentials, []);
    assert.equal(l.login.uris[0].response, undefined, 'response keys are dropped');
    assert.equal(alice.dec(l.fields[0].value), '1234');
    assert.equal(alice.dec(l.passwordHistory[0].password), 'old');
    assert.equal(alice.dec(n.notes), 'secret note');
    assert.deepEqual(n.secureNote, { type: 0 });
    assert.equal(alice.dec(c.card.number), '4111111111111111');
    assert.equal(alice.dec(i.identity.firstName), 'Alice');
    assert.equal(i.identity.ssn, null);
    assert.equal(alice.dec(s.sshKey.keyFingerprint), 'SHA256:xyz');
    assert.equal(l.data, undefined, 'no legacy data object');
    const viaCreate = await alice.api('POST', '/api/ciphers/create', { cipher: bodies[1], collectionIds: [] });
    assert.equal(viaCreate.status, 200);
    const list = await alice.api('GET', '/api/ciphers');
    assert.ok(list.body.data.length >= 6);
    assert.equal((await alice.api('GET', `/api/ciphers/${ids[0]}/details`)).body.id, ids[0]);
  });

  store.it("a sync of more ciphers than one page of its reads sends each exactly once, and only the caller's", async () => {
    assert.equal((await call(owner(), 'bonafide/user/create', { username: 'pat', pass: 'account-password-1' })).status, 200);
    const pat = await registerVault(owner(), 'pat', PW);
    assert.equal((await pat.login()).status, 200);
    assert.equal((await alice.api('POST', '/api/ciphers', alice.loginCipher('alice only', 'x'))).status, 200);
    const made = new Set<string>();
    const worker = async (n: number) => {
      for (let i = n; i < 600; i += 8) {
        const r = await pat.api('POST', '/api/ciphers', pat.loginCipher(`site ${i}`, `password ${i}`));
        assert.equal(r.status, 200, JSON.stringify(r.body));
        made.add(r.body.id);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, n) => worker(n)));
    const sync = await pat.api('GET', '/api/sync?excludeDomains=true');
    assert.equal(sync.status, 200);
    const ids = (sync.body.ciphers as { id: string }[]).map((c) => c.id);
    assert.equal(ids.length, 600, 'every cipher, once');
    assert.deepEqual(new Set(ids), made);
    assert.equal(pat.dec(sync.body.ciphers.find((c: any) => c.id === ids[599]).login.password).startsWith('password '), true);
    assert.equal((await call(owner(), 'vault/delete', { username: 'pat' })).status, 200); // the owner's list below knows the vaults it expects
  });

  store.it('malformed type data → 400 naming the field, and nothing stored is lost', async () => {
    const good = await alice.api('POST', '/api/ciphers', alice.loginCipher('Keep me', 'kept'));
    const before = (await alice.api('GET', '/api/sync')).body;
    const e = (s: string) => alice.enc(s);
    const bad: [unknown, RegExp][] = [
      [{ type: 5, name: e('k'), sshKey: null }, /sshKey object/],
      [{ type: 5, name: e('k'), sshKey: { privateKey: e('a'), publicKey: '', keyFingerprint: e('c') } }, /sshKey\.publicKey/],
      [{ type: 1, name: e('k'), login: { password: 'plaintext!' } }, /login\.password must be an EncString/],
      [{ type: 1, name: e('k'), login: {}, passwordHistory: [{ password: 42 }] }, /passwordHistory\[0\]\.password/],
      [{ type: 1, name: e('k'), login: { uris: 'x' } }, /login\.uris must be a list/],
      [{ type: 2, name: e('k'), secureNote: { type: 7 } }, /secureNote\.type/],
      [{ type: 9, name: e('k') }, /type must be one of/],
      [{ type: 2, secureNote: { type: 0 } }, /name is required/],
      [{ type: 2, name: '2.a|b', secureNote: { type: 0 } }, /name must be an EncString/],
      [{ type: 2, name: e('k'), secureNote: { type: 0 }, organizationId: '00000000-0000-0000-0000-000000000000' }, /organizations/],
      [{ type: 1, name: e('k'), login: {}, fields: [{ type: 'x' }] }, /fields\[0\]\.type/],
    ];
    for (const [body, why] of bad) {
      const r = await alice.api('POST', '/api/ciphers', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.message, why);
      const u = await alice.api('PUT', `/api/ciphers/${good.body.id}`, body);
      assert.equal(u.status, 400, JSON.stringify(body));
    }
    const raw = await alice.api('POST', '/api/ciphers', undefined, undefined);
    assert.equal(raw.status, 400);
    const after = (await alice.api('GET', '/api/sync')).body;
    assert.deepEqual(after.ciphers, before.ciphers, 'nothing changed');
    assert.equal(alice.dec(after.ciphers.find((c: any) => c.id === good.body.id).login.password), 'kept');
  });

  store.it('edits: revision dates bump; an out-of-date lastKnownRevisionDate is refused; the type cannot change', async () => {
    const c = await alice.api('POST', '/api/ciphers', alice.loginCipher('Edit me', 'v1'));
    const seen = c.body.revisionDate;
    d.clock.advance(5000);
    const v2 = await alice.api('PUT', `/api/ciphers/${c.body.id}`, alice.loginCipher('Edit me', 'v2', { lastKnownRevisionDate: seen }));
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    assert.ok(Date.parse(v2.body.revisionDate) > Date.parse(seen));
    assert.equal(v2.body.creationDate, c.body.creationDate);
    assert.equal((await alice.api('GET', '/api/accounts/revision-date')).body, d.clock.now());
    d.clock.advance(5000);
    const stale = await alice.api('PUT', `/api/ciphers/${c.body.id}`, alice.loginCipher('Edit me', 'v3', { lastKnownRevisionDate: seen }));
    assert.equal(stale.status, 400);
    assert.match(stale.body.message, /out of date/);
    assert.equal(alice.dec((await alice.api('GET', `/api/ciphers/${c.body.id}`)).body.login.password), 'v2', 'the stale edit changed nothing');
    const post = await alice.api('POST', `/api/ciphers/${c.body.id}`, alice.loginCipher('Edit me', 'v3', { lastKnownRevisionDate: v2.body.revisionDate }));
    assert.equal(post.status, 200, 'POST alias, up to date');
    const retype = await alice.api('PUT', `/api/ciphers/${c.body.id}`, { type: 2, name: alice.enc('n'), secureNote: { type: 0 } });
    assert.equal(retype.status, 400);
  });

  store.it('trash, restore, permanent delete — one at a time and in bulk; partial and move', async () => {
    const mk = async (n: string) => (await alice.api('POST', '/api/ciphers', alice.loginCipher(n, 'pw'))).body.id as string;
    const [a, b, c, e] = [await mk('a'), await mk('b'), await mk('c'), await mk('e')];
    const trash = await alice.api('PUT', `/api/ciphers/${a}/delete`);
    assert.equal(trash.status, 200);
    const inTrash = (await alice.api('GET', `/api/ciphers/${a}`)).body;
    assert.equal(inTrash.deletedDate, new Date(d.clock.now()).toISOString().replace('Z', '000Z'));
    const restored = await alice.api('PUT', `/api/ciphers/${a}/restore`);
    assert.equal(restored.status, 200);
    assert.equal(restored.body.id, a, 'restore answers the cipher');
    assert.equal(restored.body.deletedDate, null);
    assert.equal((await alice.api('PUT', '/api/ciphers/delete', { ids: [a, b] })).status, 200);
    const r2 = await alice.api('PUT', '/api/ciphers/restore', { ids: [a, b] });
    assert.equal(r2.body.data.length, 2);
    assert.equal((await alice.api('DELETE', `/api/ciphers/${a}`)).status, 200);
    assert.equal((await alice.api('GET', `/api/ciphers/${a}`)).status, 404);
    assert.equal((await alice.api('POST', `/api/ciphers/${b}/delete`)).status, 200);
    assert.equal((await alice.api('DELETE', '/api/ciphers', { ids: [c] })).status, 200);
    assert.equal((await alice.api('POST', '/api/ciphers/delete', { ids: [e, a] })).status, 404, 'all or nothing: a is gone');
    assert.equal((await alice.api('GET', `/api/ciphers/${e}`)).status, 200, 'e survived the failed bulk delete');
    const f = (await alice.api('POST', '/api/folders', { name: alice.enc('F') })).body.id;
    const part = await alice.api('PUT', `/api/ciphers/${e}/partial`, { folderId: f, favorite: true });
    assert.equal(part.status, 200);
    assert.equal(part.body.folderId, f);
    assert.equal(part.body.favorite, true);
    const m = await mk('m');
    assert.equal((await alice.api('POST', '/api/ciphers/move', { ids: [e, m], folderId: null })).status, 200);
    assert.equal((await alice.api('GET', `/api/ciphers/${m}`)).body.folderId, null);
    assert.equal((await alice.api('PUT', '/api/ciphers/move', { ids: [m], folderId: f })).status, 200);
    assert.equal((await alice.api('GET', `/api/ciphers/${m}`)).body.folderId, f);
    assert.equal((await alice.api('PUT', '/api/ciphers/delete', { ids: 'x' })).status, 400);
  });

  store.it("another account's items are not found (404), never 401/403", async () => {
    const bob = new VaultClient(owner(), 'bob@home.example', alice.reg);
    // bob registered with his own keys in an earlier test; log in with a fresh registration of ours.
    await call(owner(), 'vault/delete', { username: 'bob' });
    const b = await registerVault(owner(), 'bob', PW);
    assert.equal((await b.login()).status, 200);
    void bob;
    const mine = await alice.api('POST', '/api/ciphers', alice.loginCipher('alice only', 'pw'));
    const folder = await alice.api('POST', '/api/folders', { name: alice.enc('mine') });
    for (const [method, path, body] of [
      ['GET', `/api/ciphers/${mine.body.id}`],
      ['PUT', `/api/ciphers/${mine.body.id}`, b.loginCipher('x', 'y')],
      ['PUT', `/api/ciphers/${mine.body.id}/delete`],
      ['DELETE', `/api/ciphers/${mine.body.id}`],
      ['PUT', `/api/ciphers/${mine.body.id}/restore`],
      ['GET', `/api/folders/${folder.body.id}`],
      ['DELETE', `/api/folders/${folder.body.id}`],
      ['GET', '/api/ciphers/not-a-uuid'],
    ] as [string, string, unknown?][]) {
      const r = await b.api(method, path, body);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.object, 'error');
    }
    assert.equal((await b.api('POST', '/api/ciphers', b.loginCipher('x', 'y', { folderId: folder.body.id }))).status, 400, "not into alice's folder");
    assert.equal((await alice.api('GET', `/api/ciphers/${mine.body.id}`)).status, 200);
    assert.equal((await b.api('GET', '/api/sync')).body.ciphers.length, 0);
  });

  store.it('refresh tokens rotate: the old one is spent (400 invalid_grant), the new one works', async () => {
    const c = new VaultClient(owner(), alice.email, alice.reg);
    await c.login();
    const first = c.refresh;
    const r = await c.refreshTokens();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.notEqual(r.body.refresh_token, first);
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(decodeJwt(r.body.access_token).client_id, 'cli');
    const replay = await c.refreshTokens(first);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    const grant = await c.tokenRequest({ grant_type: 'client_credentials', client_id: 'cli' });
    assert.equal(grant.status, 400);
    assert.equal(grant.body.error, 'unsupported_grant_type');
    const noDevice = await c.tokenRequest({ grant_type: 'password', username: c.email, password: c.reg.masterPasswordHash });
    assert.equal(noDevice.status, 400);
    assert.equal(noDevice.body.error, 'invalid_request');
    assert.match(noDevice.body.ErrorModel.Message, /deviceIdentifier is required/);
    const junk = await c.refreshTokens('junk');
    assert.equal(junk.status, 400);
    assert.equal(junk.body.error, 'invalid_grant');
    assert.equal((await c.refreshTokens()).status, 200);
    assert.equal((await c.api('GET', '/api/accounts/revision-date')).status, 200);
    d.clock.advance(61_000);
  });

  store.it('access tokens expire after an hour (401, the client refreshes)', async () => {
    const c = new VaultClient(owner(), alice.email, alice.reg);
    await c.login();
    d.clock.advance(3600_000 + 1000);
    assert.equal((await c.api('GET', '/api/sync')).status, 401);
    assert.equal((await c.refreshTokens()).status, 200);
    assert.equal((await c.api('GET', '/api/sync')).status, 200);
  });

  store.it('only vault tokens on the Bitwarden surface, and vault tokens nowhere else', async () => {
    const noAuth = await call({ url: d.url }, '/bitwarden/api/sync', undefined, { method: 'GET', headers: { 'x-hearth-auth': d.token } });
    assert.equal(noAuth.status, 401, 'the global token is not a vault credential');
    const session = await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'alice', pass: 'account-password-1' });
    assert.equal(
      (await call({ url: d.url }, '/bitwarden/api/sync', undefined, { method: 'GET', headers: { authorization: session.body.result.authorization } })).status,
      401,
    );
    const who = await call({ url: d.url }, 'core/whoami', undefined, { headers: bearer(alice.access) });
    assert.equal(who.status, 401, 'a vault JWT is no credential on the native API');
    const forged = alice.access.slice(0, -4) + (alice.access.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal((await alice.api('GET', '/api/sync', undefined, forged)).status, 401);
  });

  store.it("a registration token: one's own for anyone; another's only for a maintainer; never for a role token", async () => {
    await call(owner(), 'bonafide/user/create', { username: 'dave', pass: 'account-password-1' });
    const s = await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'dave', pass: 'account-password-1' });
    const auth = { authorization: s.body.result.authorization };
    const own = await call({ url: d.url }, 'vault/registration_token', {}, { headers: auth });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.result.email, 'dave@home.example');
    const other = await call({ url: d.url }, 'vault/registration_token', { username: 'carol' }, { headers: auth });
    assert.equal(other.status, 403);
    const role = await call(owner(), 'token/create', { role: 'maintainer', expiry: 60 });
    const byRole = await call({ url: d.url }, 'vault/registration_token', { username: 'dave' }, { headers: bearer(role.body.result.key) });
    assert.equal(byRole.status, 403);
  });

  store.it('the security stamp: a wrong hash → 400; the right one ends every token at once', async () => {
    assert.equal((await alice.refreshTokens()).status, 200, 'an hour has passed in an earlier test');
    const other = new VaultClient(owner(), alice.email, alice.reg);
    await other.login();
    const wrong = await alice.api('POST', '/api/accounts/security-stamp', { masterPasswordHash: 'd3Jvbmcgd3Jvbmcgd3Jvbmcgd3Jvbmcgd3Jvbmc=' });
    assert.equal(wrong.status, 400, 'never 401/403 to a logged-in client');
    const stamp0 = (await alice.api('GET', '/api/accounts/profile')).body.securityStamp;
    const ok = await alice.api('POST', '/api/accounts/security-stamp', { masterPasswordHash: alice.reg.masterPasswordHash });
    assert.equal(ok.status, 204);
    for (const c of [alice, other]) {
      assert.equal((await c.api('GET', '/api/sync')).status, 401, 'access token revoked');
      const r = await c.refreshTokens();
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'invalid_grant');
    }
    assert.equal((await alice.login()).status, 200);
    assert.notEqual((await alice.api('GET', '/api/accounts/profile')).body.securityStamp, stamp0);
    d.clock.advance(61_000);
  });

  store.it("a Hearth password reset ends the account's vault sessions too", async () => {
    await call(owner(), 'bonafide/user/reset', { username: 'alice', newpass: 'account-password-2' });
    assert.equal((await alice.api('GET', '/api/sync')).status, 401);
    assert.equal((await alice.refreshTokens()).body.error, 'invalid_grant');
    assert.equal((await alice.login()).status, 200, 'the master password is unchanged');
  });

  store.it('a master-password change, then a KDF change: the current hash is needed, every token ends, the user key stays', async () => {
    const newPw = 'a brand new master password';
    const mk = await masterKey(newPw, alice.email, FAST_KDF);
    const newHash = masterPasswordHash(mk, newPw);
    const key = encrypt(alice.reg.userKey, stretch(mk));
    const wrong = await alice.api('POST', '/api/accounts/password', { masterPasswordHash: newHash, newMasterPasswordHash: newHash, key });
    assert.equal(wrong.status, 400);
    assert.equal(
      (await alice.api('POST', '/api/accounts/password', { masterPasswordHash: alice.reg.masterPasswordHash, newMasterPasswordHash: newHash, key: 'plain' }))
        .status,
      400,
    );
    const ok = await alice.api('POST', '/api/accounts/password', {
      masterPasswordHash: alice.reg.masterPasswordHash,
      newMasterPasswordHash: newHash,
      masterPasswordHint: null,
      key,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await alice.api('GET', '/api/sync')).status, 401, 'every token ends');
    assert.equal((await alice.refreshTokens()).body.error, 'invalid_grant');
    assert.equal((await alice.login()).status, 400, 'the old master password no longer logs in');
    const renewed = new VaultClient(owner(), alice.email, { ...alice.reg, masterPasswordHash: newHash, key });
    const login = await renewed.login();
    assert.equal(login.status, 200);
    assert.deepEqual(decrypt(login.body.Key, stretch(mk)), alice.reg.userKey, 'the same user key, wrapped anew');

    // Newer clients' shape, with a new KDF.
    const kdf = { kdfType: 0 as const, iterations: 6000 };
    const mk2 = await masterKey(newPw, alice.email, kdf);
    const hash2 = masterPasswordHash(mk2, newPw);
    const key2 = encrypt(alice.reg.userKey, stretch(mk2));
    const change = await renewed.api('POST', '/api/accounts/kdf', {
      masterPasswordHash: newHash,
      authenticationData: { kdf, masterPasswordAuthenticationHash: hash2, salt: alice.email },
      unlockData: { kdf, masterKeyWrappedUserKey: key2, salt: alice.email },
      key: key2,
    });
    assert.equal(change.status, 200, JSON.stringify(change.body));
    const pre = await renewed.api('POST', '/identity/accounts/prelogin/password', { email: alice.email }, null);
    assert.equal(pre.body.kdfSettings.iterations, 6000);
    alice = new VaultClient(owner(), alice.email, { ...alice.reg, masterPasswordHash: hash2, key: key2 });
    assert.equal((await alice.login()).status, 200);
    assert.equal(alice.dec((await alice.api('GET', '/api/sync')).body.ciphers[0].name).length > 0, true, 'items still open with the same user key');
    d.clock.advance(61_000);
  });

  store.it('vault/status tells an account of its own vault only: registered, e-mail, KDF, items, the server URL', async () => {
    const pass = { dave: 'account-password-1', alice: 'account-password-2' /* reset above */ } as Record<string, string>;
    const session = async (username: string) =>
      (await call({ url: d.url }, 'bonafide/user/authenticate', { username, pass: pass[username] })).body.result.authorization as string;
    const status = async (username: string, params: unknown = {}) =>
      call({ url: d.url }, 'vault/status', params, { headers: { authorization: await session(username) } });
    const none = await status('dave');
    assert.equal(none.status, 200, JSON.stringify(none.body));
    assert.equal(none.body.result.registered, false);
    assert.equal(none.body.result.email, 'dave@home.example');
    assert.equal(none.body.result.kdf, null);
    assert.match(none.body.result.server.url, /^https:\/\/.+:\d+\/bitwarden$/);
    assert.match(none.body.result.server.ca_cert_fingerprint, /^SHA256: [0-9A-F]+$/i);
    const mine = await status('alice');
    assert.equal(mine.status, 200);
    assert.equal(mine.body.result.registered, true);
    assert.equal(mine.body.result.email, 'alice@home.example');
    assert.deepEqual(mine.body.result.kdf, { kdfType: 0, iterations: 6000, memory: null, parallelism: null });
    assert.ok(mine.body.result.items > 5, JSON.stringify(mine.body.result));
    assert.doesNotMatch(JSON.stringify(mine.body), /2\.[A-Za-z0-9+/=]+\|/, 'no EncString in the status');
    // Own account only: no username parameter, and a credential without an account is refused.
    assert.equal((await status('dave', { username: 'alice' })).status, 400);
    assert.equal((await call({ url: d.url }, 'vault/status', {})).status, 401);
  });

  store.it('the owner sees vaults (counts, last sync, devices) but no contents, and deletes one', async () => {
    await alice.api('GET', '/api/sync');
    const r = await call(owner(), 'vault/accounts', {});
    assert.equal(r.status, 200);
    const a = r.body.result.find((v: any) => v.username === 'alice');
    assert.ok(a.items > 5);
    assert.ok(a.devices.length >= 1);
    assert.equal(a.last_sync, new Date(d.clock.now()).toISOString());
    assert.equal(a.kdf, 'PBKDF2-SHA256, 6000 iterations', 'as changed above');
    assert.doesNotMatch(JSON.stringify(r.body), /2\.[A-Za-z0-9+/=]+\|/, "no EncString leaks into the owner's view");
    const s = await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'dave', pass: 'account-password-1' });
    assert.equal((await call({ url: d.url }, 'vault/accounts', {}, { headers: { authorization: s.body.result.authorization } })).status, 403);
    const del = await call(owner(), 'vault/delete', { username: 'alice' });
    assert.equal(del.status, 200);
    assert.equal((await alice.api('GET', '/api/sync')).status, 401);
    assert.equal((await alice.login()).status, 400);
    assert.equal((await call(owner(), 'vault/delete', { username: 'alice' })).status, 404);
    // Deleting a Hearth account deletes its vault.
    await call(owner(), 'bonafide/user/delete', { username: 'bob' });
    const left = (await call(owner(), 'vault/accounts', {})).body.result.map((v: any) => v.username);
    assert.deepEqual(left, ['carol']);
  });

  store.it("a second login from the same device replaces its session; unknown paths answer Bitwarden's 404", async () => {
    await call(owner(), 'bonafide/user/create', { username: 'erin', pass: 'account-password-1' });
    const c = await registerVault(owner(), 'erin', PW);
    const [a, b] = await Promise.all([c.login(), c.login()]);
    assert.deepEqual([a.status, b.status], [200, 200], 'racing logins from one device');
    const rows = (await call(owner(), 'vault/accounts', {})).body.result.find((v: any) => v.username === 'erin');
    assert.equal(rows.devices.length, 1);
    const ok = await Promise.all([a, b].map((r) => r.body.access_token as string).map((t) => c.api('GET', '/api/accounts/revision-date', undefined, t)));
    assert.deepEqual(ok.map((r) => r.status).sort(), [200, 401], "only the last login's access token still works");
    const known = (email: string, device: string) =>
      call({ url: d.url }, '/bitwarden/api/devices/knowndevice', undefined, {
        method: 'GET',
        headers: { 'x-request-email': Buffer.from(email).toString('base64url'), 'x-device-identifier': device },
      });
    assert.equal((await known(c.email, c.device)).body, true);
    assert.equal((await known(c.email, '5f0c0b5e-0000-4000-8000-00000000abcd')).body, false);
    assert.equal((await known('nobody@home.example', c.device)).body, false);
    assert.equal((await call({ url: d.url }, '/bitwarden/api/devices/knowndevice', undefined, { method: 'GET' })).status, 400);
    const nf = await c.api('GET', '/api/sends');
    assert.equal(nf.status, 404);
    assert.equal(nf.body.object, 'error');
    assert.match(nf.body.message, /no route GET \/bitwarden\/api\/sends/);
  });

  store.it('the remaining aliases answer like their twins', async () => {
    const c = await registerVault(owner(), 'dave', PW);
    assert.equal((await c.login()).status, 200);
    assert.equal((await c.api('POST', '/identity/accounts/prelogin', { email: c.email }, null)).body.kdfSettings.iterations, 5000);
    assert.equal((await c.api('POST', '/api/accounts/profile', { name: 'Dave' })).body.name, 'Dave');
    const id = (await c.api('POST', '/api/ciphers', c.loginCipher('p', 'q'))).body.id;
    assert.equal((await c.api('POST', `/api/ciphers/${id}/partial`, { folderId: null, favorite: true })).body.favorite, true);
    assert.equal((await c.api('POST', '/api/ciphers/delete', { ids: [id] })).status, 200);
  });

  store.it('every Bitwarden route was called by this suite', async () => {
    const doc = (await call({ url: d.url }, '/openapi.json', undefined, { method: 'GET' })).body;
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/bitwarden/'))
      .flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => m !== 'head')
          .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      );
    assert.ok(routes.length > 40, `${routes.length} routes`);
    const called = new Set(
      d
        .logText()
        .split('\n')
        .filter((l) => l.includes('"surface":"bitwarden"'))
        .map((l) => JSON.parse(l))
        .map((l) => `${l.method} ${l.route}`),
    );
    assert.deepEqual(
      routes.filter((r) => !called.has(r)),
      [],
    );
  });

  store.it('no master-password hash, refresh or access token is in the logs', async () => {
    const text = d.logText();
    assert.ok(text.includes('/bitwarden/identity/connect/token'));
    for (const secret of [alice.reg.masterPasswordHash, alice.refresh, alice.access]) assert.ok(!text.includes(secret));
  });
});

describe('bwDate', () => {
  it('is toISOString with microseconds, for every kind of instant', () => {
    const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
    const DAY = 86_400_000;
    const instants = [
      0,
      1,
      999,
      1000,
      59_999,
      3_599_999,
      DAY - 1,
      DAY,
      DAY + 1,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2026, 5, 1, 12),
      253_402_300_799_999,
      1_700_000_000_123.7,
    ];
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 48_271) % 2_147_483_647; // a fixed pseudo-random walk: the same instants every run
      instants.push(Math.floor((seed / 2_147_483_647) * 4e12));
    }
    for (const ms of instants) assert.equal(bwDate(ms), iso(ms), String(ms));
  });
});
