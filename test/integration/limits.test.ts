/**
 * Failed-login defences over real HTTP, on SQLite and on PostgreSQL: subnet buckets per client
 * address (mox's numbers), per-account backoff that spares the owner's own address, the login
 * log, the failure delay, and counters shared by replicas on one PostgreSQL database.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { hashPassword } from '../../src/auth/passwords.js';
import { call, startDaemon, startInProcess, waitFor, type CallResult } from '../support/helpers.js';
import { pgSchema, pgSkip } from '../support/pg.js';
import { forEachStore } from '../support/stores.js';

const PASS = 'correct horse battery';
const ADMIN_PASS = 'the admin password';
const ADMIN_HASH = await hashPassword(ADMIN_PASS);
const MINUTE = 60_000;

/** A daemon's settings here: X-Forwarded-For believed from 127.0.0.1 unless told otherwise, and the admin password. */
const daemonEnv = (env: Record<string, string> = {}): Record<string, string> => ({
  HEARTH_SERVER_TRUSTED_PROXIES: '["127.0.0.1"]',
  HEARTH_SECURITY_ADMIN_PASSWORD_HASH: ADMIN_HASH,
  ...env,
});

const forwarded = (from?: string): Record<string, string> => (from ? { 'x-forwarded-for': from } : {});
const randomPhrase = () => entropyToMnemonic(randomBytes(16), wordlist);

/** A pairing attempt with a phrase nobody issued (a failure on the REST surface) unless `phrase` is given. */
const authorize = (d: { url: string }, from?: string, phrase = randomPhrase()): Promise<CallResult> =>
  call({ url: d.url }, '/auth/new_device/authorize', { token: phrase, device: 'x' }, { headers: forwarded(from) });

/** A password login on the native surface. */
const login = (d: { url: string }, username: string, pass: string, from?: string): Promise<CallResult> =>
  call({ url: d.url }, 'bonafide/user/authenticate', { username, pass }, { headers: forwarded(from) });

/** Swarm Bee's /auth with the admin password as Basic auth. */
const admin = (d: { url: string }, password: string, from?: string): Promise<CallResult> =>
  call(
    { url: d.url },
    '/auth',
    { role: 'consumer', expiry: 600 },
    { headers: { ...forwarded(from), authorization: `Basic ${Buffer.from(`:${password}`).toString('base64')}` } },
  );

async function createAccount(d: { url: string; token: string }, username: string): Promise<void> {
  const r = await call(d, 'bonafide/user/create', { username, pass: PASS });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function newPhrase(d: { url: string; token: string }): Promise<string> {
  const r = await call(d, '/auth/new_device', undefined, { headers: { 'x-hearth-auth': d.token } });
  assert.equal(r.status, 200);
  return r.body.token;
}

function assertLimited(r: CallResult, why: RegExp, retryAfter?: number): void {
  assert.equal(r.status, 429, JSON.stringify(r.body));
  const header = r.headers.get('retry-after');
  assert.match(header ?? '', /^\d+$/, 'a Retry-After header in seconds');
  if (retryAfter !== undefined) assert.equal(Number(header), retryAfter);
  assert.match(JSON.stringify(r.body), why);
}

async function times<T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f(i));
  return out;
}

forEachStore('failed-login limits', (store) => {
  /** A fresh daemon on a fresh store. */
  const fresh = (env?: Record<string, string>) => store.startInProcess({ env: daemonEnv(env) });

  store.it('10 failures a minute from one IPv4 address, then 429 with Retry-After, even for the right phrase', async () => {
    const d = await fresh();
    const phrase = await newPhrase(d);
    for (const r of await times(10, () => authorize(d, '203.0.113.5'))) assert.equal(r.status, 404);
    assertLimited(await authorize(d, '203.0.113.5'), /from this network/, 60);
    assertLimited(await authorize(d, '203.0.113.5', phrase), /from this network/);
    assertLimited(await authorize(d, '::ffff:203.0.113.5'), /from this network/, 60); // the same address, IPv4-mapped
    // Its neighbours have buckets of their own.
    assert.equal((await authorize(d, '203.0.113.6')).status, 404, 'another address of the same /26');
    assert.equal((await authorize(d, '203.0.120.5', phrase)).status, 200, 'another /21');
  });

  store.it('an IPv4-mapped address counts as the IPv4 address', async () => {
    const d = await fresh();
    await times(5, () => authorize(d, '203.0.113.5'));
    await times(5, () => authorize(d, '::ffff:203.0.113.5'));
    assertLimited(await authorize(d, '203.0.113.5'), /from this network/);
  });

  store.it('the windows slide: 10 failures in any 60 seconds, not per clock minute', async () => {
    const d = await fresh();
    // 5 failures, 30 s, 5 more: the limit holds until the first five are a minute old.
    for (const r of await times(5, () => authorize(d, '192.0.2.1'))) assert.equal(r.status, 404);
    d.clock.advance(30_000);
    for (const r of await times(5, () => authorize(d, '192.0.2.1'))) assert.equal(r.status, 404);
    assertLimited(await authorize(d, '192.0.2.1'), /from this network/, 30);
    d.clock.advance(29_000);
    assertLimited(await authorize(d, '192.0.2.1'), /from this network/, 1);
    d.clock.advance(1000);
    for (const r of await times(5, () => authorize(d, '192.0.2.1'))) assert.equal(r.status, 404, 'the first five have left the window');
    assertLimited(await authorize(d, '192.0.2.1'), /from this network/, 30);
  });

  store.it('a minute later the minute window is free; the day window (50) holds until the first failure is 24 hours old', async () => {
    const d = await fresh();
    const start = d.clock.now();
    for (let round = 0; round < 5; round++) {
      for (const r of await times(10, () => authorize(d, '192.0.2.1'))) assert.equal(r.status, 404, `round ${round}`);
      assertLimited(await authorize(d, '192.0.2.1'), /from this network/, 60);
      d.clock.advance(MINUTE);
    }
    const untilFirstLeaves = (start + 86_400_000 - d.clock.now()) / 1000;
    assertLimited(await authorize(d, '192.0.2.1'), /from this network/, untilFirstLeaves);
    d.clock.advance(untilFirstLeaves * 1000 - 1000);
    assertLimited(await authorize(d, '192.0.2.1'), /from this network/, 1);
    d.clock.advance(1000);
    for (const r of await times(10, () => authorize(d, '192.0.2.1'))) assert.equal(r.status, 404, 'the first round has left the day window');
    assertLimited(await authorize(d, '192.0.2.1'), /from this network/);
  });

  store.it('30 failures a minute from one /26, 90 from one /21', async () => {
    const d = await fresh();
    // 10 addresses of 198.51.100.0/26, 3 failures each: none reaches its own limit.
    for (let i = 1; i <= 10; i++) for (const r of await times(3, () => authorize(d, `198.51.100.${i}`))) assert.equal(r.status, 404);
    assertLimited(await authorize(d, '198.51.100.40'), /from this network/);
    assert.equal((await authorize(d, '198.51.100.70')).status, 404, 'the next /26 is free');

    // 9 /26s of 192.0.8.0/21, 10 failures each: 90 for the /21, none over its own limits.
    const inTwentyOne = ['192.0.8.1', '192.0.8.65', '192.0.8.129', '192.0.8.193', '192.0.9.1', '192.0.9.65', '192.0.9.129', '192.0.9.193', '192.0.10.1'];
    for (const a of inTwentyOne) for (const r of await times(10, () => authorize(d, a))) assert.equal(r.status, 404, a);
    assertLimited(await authorize(d, '192.0.15.250'), /from this network/);
    assert.equal((await authorize(d, '192.0.16.1')).status, 404, 'the next /21 is free');
  });

  store.it('IPv6: 10 a minute per /64, 30 per /48', async () => {
    const d = await fresh();
    for (const r of await times(10, () => authorize(d, '2001:db8:1:2::5'))) assert.equal(r.status, 404);
    assertLimited(await authorize(d, '2001:db8:1:2::ffff'), /from this network/, 60);
    assertLimited(await authorize(d, '2001:db8:1:2:aaaa:bbbb:cccc:dddd'), /from this network/);
    assert.equal((await authorize(d, '2001:db8:1:3::5')).status, 404, 'another /64');

    // 3 /64s of 2001:db8:aa::/48, 10 each.
    for (const net of ['2001:db8:aa:1', '2001:db8:aa:2', '2001:db8:aa:3'])
      for (const r of await times(10, () => authorize(d, `${net}::1`))) assert.equal(r.status, 404);
    assertLimited(await authorize(d, '2001:db8:aa:ffff::1'), /from this network/);
    assert.equal((await authorize(d, '2001:db8:ab:1::1')).status, 404, 'another /48');
  });

  store.it('X-Forwarded-For from a peer that is not a trusted proxy is ignored', async () => {
    const d = await fresh({ HEARTH_SERVER_TRUSTED_PROXIES: '["192.0.2.250"]' });
    for (let i = 0; i < 10; i++) assert.equal((await authorize(d, `10.${i}.0.1`)).status, 404);
    assertLimited(await authorize(d, '10.99.0.1'), /from this network/);
    const log = await call(d, 'auth/log', { limit: 20 });
    assert.equal(log.status, 200);
    assert.deepEqual(
      [...new Set((log.body.result as { address: string }[]).map((e) => e.address))],
      ['127.0.0.1'],
      'every failure counted against the real peer',
    );
    // The attempt the limit refused is in the log too, with the reason it was refused.
    assert.deepEqual({ reason: log.body.result[0].reason, success: log.body.result[0].success }, { reason: 'rateLimited', success: false });
    assert.equal(log.body.result.length, 11);
  });

  store.it("per account: after 5 failures strangers wait, twice as long each time, up to 15 minutes; the owner's own address still logs in", async () => {
    const d = await fresh();
    await createAccount(d, 'zed');
    assert.equal((await login(d, 'zed', PASS, '192.0.2.10')).status, 200, 'the owner has logged in from here before');

    let n = 0;
    const stranger = () => `10.${++n}.0.1`; // a different /21 each time
    for (let i = 0; i < 5; i++) assert.equal((await login(d, 'zed', 'wrong password', stranger())).status, 401);
    // Even the right password is refused from an address the account has not logged in from.
    const limited = await login(d, 'zed', PASS, stranger());
    assertLimited(limited, /for this account/, 1);

    const waits: number[] = [1];
    for (let step = 0; step < 11; step++) {
      d.clock.advance(waits.at(-1)! * 1000);
      assert.equal((await login(d, 'zed', 'wrong password', stranger())).status, 401);
      const r = await login(d, 'zed', 'wrong password', stranger());
      assertLimited(r, /for this account/);
      waits.push(Number(r.headers.get('retry-after')));
    }
    assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);

    assert.equal((await login(d, 'zed', PASS, '192.0.2.10')).status, 200, "strangers' failures do not lock the owner out of their own address");
    assert.equal((await login(d, 'zed', 'wrong password', stranger())).status, 401, 'a successful login clears the backoff');
    // A name that is no account backs off alike, so a 429 tells nobody which names exist.
    for (let i = 0; i < 5; i++) assert.equal((await login(d, 'nobody_here', 'x', stranger())).status, 401);
    assertLimited(await login(d, 'nobody_here', 'x', stranger()), /for this account/, 1);
  });

  store.it('failures on /auth, /auth/new_device/authorize and bonafide/user/authenticate all count against one address', async () => {
    const d = await fresh();
    await createAccount(d, 'zed');
    const from = '192.0.2.77';
    for (let i = 0; i < 4; i++) assert.equal((await admin(d, 'wrong', from)).status, 401);
    for (let i = 0; i < 3; i++) assert.equal((await authorize(d, from)).status, 404);
    for (let i = 0; i < 3; i++) assert.equal((await login(d, 'zed', 'wrong password', from)).status, 401);
    assertLimited(await admin(d, ADMIN_PASS, from), /from this network/);
    assertLimited(await authorize(d, from), /from this network/);
    assertLimited(await login(d, 'zed', PASS, from), /from this network/);
    assertLimited(
      await call(d, '/auth/recovery_token/use', { token: randomPhrase(), device: 'x' }, { noToken: true, headers: forwarded(from) }),
      /from this network/,
    );
    assertLimited(await call(d, 'device/authorize', { token: randomPhrase(), device: 'x' }, { noToken: true, headers: forwarded(from) }), /from this network/);
    assert.equal((await admin(d, ADMIN_PASS, '192.0.3.1')).status, 201, 'elsewhere the admin password works');
  });

  store.it('the admin password backs off like an account, sparing addresses it was used from', async () => {
    const d = await fresh();
    assert.equal((await admin(d, ADMIN_PASS, '192.0.2.10')).status, 201);
    for (let i = 1; i <= 5; i++) assert.equal((await admin(d, 'wrong', `10.${i}.0.1`)).status, 401);
    assertLimited(await admin(d, ADMIN_PASS, '10.6.0.1'), /for this account/);
    assert.equal((await admin(d, ADMIN_PASS, '192.0.2.10')).status, 201);
  });

  store.it('the login log records failures and successes with surface, username and address, never the password', async () => {
    const d = await fresh();
    await createAccount(d, 'zed');
    await login(d, 'zed', 'a-wrong-password', '192.0.2.7');
    await login(d, 'zed', PASS, '192.0.2.8');
    d.clock.advance(1000);
    await authorize(d, '192.0.2.9');
    await admin(d, 'wrong-admin-guess', '192.0.2.11');
    assert.equal((await call(d, 'auth/log', {}, { noToken: true })).status, 401, 'the log needs a credential');
    const log = await call(d, 'auth/log', { limit: 10 });
    assert.equal(log.status, 200);
    const entries = (log.body.result as Record<string, unknown>[]).map(({ surface, username, address, success }) => ({ surface, username, address, success }));
    assert.deepEqual(
      new Set(entries.map((e) => JSON.stringify(e))),
      new Set(
        [
          { surface: 'native', username: 'zed', address: '192.0.2.7', success: false },
          { surface: 'native', username: 'zed', address: '192.0.2.8', success: true },
          { surface: 'rest', username: '(pairing phrase)', address: '192.0.2.9', success: false },
          { surface: 'tokens', username: 'admin', address: '192.0.2.11', success: false },
        ].map((e) => JSON.stringify(e)),
      ),
    );
    assert.equal(log.body.result[0].at, new Date(d.clock.now()).toISOString(), 'newest first, with the time');
    const text = JSON.stringify(log.body);
    assert.ok(!text.includes('a-wrong-password') && !text.includes('wrong-admin-guess') && !text.includes(PASS));
    const failures = await call(d, 'auth/log', { failures: true });
    assert.equal(failures.body.result.length, 3);
    await login(d, 'My Secret Passw0rd!', 'x', '192.0.2.12');
    const typo = (await call(d, 'auth/log', { limit: 1 })).body.result[0];
    assert.equal(typo.username, '(not a username)', 'a password typed as the username is not kept');
    assert.ok((failures.body.result as { success: boolean }[]).every((e) => !e.success));
  });
});

describe('failure delay', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('with failure_delay=300 every failed login takes at least 300 ms', async () => {
    const d = await startInProcess({ env: daemonEnv({ HEARTH_SECURITY_FAILURE_DELAY: '300' }) });
    cleanups.unshift(() => d.stop());
    await createAccount(d, 'zed');
    for (const [what, attempt] of [
      ['pairing phrase', () => authorize(d, '192.0.2.1')],
      ['password', () => login(d, 'zed', 'wrong password', '192.0.2.1')],
      ['unknown user', () => login(d, 'nobody_here', 'wrong password', '192.0.2.1')],
      ['admin password', () => admin(d, 'wrong', '192.0.2.1')],
    ] as const) {
      const start = performance.now();
      const r = await attempt();
      const ms = performance.now() - start;
      assert.ok(r.status === 401 || r.status === 404, `${what}: ${r.status}`);
      assert.ok(ms >= 300, `${what}: answered after ${ms.toFixed(0)} ms`);
    }
  });
});

describe('replicas on PostgreSQL share the counters', async () => {
  const skip = await pgSkip();
  it('failures on one replica count on the other, per address and per account', { skip }, async () => {
    const { url, drop } = await pgSchema();
    const env = { HEARTH_STORE_URL: url, HEARTH_SERVER_TRUSTED_PROXIES: '["127.0.0.1"]', HEARTH_SECURITY_FAILURE_DELAY: '0' };
    const [a, b] = await Promise.all([startDaemon({ env }), startDaemon({ env })]);
    try {
      for (const d of [a, b]) await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);

      // Per account: 5 failures spread over both replicas and 5 addresses; the 1 s backoff that
      // follows (a real second here) is seen by both.
      await createAccount(a, 'zed');
      for (let i = 1; i <= 5; i++) assert.equal((await login(i % 2 ? a : b, 'zed', 'wrong password', `10.${i}.0.1`)).status, 401);
      assertLimited(await login(b, 'zed', PASS, '10.20.0.1'), /for this account/);
      assertLimited(await login(a, 'zed', PASS, '10.21.0.1'), /for this account/);

      // Per address: the minute buckets are real minutes here, so start early in one.
      const into = Date.now() % MINUTE;
      if (into > 50_000) await new Promise((r) => setTimeout(r, MINUTE - into + 100));
      for (let i = 0; i < 5; i++) assert.equal((await authorize(a, '192.0.2.33')).status, 404);
      for (let i = 0; i < 5; i++) assert.equal((await authorize(b, '192.0.2.33')).status, 404);
      assertLimited(await authorize(a, '192.0.2.33'), /from this network/);
      assertLimited(await authorize(b, '192.0.2.33'), /from this network/);

      const log = await call(b, 'auth/log', { failures: true, limit: 100 });
      const fromThere = (log.body.result as { address: string; reason: string }[]).filter((e) => e.address === '192.0.2.33');
      assert.equal(fromThere.filter((e) => e.reason !== 'rateLimited').length, 10, 'one log for both replicas');
      assert.equal(fromThere.filter((e) => e.reason === 'rateLimited').length, 2, 'and the refused attempts are in it too');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await drop();
    }
  });
});

describe('concurrent attempts', () => {
  it('a burst of parallel wrong logins cannot slip past the limits: 10 a minute from one address, 5 then backoff per name', async () => {
    const d = await startInProcess({ env: { HEARTH_SERVER_TRUSTED_PROXIES: '["127.0.0.1"]' } });
    try {
      await call(d, 'bonafide/user/create', ['victim', 'victim-password']);
      const one = await Promise.all(
        Array.from({ length: 40 }, () =>
          call({ url: d.url }, 'bonafide/user/authenticate', ['victim', 'wrong-pass'], { headers: { 'x-forwarded-for': '203.0.113.9' } }),
        ),
      );
      const tried = one.filter((r) => r.status === 401).length;
      assert.ok(tried <= 6, `one address: ${tried} passwords were checked (the name's backoff after 5 failures, the address's after 10)`);
      assert.equal(one.filter((r) => r.status === 429).length, 40 - tried);
      const many = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          call({ url: d.url }, 'bonafide/user/authenticate', ['victim', 'wrong-pass'], { headers: { 'x-forwarded-for': `198.18.${i}.1` } }),
        ),
      );
      assert.equal(many.filter((r) => r.status === 401).length, 0, 'the name backs off however many addresses try at once');
      assert.equal((await call(d, 'bonafide/user/create', ['busy', 'busy-password'])).status, 200);
      const right = await Promise.all(
        Array.from({ length: 30 }, () =>
          call({ url: d.url }, 'bonafide/user/authenticate', ['busy', 'busy-password'], { headers: { 'x-forwarded-for': '203.0.113.50' } }),
        ),
      );
      assert.deepEqual([...new Set(right.map((r) => r.status))], [200], 'a burst of right passwords from one address is queued, never refused');
    } finally {
      await d.stop();
    }
  });
});
