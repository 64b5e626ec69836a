/**
 * `hearth ssh …`, `hearth service …`, `hearth system …` and `hearth mail dkim …` through the real
 * CLI and a real hearthd process: what a person types reaches the host as the state file, an
 * authorized_keys file and a job that ran the configured argv; bad input exits non-zero saying why.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startDaemon, type RunningDaemon } from '../support/helpers.js';
import { fakeHost, type FakeHost } from '../support/fake-host.js';
import { sshKeygen } from '../support/ssh-keys.js';

describe('hearth CLI for the server', () => {
  let d: RunningDaemon;
  let f: FakeHost;
  let env: Record<string, string>;

  before(async () => {
    f = fakeHost();
    d = await startDaemon({ toml: f.toml() });
    env = { HEARTH_HOME: d.home };
    const r = await runCli(['bonafide', 'user', 'create', 'alice'], env, 'correct horse battery\ncorrect horse battery\n');
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => d?.stop());

  it('ssh key add and list; a DSA key exits non-zero saying why', async () => {
    const key = sshKeygen('ed25519');
    const add = await runCli(['--json', 'ssh', 'key', 'add', key, '--username', 'alice'], env);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(JSON.parse(add.stdout).username, 'alice');
    const list = await runCli(['--json', 'ssh', 'key', 'list', 'alice'], env);
    assert.deepEqual(
      JSON.parse(list.stdout).keys.map((k: any) => k.public_key),
      [key],
    );
    assert.equal(readFileSync(join(f.keysDir, 'alice'), 'utf8').split('\n')[1], key);
    const dsa = await runCli(['ssh', 'key', 'add', 'ssh-dss AAAAB3NzaC1kc3MAAACBAP', '--username', 'alice'], env);
    assert.notEqual(dsa.code, 0);
    assert.match(dsa.stderr, /DSA keys \(ssh-dss\) are not accepted/);
  });

  it('service enable with apply, then the job ran the apply argv', async () => {
    const r = await runCli(['--json', 'service', 'enable', 'gitea', '--apply', 'true'], env);
    assert.equal(r.code, 0, r.stderr);
    const { job } = JSON.parse(r.stdout);
    const watch = await runCli(['job', 'watch', job], env);
    assert.equal(watch.code, 0, watch.stderr);
    assert.deepEqual(f.calls('nixos-rebuild').at(-1), ['switch']);
    assert.deepEqual(JSON.parse(readFileSync(f.stateFile, 'utf8')).services, { gitea: { enable: true } });
  });

  it('system timezone set refuses a name that is not a time zone; DKIM generate, then show', async () => {
    const bad = await runCli(['system', 'timezone', 'set', 'Mars/Olympus'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not an IANA time zone name/);
    assert.equal((await runCli(['system', 'timezone', 'set', 'Asia/Tokyo'], env)).code, 0);
    assert.equal(JSON.parse(readFileSync(f.stateFile, 'utf8')).timezone, 'Asia/Tokyo');
    assert.equal((await runCli(['mail', 'dkim', 'generate'], env)).code, 0);
    const show = await runCli(['--json', 'mail', 'dkim', 'show'], env);
    assert.match(JSON.parse(show.stdout).record, /v=DKIM1/);
  });
});
