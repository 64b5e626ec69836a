/**
 * Backups with the real restic, into a real local repository in a temporary directory, over real
 * HTTP on SQLite and PostgreSQL: repository settings (secrets 0600, the B2 key never answered
 * back), create as a job (409 while one runs, progress from restic's JSON), list and reload,
 * SelfPrivacy's states and routes, a restore that stops the configured units first and starts
 * them after (real executables that record what they saw), maintainer only. Then a whole Hearth
 * brought back into a new home on SQLite: a daemon started there and the official bw CLI logging
 * in to the restored vault; and one on PostgreSQL, its dump loaded into a new, empty database (a
 * database that is not empty refused), a daemon there, a native login and a vault sync.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jobFinished } from '../../src/jobs/service.js';
import { BwDevice, encode, ITEMS } from '../support/bw-scenario.js';
import { call, runCli, startDaemon, startInProcess, tempHome, waitFor, type InProcessDaemon, type RunningDaemon } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';
import { registerVault, VaultClient } from '../support/vault-harness.js';
import pg from 'pg';
import { PG_BASE, pgSkip } from '../support/pg.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hearth-backup-'));
  dirs.push(d);
  return d;
}

/** A place with service data, a repository path, and a unit-control script that records each call with what the data file held then. */
function fixture() {
  const root = tempDir();
  const data = join(root, 'data');
  mkdirSync(join(data, 'sub'), { recursive: true });
  writeFileSync(join(data, 'file.txt'), 'original');
  writeFileSync(join(data, 'sub', 'deep.txt'), 'deep');
  const log = join(root, 'units.log');
  const script = join(root, 'unitctl');
  writeFileSync(script, `#!/bin/sh\nprintf '%s %s %s\\n' "$1" "$2" "$(cat '${data}/file.txt' 2>/dev/null || echo missing)" >> '${log}'\n`);
  chmodSync(script, 0o755);
  const toml = `[backup]
paths = ["${data}"]
stop_units = ["mail.service", "app@1.service"]
service_stop = ["${script}", "stop", "{unit}"]
service_start = ["${script}", "start", "{unit}"]
`;
  return { root, data, log, toml, repo: join(root, 'repo') };
}

const mode = (p: string) => statSync(p).mode & 0o777;

forEachStore('backups', (store) => {
  let d: InProcessDaemon;
  let f: ReturnType<typeof fixture>;
  store.before(async () => {
    f = fixture();
    d = await store.startInProcess({ toml: f.toml });
  });

  store.it('no repository yet: status NO_KEY (200 on REST too), create → 400, list empty', async () => {
    assert.deepEqual((await call(d, 'backup/status')).body.result, { status: 'NO_KEY', progress: 0, error_message: null, job: null });
    const rest = await call(d, '/services/restic/backup/status', undefined, { method: 'GET' });
    assert.equal(rest.status, 200);
    assert.equal(rest.body.status, 'NO_KEY');
    const create = await call(d, 'backup/create');
    assert.equal(create.status, 400);
    assert.match(create.body.error.message, /no backup repository is set/);
    assert.equal((await call(d, '/services/restic/backup/create', undefined, { method: 'PUT' })).status, 400);
    assert.deepEqual((await call(d, 'backup/list')).body.result, []);
  });

  store.it('repository settings: bad paths and B2 values → 400; B2 key kept 0600 and never answered back; local path set', async () => {
    for (const path of ['relative/repo', '/tmp/../etc', '/tmp/a\nb', '/tmp/a\u0000b', `/${'a'.repeat(5000)}`]) {
      const r = await call(d, 'backup/local', { path });
      assert.equal(r.status, 400, JSON.stringify(path));
    }
    for (const body of [
      { accountId: 'abc', accountKey: 'k', bucket: 'bad bucket' },
      { accountId: 'ab;rm -rf /', accountKey: 'key', bucket: 'my-bucket' },
      { accountId: 'abc', accountKey: 'has space', bucket: 'my-bucket' },
      { accountId: 'abc', bucket: 'my-bucket' },
    ]) {
      const r = await call(d, '/services/restic/backblaze/config', body, { method: 'PUT' });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const key = 'K005secretApplicationKeyXYZ';
    const b2 = await call(d, '/services/restic/backblaze/config', { accountId: '0051234abcd', accountKey: key, bucket: 'hearth-backups' }, { method: 'PUT' });
    assert.equal(b2.status, 200, JSON.stringify(b2.body));
    const settings = await call(d, 'backup/settings');
    assert.equal(settings.body.result.kind, 'b2');
    assert.equal(settings.body.result.location, 'b2:hearth-backups');
    assert.equal(settings.body.result.has_key, true);
    assert.ok(!JSON.stringify(settings.body).includes(key), 'the key is never answered back');
    assert.ok(!JSON.stringify((await call(d, 'backup/status')).body).includes(key));
    const repoFile = join(d.home, 'backup', 'repository.json');
    assert.equal(mode(repoFile), 0o600);
    assert.ok(readFileSync(repoFile, 'utf8').includes(key));
    assert.equal(mode(join(d.home, 'backup', 'password')), 0o600);
    assert.match(readFileSync(join(d.home, 'backup', 'password'), 'utf8'), /^[A-Za-z0-9_-]{40,}$/, 'a random password');
    assert.ok(!d.logText().includes(key), 'nor logged');

    const local = await call(d, 'backup/local', { path: f.repo });
    assert.equal(local.status, 200);
    assert.equal(local.body.result.kind, 'local');
    assert.equal(local.body.result.location, f.repo);
    assert.equal(local.body.result.initialized, false);
    assert.ok(!readFileSync(repoFile, 'utf8').includes(key), 'the old key is gone');
    assert.equal((await call(d, 'backup/status')).body.result.status, 'NOT_INITIALIZED');
  });

  store.it('create: a job (409 while it runs, native and REST), restic makes the repository, progress from its JSON, the snapshot listed', async () => {
    const first = await call(d, '/services/restic/backup/create', undefined, { method: 'PUT' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.message, 'Backup creation has started');
    const again = await call(d, 'backup/create');
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, new RegExp(first.body.job));
    assert.equal((await call(d, '/services/restic/backup/create', undefined, { method: 'PUT' })).status, 409);
    assert.match((await call(d, 'backup/status')).body.result.status, /^(INITIALIZING|BACKING_UP)$/);
    const job = await jobFinished(d.daemon.hearth, first.body.job);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal(job.kind, 'backup');
    assert.equal(job.progress, 100);
    assert.ok(job.log.some((l) => /^initializing the repository/.test(l)));
    assert.ok(
      job.log.some((l) => /^100%: \d+ of \d+ files/.test(l)),
      `restic's JSON output was read (status lines, and the summary): ${job.log.join(' | ')}`,
    );
    assert.ok(
      job.log.includes(`Hearth's data gathered (store: ${store.kind} snapshot, configuration and secrets)`),
      'the store is in it: SQLite online backup or pg_dump',
    );
    assert.ok(existsSync(join(f.repo, 'config')), 'a real restic repository');
    assert.ok(!existsSync(join(d.home, '.hearth-backup')), 'the staging copy is removed');
    const snapshot = job.result!.snapshot as string;
    const list = (await call(d, '/services/restic/backup/list', undefined, { method: 'GET' })).body;
    assert.equal(list.length, 1);
    assert.ok(list[0].id.startsWith(snapshot));
    assert.ok(list[0].paths.includes(f.data));
    assert.ok(list[0].paths.some((p: string) => p.endsWith('/.hearth-backup')));
    assert.deepEqual(list[0].tags, ['hearth']);
    assert.deepEqual((await call(d, 'backup/status')).body.result, { status: 'INITIALIZED', progress: 0, error_message: null, job: null });
  });

  store.it('reload reads the repository again (GET kept, POST accepted)', async () => {
    const get = await call(d, '/services/restic/backup/reload', undefined, { method: 'GET' });
    assert.equal(get.status, 200);
    assert.equal((await call(d, '/services/restic/backup/reload', undefined, { method: 'POST' })).status, 200);
    assert.equal((await call(d, 'backup/reload')).body.result.length, 1);
  });

  store.it('restore: units stopped first and started after; the data is back; unknown snapshot → 404', async () => {
    const [snap] = (await call(d, 'backup/list')).body.result;
    writeFileSync(join(f.data, 'file.txt'), 'changed after the backup');
    rmSync(join(f.data, 'sub'), { recursive: true });
    // Unknown, or no snapshot id at all (options, paths, shell): 404; control characters (NUL, newline) or too long: 400. Nothing reaches restic.
    for (const backupId of ['deadbeef', '../../etc', '-x', '--target=/', '', 'abcdef12$(touch /tmp/x)', 'abcdef12;id']) {
      const r = await call(d, '/services/restic/backup/restore', { backupId }, { method: 'PUT' });
      assert.equal(r.status, 404, JSON.stringify(backupId));
    }
    for (const backupId of ['abcdef12\u0000', 'abcdef12\n']) {
      const r = await call(d, '/services/restic/backup/restore', { backupId }, { method: 'PUT' });
      assert.equal(r.status, 400, JSON.stringify(backupId));
    }
    assert.equal((await call(d, 'backup/restore', { snapshot: 'a'.repeat(65) })).status, 400);
    assert.ok(!existsSync(f.log), 'no unit was stopped for a refused restore');
    const r = await call(d, '/services/restic/backup/restore', { backupId: snap.short_id }, { method: 'PUT' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const job = await jobFinished(d.daemon.hearth, r.body.job);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal(readFileSync(join(f.data, 'file.txt'), 'utf8'), 'original');
    assert.equal(readFileSync(join(f.data, 'sub', 'deep.txt'), 'utf8'), 'deep');
    // Stopped while the data was still the changed one, started once it was restored; in reverse order.
    assert.deepEqual(readFileSync(f.log, 'utf8').trim().split('\n'), [
      'stop mail.service changed after the backup',
      'stop app@1.service changed after the backup',
      'start app@1.service original',
      'start mail.service original',
    ]);
    assert.deepEqual(job.result!.paths, [f.data]);
  });

  store.it('only a maintainer: an auditor gets 403 on every backup command and route', async () => {
    const auditor = (await call(d, 'token/create', { role: 'auditor', expiry: 600 })).body.result.key;
    const headers = { authorization: `Bearer ${auditor}` };
    for (const path of ['backup/settings', 'backup/status', 'backup/list', 'backup/create']) {
      assert.equal((await call({ url: d.url }, path, {}, { headers })).status, 403, path);
    }
    for (const [method, path] of [
      ['GET', '/services/restic/backup/list'],
      ['GET', '/services/restic/backup/status'],
      ['PUT', '/services/restic/backup/create'],
    ] as const) {
      assert.equal((await call({ url: d.url }, path, undefined, { method, headers })).status, 403, path);
    }
  });
});

/** A 4 MiB tmpfs (root only): a file system that can really run out of room. */
function smallDisk(): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = tempDir();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
  if (r.status !== 0) return null;
  after(() => void spawnSync('umount', [dir]));
  return dir;
}

describe('a restore the disk has no room for', () => {
  const disk = smallDisk();
  let d: InProcessDaemon | null = null;
  after(async () => d?.stop());

  it('is refused with 400 saying how much it needs; nothing is stopped', { skip: disk ? false : 'needs root to mount a small tmpfs' }, async () => {
    const f = fixture();
    const data = join(disk!, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'big.bin'), randomBytes(3 * 1024 * 1024));
    d = await startInProcess({ toml: f.toml.replace(`paths = ["${f.data}"]`, `paths = ["${data}"]`) });
    assert.equal((await call(d, 'backup/local', { path: f.repo })).status, 200);
    const job = await jobFinished(d.daemon.hearth, (await call(d, 'backup/create')).body.result.id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    // The file changed; the disk now has under 1 MiB free for a 3 MiB restore.
    writeFileSync(join(data, 'big.bin'), randomBytes(3 * 1024 * 1024 + 512 * 1024));
    const r = await call(d, 'backup/restore', { snapshot: String(job.result!.snapshot) });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.error.message, /not enough free space to restore: it needs \d+ bytes and .* has \d+ free/);
    assert.ok(!existsSync(f.log), 'no unit was stopped');
  });
});

describe('a whole Hearth brought back from a backup into a new home', () => {
  const PASSWORD = 'correct horse battery staple';
  let a: RunningDaemon;
  let b: RunningDaemon | null = null;
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('backup on one home, hearth backup restore SNAPSHOT --home NEW, a daemon there, bw logs in and finds the item', { timeout: 600_000 }, async () => {
    const repo = join(tempDir(), 'repo');
    const env = { HEARTH_SERVER_DOMAIN: 'home.example', HEARTH_SECURITY_FAILURE_DELAY: '0' };
    a = await startDaemon({ env });
    const httpsOf = (x: RunningDaemon) => x.urls.find((u) => u.startsWith('https://'))!;
    const ready = (x: RunningDaemon) => waitFor('the store', async () => (await fetch(`${x.url}/readiness`)).status === 200, 30_000);
    await ready(a);
    assert.equal((await call(a, 'bonafide/user/create', { username: 'alice', pass: 'account-password-1' })).status, 200);
    await registerVault(a, 'alice', PASSWORD);
    const one = new BwDevice(join(a.home, 'tls', 'ca.pem'), PASSWORD);
    await one.ok(['config', 'server', `${httpsOf(a)}/bitwarden`]);
    one.session = await one.ok(['login', 'alice@home.example', '--passwordenv', 'BW_PASSWORD', '--raw']);
    const item = await one.json(['create', 'item', encode(ITEMS.login)]);

    assert.equal((await call(a, 'backup/local', { path: repo })).status, 200);
    const created = await call(a, 'backup/create');
    assert.equal(created.status, 200);
    const watched = await runCli(['--json', 'job', 'watch', created.body.result.id], { HEARTH_HOME: a.home });
    assert.equal(watched.code, 0, watched.stderr);
    const end = JSON.parse(watched.stdout.trim().split('\n').at(-1)!);
    assert.equal(end.status, 'succeeded');
    const snapshot = String(end.result.snapshot);
    // The password file is what the owner keeps away from the server.
    const keptPassword = join(tempDir(), 'restic-password');
    writeFileSync(keptPassword, readFileSync(join(a.home, 'backup', 'password')), { mode: 0o600 });
    await a.stop();

    const home = join(tempHome(), 'new-home');
    const restored = await runCli(['--json', '--home', home, 'backup', 'restore', snapshot, '--repo', repo, '--password-file', keptPassword], {});
    assert.equal(restored.code, 0, restored.stderr);
    const result = JSON.parse(restored.stdout);
    assert.equal(result.store, 'sqlite');
    for (const name of ['hearth.db', 'authtoken', 'token.key', 'tls', 'backup']) assert.ok(result.files.includes(name), name);
    assert.equal(mode(join(home, 'authtoken')), 0o600, 'secrets keep their mode');
    assert.ok(!existsSync(join(home, 'hearthd.pid')));
    // Restoring over it again is refused: it is no longer empty.
    const twice = await runCli(['--home', home, 'backup', 'restore', snapshot, '--repo', repo, '--password-file', keptPassword], {});
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already holds a Hearth/);

    b = await startDaemon({ home, env });
    await ready(b);
    assert.equal(b.token, a.token, 'the same API token');
    const users = await call(b, 'bonafide/user/list');
    assert.deepEqual(
      users.body.result.map((u: { username: string }) => u.username),
      ['alice'],
    );
    const two = new BwDevice(join(home, 'tls', 'ca.pem'), PASSWORD);
    await two.ok(['config', 'server', `${httpsOf(b)}/bitwarden`]);
    two.session = await two.ok(['login', 'alice@home.example', '--passwordenv', 'BW_PASSWORD', '--raw']);
    await two.ok(['sync', '--force']);
    const got = await two.json(['get', 'item', item.id]);
    assert.equal(got.login.password, 'hunter2');
  });
});

describe('a whole Hearth on PostgreSQL brought back into a new home and an empty database', async () => {
  const skip = await pgSkip();
  const PASSWORD = 'correct horse battery staple';
  const suffix = randomBytes(6).toString('hex');
  const [source, target] = [`hearth_restore_from_${suffix}`, `hearth_restore_to_${suffix}`];
  const urlOf = (db: string) => {
    const u = new URL(PG_BASE);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const admin = async (query: string) => {
    const c = new pg.Client({ connectionString: PG_BASE });
    await c.connect();
    try {
      await c.query(query);
    } finally {
      await c.end();
    }
  };
  const daemons: RunningDaemon[] = [];
  let made = false;
  after(async () => {
    for (const x of daemons) await x.stop();
    if (made) for (const db of [source, target]) await admin(`drop database if exists ${db} with (force)`);
  });

  it(
    'backup of a PostgreSQL-backed Hearth, restore with HEARTH_STORE_URL at an empty database, a daemon there: login and vault sync',
    { skip, timeout: 300_000 },
    async () => {
      made = true;
      for (const db of [source, target]) await admin(`create database ${db}`);
      const repo = join(tempDir(), 'repo');
      const env = { HEARTH_SERVER_DOMAIN: 'home.example', HEARTH_SECURITY_FAILURE_DELAY: '0' };
      const ready = (x: RunningDaemon) => waitFor('the store', async () => (await fetch(`${x.url}/readiness`)).status === 200, 30_000);
      const a = await startDaemon({ env: { ...env, HEARTH_STORE_URL: urlOf(source) } });
      daemons.push(a);
      await ready(a);
      assert.equal((await call(a, 'bonafide/user/create', { username: 'alice', pass: 'account-password-1' })).status, 200);
      const vault = await registerVault(a, 'alice', PASSWORD);
      assert.equal((await vault.login()).status, 200);
      const cipher = await vault.api('POST', '/api/ciphers', vault.loginCipher('site', 'hunter2'));
      assert.equal(cipher.status, 200, JSON.stringify(cipher.body));

      assert.equal((await call(a, 'backup/local', { path: repo })).status, 200);
      const created = await call(a, 'backup/create');
      assert.equal(created.status, 200);
      const watched = await runCli(['--json', 'job', 'watch', created.body.result.id], { HEARTH_HOME: a.home });
      assert.equal(watched.code, 0, watched.stderr);
      const end = JSON.parse(watched.stdout.trim().split('\n').at(-1)!);
      assert.equal(end.status, 'succeeded', JSON.stringify(end));
      const snapshot = String(end.result.snapshot);
      const keptPassword = join(tempDir(), 'restic-password');
      writeFileSync(keptPassword, readFileSync(join(a.home, 'backup', 'password')), { mode: 0o600 });
      await a.stop();

      const restoreInto = (home: string, url: string) =>
        runCli(['--json', '--home', home, 'backup', 'restore', snapshot, '--repo', repo, '--password-file', keptPassword], { HEARTH_STORE_URL: url });
      const home = join(tempHome(), 'new-home');
      const restored = await restoreInto(home, urlOf(target));
      assert.equal(restored.code, 0, restored.stderr);
      const result = JSON.parse(restored.stdout);
      assert.equal(result.store, 'postgres');
      assert.match(result.loaded_into, new RegExp(target));
      assert.ok(!result.files.includes('store.sql') && !existsSync(join(home, 'store.sql')), 'the dump is loaded, not left in the home');
      for (const name of ['authtoken', 'token.key', 'tls', 'backup']) assert.ok(result.files.includes(name), name);

      // The database holds the store now: a second restore into it is refused, and changes nothing.
      const other = join(tempHome(), 'other-home');
      const twice = await restoreInto(other, urlOf(target));
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /is not empty: .*accounts.*Restore into an empty database/);
      assert.ok(!existsSync(join(other, 'authtoken')), 'nothing was restored into the home');
      // A URL that names no PostgreSQL database: refused, saying what to set.
      const noPg = await runCli(['--home', join(tempHome(), 'third'), 'backup', 'restore', snapshot, '--repo', repo, '--password-file', keptPassword], {
        HEARTH_STORE_URL: '',
      });
      assert.equal(noPg.code, 1);
      assert.match(noPg.stderr, /holds a PostgreSQL store, and \[store\] url names no PostgreSQL database: set HEARTH_STORE_URL/);

      const b = await startDaemon({ home, env: { ...env, HEARTH_STORE_URL: urlOf(target) } });
      daemons.push(b);
      await ready(b);
      assert.equal(b.token, a.token, 'the same API token');
      const login = await call({ url: b.url }, 'bonafide/user/authenticate', { username: 'alice', pass: 'account-password-1' });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const again = new VaultClient(b, vault.email, vault.reg);
      assert.equal((await again.login()).status, 200);
      const sync = await again.api('GET', '/api/sync');
      assert.equal(sync.status, 200);
      const item = sync.body.ciphers.find((c: { id: string }) => c.id === cipher.body.id);
      assert.ok(item, 'the item is back');
      assert.equal(again.dec(item.login.password), 'hunter2');
    },
  );
});
