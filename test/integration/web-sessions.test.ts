/**
 * The console's sessions over HTTP, without a browser (mox's rules, seed 001): the login cookie
 * and its token, the session cookie's attributes (plain HTTP, and HTTPS through a trusted proxy),
 * the CSRF header, sliding and absolute expiry on a manual clock, the 100-session cap, logout,
 * password changes, and the session list — on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { bearer, call, type InProcessDaemon, setupCode } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface SetCookie {
  name: string;
  value: string;
  attrs: Record<string, string | true>;
}

function setCookies(headers: Headers): SetCookie[] {
  return headers.getSetCookie().map((line) => {
    const [pair, ...rest] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    const attrs: Record<string, string | true> = {};
    for (const a of rest) {
      const i = a.indexOf('=');
      attrs[(i < 0 ? a : a.slice(0, i)).toLowerCase()] = i < 0 ? true : a.slice(i + 1);
    }
    return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attrs };
  });
}

const HTTPS = { 'x-forwarded-proto': 'https' };

forEachStore('console sessions', (store) => {
  let d: InProcessDaemon;
  const anon = () => ({ url: d.url });

  store.before(async () => {
    // Loopback is a trusted proxy here, so X-Forwarded-Proto: https stands for HTTPS.
    d = await store.startInProcess({ env: { HEARTH_SERVER_TRUSTED_PROXIES: '127.0.0.1' } });
    const r = await call(anon(), 'bonafide/user/create', { username: 'alice', pass: 'alice-password', setup_code: setupCode(d.home) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const b = await call({ url: d.url, token: d.token }, 'bonafide/user/create', { username: 'bob', pass: 'bob-password' });
    assert.equal(b.status, 200, JSON.stringify(b.body));
  });

  /** loginprep then login, as the console does; answers the cookie header and the CSRF token. */
  async function consoleLogin(username = 'alice', password = 'alice-password', extra: Record<string, string> = {}) {
    const prep = await call(anon(), 'web/loginprep', undefined, { headers: extra });
    assert.equal(prep.status, 200, JSON.stringify(prep.body));
    const login = setCookies(prep.headers)[0]!;
    const r = await call(
      anon(),
      'web/login',
      { loginToken: prep.body.result.loginToken, username, password },
      { headers: { ...extra, cookie: `${login.name}=${login.value}` } },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const session = setCookies(r.headers).find((c) => c.name.endsWith('hearth_session'))!;
    return { cookie: `${session.name}=${session.value}`, csrf: r.body.result.csrf as string, set: setCookies(r.headers), token: session.value };
  }
  const as = (s: { cookie: string; csrf: string }) => ({ cookie: s.cookie, 'x-hearth-csrf': s.csrf });
  const whoami = (headers: Record<string, string>) => call(anon(), 'core/whoami', undefined, { headers });

  store.it('web/loginprep sets hearth_login for 30 s (HttpOnly, SameSite=Strict, Path=/) and answers the same 32-byte token', async () => {
    const r = await call(anon(), 'web/loginprep');
    assert.equal(r.status, 200);
    const [c, ...more] = setCookies(r.headers);
    assert.equal(more.length, 0);
    assert.equal(c!.name, 'hearth_login');
    assert.equal(c!.value, r.body.result.loginToken);
    assert.equal(Buffer.from(c!.value, 'base64url').length, 32);
    assert.deepEqual(c!.attrs, { 'max-age': '30', path: '/', httponly: true, samesite: 'Strict' });
  });

  store.it('web/loginprep clears a session cookie the browser still holds (a login starts from no session)', async () => {
    const none = await call(anon(), 'web/loginprep');
    assert.deepEqual(
      setCookies(none.headers).map((c) => c.name),
      ['hearth_login'],
    );
    const stale = await call(anon(), 'web/loginprep', undefined, { headers: { cookie: 'hearth_session=from-an-earlier-setup' } });
    const cleared = setCookies(stale.headers).find((c) => c.name === 'hearth_session')!;
    assert.deepEqual([cleared.value, cleared.attrs['max-age'], cleared.attrs.path], ['', '0', '/']);
  });

  store.it('web/login needs the login cookie and an equal loginToken; the login cookie is spent either way', async () => {
    const prep = await call(anon(), 'web/loginprep');
    const token = prep.body.result.loginToken as string;
    const noCookie = await call(anon(), 'web/login', { loginToken: token, username: 'alice', password: 'alice-password' });
    assert.equal(noCookie.status, 400);
    assert.equal(noCookie.body.error.code, 'badRequest');
    assert.match(noCookie.body.error.message, /login cookie is missing: call web\/loginprep/);
    assert.equal(
      setCookies(noCookie.headers).some((c) => c.name === 'hearth_session'),
      false,
    );

    const other = await call(
      anon(),
      'web/login',
      { loginToken: (token[0] === 'A' ? 'B' : 'A') + token.slice(1), username: 'alice', password: 'alice-password' },
      { headers: { cookie: `hearth_login=${token}` } },
    );
    assert.equal(other.status, 400);
    assert.match(other.body.error.message, /loginToken does not match/);
    const cleared = setCookies(other.headers).find((c) => c.name === 'hearth_login')!;
    assert.equal(cleared.value, '');
    assert.equal(cleared.attrs['max-age'], '0');
    assert.equal(
      setCookies(other.headers).some((c) => c.name === 'hearth_session'),
      false,
    );
  });

  store.it('a wrong password → 401 user:badLogin, no session cookie, and the attempt is logged', async () => {
    const prep = await call(anon(), 'web/loginprep');
    const r = await call(
      anon(),
      'web/login',
      { loginToken: prep.body.result.loginToken, username: 'alice', password: 'wrong-password' },
      { headers: { cookie: `hearth_login=${prep.body.result.loginToken}` } },
    );
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'user:badLogin');
    assert.deepEqual(
      setCookies(r.headers).map((c) => [c.name, c.value]),
      [['hearth_login', '']],
    );
    const log = await call({ url: d.url, token: d.token }, 'auth/log', { limit: 1 });
    assert.deepEqual([log.body.result[0].surface, log.body.result[0].username, log.body.result[0].success], ['console', 'alice', false]);
  });

  store.it('web/login sets hearth_session (HttpOnly, SameSite=Strict, Path=/, a browser-session cookie) and answers a 32-byte CSRF token', async () => {
    const s = await consoleLogin();
    const session = s.set.find((c) => c.name === 'hearth_session')!;
    assert.deepEqual(session.attrs, { path: '/', httponly: true, samesite: 'Strict' });
    assert.equal(Buffer.from(session.value, 'base64url').length, 32);
    assert.equal(Buffer.from(s.csrf, 'base64url').length, 32);
    assert.notEqual(s.csrf, session.value);
    assert.equal(s.set.find((c) => c.name === 'hearth_login')?.attrs['max-age'], '0', 'the login cookie is deleted');
    const me = await whoami(as(s));
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.deepEqual([me.body.result.credential, me.body.result.account], ['session', 'alice']);
  });

  store.it("the cookie without X-Hearth-CSRF → user:noAuth; a wrong or another session's CSRF token → user:badAuth", async () => {
    const a = await consoleLogin();
    const b = await consoleLogin();
    const bobs = await consoleLogin('bob', 'bob-password');
    const none = await whoami({ cookie: a.cookie });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'user:noAuth');
    assert.match(none.body.error.message, /X-Hearth-CSRF/);
    for (const csrf of [b.csrf, bobs.csrf, 'x'.repeat(43), '']) {
      const r = await whoami({ cookie: a.cookie, 'x-hearth-csrf': csrf });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, csrf === '' ? 'user:noAuth' : 'user:badAuth', csrf);
    }
    const csrfOnly = await whoami({ 'x-hearth-csrf': a.csrf });
    assert.equal(csrfOnly.body.error.code, 'user:noAuth');
    const unknown = await whoami({ cookie: 'hearth_session=' + 'A'.repeat(43), 'x-hearth-csrf': a.csrf });
    assert.equal(unknown.body.error.code, 'user:badAuth');
    // The REST surface does not take the cookie at all.
    const rest = await call(anon(), '/auth/tokens', undefined, { method: 'GET', headers: as(a) });
    assert.equal(rest.status, 401);
    assert.equal((await whoami(as(b))).status, 200);
  });

  store.it('over HTTPS (a trusted proxy says so) both cookies are Secure and named __Host-…; the plain name is not read there', async () => {
    const prep = await call(anon(), 'web/loginprep', undefined, { headers: HTTPS });
    const lc = setCookies(prep.headers)[0]!;
    assert.equal(lc.name, '__Host-hearth_login');
    assert.deepEqual(lc.attrs, { 'max-age': '30', path: '/', httponly: true, secure: true, samesite: 'Strict' });
    // The plain-HTTP login cookie does not count under HTTPS.
    const wrongName = await call(
      anon(),
      'web/login',
      { loginToken: lc.value, username: 'alice', password: 'alice-password' },
      { headers: { ...HTTPS, cookie: `hearth_login=${lc.value}` } },
    );
    assert.equal(wrongName.status, 400);

    const s = await consoleLogin('alice', 'alice-password', HTTPS);
    const sc = s.set.find((c) => c.name === '__Host-hearth_session')!;
    assert.deepEqual(sc.attrs, { path: '/', httponly: true, secure: true, samesite: 'Strict' });
    assert.equal(s.set.find((c) => c.name === '__Host-hearth_login')?.attrs['max-age'], '0');
    assert.equal((await whoami({ ...as(s), ...HTTPS })).status, 200);
    // The same token under the plain name is not read over HTTPS, nor the __Host- name over HTTP.
    assert.equal((await whoami({ cookie: `hearth_session=${s.token}`, 'x-hearth-csrf': s.csrf, ...HTTPS })).body.error.code, 'user:noAuth');
    assert.equal((await whoami({ cookie: `__Host-hearth_session=${s.token}`, 'x-hearth-csrf': s.csrf })).body.error.code, 'user:noAuth');
    // An untrusted peer's X-Forwarded-Proto would not count: the loopback is trusted here, so
    // check the plain request stays plain.
    const plain = await call(anon(), 'web/loginprep');
    assert.equal(setCookies(plain.headers)[0]!.name, 'hearth_login');
  });

  store.it('a session ends after 24 h without use, each use extends it, and 30 days end it however much it is used', async () => {
    const idle = await consoleLogin();
    const used = await consoleLogin();
    d.clock.advance(23 * HOUR);
    assert.equal((await whoami(as(used))).status, 200);
    d.clock.advance(2 * HOUR); // 25 h after login: idle is gone, used slid
    const expired = await whoami(as(idle));
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'user:badAuth');
    assert.match(expired.body.error.message, /expired/);
    assert.equal((await whoami(as(used))).status, 200);
    // Used every 20 h, it still ends 30 days after the login.
    let elapsed = 25 * HOUR;
    while (elapsed + 20 * HOUR < 30 * 24 * HOUR) {
      d.clock.advance(20 * HOUR);
      elapsed += 20 * HOUR;
      assert.equal((await whoami(as(used))).status, 200, `still alive after ${elapsed / HOUR} h`);
    }
    d.clock.advance(30 * 24 * HOUR - elapsed);
    const capped = await whoami(as(used));
    assert.equal(capped.body.error.code, 'user:badAuth');
  });

  store.it('an account keeps at most 100 sessions: expired ones go first, then the least recently used', async () => {
    const auth = async () => {
      d.clock.advance(1);
      const r = await call(anon(), 'bonafide/user/authenticate', { username: 'bob', pass: 'bob-password' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return { authorization: r.body.result.authorization as string };
    };
    const stale = await auth();
    d.clock.advance(25 * HOUR); // stale has expired (it still has its row)
    const first = await consoleLogin('bob', 'bob-password');
    const second = await auth();
    const rest = [];
    for (let i = 0; i < 98; i++) rest.push(await auth());
    // 100 live sessions (first, second, 98 more) and the expired one was pruned, not a live one.
    const list = await call(anon(), 'web/sessions', undefined, { headers: as(first) });
    assert.equal(list.body.result.length, 100);
    assert.equal(list.body.result.filter((s: any) => s.is_caller).length, 1);
    assert.equal((await whoami(second)).status, 200);
    assert.equal((await whoami(stale)).status, 401);
    // first is used now; the 101st session drops the least recently used: second.
    d.clock.advance(2 * MINUTE);
    assert.equal((await whoami(as(first))).status, 200);
    await auth();
    assert.equal((await whoami(as(first))).status, 200);
    assert.equal((await whoami(second)).body.error.code, 'user:badAuth');
    assert.equal((await whoami(rest[0]!)).status, 200);
    assert.equal((await call(anon(), 'web/sessions', undefined, { headers: as(first) })).body.result.length, 100);
    // Logins at once keep the cap too (each trims after its insert); first, used lately, stays.
    await Promise.all(Array.from({ length: 10 }, () => auth()));
    assert.equal((await call(anon(), 'web/sessions', undefined, { headers: as(first) })).body.result.length, 100);
    // Sign out everywhere else.
    const ended = await call(anon(), 'web/logoutothers', undefined, { headers: as(first) });
    assert.deepEqual(ended.body.result, { ended: 99 });
    assert.equal((await whoami(rest[5]!)).status, 401);
    const left = await call(anon(), 'web/sessions', undefined, { headers: as(first) });
    assert.deepEqual(
      left.body.result.map((s: any) => [s.kind, s.is_caller]),
      [['console', true]],
    );
  });

  store.it('web/logout ends the session and clears its cookie', async () => {
    const s = await consoleLogin();
    const r = await call(anon(), 'web/logout', undefined, { headers: as(s) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const cleared = setCookies(r.headers).find((c) => c.name === 'hearth_session')!;
    assert.deepEqual([cleared.value, cleared.attrs['max-age']], ['', '0']);
    assert.equal((await whoami(as(s))).body.error.code, 'user:badAuth');
    // Logging out again: the session is gone.
    assert.equal((await call(anon(), 'web/logout', undefined, { headers: as(s) })).status, 401);
  });

  store.it('web/setpassword (≥ 8 characters) keeps the calling session and ends every other session and credential', async () => {
    const mine = await consoleLogin('bob', 'bob-password');
    const other = await consoleLogin('bob', 'bob-password');
    const scripted = await call(anon(), 'bonafide/user/authenticate', { username: 'bob', pass: 'bob-password' });
    const pair = await call(anon(), 'device/pair', undefined, { headers: as(mine) });
    const device = await call(anon(), 'device/authorize', { token: pair.body.result.token, device: 'phone' });
    assert.equal(device.status, 200, JSON.stringify(device.body));
    const alices = await consoleLogin();

    const short = await call(anon(), 'web/setpassword', { oldPassword: 'bob-password', newPassword: 'short' }, { headers: as(mine) });
    assert.equal(short.status, 400);
    assert.match(short.body.error.message, /^newPassword must be at least 8 characters/);
    const wrong = await call(anon(), 'web/setpassword', { oldPassword: 'not-bobs', newPassword: 'bob-new-password' }, { headers: as(mine) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'user:badLogin');
    assert.match(wrong.body.error.message, /oldPassword/);
    assert.equal((await whoami(as(other))).status, 200, 'a refused change ends nothing');

    const ok = await call(anon(), 'web/setpassword', { oldPassword: 'bob-password', newPassword: 'bob-new-password' }, { headers: as(mine) });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await whoami(as(mine))).status, 200);
    assert.equal((await whoami(as(other))).body.error.code, 'user:badAuth');
    assert.equal((await whoami({ authorization: scripted.body.result.authorization })).status, 401);
    assert.equal((await whoami(bearer(device.body.result.token))).status, 401);
    assert.equal((await whoami(as(alices))).status, 200, 'other accounts keep their sessions');
    // The new password logs in; the old one does not.
    await consoleLogin('bob', 'bob-new-password');
    const prep = await call(anon(), 'web/loginprep');
    const old = await call(
      anon(),
      'web/login',
      { loginToken: prep.body.result.loginToken, username: 'bob', password: 'bob-password' },
      { headers: { cookie: `hearth_login=${prep.body.result.loginToken}` } },
    );
    assert.equal(old.body.error.code, 'user:badLogin');
  });

  store.it("web/sessions lists the account's sessions (never tokens); web/endsession ends one of its own only", async () => {
    const mine = await consoleLogin();
    const other = await consoleLogin('alice', 'alice-password', { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0' });
    const bobs = await consoleLogin('bob', 'bob-new-password');
    const list = await call(anon(), 'web/sessions', undefined, { headers: as(mine) });
    assert.equal(list.status, 200);
    // Each session says where it was opened from and by what client.
    const firefox = list.body.result.find((s: any) => s.user_agent?.includes('Firefox/140.0'));
    assert.ok(firefox, JSON.stringify(list.body.result));
    assert.equal(firefox.address, '127.0.0.1');
    assert.equal(firefox.is_caller, false);
    const text = JSON.stringify(list.body);
    for (const secret of [mine.token, mine.csrf, other.token, other.csrf]) assert.equal(text.includes(secret), false);
    const bobList = await call(anon(), 'web/sessions', undefined, { headers: as(bobs) });
    const bobSession = bobList.body.result.find((s: any) => s.is_caller).id;
    const foreign = await call(anon(), 'web/endsession', { id: bobSession }, { headers: as(mine) });
    assert.equal(foreign.status, 404);
    assert.equal((await whoami(as(bobs))).status, 200);
    const otherId = list.body.result.find((s: any) => !s.is_caller && s.kind === 'console').id;
    assert.equal((await call(anon(), 'web/endsession', { id: otherId }, { headers: as(mine) })).status, 200);
    // The global token is the owner's (alice's): it sees her sessions, none of them its own.
    const global = await call({ url: d.url, token: d.token }, 'web/sessions');
    assert.equal(global.status, 200, JSON.stringify(global.body));
    assert.equal(global.body.result.length, list.body.result.length - 1, 'the one ended above is gone');
    assert.ok(global.body.result.every((s: any) => !s.is_caller));
  });

  store.it('the console is served at / with a strict CSP; its files are public and unknown paths still 404', async () => {
    const page = await fetch(`${d.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the page loads its script from /assets');
    const js = await fetch(`${d.url}${script}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control')!, /immutable/);
    assert.equal((await fetch(`${d.url}/assets/../package.json`)).status, 404);
    assert.equal((await fetch(`${d.url}/nothing-here`)).status, 404);
  });
});
