/**
 * Crash durability: a real hearthd while several clients write as fast as they can (accounts,
 * role tokens, paired devices, vault ciphers, OpenPGP keys, SSH keys through the state file and
 * authorized_keys, host-action jobs, a setting), killed with SIGKILL mid-stream, then started
 * again on the same home and store. Every write the server acknowledged (2xx) is read back
 * through the API; SQLite's `PRAGMA integrity_check` answers ok; and no file in the home (or the
 * host files Hearth writes) is half-written: no temporary file is left, and every one parses.
 * Three kill rounds on SQLite, one on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as openpgp from 'openpgp';
import { parse as parseToml } from 'smol-toml';
import { HEADER as AUTHORIZED_KEYS_HEADER } from '../../src/host/authorized-keys.js';
import { stateProblem } from '../../src/host/state-file.js';
import { bearer, call, startDaemon, waitFor, type RunningDaemon } from '../support/helpers.js';
import { fakeHost, type FakeHost } from '../support/fake-host.js';
import { sshFingerprint, sshKeygen } from '../support/ssh-keys.js';
import { forEachStore } from '../support/stores.js';
import { registerVault, type VaultClient } from '../support/vault-harness.js';

const PASS = 'crash-test-password';
/** How long the clients write before the kill, per round, at least (and until each kind of write was acknowledged). */
const WRITE_MS = 1000;

/** A hearthd on the home, once it is ready (its store open and migrated). */
async function ready(home: string, env: Record<string, string>): Promise<RunningDaemon> {
  const d = await startDaemon({ home, env });
  await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200, 30_000);
  return d;
}

/** What the server acknowledged, kept across rounds. */
interface Acked {
  users: string[];
  tokens: string[];
  devices: string[];
  ciphers: { id: string; name: string }[];
  pgpKeys: string[];
  sshKeys: string[];
  jobs: string[];
  /** The last timezone acknowledged, and those sent after it (answered with an error, or cut short by the kill). */
  timezone: { acked: string | null; sent: string[] };
}

/** Every file under `dir` (not following links), as paths relative to it. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) out.push(...filesUnder(path).map((p) => join(name, p)));
    else out.push(name);
  }
  return out;
}

/**
 * Asserts that no file in the home is half-written: each is known and parses. Right after a kill
 * a temporary file of a write cut short may be there (the file it was for is whole); once the
 * daemon has started again none is left.
 */
function checkHome(home: string, started: boolean): void {
  for (const rel of filesUnder(home)) {
    const path = join(home, rel);
    const st = lstatSync(path);
    const text = () => readFileSync(path, 'utf8');
    if (!started && /\.tmp$/.test(rel)) continue;
    assert.ok(!/\.tmp$|\.write-test-/.test(rel), `a temporary file was left in the home: ${rel}`);
    if (st.isSocket()) continue;
    if (/^hearth\.db(-wal|-shm)?$/.test(rel)) continue; // checked by the integrity check
    if (rel === 'authtoken' || rel === 'twofactor.key') assert.match(text(), /^[0-9a-f]{64}\n$/, rel);
    else if (rel === 'token.key') assert.match(text(), /^\S{32,}\n$/, rel);
    else if (rel === 'setup-code') assert.match(text(), /^[0-9a-f]{32}\n$/, rel);
    else if (rel === 'hearthd.pid') assert.match(text(), /^\d+\n$/, rel);
    else if (/-key\.pem$/.test(rel)) assert.doesNotThrow(() => createPrivateKey(text()), rel);
    else if (/\.pem$/.test(rel)) assert.doesNotThrow(() => new X509Certificate(text()), rel);
    else if (/\.json$/.test(rel)) assert.doesNotThrow(() => JSON.parse(text()), rel);
    else if (/\.toml$/.test(rel)) assert.doesNotThrow(() => parseToml(text()), rel);
    else assert.fail(`an unknown file in the home (teach this test how to parse it): ${rel}`);
  }
}

/** The host files Hearth writes: the state file matches its schema, every authorized_keys file is whole. */
function checkHostFiles(f: FakeHost, started: boolean): void {
  for (const dir of [join(f.stateFile, '..'), f.keysDir]) {
    if (!existsSync(dir) || !started) continue;
    for (const name of readdirSync(dir)) assert.ok(!name.endsWith('.tmp'), `a temporary file was left beside the host files: ${name}`);
  }
  if (existsSync(f.stateFile)) assert.equal(stateProblem(JSON.parse(readFileSync(f.stateFile, 'utf8'))), null);
  if (existsSync(f.keysDir)) {
    // A temporary file is the write under way when the kill came: half-written is expected; the
    // check above (once restarted) is that none is left.
    for (const name of readdirSync(f.keysDir).filter((n) => !n.endsWith('.tmp'))) {
      const text = readFileSync(join(f.keysDir, name), 'utf8');
      assert.ok(text.startsWith(`${AUTHORIZED_KEYS_HEADER}\n`) && text.endsWith('\n'), `authorized_keys ${name} is whole`);
      for (const line of text.split('\n').slice(1, -1)) assert.match(line, /^ssh-ed25519 [A-Za-z0-9+/=]+( .*)?$/, `authorized_keys ${name}`);
    }
  }
}

function integrityCheck(file: string): void {
  const db = new Database(file);
  try {
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  } finally {
    db.close();
  }
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

/** An OpenPGP public key with many addresses: keys/insert takes it for any one of them. */
async function friendsKey(n: number): Promise<{ armored: string; addresses: string[] }> {
  const addresses = Array.from({ length: n }, (_, i) => `friend${i}@elsewhere.example`);
  const { publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: addresses.map((email) => ({ email })),
    format: 'armored',
  });
  return { armored: publicKey, addresses };
}

forEachStore('crash durability', (store) => {
  store.it(`kill -9 while clients write: every acknowledged write survives, the store is whole, no file is half-written`, async () => {
    const rounds = store.kind === 'sqlite' ? 3 : 1;
    const f = fakeHost();
    const s = await store.fresh(f.toml());
    // Heartbeats each second: a job the kill cut short is failed once its heartbeat is 3 s old.
    const env = { ...s.env, HEARTH_SECURITY_FAILURE_DELAY: '0', HEARTH_SERVER_DOMAIN: 'home.example', HEARTH_JOBS_HEARTBEAT_INTERVAL: '1' };
    const [pgp, sshPool] = await Promise.all([friendsKey(60), Promise.resolve(Array.from({ length: 40 }, (_, i) => sshKeygen('ed25519', undefined, `k${i}`)))]);
    let d: RunningDaemon = await ready(s.home, env);
    // One endpoint object, moved to each new daemon: the vault client keeps it.
    const endpoint = { url: d.url, token: d.token };
    const global = () => endpoint;
    const made = await call(global(), 'bonafide/user/create', ['alice', PASS]);
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const login = async () => ({
      authorization: (await call({ url: d.url }, 'bonafide/user/authenticate', ['alice', PASS])).body.result.authorization as string,
    });
    let session = await login();
    const vault: VaultClient = await registerVault(global(), 'alice', 'alice-master-password');
    assert.equal((await vault.login()).status, 200);

    const acked: Acked = { users: ['alice'], tokens: [], devices: [], ciphers: [], pgpKeys: [], sshKeys: [], jobs: [], timezone: { acked: null, sent: [] } };
    let n = 0; // unique names across rounds
    let nextPgp = 0;
    let nextSsh = 0;
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Africa/Nairobi'];
    let writes = 0;
    /** 5xx answers before the kill: there must be none. */
    const failures: number[] = [];

    for (let round = 1; round <= rounds; round++) {
      let killed = false;
      /** Runs `step` until the kill; a step that throws (the connection died) ends the writer. */
      const writer = async (step: () => Promise<unknown>) => {
        while (!killed) {
          try {
            await step();
          } catch {
            if (!killed) await new Promise((r) => setTimeout(r, 10));
          }
        }
      };
      const ok = (status: number) => {
        if (status >= 500 && !killed) failures.push(status);
        return status >= 200 && status < 300;
      };
      const writers = [
        writer(async () => {
          const name = `user${n++}`;
          if (ok((await call(global(), 'bonafide/user/create', [name, PASS])).status)) acked.users.push(name);
        }),
        writer(async () => {
          const r = await call(global(), 'token/create', ['auditor', 3600]);
          if (ok(r.status)) acked.tokens.push(r.body.result.key);
        }),
        writer(async () => {
          const pair = await call({ url: d.url }, 'device/pair', undefined, { headers: session });
          if (!ok(pair.status)) return;
          const r = await call({ url: d.url }, '/auth/new_device/authorize', { token: pair.body.result.token, device: `device ${n++}` });
          if (ok(r.status)) acked.devices.push(r.body.token);
        }),
        writer(async () => {
          const name = `cipher ${n++}`;
          const r = await vault.api('POST', '/api/ciphers', vault.loginCipher(name, `secret ${name}`));
          if (ok(r.status)) acked.ciphers.push({ id: r.body.id, name });
        }),
        writer(async () => {
          if (nextPgp >= pgp.addresses.length) return new Promise((r) => setTimeout(r, 50));
          const address = pgp.addresses[nextPgp++]!;
          const r = await call({ url: d.url }, 'keys/insert', { address, key: pgp.armored }, { headers: session });
          if (ok(r.status)) acked.pgpKeys.push(address);
        }),
        writer(async () => {
          if (nextSsh >= sshPool.length) return new Promise((r) => setTimeout(r, 50));
          const key = sshPool[nextSsh++]!;
          const r = await call(global(), 'ssh/key/add', { public_key: key, username: 'alice' });
          if (ok(r.status)) acked.sshKeys.push(sshFingerprint(key));
        }),
        writer(async () => {
          const r = await call(global(), 'system/pull');
          if (ok(r.status)) acked.jobs.push(r.body.result.job.id);
          else await new Promise((res) => setTimeout(res, 20)); // 409: one runs
        }),
        writer(async () => {
          const zone = zones[n++ % zones.length]!;
          acked.timezone.sent.push(zone);
          if (ok((await call(global(), 'system/timezone/set', { timezone: zone })).status)) acked.timezone = { acked: zone, sent: [] };
        }),
      ];
      const count = () => Object.values(acked).reduce((sum: number, v) => sum + (Array.isArray(v) ? v.length : 0), 0);
      const before = count();
      const lists = () => [acked.users, acked.tokens, acked.devices, acked.ciphers, acked.pgpKeys, acked.sshKeys, acked.jobs];
      const at = lists().map((l) => l.length);
      const grown = () => lists().every((l, i) => l.length > at[i]! || (l === acked.sshKeys && nextSsh >= sshPool.length)) && acked.timezone.acked !== null;
      await new Promise((r) => setTimeout(r, WRITE_MS));
      await waitFor('a write of each kind acknowledged', grown, 20_000);
      d.proc.kill('SIGKILL');
      await d.exited;
      killed = true;
      await Promise.all(writers);
      writes += count() - before;

      checkHome(s.home, false);
      checkHostFiles(f, false);
      if (store.kind === 'sqlite') integrityCheck(join(s.home, 'hearth.db'));

      if (round === 1) {
        // As a writer that died mid-write leaves them, for sure (the kill above may have missed every write):
        // temporary files, and the state file's lock with its owner named.
        const dead = deadPid();
        writeFileSync(join(s.home, `authtoken.${dead}.tmp`), 'half');
        writeFileSync(join(f.stateFile, '..', `.hearth.json.${dead}.0123456789ab.tmp`), '{"half":');
        mkdirSync(`${f.stateFile}.lock`, { recursive: true });
        writeFileSync(`${f.stateFile}.lock.owner`, `${hostname()} ${dead}\n`);
      }
      const t0 = Date.now();
      d = await ready(s.home, env);
      Object.assign(endpoint, { url: d.url, token: d.token });
      console.log(
        `# restarted in ${Date.now() - t0} ms; acknowledged so far: ${JSON.stringify(Object.fromEntries(Object.entries(acked).map(([k, v]) => [k, Array.isArray(v) ? v.length : v])))}`,
      );
      checkHome(s.home, true);
      checkHostFiles(f, true);

      // Every acknowledged write, read back.
      const users = (await call(global(), 'bonafide/user/list')).body.result.map((u: { username: string }) => u.username);
      for (const u of acked.users) assert.ok(users.includes(u), `acknowledged account ${u} is there`);
      for (const key of acked.tokens)
        assert.equal((await call({ url: d.url }, 'core/whoami', undefined, { headers: bearer(key) })).status, 200, 'an acknowledged token works');
      for (const key of acked.devices)
        assert.equal((await call({ url: d.url }, 'core/whoami', undefined, { headers: bearer(key) })).status, 200, 'an acknowledged device works');
      session = await login();
      const pgpListed = (await call({ url: d.url }, 'keys/list', undefined, { headers: session })).body.result.map((k: { address: string }) => k.address);
      for (const a of acked.pgpKeys) assert.ok(pgpListed.includes(a), `acknowledged OpenPGP key ${a} is there`);
      const sshListed = (await call(global(), 'ssh/key/list', { username: 'alice' })).body.result.keys.map((k: { fingerprint: string }) => k.fingerprint);
      for (const fp of acked.sshKeys) assert.ok(sshListed.includes(fp), `acknowledged SSH key ${fp} is there`);
      const published = existsSync(join(f.keysDir, 'alice')) ? readFileSync(join(f.keysDir, 'alice'), 'utf8') : '';
      assert.equal(published.split('\n').filter((l) => l.startsWith('ssh-')).length, sshListed.length, 'authorized_keys holds every stored key');
      for (const id of acked.jobs) assert.equal((await call(global(), 'job/show', { id })).status, 200, `acknowledged job ${id} is there`);
      // The killed daemon's job stays running until its heartbeat is stale (it might be another
      // live replica's), then the next job of its kind fails it and runs.
      await waitFor(
        'the cut-short job to be failed',
        async () => {
          await call(global(), 'system/pull');
          const jobs = await Promise.all(acked.jobs.map(async (id) => (await call(global(), 'job/show', { id })).body.result.status));
          return !jobs.includes('running') && !jobs.includes('queued');
        },
        20_000,
      );
      const zone = (await call(global(), 'system/timezone/get')).body.result.timezone;
      assert.ok(!existsSync(`${f.stateFile}.lock`), "the dead writer's lock was taken over (and released)");
      if (acked.timezone.acked)
        assert.ok(
          [acked.timezone.acked, ...acked.timezone.sent].includes(zone),
          `the last timezone set (${zone}) is the one acknowledged or the one sent after it`,
        );
      assert.equal((await vault.login()).status, 200);
      const sync = await vault.api('GET', '/api/sync?excludeDomains=true');
      assert.equal(sync.status, 200);
      const names = new Map<string, string>(sync.body.ciphers.map((c: { id: string; name: string }) => [c.id, vault.dec(c.name)]));
      for (const c of acked.ciphers) assert.equal(names.get(c.id), c.name, `acknowledged cipher ${c.name} is there`);
    }
    assert.deepEqual(failures, [], 'no write was answered with a 5xx');
    for (const [kind, list] of Object.entries(acked)) {
      if (Array.isArray(list)) assert.ok(list.length > (kind === 'users' ? 1 : 0), `some ${kind} writes were acknowledged`);
    }
    console.log(`# ${store.kind}: ${writes} acknowledged writes over ${rounds} kill -9 round(s), none lost`);
    assert.equal(await d.stop(), 0);
    if (store.kind === 'sqlite') integrityCheck(join(s.home, 'hearth.db'));
  });
});
