/**
 * src/host/ with real executables (scripts in a temporary directory) and real files: what a
 * command receives is an argv, never a shell line; the state file is written whole, atomically,
 * under its lock, and only when it matches its schema; authorized_keys files are 0600.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { AuthorizedKeysDir, HEADER } from '../../src/host/authorized-keys.js';
import { disks } from '../../src/host/disk.js';
import { DkimDir } from '../../src/host/dkim.js';
import { runCommand, substitute } from '../../src/host/runner.js';
import { StateFile, stateProblem } from '../../src/host/state-file.js';
import { STATE_SCHEMA, type HostState } from '../../src/host/state-schema.js';
import { StatusCommand } from '../../src/host/systemd.js';
import { ConfigError, loadConfig } from '../../src/kernel/config.js';
import { PACKAGE_ROOT } from '../../src/kernel/paths.js';
import { tempHome } from '../support/helpers.js';
import { fakeHost } from '../support/fake-host.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGfT0x0fWvYqJ9lKmQ2cL8mC4A3ZlT0n2yq8ZV9r7aXx alice@laptop';

function state(over: Partial<HostState> = {}): HostState {
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    domain: 'home.example',
    timezone: 'Europe/Uzhgorod',
    autoUpgrade: { enable: true, allowReboot: false },
    ssh: { enable: true, passwordAuthentication: false, rootKeys: [] },
    users: [{ username: 'alice', isOwner: true, sshKeys: [KEY] }],
    services: { gitea: { enable: true } },
    ...over,
  };
}

const HOSTILE = [
  'a; touch /tmp/pwned',
  '$(id)',
  '`id`',
  'a|b',
  'a&&b',
  '../etc/passwd',
  'a\0b',
  'a\nb',
  '-rf',
  '--help',
  'x'.repeat(300),
  'a b',
  "a'b",
  'a"b',
  '',
];

describe('host command runner', () => {
  it('passes {placeholder} values as whole arguments, exactly as given, with no shell', async () => {
    const f = fakeHost();
    const argv = [f.script('tool'), 'is-active', '{unit}', 'pre{unit}post', '$HOME', '*'];
    const r = await runCommand(argv, { values: { unit: 'nginx.service' }, timeoutMs: 10000 });
    assert.equal(r.code, 0, r.stderr);
    // `$HOME` and `*` arrive as written: no shell expanded them; the brace inside an argument is literal.
    assert.deepEqual(f.calls('tool'), [['is-active', 'nginx.service', 'pre{unit}post', '$HOME', '*']]);
  });

  it('refuses values with shell metacharacters, .., NUL, newlines, leading dashes or too long, before anything runs', async () => {
    const f = fakeHost();
    const argv = [f.script('tool'), '{unit}'];
    for (const v of HOSTILE) {
      await assert.rejects(runCommand(argv, { values: { unit: v }, timeoutMs: 5000 }), (e: Error & { status?: number }) => e.status === 400, JSON.stringify(v));
    }
    assert.deepEqual(f.calls('tool'), []);
  });

  it('refuses a placeholder the action does not fill', () => {
    assert.throws(() => substitute(['x', '{unit}'], {}), /does not fill/);
  });

  it('stops a command at its timeout', async () => {
    const f = fakeHost();
    const started = Date.now();
    const r = await runCommand([f.script('slow', { sleepMs: 30000 })], { timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    assert.equal(r.code, null);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('keeps only the last bytes of a large output', async () => {
    const f = fakeHost();
    const r = await runCommand([f.script('loud', { bytes: 1_000_000 })], { timeoutMs: 10000, maxOutput: 1000 });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, 1000);
    assert.equal(r.truncated, true);
  });

  it('reports a missing executable and a failing one', async () => {
    const f = fakeHost();
    const missing = await runCommand([join(f.dir, 'nope')], { timeoutMs: 5000 });
    assert.match(missing.error ?? '', /no such executable/);
    const failing = await runCommand([f.script('bad', { code: 3, out: 'broken\n' })], { timeoutMs: 5000 });
    assert.equal(failing.code, 3);
    assert.equal(failing.stdout, 'broken\n');
  });
});

describe('[host] config', () => {
  it('refuses declared services whose unit or id could be more than a name', () => {
    for (const bad of ['units = ["a; reboot"]', 'units = ["../x"]', 'units = ["-x"]', 'units = ["a b"]']) {
      const home = tempHome(`[host]\nservices = [{ id = "x", name = "X", ${bad} }]\n`);
      assert.throws(() => loadConfig({ HEARTH_HOME: home }), ConfigError, bad);
    }
    assert.throws(() => loadConfig({ HEARTH_HOME: tempHome('[host]\nservices = [{ id = "../x", name = "X", units = [] }]\n') }), ConfigError);
    assert.throws(() => loadConfig({ HEARTH_HOME: tempHome('[host]\napply = []\n') }), ConfigError);
  });
});

describe('service status command', () => {
  it("answers the unit's state, and unknown when the command cannot tell", async () => {
    const f = fakeHost();
    const sys = new StatusCommand([f.statusScript(), 'is-active', '{unit}']);
    f.states['gitea.service'] = 'active';
    f.states['odd.service'] = 'no idea';
    assert.equal(await sys.status('gitea.service'), 'active');
    assert.equal(await sys.status('nginx.service'), 'inactive');
    assert.equal(await sys.status('odd.service'), 'unknown');
    assert.deepEqual(f.calls('systemctl')[0], ['is-active', 'gitea.service']);
    assert.equal(await new StatusCommand([join(f.dir, 'missing'), '{unit}']).status('x.service'), 'unknown');
    await assert.rejects(sys.status('x; reboot'), /not allowed/);
  });
});

describe('state file', () => {
  it('the committed docs/state-file.schema.json is the schema every write is checked against', () => {
    const committed = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'state-file.schema.json'), 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(STATE_SCHEMA)));
  });

  it('writes the whole state atomically with mode 0600, matching the schema, and leaves no temporary file', async () => {
    const f = fakeHost();
    const file = new StateFile(f.stateFile);
    await file.write(state());
    const written = JSON.parse(readFileSync(f.stateFile, 'utf8'));
    assert.equal(new Ajv().validate(STATE_SCHEMA, written), true);
    assert.deepEqual(written.users[0].sshKeys, [KEY]);
    assert.equal(statSync(f.stateFile).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(f.dir, 'state')), ['hearth.json']);
  });

  it('never writes a state that does not match the schema; the old file stays', async () => {
    const f = fakeHost();
    const file = new StateFile(f.stateFile);
    await file.write(state());
    const before = readFileSync(f.stateFile, 'utf8');
    const bad: unknown[] = [
      state({ users: [{ username: 'a;b', isOwner: false, sshKeys: [] }] }),
      state({ users: [{ username: 'bob', isOwner: false, sshKeys: [`${KEY}\ncommand="sh" ${KEY}`] }] }),
      state({ timezone: '../../etc/passwd' }),
      state({ services: { 'a b': { enable: true } } }),
      { ...state(), extra: 1 },
    ];
    for (const s of bad) {
      assert.ok(stateProblem(s));
      await assert.rejects(file.write(s as HostState), /schema/);
    }
    assert.equal(readFileSync(f.stateFile, 'utf8'), before);
  });

  it('writes made at once take turns: the file is always one whole state', async () => {
    const f = fakeHost();
    const a = new StateFile(f.stateFile);
    const b = new StateFile(f.stateFile); // another writer, as another process would be: the lock file keeps them apart
    const writes = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).write(state({ timezone: `Etc/GMT+${i % 12}` })));
    await Promise.all(writes);
    const final = JSON.parse(readFileSync(f.stateFile, 'utf8'));
    assert.equal(stateProblem(final), null);
    assert.deepEqual(readdirSync(join(f.dir, 'state')), ['hearth.json']);
  });
});

describe('authorized_keys files', () => {
  it('one 0600 file per user; removed when the user has no key; foreign files are left alone', async () => {
    const f = fakeHost();
    const dir = new AuthorizedKeysDir(f.keysDir);
    await dir.sync(
      new Map([
        ['alice', [KEY]],
        ['bob', [KEY]],
      ]),
    );
    assert.equal(readFileSync(join(f.keysDir, 'alice'), 'utf8'), `${HEADER}\n${KEY}\n`);
    assert.equal(statSync(join(f.keysDir, 'alice')).mode & 0o777, 0o600);
    writeFileSync(join(f.keysDir, 'carol'), 'ssh-ed25519 AAAA hand-written\n');
    await dir.sync(new Map([['alice', [KEY]]]));
    assert.equal(existsSync(join(f.keysDir, 'bob')), false);
    assert.equal(existsSync(join(f.keysDir, 'carol')), true);
    await dir.write('alice', []);
    assert.equal(existsSync(join(f.keysDir, 'alice')), false);
  });

  it('refuses a username that is not a file name, and a line with a line break', async () => {
    const f = fakeHost();
    const dir = new AuthorizedKeysDir(f.keysDir);
    for (const name of ['../evil', '..', 'a/b', 'a\0b', 'a\nb', '', '/etc/passwd']) {
      await assert.rejects(dir.write(name, [KEY]), /cannot be a file name/, JSON.stringify(name));
    }
    await assert.rejects(dir.write('alice', [`${KEY}\nfrom="*" ${KEY}`]), /line break/);
    assert.equal(existsSync(join(f.dir, 'evil')), false);
  });
});

describe('disk and DKIM', () => {
  it('reports free and used space, warning under the threshold', async () => {
    const f = fakeHost();
    const [root, missing] = await disks.usage(['/', join(f.dir, 'missing')], 101);
    assert.ok(root!.total > 0 && root!.free > 0 && root!.used > 0);
    assert.equal(root!.state, 'warning'); // less than 101 % free, always
    assert.equal(missing!.state, 'unknown');
    const [ok] = await disks.usage(['/'], 0);
    assert.equal(ok!.state, 'ok');
  });

  it('generates a DKIM key pair once, the private key 0600', async () => {
    const f = fakeHost();
    mkdirSync(f.dkimDir);
    const dkim = new DkimDir(f.dkimDir);
    assert.equal(await dkim.record('home.example'), null);
    const made = await dkim.generate('home.example');
    assert.equal(made.created, true);
    assert.match(made.record, /v=DKIM1; k=rsa; p=/);
    assert.equal(statSync(join(f.dkimDir, 'home.example.selector.key')).mode & 0o777, 0o600);
    assert.equal((await dkim.generate('home.example')).created, false);
    assert.equal(await dkim.record('home.example'), made.record);
    await assert.rejects(dkim.record('../etc'), /cannot be a file name/);
  });
});
