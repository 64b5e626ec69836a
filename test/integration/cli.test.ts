/** The hearth CLI against a real daemon it starts itself. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PG_BASE, pgSkip } from '../support/pg.js';
import { runCli, tempHome } from '../support/helpers.js';

describe('hearth CLI', () => {
  const home = tempHome();
  // Port 0: the CLI finds the daemon through the home's Unix socket, not the port.
  const env = { HEARTH_HOME: home, HEARTH_SERVER_LISTEN: '127.0.0.1:0', HEARTH_SERVER_TLS_LISTEN: '127.0.0.1:0' };
  after(async () => {
    await runCli(['daemon', 'stop'], env);
  });

  it('starts the daemon when none answers, then runs the command', async () => {
    const r = await runCli(['core', 'status'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /hearthd is not running; starting it…\nhearthd started \(pid \d+, log .*hearthd\.log\)/);
    assert.match(r.stdout, /^hearthd {2}on\n {2}store {3}on\n/);
    assert.ok(existsSync(join(home, 'hearthd.pid')));
    assert.match(readFileSync(join(home, 'hearthd.log'), 'utf8'), /"msg":"store ready"/);
  });

  it('uses the running daemon the next time, and --json prints JSON for scripts', async () => {
    const r = await runCli(['--json', 'core', 'whoami'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no start-up chatter');
    assert.deepEqual(JSON.parse(r.stdout), { credential: 'global', credential_id: 'authtoken', account: null, role: 'maintainer', owner: true });
  });

  it('human output by default', async () => {
    const r = await runCli(['core', 'version'], env);
    assert.equal(r.stdout, 'version_core  0.1.0\napi_version   1\n');
  });

  it('--help everywhere lists what there is', async () => {
    const top = await runCli(['--help'], env);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /core\s+core commands/);
    assert.match(top.stdout, /daemon\s+start, stop, restart or inspect hearthd/);
    const core = await runCli(['core', '--help'], env);
    for (const c of ['version', 'stats', 'status', 'whoami', 'stop']) assert.match(core.stdout, new RegExp(`\\n  ${c}\\s`));
  });

  it('an error from the daemon: exit 1, code and message on stderr (and JSON with --json)', async () => {
    const tokenFile = join(home, 'authtoken');
    const real = readFileSync(tokenFile, 'utf8');
    writeFileSync(tokenFile, `${'0'.repeat(64)}\n`);
    try {
      const r = await runCli(['core', 'status'], env);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^hearth: user:badAuth: the X-Hearth-Auth token is not this server's API token\n$/);
      const j = await runCli(['--json', 'core', 'status'], env);
      assert.equal(j.code, 1);
      assert.deepEqual(JSON.parse(j.stderr).error.code, 'user:badAuth');
    } finally {
      writeFileSync(tokenFile, real);
    }
  });

  it('a usage error: non-zero exit and a hint', async () => {
    const r = await runCli(['core', 'nope'], env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown command 'nope'/);
  });

  it('daemon status, stop, and status again (exit 3 when not running); --no-start does not start it', async () => {
    const s = await runCli(['daemon', 'status'], env);
    assert.equal(s.code, 0);
    assert.match(s.stdout, /^pid {6}\d+\nhearthd {2}on/);
    const stop = await runCli(['daemon', 'stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr, /hearthd stopped/);
    assert.equal(existsSync(join(home, 'hearthd.pid')), false);
    const after = await runCli(['daemon', 'status'], env);
    assert.equal(after.code, 3);
    assert.equal(after.stdout, 'hearthd is not running\n');
    const none = await runCli(['--no-start', 'core', 'version'], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /hearth: daemon:unreachable: no hearthd answers on unix:/);
    const start = await runCli(['daemon', 'start'], env);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stderr, /hearthd started/);
  });

  it("a stale pid file (its pid now another program's) does not stop the CLI from starting the daemon", async () => {
    const stale = tempHome();
    writeFileSync(join(stale, 'hearthd.pid'), `${process.pid}\n`); // alive, but not hearthd
    const env2 = { HEARTH_HOME: stale };
    try {
      const r = await runCli(['core', 'version'], env2);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /hearthd started/);
    } finally {
      await runCli(['daemon', 'stop'], env2);
    }
  });

  it('a config error stops the CLI itself, naming the key', async () => {
    const bad = tempHome('[server]\nnope = 1\n');
    const r = await runCli(['core', 'version'], { HEARTH_HOME: bad });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hearth: config: .*unknown key nope in \[server\]/);
  });

  it('when the daemon it starts exits at once, shows its last log lines', async () => {
    const bad = tempHome();
    writeFileSync(join(bad, 'authtoken'), `${'a'.repeat(64)}\n`, { mode: 0o644 });
    const r = await runCli(['core', 'version'], { HEARTH_HOME: bad });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hearth: daemon:startFailed: hearthd exited with code 2 \(log: .*hearthd\.log\)\nhearthd: .*readable by others/);
  });
});

describe('hearth daemon start with a store that cannot be used', async () => {
  const skip = await pgSkip();
  const home = tempHome();
  // A PostgreSQL server that answers, with a database that does not exist: it needs the owner.
  const missing = new URL(PG_BASE);
  missing.pathname = `/hearth_missing_${process.pid}`;
  const env = { HEARTH_HOME: home, HEARTH_SERVER_LISTEN: '127.0.0.1:0', HEARTH_SERVER_TLS_LISTEN: '', HEARTH_STORE_URL: missing.toString() };
  after(async () => {
    await runCli(['daemon', 'stop'], env);
  });

  it('exits non-zero naming the component and its cause; the daemon still answers status and stop', { skip }, async () => {
    const r = await runCli(['daemon', 'start'], env);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /hearth: daemon:componentFailed: hearthd runs \(pid \d+\) but is not usable: store: .*hearth_missing_/);
    const status = await runCli(['--json', 'daemon', 'status'], env);
    assert.equal(status.code, 0);
    assert.equal(JSON.parse(status.stdout).childrenStatus.store.status, 'failed');
    const again = await runCli(['daemon', 'start'], env);
    assert.notEqual(again.code, 0, 'a second start says the same');
    const stop = await runCli(['daemon', 'stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
  });
});

describe('hearth daemon with a hearth.toml broken while hearthd runs', () => {
  const home = tempHome();
  const env = { HEARTH_HOME: home, HEARTH_SERVER_LISTEN: '127.0.0.1:0', HEARTH_SERVER_TLS_LISTEN: '' };
  const toml = join(home, 'hearth.toml');
  after(async () => {
    writeFileSync(toml, '');
    await runCli(['daemon', 'stop'], env);
  });

  it('status and stop still work and say what is wrong; config check names the key; restart refuses until it is fixed', async () => {
    assert.equal((await runCli(['daemon', 'start'], env)).code, 0);
    const pid = Number(readFileSync(join(home, 'hearthd.pid'), 'utf8'));
    writeFileSync(toml, '[server]\nlisten = 7070\n');

    const check = await runCli(['config', 'check'], env);
    assert.equal(check.code, 1);
    assert.match(check.stderr, /hearth: config: .*\[server\] listen/);

    const status = await runCli(['daemon', 'status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`pid +${pid}`));
    assert.match(status.stderr, /warning: the configuration has an error \(.*\[server\] listen/);

    const restart = await runCli(['daemon', 'restart'], env);
    assert.equal(restart.code, 1, 'a restart would not come back: it refuses, and the daemon keeps running');
    assert.match(restart.stderr, /hearth: config: /);
    assert.equal(Number(readFileSync(join(home, 'hearthd.pid'), 'utf8')), pid);

    const stop = await runCli(['daemon', 'stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr, new RegExp(`hearthd stopped \\(pid ${pid}\\)`));
    assert.ok(!existsSync(join(home, 'hearthd.pid')), 'it stopped cleanly (its pid file is gone)');

    writeFileSync(toml, '');
    assert.equal((await runCli(['config', 'check'], env)).code, 0);
    assert.equal((await runCli(['daemon', 'start'], env)).code, 0);
    const first = Number(readFileSync(join(home, 'hearthd.pid'), 'utf8'));
    const restarted = await runCli(['daemon', 'restart'], env);
    assert.equal(restarted.code, 0, restarted.stderr);
    const second = Number(readFileSync(join(home, 'hearthd.pid'), 'utf8'));
    assert.notEqual(second, first, 'a new process');
    assert.equal((await runCli(['--json', 'core', 'version'], env)).code, 0);
  });
});
