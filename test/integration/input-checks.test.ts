/**
 * Malformed input is a 400 naming the problem, never a 500 and never silently changed: bodies of
 * the wrong types on the Bitwarden identity routes, nesting deeper than the parsers take, control
 * characters in names. (Missing Host: origin.test.ts; everything at once, generated: fuzz.test.ts.)
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { MAX_JSON_DEPTH } from '../../src/http/json.js';
import { makeRegistration, registerFinishBody } from '../../src/vault-client/crypto.js';
import { call, type InProcessDaemon } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';
import { FAST_KDF, registerVault, type VaultClient } from '../support/vault-harness.js';

const PASS = 'correct horse battery';

forEachStore('input checks', (store) => {
  let d: InProcessDaemon;
  let alice: VaultClient;
  const global = () => ({ url: d.url, token: d.token });
  const raw = (path: string, body: string, headers: Record<string, string> = {}, method = 'POST') =>
    call({ url: d.url }, path, undefined, { method, raw: body, headers: { 'content-type': 'application/json', ...headers } });

  store.before(async () => {
    d = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'home.example' } });
    assert.equal((await call(global(), 'bonafide/user/create', { username: 'alice', pass: PASS })).status, 200);
    alice = await registerVault(global(), 'alice', PASS);
    assert.equal((await alice.login()).status, 200);
  });

  store.it('connect/token: fields of the wrong type are invalid_request (400), without any credential', async () => {
    const base = { grant_type: 'password', username: 'alice@home.example', password: 'x'.repeat(44), deviceidentifier: 'd1', devicetype: 14 };
    const cases: [string, Record<string, unknown>][] = [
      ['username', { ...base, username: ['a'] }],
      ['devicename', { ...base, devicename: 5 }],
      ['client_id', { ...base, client_id: {} }],
      ['refresh_token', { grant_type: 'refresh_token', refresh_token: ['x'] }],
      ['grant_type', { ...base, grant_type: { a: 1 } }],
    ];
    for (const [field, body] of cases) {
      const r = await raw('/bitwarden/identity/connect/token', JSON.stringify(body));
      assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, 'invalid_request', field);
      assert.match(r.body.error_description, new RegExp(`"${field}"`), field);
    }
  });

  store.it('register and register/finish: masterPasswordUnlock null falls back to the older fields; an object of the wrong shape is a 400', async () => {
    for (const path of ['/bitwarden/identity/accounts/register/finish', '/bitwarden/identity/accounts/register']) {
      const r = await raw(path, JSON.stringify({ email: 'nobody@home.example', masterPasswordUnlock: null }));
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.message, /masterPasswordHash is required/);
      const wrong = await raw(path, JSON.stringify({ email: 'nobody@home.example', masterPasswordUnlock: 'x', userAsymmetricKeys: [1] }));
      assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
      assert.deepEqual(Object.keys(wrong.body.validationErrors), [''], 'in Bitwarden shape');
    }
    // A whole, right registration still works with masterPasswordUnlock null (the legacy fields).
    assert.equal((await call(global(), 'bonafide/user/create', { username: 'bob', pass: PASS })).status, 200);
    const t = await call(global(), 'vault/registration_token', { username: 'bob' });
    const body = registerFinishBody(await makeRegistration('bob@home.example', PASS, FAST_KDF), t.body.result.token, 'bob');
    const r = await raw('/bitwarden/identity/accounts/register/finish', JSON.stringify({ ...body, masterPasswordUnlock: null }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  store.it(`nesting deeper than ${MAX_JSON_DEPTH} levels is a 400 before parsing, on every surface; ${MAX_JSON_DEPTH} levels are parsed`, async () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const auth = { authorization: `Bearer ${alice.access}` };
    const cases: [string, string, Record<string, string>, string?][] = [
      ['/bitwarden/identity/connect/token', `{"grant_type":${nest(10_000)}}`, {}],
      ['/bitwarden/api/ciphers', `{"type":${nest(5_000)},"name":"2.a|b|c"}`, auth],
      ['/bitwarden/api/ciphers', `{"type":1,"reprompt":${nest(5_000)}}`, auth],
      ['/bitwarden/api/ciphers/delete', `{"ids":${nest(5_000)}}`, auth, 'PUT'],
      ['/API/bonafide/user/create', `{"username":${nest(10_000)}}`, {}],
      ['/users', `{"username":${nest(10_000)}}`, { 'x-hearth-auth': d.token }],
      ['/auth', `{"role":${nest(1_000)}}`, {}],
      ['/health', nest(10_000), {}],
    ];
    for (const [path, body, headers, method] of cases) {
      const r = await raw(path, body, headers, method);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.match(JSON.stringify(r.body), new RegExp(`more than ${MAX_JSON_DEPTH} levels deep`), path);
    }
    // Brackets inside strings are text, not nesting.
    const inString = await raw('/API/bonafide/user/create', JSON.stringify({ username: '['.repeat(200), pass: PASS }), { 'x-hearth-auth': d.token });
    assert.equal(inString.status, 400);
    assert.match(inString.body.error.message, /username/);
    const atLimit = await raw('/API/core/version', nest(MAX_JSON_DEPTH));
    assert.doesNotMatch(JSON.stringify(atLimit.body), /levels deep/, 'the limit itself is taken');
  });

  store.it('control characters in identifiers are refused with a 400 naming the parameter, never trimmed away', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/users', { username: 'alice2\n', password: PASS }, /"username" must not contain control characters/],
      ['bonafide/user/create', { username: 'carol\n', pass: PASS }, /"username" must not contain control characters/],
      ['bonafide/user/create', { username: 'carol\u0000', pass: PASS }, /"username" must not contain control characters/],
      ['bonafide/user/create', { username: 'carol', pass: PASS, full_name: 'Carol\tC' }, /"full_name" must not contain control characters/],
      ['bonafide/user/fullname', { full_name: 'Al\nice' }, /"full_name" must not contain control characters/],
      ['token/create', { role: 'consumer', expiry: 600, label: 'backup\r\nscript' }, /"label" must not contain control characters/],
      ['device/revoke', { name: 'phone\u0085' }, /"name" must not contain control characters/],
      ['service/enable', { id: 'gitea\n' }, /"id" must not contain control characters/],
      ['keys/delete', { address: 'alice@home.example\n' }, /"address" must not contain control characters/],
      ['system/timezone/set', { timezone: 'UTC\u007f' }, /"timezone" must not contain control characters/],
    ];
    for (const [path, body, message] of cases) {
      const r = await call(global(), path, body);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
      assert.match(typeof r.body.error === 'string' ? r.body.error : r.body.error.message, message, path);
    }
    const token = await raw('/bitwarden/identity/connect/token', JSON.stringify({ grant_type: 'password', username: 'alice@home.example\n', password: 'x' }));
    assert.equal(token.status, 400);
    assert.match(token.body.error_description, /"username" must not contain control characters/);
    const users = (await call(global(), 'bonafide/user/list')).body.result.map((a: { username: string }) => a.username);
    assert.deepEqual(users.sort(), ['alice', 'bob'], 'no account was made from a name with a control character');
  });

  store.it('surrounding spaces: trimmed alike by user/create and user/fullname (usernames and full names)', async () => {
    const made = await call(global(), 'bonafide/user/create', { username: ' dave ', pass: PASS, full_name: '  Dave Doe  ' });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal(made.body.result.username, 'dave');
    assert.equal(made.body.result.full_name, 'Dave Doe');
    const renamed = await call(global(), 'bonafide/user/fullname', { username: 'dave', full_name: '  David Doe ' });
    assert.equal(renamed.body.result.full_name, 'David Doe');
    const rest = await call(global(), '/users', { username: ' erin ', password: PASS });
    assert.equal(rest.status, 201);
    assert.equal(rest.body.username, 'erin');
  });

  store.it('a GET that carries a body gets its whole answer (the body is read and dropped), and 413 past the limit', async () => {
    const u = new URL(d.url);
    const get = (body: Buffer) =>
      new Promise<string>((resolve) => {
        // agent: false → Connection: close, where unread body bytes would reset the answer mid-way.
        const req = request(
          {
            host: u.hostname,
            port: u.port,
            method: 'GET',
            path: '/openapi.json',
            agent: false,
            headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
          },
          (res) => {
            let bytes = 0;
            res.on('data', (c: Buffer) => (bytes += c.length));
            res.on('end', () => resolve(`${res.statusCode} ${res.statusCode === 200 && bytes > 10_000 ? 'whole' : bytes}`));
            res.on('error', (e) => resolve(`${res.statusCode} ${e.message}`));
          },
        );
        req.on('error', (e) => resolve(`0 ${e.message}`));
        req.end(body);
      });
    const body = Buffer.from(JSON.stringify({ s: new Array(50_000).fill(0) }));
    for (let round = 0; round < 6; round++) {
      assert.deepEqual(await Promise.all(Array.from({ length: 5 }, () => get(body))), Array(5).fill('200 whole'));
    }
    const tooLarge = await get(Buffer.alloc(2 * 1024 * 1024, 0x20));
    assert.match(tooLarge, /^413 /);
  });
});
