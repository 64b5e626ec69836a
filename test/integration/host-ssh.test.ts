/**
 * Users' and root's SSH keys and sshd's settings, over real HTTP (SelfPrivacy's REST paths and
 * the native commands), on SQLite and PostgreSQL: keys from ssh-keygen are parsed and accepted,
 * anything else refused with a 400 that says why; every change lands in the state file (checked
 * against its schema) and in authorized_keys files; accounts are the server's users, with a
 * crypt(3) hash only when system logins are on.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER } from '../../src/host/authorized-keys.js';
import { call, startInProcess, type InProcessDaemon } from '../support/helpers.js';
import { fakeHost, readState, rest, type FakeHost } from '../support/fake-host.js';
import { skKey, sshFingerprint, sshKeygen } from '../support/ssh-keys.js';
import { forEachStore } from '../support/stores.js';

type Headers = Record<string, string>;
const PASS = 'correct horse battery';

function authorizedKeys(f: FakeHost, user: string): string[] | null {
  const path = join(f.keysDir, user);
  if (!existsSync(path)) return null;
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(header, HEADER);
  return lines;
}

forEachStore('SSH keys and settings', (store) => {
  let d: InProcessDaemon;
  let f: FakeHost;
  let global: Headers;
  let bob: Headers;

  async function login(username: string): Promise<Headers> {
    const r = await call({ url: d.url }, 'bonafide/user/authenticate', { username, pass: PASS });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { authorization: r.body.result.authorization };
  }

  store.before(async () => {
    f = fakeHost();
    d = await store.startInProcess({ toml: f.toml() });
    global = { 'x-hearth-auth': d.token };
    for (const [username, role] of [
      ['alice', undefined],
      ['bob', 'creator'],
    ]) {
      const r = await call({ url: d.url }, 'bonafide/user/create', { username, pass: PASS, ...(role ? { role } : {}) }, { headers: global });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    bob = await login('bob');
  });

  store.it('accounts are the server users in the state file, the owner first, without password hashes by default', async () => {
    const s = readState(f);
    assert.deepEqual(
      s.users.map((u: any) => [u.username, u.isOwner]),
      [
        ['alice', true],
        ['bob', false],
      ],
    );
    assert.ok(s.users.every((u: any) => !('hashedPassword' in u)));
    assert.deepEqual(s.ssh, { enable: true, passwordAuthentication: false, rootKeys: [] });
  });

  store.it('accepts every supported key type from ssh-keygen (and FIDO sk- keys), with the fingerprint ssh-keygen shows', async () => {
    const keys = [
      sshKeygen('ed25519'),
      sshKeygen('ecdsa', 256),
      sshKeygen('ecdsa', 384),
      sshKeygen('ecdsa', 521),
      sshKeygen('rsa', 2048),
      skKey('ed25519'),
      skKey('ecdsa'),
    ];
    for (const key of keys) {
      const r = await rest(d, global, 'POST', '/services/ssh/keys/alice', { public_key: key });
      assert.equal(r.status, 201, `${key.split(' ')[0]}: ${JSON.stringify(r.body)}`);
    }
    const list = await call({ url: d.url }, 'ssh/key/list', { username: 'alice' }, { headers: global });
    assert.equal(list.status, 200);
    // Added in the same millisecond of the test's clock, they are listed in no particular order.
    const sorted = (a: string[]) => [...a].sort();
    assert.deepEqual(sorted(list.body.result.keys.map((k: any) => k.fingerprint)), sorted(keys.map(sshFingerprint)));
    assert.deepEqual(sorted(authorizedKeys(f, 'alice')!), sorted(keys));
    assert.deepEqual(sorted(readState(f).users[0].sshKeys), sorted(keys));
    const got = await rest(d, global, 'GET', '/services/ssh/keys/alice');
    assert.deepEqual(sorted(got.body), sorted(keys));
  });

  store.it('refuses what is not an accepted key with a 400 that names the problem', async () => {
    const ed = sshKeygen('ed25519');
    const [type, b64] = ed.split(' ');
    const cases: [string, RegExp][] = [
      [sshKeygen('rsa', 1024), /at least 2048 bits; this one has 1024/],
      ['ssh-dss AAAAB3NzaC1kc3MAAACBAP', /DSA/],
      [`command="/bin/sh" ${ed}`, /options/],
      [`${type} ${b64!.slice(0, 40)}`, /not a valid ssh-ed25519 key/],
      [`ssh-rsa ${b64}`, /line says ssh-rsa but the key data is "ssh-ed25519"/],
      [`${type} not-base64!`, /not base64/],
      ['hello', /key type "hello" is not accepted/],
      [`${ed}\n${ed}`, /one key on one line/],
      ['', /give an OpenSSH public key/],
    ];
    for (const [key, why] of cases) {
      const r = await rest(d, global, 'POST', '/services/ssh/keys/bob', { public_key: key });
      assert.equal(r.status, 400, JSON.stringify(key));
      assert.match(r.body.error, why);
    }
    assert.equal(authorizedKeys(f, 'bob'), null);
  });

  store.it('409 for a key the user has (whatever its comment), 404 for an unknown user or key', async () => {
    const key = sshKeygen('ed25519', undefined, 'first');
    assert.equal((await rest(d, global, 'POST', '/services/ssh/keys/bob', { public_key: key })).status, 201);
    const again = await rest(d, global, 'POST', '/services/ssh/keys/bob', { public_key: key.replace('first', 'second') });
    assert.equal(again.status, 409);
    assert.equal((await rest(d, global, 'POST', '/services/ssh/keys/nobody_here', { public_key: key })).status, 404);
    assert.equal((await rest(d, global, 'DELETE', '/services/ssh/keys/bob', { public_key: sshKeygen('ed25519') })).status, 404);
    assert.equal((await rest(d, global, 'DELETE', '/services/ssh/keys/nobody_here', { public_key: key })).status, 404);
    const del = await rest(d, global, 'DELETE', '/services/ssh/keys/bob', { public_key: key });
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.equal(authorizedKeys(f, 'bob'), null);
    assert.equal((await rest(d, global, 'DELETE', '/services/ssh/keys/bob', { public_key: key })).status, 404);
  });

  store.it("a user reads their own keys; changing keys, or reading another's, needs a maintainer", async () => {
    const key = sshKeygen('ed25519');
    assert.equal((await call({ url: d.url }, 'ssh/key/add', { public_key: key, username: 'bob' }, { headers: global })).status, 200);
    const own = await rest(d, bob, 'GET', '/services/ssh/keys/bob');
    assert.equal(own.status, 200);
    assert.deepEqual(own.body, [key]);
    const mine = await call({ url: d.url }, 'ssh/key/list', {}, { headers: bob });
    assert.equal(mine.body.result.username, 'bob');
    assert.equal((await rest(d, bob, 'GET', '/services/ssh/keys/alice')).status, 403);
    assert.equal((await rest(d, bob, 'GET', '/services/ssh/keys/root')).status, 403);
    assert.equal((await rest(d, bob, 'POST', '/services/ssh/keys/bob', { public_key: sshKeygen('ed25519') })).status, 403);
    assert.equal((await rest(d, bob, 'DELETE', '/services/ssh/keys/bob', { public_key: key })).status, 403);
    assert.equal((await rest(d, bob, 'PUT', '/services/ssh/key/send', { public_key: sshKeygen('ed25519') })).status, 403);
    assert.equal((await rest(d, bob, 'GET', '/services/ssh')).status, 403);
    assert.equal((await rest(d, {}, 'GET', '/services/ssh/keys/bob')).status, 401);
  });

  store.it("root's keys: PUT key/send adds (201, 409 again), GET and DELETE keys/root, POST keys/root is 400", async () => {
    const key = sshKeygen('ecdsa', 256);
    const sent = await rest(d, global, 'PUT', '/services/ssh/key/send', { public_key: key });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal((await rest(d, global, 'PUT', '/services/ssh/key/send', { public_key: key })).status, 409);
    assert.equal((await rest(d, global, 'PUT', '/services/ssh/key/send', { public_key: 'ssh-ed25519 AAAA' })).status, 400);
    assert.deepEqual((await rest(d, global, 'GET', '/services/ssh/keys/root')).body, [key]);
    assert.equal((await rest(d, global, 'POST', '/services/ssh/keys/root', { public_key: sshKeygen('ed25519') })).status, 400);
    assert.deepEqual(readState(f).ssh.rootKeys, [key]);
    assert.deepEqual(authorizedKeys(f, 'root'), [key]);
    // Deleting by fingerprint works too.
    assert.equal((await call({ url: d.url }, 'ssh/key/delete', { public_key: sshFingerprint(key), username: 'root' }, { headers: global })).status, 200);
    assert.deepEqual(readState(f).ssh.rootKeys, []);
    assert.equal(authorizedKeys(f, 'root'), null);
  });

  store.it('SSH settings: GET, PUT with only the keys given, POST enable', async () => {
    assert.deepEqual((await rest(d, global, 'GET', '/services/ssh')).body, { enable: true, passwordAuthentication: false });
    assert.equal((await rest(d, global, 'PUT', '/services/ssh', { passwordAuthentication: true })).status, 200);
    assert.deepEqual((await rest(d, global, 'GET', '/services/ssh')).body, { enable: true, passwordAuthentication: true });
    assert.equal((await rest(d, global, 'PUT', '/services/ssh', { enable: false })).status, 200);
    assert.deepEqual(readState(f).ssh.enable, false);
    assert.equal((await rest(d, global, 'PUT', '/services/ssh', { enable: 'yes' })).status, 400);
    const on = await rest(d, global, 'POST', '/services/ssh/enable');
    assert.equal(on.status, 200);
    assert.deepEqual(readState(f).ssh, { enable: true, passwordAuthentication: true, rootKeys: [] });
  });

  store.it('deleting an account removes its user and its authorized_keys file', async () => {
    await call({ url: d.url }, 'bonafide/user/create', { username: 'carol', pass: PASS }, { headers: global });
    assert.equal((await rest(d, global, 'POST', '/services/ssh/keys/carol', { public_key: sshKeygen('ed25519') })).status, 201);
    assert.equal(authorizedKeys(f, 'carol')!.length, 1);
    assert.equal((await rest(d, global, 'DELETE', '/users/carol')).status, 200);
    assert.equal(authorizedKeys(f, 'carol'), null);
    assert.ok(!readState(f).users.some((u: any) => u.username === 'carol'));
  });
});

forEachStore('system logins', (store) => {
  store.it("with system logins on, each user's crypt(3) SHA-512 hash is in the state file and is the one the OS computes", async () => {
    const f = fakeHost();
    const d = await store.startInProcess({ toml: f.toml('system_logins = true') });
    const global = { 'x-hearth-auth': d.token };
    assert.equal((await call({ url: d.url }, 'bonafide/user/create', { username: 'alice', pass: PASS }, { headers: global })).status, 200);
    const hash: string = JSON.parse(readFileSync(f.stateFile, 'utf8')).users[0].hashedPassword;
    assert.match(hash, /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    const salt = hash.split('$')[2]!;
    // openssl's own sha512-crypt, the password on its stdin: the same string means the OS accepts it.
    const fromOpenssl = execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: `${PASS}\n` })
      .toString()
      .trim();
    assert.equal(fromOpenssl, hash);
    // A new password, a new hash.
    const changed = await call({ url: d.url }, 'bonafide/user/reset', { username: 'alice', newpass: 'another long password' }, { headers: global });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const after: string = JSON.parse(readFileSync(f.stateFile, 'utf8')).users[0].hashedPassword;
    assert.notEqual(after, hash);
    assert.equal(
      execFileSync('openssl', ['passwd', '-6', '-salt', after.split('$')[2]!, '-stdin'], { input: 'another long password\n' })
        .toString()
        .trim(),
      after,
    );
    assert.ok(!d.logText().includes(PASS));
  });
  /** The state file's crypt(3) hash for `username`, checked against openssl's for `password` (with its salt). */
  function assertHashOf(f: FakeHost, username: string, password: string): string {
    const user = readState(f).users.find((u: any) => u.username === username);
    assert.ok(user?.hashedPassword, `${username} has a hash`);
    const hash: string = user.hashedPassword;
    const fromOpenssl = execFileSync('openssl', ['passwd', '-6', '-salt', hash.split('$')[2]!, '-stdin'], { input: `${password}\n` })
      .toString()
      .trim();
    assert.equal(fromOpenssl, hash, `${username}'s hash is that of the password just set`);
    return hash;
  }

  store.it('every path that sets the password in plain text makes a new hash: invite sign-up, change, the console, a recovery', async () => {
    const f = fakeHost();
    const d = await store.startInProcess({ toml: f.toml('system_logins = true'), env: { HEARTH_ACCOUNTS_REGISTRATION: 'invite' } });
    const anon = { url: d.url };
    assert.equal((await call(d, 'bonafide/user/create', { username: 'alice', pass: PASS })).status, 200);
    const code = (await call(d, 'bonafide/invite/create')).body.result.invitecode;
    const signUp = await call(anon, 'bonafide/user/create', { username: 'bob', pass: 'bob-password-1', invitecode: code });
    assert.equal(signUp.status, 200, JSON.stringify(signUp.body));
    const first = assertHashOf(f, 'bob', 'bob-password-1');

    const login = async (pass: string) => ({
      authorization: (await call(anon, 'bonafide/user/authenticate', { username: 'bob', pass })).body.result.authorization as string,
    });
    const changed = await call(
      anon,
      'bonafide/user/update',
      { oldpass: 'bob-password-1', newpass: 'bob-password-2' },
      { headers: await login('bob-password-1') },
    );
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const second = assertHashOf(f, 'bob', 'bob-password-2');
    assert.notEqual(second, first);

    const prep = await call(anon, 'web/loginprep');
    const loginToken = prep.body.result.loginToken;
    const web = await call(
      anon,
      'web/login',
      { loginToken, username: 'bob', password: 'bob-password-2' },
      { headers: { cookie: `hearth_login=${loginToken}` } },
    );
    assert.equal(web.status, 200, JSON.stringify(web.body));
    const cookie = web.headers
      .getSetCookie()
      .find((c) => c.startsWith('hearth_session='))!
      .split(';')[0]!;
    const viaConsole = await call(
      anon,
      'web/setpassword',
      { oldPassword: 'bob-password-2', newPassword: 'bob-password-3' },
      { headers: { cookie, 'x-hearth-csrf': web.body.result.csrf } },
    );
    assert.equal(viaConsole.status, 200, JSON.stringify(viaConsole.body));
    assertHashOf(f, 'bob', 'bob-password-3');

    const token = (await call(anon, 'recovery/create', {}, { headers: await login('bob-password-3') })).body.result.token;
    const recovered = await call(anon, 'bonafide/user/recover', { token, newpass: 'bob-password-4' });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    assertHashOf(f, 'bob', 'bob-password-4');
    assertHashOf(f, 'alice', PASS);
    for (const p of [PASS, 'bob-password-1', 'bob-password-2', 'bob-password-3', 'bob-password-4']) assert.ok(!d.logText().includes(p));
  });

  store.it('turned on later: an account has no hash until a login that carries its password (a Bitwarden sign-in carries none)', async () => {
    const f = fakeHost();
    const s = await store.fresh(f.toml('system_logins = true'));
    const off = await startInProcess({ home: s.home, env: { ...s.env, HEARTH_HOST_SYSTEM_LOGINS: 'false' } });
    assert.equal((await call(off, 'bonafide/user/create', { username: 'alice', pass: PASS })).status, 200);
    await off.stop();
    const on = await startInProcess({ home: s.home, env: s.env });
    try {
      assert.equal(readState(f).users[0].hashedPassword, undefined, 'no password was seen since the option was turned on');
      assert.equal((await call({ url: on.url }, 'bonafide/user/authenticate', { username: 'alice', pass: PASS })).status, 200);
      assertHashOf(f, 'alice', PASS);
    } finally {
      await on.stop();
    }
  });
});
