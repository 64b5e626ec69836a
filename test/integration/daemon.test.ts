/** hearthd as a user meets it: a real process, real HTTP on loopback, a real SQLite file. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { call, runDaemonExpectingFailure, setupCode, startDaemon, tempHome, waitFor, type RunningDaemon } from '../support/helpers.js';
import { pgSchema, pgSkip } from '../support/pg.js';
import { daemonOnTerminal, hasPython } from '../support/pty.js';
import { DAEMON_MAIN } from '../../src/kernel/paths.js';
import { MIGRATIONS } from '../../src/api/migrations.js';

describe('hearthd start-up', () => {
  it('creates the home, a 0600 token of 32 random bytes, a pid file, and says where it listens', async () => {
    const home = join(tempHome(), 'nested', 'home');
    const d = await startDaemon({ home });
    try {
      const st = statSync(join(home, 'authtoken'));
      assert.equal(st.mode & 0o777, 0o600);
      assert.match(d.token, /^[0-9a-f]{64}$/);
      assert.equal(readFileSync(join(home, 'hearthd.pid'), 'utf8').trim(), String(d.proc.pid));
      const line = d.logs().find((l) => Array.isArray(l.urls))!;
      assert.match(line.msg, /listening on http:\/\/127\.0\.0\.1:\d+ .*API token in .*authtoken/);
    } finally {
      assert.equal(await d.stop(), 0);
    }
    assert.equal(existsSync(join(home, 'hearthd.pid')), false, 'the pid file is removed on stop');
  });

  it('keeps the token across restarts', async () => {
    const d1 = await startDaemon();
    await d1.stop();
    const d2 = await startDaemon({ home: d1.home });
    try {
      assert.equal(d2.token, d1.token);
      assert.equal((await call(d2, 'core/whoami')).status, 200);
    } finally {
      await d2.stop();
    }
  });

  it('refuses a token file that others can read, and says how to fix it', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'authtoken'), `${'a'.repeat(64)}\n`);
    chmodSync(join(home, 'authtoken'), 0o644);
    const { code, output } = await runDaemonExpectingFailure(home);
    assert.notEqual(code, 0);
    assert.match(output, /authtoken is readable by others \(mode 0644\); run "chmod 600/);
  });

  it('refuses a role-token key file that others can read, or one too short to be a key', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'token.key'), `${'b'.repeat(64)}\n`);
    chmodSync(join(home, 'token.key'), 0o640);
    const open = await runDaemonExpectingFailure(home);
    assert.notEqual(open.code, 0);
    assert.match(
      open.output,
      /token\.key is readable by others \(mode 0640\); run "chmod 600 .*token\.key", or delete it to get a new key \(every role token ends\)/,
    );
    chmodSync(join(home, 'token.key'), 0o600);
    writeFileSync(join(home, 'token.key'), 'short\n');
    const short = await runDaemonExpectingFailure(home);
    assert.notEqual(short.code, 0);
    assert.match(short.output, /token\.key does not hold a valid secret/);
  });

  it('stops with one clear line and a non-zero code on an unknown key', async () => {
    const home = tempHome('[server]\nlisen = "127.0.0.1:1"\n');
    const { code, output } = await runDaemonExpectingFailure(home);
    assert.notEqual(code, 0);
    assert.equal(output.trim().split('\n').length, 1, output);
    assert.match(output, /^hearthd: .*hearth\.toml: unknown key lisen in \[server\]$/m);
  });

  it('stops with one clear line when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, output } = await runDaemonExpectingFailure(tempHome(), { HEARTH_SERVER_LISTEN: `127.0.0.1:${port}` });
      assert.notEqual(code, 0);
      assert.equal(output.trim().split('\n').length, 1, output);
      assert.match(
        output,
        new RegExp(`hearthd: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use \\(set \\[server\\] listen or HEARTH_SERVER_LISTEN\\)`),
      );
    } finally {
      blocker.close();
    }
  });

  it('stops with one clear line when the home cannot be written', async () => {
    const file = join(tempHome(), 'a-file');
    writeFileSync(file, 'x');
    const { code, output } = await runDaemonExpectingFailure(join(file, 'home'));
    assert.notEqual(code, 0);
    assert.match(output, /hearthd: home .* is not a writable directory \(ENOTDIR\); set HEARTH_HOME/);
  });

  it('stops with one clear line when the admin password hash is not a hash', async () => {
    const { code, output } = await runDaemonExpectingFailure(tempHome(), { HEARTH_SECURITY_ADMIN_PASSWORD_HASH: 'plain-password' });
    assert.notEqual(code, 0);
    assert.equal(output.trim().split('\n').length, 1, output);
    assert.match(output, /\[security\] admin_password_hash: not an argon2 or bcrypt hash; make one with "hearth admin hash-password"/);
  });

  it('refuses a second daemon on the same home', async () => {
    const d = await startDaemon();
    try {
      const { code, output } = await runDaemonExpectingFailure(d.home);
      assert.notEqual(code, 0);
      assert.equal(output.trim().split('\n').length, 1, output);
      assert.match(output, /another hearthd is running with home/);
      assert.equal(readFileSync(join(d.home, 'hearthd.pid'), 'utf8').trim(), String(d.proc.pid), 'the first daemon keeps its pid file');
      assert.equal((await call(d, 'core/whoami')).status, 200, 'and keeps serving');
    } finally {
      await d.stop();
    }
  });
});

describe('native command API and the global token', () => {
  let d: RunningDaemon;
  before(async () => {
    d = await startDaemon();
    await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
  });
  after(async () => {
    await d.stop();
  });

  it('core/version and core/stats need no credential (the whitelist)', async () => {
    const v = await call(d, 'core/version', undefined, { noToken: true });
    assert.equal(v.status, 200);
    assert.deepEqual(v.body, { result: { version_core: '0.1.0', api_version: '1' }, error: null });
    const s = await call(d, 'core/stats', undefined, { noToken: true });
    assert.equal(s.status, 200);
    assert.equal(s.body.result.store, 'sqlite');
    assert.equal(s.body.result.accounts, 0);
    assert.ok(s.body.result.requests.native >= 1);
  });

  for (const path of ['core/status', 'core/whoami', 'core/stop']) {
    it(`${path} without a token → 401 user:noAuth; with a wrong one → 401 user:badAuth`, async () => {
      const none = await call(d, path, undefined, { noToken: true });
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'user:noAuth');
      const wrong = await call(d, path, undefined, { headers: { 'x-hearth-auth': 'f'.repeat(64) } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'user:badAuth');
      assert.equal(wrong.body.result, null);
    });
  }

  it('core/whoami with the global token: the owner, a maintainer', async () => {
    const r = await call(d, 'core/whoami');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.result, { credential: 'global', credential_id: 'authtoken', account: null, role: 'maintainer', owner: true });
  });

  it('core/status lists each component with its state (Bitmask childrenStatus)', async () => {
    const r = await call(d, 'core/status');
    assert.equal(r.body.result.status, 'on');
    assert.deepEqual(r.body.result.childrenStatus.store, { status: 'on', error: null });
    assert.deepEqual(r.body.result.childrenStatus.web, { status: 'on', error: null });
  });

  it('params as an object or a positional array; curl -d without a JSON type works too', async () => {
    assert.equal((await call(d, 'core/version', {})).status, 200);
    assert.equal((await call(d, 'core/version', [])).status, 200);
    assert.equal((await call(d, 'core/version', undefined, { raw: '[]', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 200);
    const extra = await call(d, 'core/version', ['surplus']);
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.message, 'core/version takes no parameters');
  });

  const bad: [string, { raw?: string; body?: unknown; headers?: Record<string, string> }, number, RegExp][] = [
    ['malformed JSON', { raw: '{"a":', headers: { 'content-type': 'application/json' } }, 400, /not valid JSON/],
    ['a JSON string', { body: 'hello' }, 400, /params must be a JSON object or a positional JSON array/],
    ['an unknown parameter', { body: { nope: 1 } }, 400, /unknown parameter "nope"/],
    ['a prototype-polluting body', { raw: '{"__proto__":{"x":1}}', headers: { 'content-type': 'application/json' } }, 400, /not valid JSON/],
    ['an unsupported content type', { raw: '<x/>', headers: { 'content-type': 'application/xml' } }, 415, /Content-Type: application\/json/],
    [
      'a huge body',
      { raw: JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } },
      413,
      /larger than the 1048576-byte limit/,
    ],
  ];
  for (const [what, init, status, message] of bad) {
    it(`${what} → ${status} with a message a person can act on`, async () => {
      const r = await call(d, 'core/whoami', init.body, { raw: init.raw, headers: init.headers });
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.result, null);
      assert.match(r.body.error.message, message);
    });
  }

  it('an unauthenticated huge body is refused before it is read', async () => {
    const r = await call(d, 'core/whoami', undefined, { noToken: true, raw: 'x'.repeat(2 * 1024 * 1024), headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 401);
  });

  it('unknown commands and routes → 404 notFound in the envelope', async () => {
    const r = await call(d, 'core/nope');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { result: null, error: { code: 'notFound', message: 'unknown command core/nope' } });
    assert.equal((await call(d, '/nowhere', undefined, { method: 'GET' })).status, 404);
    assert.equal((await call(d, 'core/version/')).status, 200, 'a trailing slash is forgiven');
    const badUrl = await call(d, '/API/core/%zz');
    assert.equal(badUrl.status, 400);
    assert.equal(badUrl.body.error.code, 'badRequest');
    const get = await call(d, 'core/version', undefined, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.body.error.message, 'native commands are called with POST');
  });

  it('/openapi.json documents every command with its auth, and /docs works offline', async () => {
    const spec = (await call(d, '/openapi.json', undefined, { method: 'GET', noToken: true })).body;
    assert.equal(spec.openapi, '3.1.0');
    assert.deepEqual(spec.paths['/API/core/version'].post.security, []);
    // What /API accepts: the global token, a login session, a device or role token, or the
    // console's session cookie with its CSRF header.
    assert.deepEqual(spec.paths['/API/core/status'].post.security, [
      { hearthAuth: [] },
      { hearthToken: [] },
      { hearthBearer: [] },
      { hearthSession: [], hearthCsrf: [] },
    ]);
    // The other surfaces document exactly what they take.
    assert.deepEqual(spec.paths['/auth/tokens'].get.security, [{ hearthAuth: [] }, { hearthToken: [] }, { hearthBearer: [] }]);
    assert.deepEqual(spec.paths['/auth'].post.security, [{ adminBasic: [] }]);
    assert.deepEqual(spec.paths['/refresh'].post.security, [{ hearthBearer: [] }]);
    assert.deepEqual(spec.paths['/bitwarden/api/sync'].get.security, [{ bitwardenBearer: [] }]);
    assert.deepEqual(spec.paths['/bitwarden/identity/connect/token'].post.security, []);
    // Every command documents its result.
    for (const [path, ops] of Object.entries(spec.paths as Record<string, { post?: { responses?: Record<string, unknown> } }>)) {
      if (path.startsWith('/API/')) assert.ok(ops.post?.responses?.['200'], `${path} documents its result`);
    }
    assert.equal(spec.components.securitySchemes.hearthSession.in, 'cookie');
    for (const p of ['core/version', 'core/stats', 'core/status', 'core/whoami', 'core/stop']) assert.ok(spec.paths[`/API/${p}`], p);
    const page = await fetch(`${d.url}/docs`);
    const html = await page.text();
    assert.match(html, /swagger-ui-bundle\.js/);
    assert.doesNotMatch(html, /https?:\/\/(?!127)/, 'no outside URL in the page');
    const bundle = await fetch(`${d.url}/docs/swagger-ui-bundle.js`);
    assert.equal(bundle.status, 200);
    assert.ok((await bundle.arrayBuffer()).byteLength > 100_000);
    assert.equal((await fetch(`${d.url}/docs/..%2Fpackage.json`)).status, 404);
    for (const name of Object.getOwnPropertyNames(Object.prototype)) {
      assert.equal((await fetch(`${d.url}/docs/${name}`)).status, 404, `/docs/${name}`);
    }
    assert.equal((await fetch(`${d.url}/health`)).status, 200, 'and the daemon is still up');
  });

  it('logs one structured line per request, and never the token', async () => {
    await call(d, 'core/whoami');
    await call(d, 'core/status', undefined, { headers: { 'x-hearth-auth': 'wrong-token-value' } });
    await waitFor('log lines', () => d.logs().some((l) => l.route === '/API/core/status' && l.status === 401));
    const lines = d.logs().filter((l) => l.msg === 'request');
    const whoami = lines.find((l) => l.route === '/API/core/whoami' && l.status === 200)!;
    assert.equal(whoami.surface, 'native');
    assert.equal(new Date(whoami.time).toISOString(), whoami.time, 'times are ISO 8601, not epochs');
    assert.equal(whoami.principal, 'global');
    assert.equal(typeof whoami.ms, 'number');
    assert.ok(!d.output().includes(d.token), 'the token is not in the log');
    assert.ok(!d.output().includes('wrong-token-value'), 'nor a wrong one');
  });

  it("never answers 5xx to anything sent so far (but /readiness's 503 while starting)", () => {
    const fives = d.logs().filter((l) => l.msg === 'request' && l.status >= 500 && !(l.route === '/readiness' && l.status === 503));
    assert.deepEqual(fives, []);
  });
});

describe('readiness and route groups (as in Swarm Bee)', () => {
  it('/health answers at once; /readiness is 503 and store routes 404 while the store is locked, then 200', async () => {
    const home = tempHome();
    // Another process holds the SQLite file's write lock, so migrations must wait.
    const holder = new SQLite(join(home, 'hearth.db'));
    holder.pragma('journal_mode = WAL');
    holder.exec('BEGIN EXCLUSIVE');
    const d = await startDaemon({ home, waitForStore: false });
    try {
      assert.equal((await call(d, '/health', undefined, { method: 'GET' })).status, 200);
      await waitFor('the store to report the lock', () => d.logs().some((l) => l.msg === 'store not ready; retrying'));
      const r = await call(d, '/readiness', undefined, { method: 'GET' });
      assert.equal(r.status, 503);
      assert.deepEqual(r.body.waiting.store, { status: 'starting' }, 'states only, no error text, to the public');
      const status = await call(d, 'core/status');
      assert.match(status.body.result.childrenStatus.store.error, /locked|busy/i);
      const stats = await call(d, 'core/stats');
      assert.equal(stats.status, 404);
      assert.match(stats.body.error.message, /not available yet: store is starting/);
      assert.equal((await call(d, 'core/version')).status, 200, 'routes that need no store work');
      holder.exec('COMMIT');
      await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
      assert.equal((await call(d, 'core/stats')).status, 200);
    } finally {
      holder.close();
      await d.stop();
    }
  });
});

describe('[services] web = false', () => {
  it('serves only the Unix socket, where the CLI keeps working', async () => {
    const home = tempHome('[services]\nweb = false\n');
    const d = await startDaemon({ home }).catch((e) => e as Error);
    // No URL is printed, so startDaemon resolves with an empty url.
    assert.ok(!(d instanceof Error), String(d));
    try {
      assert.equal(d.url, '');
      const token = d.token;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          { socketPath: join(home, 'hearthd.sock'), path: '/API/core/status', method: 'POST', headers: { 'x-hearth-auth': token } },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        req.end();
      });
      const status = JSON.parse(body).result;
      assert.equal(status.childrenStatus.web.status, 'off');
      assert.equal(status.childrenStatus.socket.status, 'on');
      assert.equal(statSync(join(home, 'hearthd.sock')).mode & 0o777, 0o600);
    } finally {
      assert.equal(await d.stop(), 0);
    }
  });
});

describe('the store', () => {
  it('with its migration skipped, core/stats still answers (accounts: null), never 500', async () => {
    const d = await startDaemon({ env: { HEARTH_STORE_SKIPPED_MIGRATIONS: 'DISABLE_ALL' } });
    try {
      await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
      const stats = await call(d, 'core/stats');
      assert.equal(stats.status, 200);
      assert.equal(stats.body.result.accounts, null);
    } finally {
      await d.stop();
    }
  });

  it('a store that cannot be opened is failed (not starting), and says why in core/status', async () => {
    const d = await startDaemon({ env: { HEARTH_STORE_URL: 'sqlite:/nonexistent-dir/x.db' } });
    try {
      await waitFor('the store to fail', () => d.logs().some((l) => l.msg === 'store not ready; retrying'));
      assert.deepEqual((await call(d, '/readiness', undefined, { method: 'GET' })).body.waiting.store, { status: 'failed' });
      const store = (await call(d, 'core/status')).body.result.childrenStatus.store;
      assert.equal(store.status, 'failed');
      assert.match(store.error, /directory does not exist|unable to open/i);
    } finally {
      assert.equal(await d.stop(), 0);
    }
  });

  it("files are the owner's alone, even in a home that already existed with 0755", async () => {
    const home = tempHome();
    chmodSync(home, 0o755);
    const d = await startDaemon({ home });
    try {
      await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
      assert.equal(statSync(join(home, 'hearth.db')).mode & 0o077, 0, 'hearth.db is not readable by others');
      assert.equal(statSync(join(home, 'hearthd.sock')).mode & 0o777, 0o600);
    } finally {
      await d.stop();
    }
  });
});

describe('[services] docs = false', () => {
  it('serves neither /openapi.json nor /docs', async () => {
    const d = await startDaemon({ env: { HEARTH_SERVICES_DOCS: 'false' } });
    try {
      assert.equal((await call(d, '/openapi.json', undefined, { method: 'GET' })).status, 404);
      assert.equal((await call(d, '/docs', undefined, { method: 'GET' })).status, 404);
      assert.equal((await call(d, 'core/status')).body.result.childrenStatus.docs.status, 'off');
    } finally {
      await d.stop();
    }
  });
});

describe('replicas on PostgreSQL', async () => {
  const skip = await pgSkip();
  it('two hearthd on one database both become ready, migrate once, and report the store', { skip }, async () => {
    const { url: plain, drop } = await pgSchema();
    // Trust auth ignores the password; it is there to show it never reaches the log.
    const url = plain.replace('postgres://postgres@', 'postgres://postgres:s3cret-pass@');
    const [a, b] = await Promise.all([startDaemon({ env: { HEARTH_STORE_URL: url } }), startDaemon({ env: { HEARTH_STORE_URL: url } })]);
    try {
      for (const d of [a, b]) {
        await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
        const stats = await call(d, 'core/stats');
        assert.equal(stats.body.result.store, 'postgres');
        assert.equal(stats.body.result.accounts, 0);
      }
      const applied = [a, b].flatMap((d) =>
        d
          .logs()
          .filter((l) => l.msg === 'store ready')
          .flatMap((l) => l.applied as string[]),
      );
      assert.deepEqual(
        applied.sort(),
        MIGRATIONS.map((m) => m.id),
        'each migration ran on one replica only',
      );
      assert.ok(!a.output().includes('s3cret-pass') && !b.output().includes('s3cret-pass'), 'the store password is not logged');
      assert.ok(a.output().includes('postgres://postgres:***@'), 'the location is logged, redacted');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await drop();
    }
  });

  it('while PostgreSQL does not answer, /readiness says so, and the daemon keeps serving', { skip }, async () => {
    const d = await startDaemon({ env: { HEARTH_STORE_URL: 'postgres://postgres@127.0.0.1:1/test' }, waitForStore: false });
    try {
      await waitFor('the store to fail', () => d.logs().some((l) => l.msg === 'store not ready; retrying'));
      const r = await call(d, '/readiness', undefined, { method: 'GET' });
      assert.equal(r.status, 503);
      assert.equal(r.body.waiting.store.status, 'starting');
      assert.match((await call(d, 'core/status')).body.result.childrenStatus.store.error, /ECONNREFUSED|connect/);
      assert.equal((await call(d, 'core/version')).status, 200);
    } finally {
      assert.equal(await d.stop(), 0);
    }
  });
});

describe('graceful shutdown', () => {
  for (const how of ['SIGTERM', 'SIGINT', 'core/stop'] as const) {
    it(`${how}: stops accepting, finishes the request in flight, exits 0, removes the pid file`, async () => {
      const d = await startDaemon();
      await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
      const { port } = new URL(d.url);
      const body = '{   }';
      // A request whose body is still arriving when the stop begins.
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/API/core/whoami',
            headers: { 'x-hearth-auth': d.token, 'content-type': 'application/json', 'content-length': body.length },
          },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 2));
        setTimeout(async () => {
          if (how === 'core/stop') {
            const r = await call(d, 'core/stop');
            assert.deepEqual(r.body, { result: { shutdown: 'ok' }, error: null });
          } else d.proc.kill(how);
          await waitFor('the stop to begin', () => d.logs().some((l) => l.msg === 'stopping'));
          await assert.rejects(fetch(`${d.url}/health`), 'no new connections once stopping');
          req.end(body.slice(2));
        }, 200);
      });
      const res = await answer;
      assert.equal(res.status, 200, res.text);
      assert.equal(JSON.parse(res.text).result.owner, true);
      assert.equal(await d.exited, 0);
      assert.equal(existsSync(join(d.home, 'hearthd.pid')), false);
      assert.ok(d.logs().some((l) => l.msg === 'stopped'));
    });
  }

  it('the wait is bounded: a request that never finishes is cut after [server] shutdown_timeout', async () => {
    const d = await startDaemon({ env: { HEARTH_SERVER_SHUTDOWN_TIMEOUT: '0.3' } });
    const { port } = new URL(d.url);
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/API/core/whoami',
      headers: { 'x-hearth-auth': d.token, 'content-type': 'application/json', 'content-length': 100 },
    });
    const failed = new Promise((resolve) => req.on('error', resolve));
    req.write('{');
    await new Promise((r) => setTimeout(r, 100));
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    await failed;
    assert.ok(d.logs().some((l) => l.msg === 'closing connections still busy'));
  });
});

describe('hearthd on a terminal', () => {
  it(
    'writes lines a person reads (no JSON), with the time of day, and says where to create the owner',
    { skip: hasPython ? false : 'python3 with pty is not installed' },
    async () => {
      const home = tempHome();
      const out = await daemonOnTerminal(
        DAEMON_MAIN,
        { HEARTH_HOME: home, HEARTH_SERVER_LISTEN: '127.0.0.1:0', HEARTH_SERVER_TLS_LISTEN: '' },
        'no account yet',
      );
      const lines = out.split('\n').filter((l) => l.trim());
      assert.ok(lines.length >= 2, out);
      assert.ok(!lines.some((l) => l.trimStart().startsWith('{')), `no JSON on a terminal:\n${out}`);
      assert.match(out, /^\[\d{2}:\d{2}:\d{2}(\.\d+)?\] INFO.*hearthd [\d.]+ listening on http:\/\/127\.0\.0\.1:\d+/m);
      // The link carries the setup code (in the fragment), the one in the home's 0600 file.
      const link = /no account yet: open http:\/\/127\.0\.0\.1:\d+\/#setup=([0-9a-f]{32}) in a browser to create the owner's account/.exec(out);
      assert.ok(link, out);
      assert.equal(link[1], setupCode(home));
      assert.equal(statSync(join(home, 'setup-code')).mode & 0o777, 0o600);
    },
  );
});
