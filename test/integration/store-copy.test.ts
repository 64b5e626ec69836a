/**
 * `hearth store copy --to URL`: a populated SQLite store (accounts, a device token, a role token,
 * a vault the official bw CLI logged into and filled) moved to PostgreSQL; hearthd restarted on
 * PostgreSQL serves bw and the old tokens. Then: back to SQLite, a non-empty target refused with
 * nothing changed, bad URLs refused clearly, and the progress a person sees.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore, storeTarget, type Store, type StoreTarget } from '../../src/store/db.js';
import { BW_MAIN, BwDevice, encode, ITEMS } from '../support/bw-scenario.js';
import { call, runCli, startDaemon, tempHome, waitFor, type RunningDaemon } from '../support/helpers.js';
import { pgSchema, pgSkip } from '../support/pg.js';
import { hasPython, runOnTerminal } from '../support/pty.js';
import { registerVault } from '../support/vault-harness.js';

const PASSWORD = 'correct horse battery staple';
/** Every table of a store but the migration runner's own (each store keeps its own rows there). */
async function tablesOf(s: Store): Promise<string[]> {
  const names =
    s.kind === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(s.db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(s.db);
  return names.rows
    .map((r) => r.name)
    .filter((n) => n !== 'hearth_migrations')
    .sort();
}

const bwSkip = existsSync(BW_MAIN) ? false : 'the official bw CLI is not installed (npm install adds the pinned @bitwarden/cli dev dependency)';
if (bwSkip) console.log(`# NOTICE: ${bwSkip}`);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every row of every table, each as sorted JSON, sorted: what must be equal after a move. */
async function contents(t: StoreTarget): Promise<Record<string, string[]>> {
  const s = await openStore(t);
  try {
    const out: Record<string, string[]> = {};
    for (const table of await tablesOf(s)) {
      const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(s.db)).rows;
      out[table] = rows
        .map((r) =>
          JSON.stringify(
            Object.keys(r)
              .sort()
              .map((k) => [k, r[k]]),
          ),
        )
        .sort();
    }
    return out;
  } finally {
    await s.close();
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('hearth store copy', async () => {
  const pgSkipped = await pgSkip();
  const skip = bwSkip || pgSkipped;
  const drops: (() => Promise<void>)[] = [];
  const daemons: RunningDaemon[] = [];
  after(async () => {
    for (const d of daemons) await d.stop();
    for (const drop of drops) await drop();
  });

  const home = tempHome();
  const env = { HEARTH_HOME: home };
  let tlsPort = 0;
  let deviceToken = '';
  let roleToken = '';
  let one: BwDevice;
  let itemNames: string[] = [];
  let pgUrl = '';
  const daemonEnv = () => ({ HEARTH_SERVER_DOMAIN: 'home.example', HEARTH_SERVER_TLS_LISTEN: `127.0.0.1:${tlsPort}`, HEARTH_SECURITY_FAILURE_DELAY: '0' });
  const sqliteHome = () => storeTarget('', home);

  before(async () => {
    if (skip) return;
    tlsPort = await freePort();
    const d = await startDaemon({ home, env: daemonEnv() });
    daemons.push(d);
    for (const username of ['olga', 'alice']) assert.equal((await call(d, 'bonafide/user/create', { username, pass: 'account-password-1' })).status, 200);
    await registerVault(d, 'alice', PASSWORD);
    const phrase = (await call(d, 'device/pair', {})).body.result.token as string;
    deviceToken = (await call(d, '/auth/new_device/authorize', { token: phrase, device: 'phone' }, { noToken: true })).body.token;
    roleToken = (await call(d, 'token/create', ['auditor', 3600])).body.result.key;
    assert.ok(deviceToken && roleToken);

    one = new BwDevice(join(home, 'tls', 'ca.pem'), PASSWORD);
    await one.ok(['config', 'server', `https://127.0.0.1:${tlsPort}/bitwarden`]);
    one.session = await one.ok(['login', 'alice@home.example', '--passwordenv', 'BW_PASSWORD', '--raw']);
    const folder = await one.json(['create', 'folder', encode({ name: 'Work' })]);
    await one.json(['create', 'item', encode({ ...ITEMS.login, folderId: folder.id })]);
    await one.json(['create', 'item', encode(ITEMS.card)]);
    await one.json(['create', 'item', encode(ITEMS.note)]);
    itemNames = (await one.json(['list', 'items'])).map((i: { name: string }) => i.name).sort();
    assert.deepEqual(itemNames, ['Card', 'Mail', 'Note']);
    await d.stop();
    const schema = await pgSchema();
    drops.push(schema.drop);
    pgUrl = schema.url;
  });

  it(
    'moves a populated SQLite store to PostgreSQL: every row equal, and on it bw logs in and sees its items, device and role tokens still work',
    { skip, timeout: 600_000 },
    async () => {
      const r = await runCli(['--json', 'store', 'copy', '--to', pgUrl], env);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      const rows = Object.fromEntries(report.tables.map((t: { table: string; rows: number }) => [t.table, t.rows]));
      assert.equal(rows.accounts, 2);
      assert.equal(rows.vault_users, 1);
      assert.equal(rows.vault_folders, 1);
      assert.equal(rows.vault_ciphers, 3);
      assert.ok(rows.credentials >= 1 && rows.vault_devices >= 1 && rows.role_tokens === 1, JSON.stringify(rows));
      assert.deepEqual(Object.keys(rows).sort(), Object.keys(await contents(sqliteHome())).sort(), 'every table is copied');
      assert.ok(Object.keys(rows).length >= 20, 'every feature has its tables');
      // Accounts come before the tables that reference them.
      assert.equal(report.tables[0].table, 'accounts');
      assert.match(report.store_url, /^postgres:\/\//);
      // Independently of the command's own checks: the same rows on both sides.
      assert.deepEqual(await contents(storeTarget(pgUrl, home)), await contents(sqliteHome()));

      const d = await startDaemon({ home, env: { ...daemonEnv(), HEARTH_STORE_URL: pgUrl } });
      daemons.push(d);
      const ready = async () => (await call(d, 'core/status', {})).body.result?.childrenStatus?.store?.status === 'on';
      for (let i = 0; i < 100 && !(await ready()); i++) await new Promise((res) => setTimeout(res, 50));
      assert.equal((await call(d, 'core/stats', {})).body.result.store, 'postgres');
      const users = (await call(d, 'bonafide/user/list', {})).body.result.map((u: { username: string }) => u.username).sort();
      assert.deepEqual(users, ['alice', 'olga']);
      // The tokens made on SQLite.
      const asDevice = await call(d, 'core/whoami', {}, { headers: bearer(deviceToken), noToken: true });
      assert.equal(asDevice.status, 200, JSON.stringify(asDevice.body));
      assert.equal(asDevice.body.result.credential, 'device');
      const asRole = await call(d, 'core/whoami', {}, { headers: bearer(roleToken), noToken: true });
      assert.equal(asRole.status, 200, JSON.stringify(asRole.body));
      assert.equal(asRole.body.result.credential, 'role');
      // The device that logged in on SQLite syncs on PostgreSQL with the tokens it holds.
      await one.ok(['sync', '--force']);
      assert.deepEqual((await one.json(['list', 'items'])).map((i: { name: string }) => i.name).sort(), itemNames);
      // A new device logs in on PostgreSQL and sees the items.
      const two = new BwDevice(join(home, 'tls', 'ca.pem'), PASSWORD);
      await two.ok(['config', 'server', `https://127.0.0.1:${tlsPort}/bitwarden`]);
      two.session = await two.ok(['login', 'alice@home.example', '--passwordenv', 'BW_PASSWORD', '--raw']);
      const items = await two.json(['list', 'items']);
      assert.deepEqual(items.map((i: { name: string }) => i.name).sort(), itemNames);
      assert.equal(items.find((i: { name: string }) => i.name === 'Mail').login.password, 'hunter2');
      await two.ok(['logout']);
      await d.stop();
    },
  );

  it('copies PostgreSQL back to SQLite, and SQLite to SQLite, row for row', { skip }, async () => {
    const back = await runCli(['--json', 'store', 'copy', '--to', 'sqlite:back.db'], { ...env, HEARTH_STORE_URL: pgUrl });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(JSON.parse(back.stdout).store_url, `sqlite:${join(home, 'back.db')}`);
    const original = await contents(sqliteHome());
    // What the daemon on PostgreSQL wrote since (bw's sync, logins) is in PostgreSQL and now here too.
    assert.deepEqual(await contents(storeTarget('sqlite:back.db', home)), await contents(storeTarget(pgUrl, home)));
    assert.deepEqual((await contents(storeTarget('sqlite:back.db', home))).accounts, original.accounts);
    const copy = await runCli(['--json', 'store', 'copy', '--to', 'sqlite:copy.db'], env);
    assert.equal(copy.code, 0, copy.stderr);
    for (const f of ['back.db', 'copy.db']) assert.equal(statSync(join(home, f)).mode & 0o777, 0o600, `${f} is readable by its owner only`);
    assert.deepEqual(await contents(storeTarget('sqlite:copy.db', home)), original);
  });

  it('refuses a target that holds rows, and changes nothing in it', { skip }, async () => {
    const beforePg = await contents(storeTarget(pgUrl, home));
    const r = await runCli(['store', 'copy', '--to', pgUrl], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not empty: accounts \(2 rows\)/);
    assert.match(r.stderr, /nothing was changed/);
    assert.deepEqual(await contents(storeTarget(pgUrl, home)), beforePg);

    const file = join(home, 'copy.db');
    const beforeFile = await contents(storeTarget('sqlite:copy.db', home));
    const s = await runCli(['--json', 'store', 'copy', '--to', 'sqlite:copy.db'], env);
    assert.equal(s.code, 1);
    assert.equal(JSON.parse(s.stderr).error.code, 'conflict');
    assert.ok(existsSync(file), 'the file is kept');
    assert.deepEqual(await contents(storeTarget('sqlite:copy.db', home)), beforeFile);
  });

  it('a bad URL gets an error that says what a store URL looks like, and makes nothing', { skip }, async () => {
    const cases: [string, RegExp][] = [
      ['mysql://db/hearth', /store:badUrl: --to "mysql:\/\/db\/hearth": not a store URL; expected sqlite:PATH .* or postgres:\/\//],
      ['', /store:badUrl: --to needs a store URL/],
      ['sqlite:no-such-dir/x.db', /store:badUrl: --to: the directory .*no-such-dir does not exist/],
      [
        'postgres://postgres@127.0.0.1:1/test',
        /store:unreachable: cannot open the target store \(postgres:\/\/postgres@127\.0\.0\.1:1\/test\): .*ECONNREFUSED/,
      ],
      ['postgres://postgres@127.0.0.1:5432/no_such_database_here', /store:unreachable: .*does not exist/],
    ];
    for (const [url, expected] of cases) {
      const r = await runCli(['store', 'copy', '--to', url], env);
      assert.equal(r.code, 1, url);
      assert.match(r.stderr, expected);
      assert.equal(r.stdout, '');
    }
    // Same store as the configured one.
    const same = await runCli(['store', 'copy', '--to', 'sqlite:hearth.db'], env);
    assert.equal(same.code, 1);
    assert.match(same.stderr, /store:sameStore/);
  });

  it('shows a progress bar on a terminal and one line per table otherwise', { skip: skip || (!hasPython && 'no python3 pty') }, async () => {
    const tty = await runOnTerminal(['store', 'copy', '--to', 'sqlite:tty.db'], env, []);
    assert.equal(tty.code, 0, tty.output);
    assert.match(tty.output, /copying \w+ \[#+-*\] 100% \| \d+\/\d+ rows/);
    assert.match(tty.output, /url = "sqlite:.*tty\.db"/);
    const plain = await runCli(['store', 'copy', '--to', 'sqlite:plain.db'], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /^copied accounts: 2 rows/m);
    assert.match(plain.stdout, /^accounts +2 +[0-9a-f]{16}…$/m);
  });

  it('warns, in the log and core/status, when it starts on an empty store while hearth.db holds accounts; --from moves them there', { skip }, async () => {
    const schema = await pgSchema();
    drops.push(schema.drop);
    const d = await startDaemon({ home, env: { ...daemonEnv(), HEARTH_STORE_URL: schema.url } });
    daemons.push(d);
    const hearthDb = join(home, 'hearth.db');
    await waitFor('the warning', () => d.logs().some((l) => l.level === 40 && l.file === hearthDb));
    const line = d.logs().find((l) => l.level === 40 && l.file === hearthDb)!;
    assert.equal(line.accounts, 2);
    assert.match(line.msg, /this store has no account, but .*hearth\.db holds 2 accounts/);
    assert.match(line.msg, /hearth store copy --from sqlite:hearth\.db --to/);
    const status = (await call(d, 'core/status', {})).body.result;
    assert.equal(status.warnings.length, 1);
    assert.equal(status.warnings[0], line.msg);
    const cli = await runCli(['daemon', 'status'], { ...env, HEARTH_STORE_URL: schema.url });
    assert.match(cli.stdout, /^warning: this store has no account/m);
    await d.stop();

    // What the warning says to do, done: the accounts are there and the warning is gone.
    const moved = await runCli(['--json', 'store', 'copy', '--from', 'sqlite:hearth.db', '--to', schema.url], { ...env, HEARTH_STORE_URL: schema.url });
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(JSON.parse(moved.stdout).switch_needed, false);
    const after = await startDaemon({ home, env: { ...daemonEnv(), HEARTH_STORE_URL: schema.url } });
    daemons.push(after);
    await waitFor('the store', () => after.logs().some((l) => l.msg === 'store ready'));
    assert.equal((await call(after, 'core/stats', {})).body.result.accounts, 2);
    assert.deepEqual((await call(after, 'core/status', {})).body.result.warnings, []);
    await after.stop();
  });

  it("says nothing on the home's own hearth.db, nor on an empty store when hearth.db has no account", { skip }, async () => {
    const own = await startDaemon({ home, env: daemonEnv() });
    daemons.push(own);
    await waitFor('the store', () => own.logs().some((l) => l.msg === 'store ready'));
    assert.deepEqual((await call(own, 'core/status', {})).body.result.warnings, []);
    await own.stop();

    const emptyHome = tempHome();
    const first = await startDaemon({ home: emptyHome }); // makes an empty hearth.db
    await waitFor('the store', () => first.logs().some((l) => l.msg === 'store ready'));
    await first.stop();
    const schema = await pgSchema();
    drops.push(schema.drop);
    const d = await startDaemon({ home: emptyHome, env: { HEARTH_STORE_URL: schema.url } });
    daemons.push(d);
    await waitFor('the store', () => d.logs().some((l) => l.msg === 'store ready'));
    assert.deepEqual((await call(d, 'core/status', {})).body.result.warnings, []);
    assert.ok(!d.logs().some((l) => l.level === 40), JSON.stringify(d.logs().filter((l) => l.level === 40)));
    await d.stop();
  });
});
