/**
 * Signing in at another provider: A knows B (pinned), and `bonafide/user/authenticate` with
 * `bob@b.example` on A signs bob in at B's native API over HTTPS trusting B's pinned CA only.
 * A keeps the session for the caller, sealed; the CLI's `--provider b.example` then runs
 * commands at B with it. A wrong password is B's 401; an unknown domain is a 404 naming
 * provider/create; a provider whose CA changed is refused before anything is sent; an unreachable
 * one is a 503; no refusal stores a session.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { after } from 'node:test';
import { prepareTls, type TlsMaterial } from '../../src/daemon/tls.js';
import { loadConfig } from '../../src/kernel/config.js';
import { call, runCli, tempHome } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';
import type { InProcessDaemon } from '../support/helpers.js';

async function localCa(): Promise<TlsMaterial> {
  const home = tempHome();
  return prepareTls(loadConfig({ HEARTH_HOME: home }).config, home);
}

/** A hand-made provider over HTTPS: its document, its CA, and a native authenticate that counts its calls. */
async function fakeProvider(material: TlsMaterial) {
  let current = material;
  let logins = 0;
  const server: Server = createServer({ cert: material.cert, key: material.key }, (req, res) => {
    if (req.url === '/provider.json')
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ domain: 'fake.example', api_uri: url, ca_cert_uri: `${url}/ca.pem`, ca_cert_fingerprint: current.fingerprint }));
    if (req.url === '/ca.pem') return res.writeHead(200).end(readFileSync(current.caPath!, 'utf8'));
    if (req.url === '/API/bonafide/user/authenticate' && req.method === 'POST') {
      logins++;
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { token: 'fake-session-token', id: 'alice' } }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    logins: () => logins,
    swap(next: TlsMaterial) {
      current = next;
      server.setSecureContext({ cert: next.cert, key: next.key });
      server.closeAllConnections();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const PASS = 'correct horse battery';

forEachStore('provider-sessions', (store) => {
  let a: InProcessDaemon;
  let b: InProcessDaemon;
  let bUrl: string;
  let bFingerprint: string;
  const closers: (() => Promise<void>)[] = [];
  store.before(async () => {
    a = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'a.example' } });
    b = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'b.example', HEARTH_ACCOUNTS_REGISTRATION: 'open' } });
    const tls = (await call(b, 'core/status', {})).body.result.tls;
    bUrl = tls.url;
    bFingerprint = tls.ca_cert_fingerprint;
    assert.equal((await call(b, 'bonafide/user/create', { username: 'bob', pass: PASS })).status, 200);
    // A's owner account: the global token (the test's and the CLI's) acts as it.
    assert.equal((await call(a, 'bonafide/user/create', { username: 'owner1', pass: PASS })).status, 200);
    assert.equal((await call(a, 'bonafide/provider/create', { domain: bUrl, fingerprint: bFingerprint })).status, 200);
  });
  after(async () => {
    for (const c of closers) await c();
  });

  const session = (domain: string) => call(a, 'bonafide/provider/session', { domain });

  store.it('an unknown domain is a 404 naming provider/create; without a credential here, 401; nothing stored', async () => {
    const unknown = await call(a, 'bonafide/user/authenticate', { username: 'bob@nowhere.example', pass: PASS });
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
    assert.match(unknown.body.error.message, /bonafide\/provider\/create/);
    const anonymous = await call(a, 'bonafide/user/authenticate', { username: 'bob@b.example', pass: PASS }, { noToken: true });
    assert.equal(anonymous.status, 401, JSON.stringify(anonymous.body));
    assert.equal((await session('b.example')).status, 404);
  });

  store.it("a wrong password at B is B's 401 here, and nothing is stored", async () => {
    const r = await call(a, 'bonafide/user/authenticate', { username: 'bob@b.example', pass: 'not the password' });
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.match(r.body.error.message, /^b\.example says: /);
    assert.equal((await session('b.example')).status, 404);
  });

  store.it("the right password: B's session, kept at A sealed, usable at B directly and through hearth --provider", async () => {
    const r = await call(a, 'bonafide/user/authenticate', { username: 'bob@b.example', pass: PASS });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const login = r.body.result;
    assert.equal(login.provider, 'b.example');
    assert.equal(login.account.username, 'bob', "B's answer, as B gave it");
    assert.equal(typeof login.token, 'string');
    // The session is B's: B takes it.
    const atB = await call(b, 'bonafide/user/active', {}, { noToken: true, headers: { authorization: login.authorization } });
    assert.equal(atB.status, 200, JSON.stringify(atB.body));
    assert.equal(atB.body.result.username, 'bob');
    // A keeps it sealed: the token is nowhere in A's store in clear, nor in its log.
    const row = await a.daemon.hearth.store.db.selectFrom('provider_sessions').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.provider, 'b.example');
    assert.equal(row.username, 'bob');
    assert.ok(!row.token.includes(login.token) && row.token.startsWith('v1.'), 'sealed');
    assert.ok(!a.logText().includes(login.token) && !a.logText().includes(PASS));
    // Only for the caller who signed in: another credential here has no session at B.
    assert.equal((await call(a, 'bonafide/user/create', { username: 'carol', pass: PASS })).status, 200);
    const carol = (await call(a, 'bonafide/user/authenticate', { username: 'carol', pass: PASS }, { noToken: true })).body.result;
    const other = await call(a, 'bonafide/provider/session', { domain: 'b.example' }, { noToken: true, headers: { authorization: carol.authorization } });
    assert.equal(other.status, 404, JSON.stringify(other.body));
    // The CLI signs in at B too (the password read from stdin), replacing the kept session.
    const cliLogin = await runCli(['--json', 'bonafide', 'user', 'authenticate', 'bob@b.example'], { HEARTH_HOME: a.home }, `${PASS}\n`);
    assert.equal(cliLogin.code, 0, cliLogin.stderr);
    assert.equal(JSON.parse(cliLogin.stdout).provider, 'b.example');
    assert.notEqual(JSON.parse(cliLogin.stdout).token, login.token, 'a new session at B');
    // The CLI on A's home runs a command at B, as bob, over B's pinned CA.
    const cli = await runCli(['--json', '--provider', 'b.example', 'bonafide', 'user', 'active'], { HEARTH_HOME: a.home });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).username, 'bob');
    assert.equal(JSON.parse(cli.stdout).address, 'bob@b.example', 'answered by B');
    // After bob logs out at B, the kept session is refused there.
    assert.equal((await runCli(['--json', '--provider', 'b.example', 'bonafide', 'user', 'logout'], { HEARTH_HOME: a.home })).code, 0);
    const gone = await runCli(['--json', '--provider', 'b.example', 'bonafide', 'user', 'active'], { HEARTH_HOME: a.home });
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /badAuth|log in again/);
    // An unknown provider for --provider: a clear error naming provider/create.
    const none = await runCli(['--provider', 'nowhere.example', 'bonafide', 'user', 'active'], { HEARTH_HOME: a.home });
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /bonafide\/provider\/create/);
  });

  store.it('a provider whose CA changed is refused before anything is sent; an unreachable one is a 503; nothing stored', async () => {
    const first = await localCa();
    const fake = await fakeProvider(first);
    closers.push(fake.close);
    assert.equal((await call(a, 'bonafide/provider/create', { domain: fake.url, fingerprint: first.fingerprint })).status, 200);
    const ok = await call(a, 'bonafide/user/authenticate', { username: 'alice@fake.example', pass: PASS });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.result, { token: 'fake-session-token', id: 'alice', provider: 'fake.example' });
    assert.equal(fake.logins(), 1);
    await call(a, 'bonafide/provider/delete', { domain: 'fake.example' });
    assert.equal((await call(a, 'bonafide/provider/create', { domain: fake.url, fingerprint: first.fingerprint })).status, 200);

    fake.swap(await localCa());
    const refused = await call(a, 'bonafide/user/authenticate', { username: 'alice@fake.example', pass: PASS });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /pinned CA .* refused, nothing sent/);
    assert.equal(fake.logins(), 1, 'the password never reached the impostor');
    assert.equal((await session('fake.example')).status, 404, 'deleting the provider forgot its session; the refusal stored none');

    await fake.close();
    const down = await call(a, 'bonafide/user/authenticate', { username: 'alice@fake.example', pass: PASS });
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.match(down.body.error.message, /cannot reach fake\.example .*ECONNREFUSED.*nothing stored/);
    assert.equal((await session('fake.example')).status, 404);
  });

  store.it("autoconf adds an unknown provider first, by provider/create's rules: a maintainer only; unreachable → 400; nothing stored", async () => {
    const before = (await call(a, 'bonafide/provider/list', {})).body.result;
    const plain = await call(a, 'bonafide/user/authenticate', { username: 'bob@nowhere.invalid', pass: PASS });
    assert.equal(plain.status, 404);
    assert.match(plain.body.error.message, /autoconf/);
    const unreachable = await call(a, 'bonafide/user/authenticate', { username: 'bob@nowhere.invalid', pass: PASS, autoconf: true });
    assert.equal(unreachable.status, 400, JSON.stringify(unreachable.body));
    assert.match(unreachable.body.error.message, /cannot fetch the provider document from https:\/\/nowhere\.invalid\/provider\.json/);
    assert.equal((await call(a, 'bonafide/user/create', { username: 'dave', pass: PASS })).status, 200);
    const dave = (await call(a, 'bonafide/user/authenticate', { username: 'dave', pass: PASS }, { noToken: true })).body.result;
    const notMaintainer = await call(
      a,
      'bonafide/user/authenticate',
      { username: 'bob@nowhere.invalid', pass: PASS, autoconf: true },
      { noToken: true, headers: { authorization: dave.authorization } },
    );
    assert.equal(notMaintainer.status, 403, JSON.stringify(notMaintainer.body));
    assert.match(notMaintainer.body.error.message, /needs a maintainer/);
    assert.deepEqual((await call(a, 'bonafide/provider/list', {})).body.result, before);
  });
});
