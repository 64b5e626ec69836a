/**
 * Online guessing, as an attacker would do it, on SQLite and PostgreSQL, with the daemon's clock
 * moved by the test: from one address, from a /24, and from many addresses at one account with
 * spellings of its name. What counts is how many guesses were evaluated (the login log: every
 * attempt, `rateLimited` for those a limit refused unchecked) in every 60-second window. The owner
 * signs in meanwhile with the device cookie an earlier sign-in gave, and without one is limited.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { LoginLogEntry } from '../../src/features/limits/service.js';
import { call, type CallResult, type InProcessDaemon } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';
import { registerVault } from '../support/vault-harness.js';

const PASS = 'correct horse battery';
const MINUTE = 60_000;
const DEVICE = 'x-hearth-device-cookie';

type LogEntry = LoginLogEntry;

const headers = (from: string, cookie?: string): Record<string, string> => ({ 'x-forwarded-for': from, ...(cookie ? { [DEVICE]: cookie } : {}) });

const login = (d: { url: string }, username: string, pass: string, from: string, cookie?: string) =>
  call({ url: d.url }, 'bonafide/user/authenticate', { username, pass }, { headers: headers(from, cookie) });

const guessPhrase = (d: { url: string }, from: string) =>
  call({ url: d.url }, '/auth/new_device/authorize', { token: entropyToMnemonic(randomBytes(16), wordlist), device: 'x' }, { headers: headers(from) });

/** bw's password grant, as `username` typed it, from `from`. */
const vaultLogin = (d: { url: string }, username: string, hash: string, from: string, cookie?: string) =>
  call({ url: d.url }, '/bitwarden/identity/connect/token', undefined, {
    raw: new URLSearchParams({
      grant_type: 'password',
      username,
      password: hash,
      scope: 'api offline_access',
      client_id: 'cli',
      deviceType: '25',
      deviceIdentifier: '0b5e3c8e-7d4c-4f7e-9a55-3f1f6c1d2e01',
      deviceName: 'linux',
    }).toString(),
    headers: { ...headers(from, cookie), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  });

async function loginLog(d: InProcessDaemon): Promise<LogEntry[]> {
  const r = await call(d, 'auth/log', { limit: 1000 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.result.length < 1000, 'the whole log fits in one answer');
  return r.body.result as LogEntry[];
}

/** Entries a limit let through to the check (refused ones are logged as `rateLimited`). */
const evaluated = (entries: LogEntry[]) => entries.filter((e) => e.reason !== 'rateLimited');

/** The most of `entries` within any `window` ms (a window ending at each entry). */
function mostInWindow(entries: LogEntry[], window = MINUTE): number {
  const times = entries.map((e) => Date.parse(e.at)).sort((a, b) => a - b);
  let most = 0;
  for (let end = 0, start = 0; end < times.length; end++) {
    while (times[start]! <= times[end]! - window) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

function deviceCookie(r: CallResult): string {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const cookie = r.headers.get(DEVICE);
  assert.ok(cookie, 'a sign-in answers a device cookie');
  return cookie;
}

/** The console's sign-in (loginprep, then login with its cookie and any other cookies given). */
async function consoleLogin(d: { url: string }, from: string, cookies = ''): Promise<CallResult> {
  const prep = await call({ url: d.url }, 'web/loginprep', undefined, { headers: headers(from) });
  assert.equal(prep.status, 200, JSON.stringify(prep.body));
  const login = prep.headers.getSetCookie()[0]!.split(';')[0]!;
  return call(
    { url: d.url },
    'web/login',
    { loginToken: prep.body.result.loginToken, username: 'carol', password: PASS },
    { headers: { ...headers(from), cookie: [login, cookies].filter(Boolean).join('; ') } },
  );
}

forEachStore('brute force', (store) => {
  const fresh = () => store.startInProcess({ env: { HEARTH_SERVER_TRUSTED_PROXIES: '["127.0.0.1"]', HEARTH_SERVER_DOMAIN: 'home.example' } });

  store.it('one address (the owner’s NAT): 10 guesses in any 60 s, 50 a day; the owner gets in with the device cookie', async () => {
    const d = await fresh();
    const nat = '203.0.113.7';
    assert.equal((await call(d, 'bonafide/user/create', { username: 'carol', pass: PASS })).status, 200);
    let cookie = deviceCookie(await login(d, 'carol', PASS, nat));
    // Start 50 s into a clock minute: limits per clock minute let 20 guesses through in 10 s here.
    d.clock.advance(50_000);
    for (let step = 0; step < 120; step++) {
      // As many guesses as it is let, every 2 s.
      for (let i = 0; i < 12 && (await guessPhrase(d, nat)).status === 404; i++);
      if (step === 70) {
        const without = await login(d, 'carol', PASS, nat);
        assert.equal(without.status, 429, 'the address is spent: without a device cookie the owner waits too');
        assert.match(JSON.stringify(without.body), /from this network/);
        cookie = deviceCookie(await login(d, 'carol', PASS, nat, cookie));
      }
      d.clock.advance(2000);
    }
    const guesses = evaluated((await loginLog(d)).filter((e) => e.surface === 'rest' && e.address === nat));
    assert.equal(mostInWindow(guesses), 10, 'at most 10 evaluated in any 60 s (and the attacker got them)');
    assert.ok(guesses.length <= 50, `${guesses.length} in 4 minutes, within the day's 50`);

    // The cookie's own failures count against it: after 10 it no longer spares the address limit.
    for (let i = 0; i < 12 && (await guessPhrase(d, nat)).status === 404; i++);
    for (let i = 0; i < 10; i++) assert.equal((await login(d, 'carol', 'wrong password', nat, cookie)).status, 401, `failure ${i + 1} with the cookie`);
    assert.equal((await login(d, 'carol', PASS, nat, cookie)).status, 429, 'a cookie that failed 10 times is an untrusted client again');
    assert.equal((await login(d, 'carol', PASS, nat, 'v1.forged.0.x.y')).status, 429, 'a forged cookie spares nothing');
  });

  store.it('the console keeps the device cookie as hearth_device (HttpOnly, SameSite=Strict, a year) and presents it', async () => {
    const d = await fresh();
    const nat = '203.0.113.9';
    assert.equal((await call(d, 'bonafide/user/create', { username: 'carol', pass: PASS })).status, 200);
    const first = await consoleLogin(d, nat);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const set = first.headers.getSetCookie().find((c) => c.startsWith('hearth_device='));
    assert.ok(set, 'the device cookie is set');
    assert.match(set, /Max-Age=31536000/);
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    for (let i = 0; i < 12 && (await guessPhrase(d, nat)).status === 404; i++);
    assert.equal((await consoleLogin(d, nat)).status, 429, 'a browser without it waits');
    assert.equal((await consoleLogin(d, nat, set.split(';')[0])).status, 200, 'the browser that signed in before gets in');
  });

  store.it('a /24: 10 per address, 30 per /26, 90 in all in any 60 s', async () => {
    const d = await fresh();
    d.clock.advance(50_000);
    let host = 0;
    for (let step = 0; step < 40; step++) {
      for (let i = 0; i < 12; i++) await guessPhrase(d, `198.51.100.${(host++ % 254) + 1}`);
      d.clock.advance(3000);
    }
    const guesses = evaluated(await loginLog(d));
    const last = (e: LogEntry) => Number(e.address.split('.')[3]);
    assert.equal(mostInWindow(guesses), 90, 'the /21 (and so the /24) holds at 90');
    for (let q = 0; q < 4; q++) assert.ok(mostInWindow(guesses.filter((e) => last(e) >> 6 === q)) <= 30, `the /26 number ${q}`);
    for (let a = 1; a <= 254; a++) assert.ok(mostInWindow(guesses.filter((e) => last(e) === a)) <= 10, `198.51.100.${a}`);
  });

  store.it('many addresses at one vault, with spellings of its e-mail: the account backs off; the owner signs in with the device cookie', async () => {
    const d = await fresh();
    assert.equal((await call(d, 'bonafide/user/create', { username: 'alice', pass: PASS })).status, 200);
    const vault = await registerVault(d, 'alice', PASS);
    const home = '192.0.2.50';
    const wrong = () => randomBytes(32).toString('base64');
    const cookie = deviceCookie(await vaultLogin(d, 'alice@home.example', vault.reg.masterPasswordHash, home));
    // A control character is refused before any check (400), so it is not a spelling that counts.
    assert.equal((await vaultLogin(d, 'ALICE@home.example\t', wrong(), '10.252.0.1')).status, 400);
    const spellings = ['alice@home.example', ' alice@home.example', 'ALICE@home.example  ', 'Alice@Home.Example', 'alice@HOME.EXAMPLE ', 'alice'];
    let n = 0;
    let signedIn = 0;
    for (let step = 0; step < 90; step++) {
      for (const spelling of spellings) await vaultLogin(d, spelling, wrong(), `10.${n++ % 250}.${step % 8}.1`);
      if (step === 60) {
        assert.equal((await vaultLogin(d, 'alice@home.example', vault.reg.masterPasswordHash, '10.251.0.1')).status, 429, 'a new address waits');
        assert.equal((await vaultLogin(d, 'alice@home.example', vault.reg.masterPasswordHash, home, cookie)).status, 200, 'the owner gets in');
        signedIn = d.clock.now();
      }
      d.clock.advance(2000);
    }
    const entries = (await loginLog(d)).filter((e) => e.surface === 'bitwarden' && e.address.startsWith('10.'));
    const guesses = evaluated(entries).filter((e) => !e.success);
    assert.ok(entries.length >= 90 * spellings.length, 'every guess is in the log');
    // 5 failures, then waits of 1, 2, 4, 8, 16 s: 10 in a minute whatever the spelling or address.
    const before = guesses.filter((e) => Date.parse(e.at) < signedIn);
    assert.ok(mostInWindow(before) <= 10, `${mostInWindow(before)} evaluated in a minute before the owner signed in`);
    // Her sign-in clears the account's backoff: 5 more, at most, in the minute after it.
    assert.ok(mostInWindow(guesses) <= 15, `${mostInWindow(guesses)} evaluated in a minute`);
    assert.ok(guesses.length >= 10 && guesses.length <= 30, `${guesses.length} evaluated in 3 minutes`);
  });
});
