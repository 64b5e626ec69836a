/**
 * Services, the server's settings, DKIM and disk space over real HTTP (SelfPrivacy's REST paths
 * and the native commands), on SQLite and PostgreSQL, with real executables standing in for
 * systemctl: what they received is checked, every state file written is checked against its
 * schema, and every route needs a maintainer.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { call, waitFor, type InProcessDaemon } from '../support/helpers.js';
import { fakeHost, readState, rest, type FakeHost } from '../support/fake-host.js';
import { forEachStore } from '../support/stores.js';

type Headers = Record<string, string>;
const PASS = 'correct horse battery';

forEachStore('services and system settings', (store) => {
  let d: InProcessDaemon;
  let f: FakeHost;
  let global: Headers;
  let bob: Headers;

  store.before(async () => {
    f = fakeHost();
    d = await store.startInProcess({
      toml: f.toml(
        `services = [{ id = "jitsi", name = "Jitsi", units = ["jitsi-meet.service", "jicofo.service"] }]\nvolumes = ["/", "${f.dir}/missing"]\ndisk_warning = 0`,
      ),
    });
    global = { 'x-hearth-auth': d.token };
    await call({ url: d.url }, 'bonafide/user/create', { username: 'alice', pass: PASS }, { headers: global });
    await call({ url: d.url }, 'bonafide/user/create', { username: 'bob', pass: PASS, role: 'auditor' }, { headers: global });
    const r = await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'bob', pass: PASS });
    bob = { authorization: r.body.result.authorization };
  });

  store.it('lists the built-in services and the declared ones; enable/disable writes only the flag to the state file', async () => {
    const list = await call({ url: d.url }, 'service/list', {}, { headers: global });
    assert.deepEqual(
      list.body.result.map((s: any) => s.id),
      ['mailserver', 'bitwarden', 'gitea', 'nextcloud', 'ocserv', 'pleroma', 'jitsi'],
    );
    assert.ok(list.body.result.every((s: any) => s.enabled === false));
    const on = await rest(d, global, 'POST', '/services/gitea/enable');
    assert.deepEqual(on.body, { status: 0, message: 'Gitea enabled' });
    assert.equal((await call({ url: d.url }, 'service/enable', { id: 'jitsi' }, { headers: global })).status, 200);
    assert.deepEqual(readState(f).services, { gitea: { enable: true }, jitsi: { enable: true } });
    assert.deepEqual((await rest(d, global, 'POST', '/services/gitea/disable')).body, { status: 0, message: 'Gitea disabled' });
    assert.deepEqual(readState(f).services.gitea, { enable: false });
    assert.equal((await rest(d, global, 'POST', '/services/nope/enable')).status, 404);
    // Enabling is not applying: no host command ran.
    assert.deepEqual(f.calls('nixos-rebuild'), []);
  });

  store.it('/services/status asks the status command for each unit: 0 running, 3 not, 4 unknown', async () => {
    f.states['dovecot2.service'] = 'active';
    f.states['postfix.service'] = 'failed';
    f.states['nginx.service'] = 'active';
    f.states['gitea.service'] = 'active';
    f.states['jitsi-meet.service'] = 'active';
    f.states['jicofo.service'] = 'something odd';
    const r = await rest(d, global, 'GET', '/services/status');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { imap: 0, smtp: 3, http: 0, bitwarden: 3, gitea: 0, nextcloud: 3, ocserv: 3, pleroma: 3, jitsi: 4 });
    const native = await call({ url: d.url }, 'service/status', {}, { headers: global });
    const jitsi = native.body.result.services.find((s: any) => s.id === 'jitsi');
    assert.equal(jitsi.state, 'unknown');
    assert.deepEqual(jitsi.units, [
      { unit: 'jitsi-meet.service', state: 'active' },
      { unit: 'jicofo.service', state: 'unknown' },
    ]);
    assert.equal(native.body.result.services.find((s: any) => s.id === 'mailserver').state, 'failed');
    // systemctl got `is-active <unit>` as separate arguments.
    assert.ok(f.calls('systemctl').some((argv) => argv.length === 2 && argv[0] === 'is-active' && argv[1] === 'jitsi-meet.service'));
  });

  store.it('time zone: GET, PUT an IANA name, 400 otherwise', async () => {
    assert.equal((await rest(d, global, 'GET', '/system/configuration/timezone')).body, 'Etc/UTC');
    const put = await rest(d, global, 'PUT', '/system/configuration/timezone', { timezone: 'Europe/Berlin' });
    assert.equal(put.status, 200);
    assert.equal(put.body, 'Timezone changed');
    assert.equal((await rest(d, global, 'GET', '/system/configuration/timezone')).body, 'Europe/Berlin');
    assert.equal(readState(f).timezone, 'Europe/Berlin');
    for (const bad of ['Mars/Olympus', '../../etc/passwd', 'Europe/Berlin; reboot', '', 'x'.repeat(100)]) {
      const r = await rest(d, global, 'PUT', '/system/configuration/timezone', { timezone: bad });
      assert.equal(r.status, 400, bad);
    }
    assert.equal((await rest(d, global, 'PUT', '/system/configuration/timezone', {})).status, 400);
    assert.equal((await call({ url: d.url }, 'system/timezone/set', { timezone: 'UTC' }, { headers: global })).body.result.timezone, 'UTC');
    assert.equal(readState(f).timezone, 'UTC');
  });

  store.it('automatic upgrades: GET, PUT with only the keys given', async () => {
    assert.deepEqual((await rest(d, global, 'GET', '/system/configuration/autoUpgrade')).body, { enable: true, allowReboot: false });
    assert.equal((await rest(d, global, 'PUT', '/system/configuration/autoUpgrade', { allowReboot: true })).status, 200);
    assert.deepEqual((await rest(d, global, 'GET', '/system/configuration/autoUpgrade')).body, { enable: true, allowReboot: true });
    assert.equal((await rest(d, global, 'PUT', '/system/configuration/autoUpgrade', { enable: false })).status, 200);
    assert.deepEqual(readState(f).autoUpgrade, { enable: false, allowReboot: true });
  });

  store.it("versions: the kernel as uname -a says it, and Node's in the pythonVersion slot", async () => {
    const v = await rest(d, global, 'GET', '/system/version');
    assert.match(v.body.system_version, /^Linux \S+ \S+ /);
    assert.ok(v.body.system_version.includes((await import('node:os')).release()));
    assert.equal((await rest(d, global, 'GET', '/system/pythonVersion')).body, `Node.js ${process.versions.node}`);
  });

  store.it('DKIM: 404 before there is a key; generate makes one once; GET answers the record base64', async () => {
    assert.equal((await rest(d, global, 'GET', '/services/mailserver/dkim')).status, 404);
    const made = await call({ url: d.url }, 'mail/dkim/generate', {}, { headers: global });
    assert.equal(made.status, 200);
    assert.equal(made.body.result.created, true);
    assert.equal(statSync(join(f.dkimDir, 'localhost.selector.key')).mode & 0o777, 0o600);
    const got = await rest(d, global, 'GET', '/services/mailserver/dkim');
    assert.equal(got.status, 200);
    assert.equal(Buffer.from(got.body, 'base64').toString(), readFileSync(join(f.dkimDir, 'localhost.selector.txt'), 'utf8'));
    assert.match(Buffer.from(got.body, 'base64').toString(), /v=DKIM1; k=rsa; p=/);
    assert.equal((await call({ url: d.url }, 'mail/dkim/generate', {}, { headers: global })).body.result.created, false);
  });

  store.it('core/status reports free and used space of each configured volume', async () => {
    const s = await call({ url: d.url }, 'core/status', {}, { headers: global });
    const [root, missing] = s.body.result.disk.volumes;
    assert.equal(root.path, '/');
    assert.ok(root.total > 0 && root.free > 0 && root.used > 0);
    assert.equal(root.state, 'ok');
    assert.equal(missing.state, 'unknown');
    assert.match(missing.error, /^no such directory \(ENOENT\)$/);
    assert.equal(s.body.result.disk.state, 'unknown');
  });

  store.it('apply, upgrade, rollback, pull and reboot run their configured argv as jobs; GET and POST both start them', async () => {
    const cases: [string, string, string, string[]][] = [
      ['POST', '/system/configuration/apply', 'nixos-rebuild', ['switch']],
      ['GET', '/system/configuration/upgrade', 'nixos-rebuild', ['switch', '--upgrade']],
      ['GET', '/system/configuration/rollback', 'nixos-rebuild', ['switch', '--rollback']],
      ['POST', '/system/configuration/pull', 'git', ['-C', '/etc/nixos', 'pull']],
      ['GET', '/system/reboot', 'reboot', []],
    ];
    for (const [method, path, script, argv] of cases) {
      const before = f.calls(script).length;
      const r = await rest(d, global, method, path);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.status, 0);
      const job = await finished(r.body.job);
      assert.equal(job.status, 'succeeded', JSON.stringify(job));
      assert.ok(job.log.includes(`${script} done`), JSON.stringify(job.log));
      assert.deepEqual(f.calls(script).slice(before), [argv]);
    }
  });

  store.it('service/enable with apply starts the apply job', async () => {
    const before = f.calls('nixos-rebuild').length;
    const r = await call({ url: d.url }, 'service/enable', { id: 'nextcloud', apply: true }, { headers: global });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await finished(r.body.result.job)).status, 'succeeded');
    assert.deepEqual(f.calls('nixos-rebuild').slice(before), [['switch']]);
    assert.deepEqual(readState(f).services.nextcloud, { enable: true });
  });

  async function finished(id: string): Promise<any> {
    for (let i = 0; i < 400; i++) {
      const r = await call({ url: d.url }, 'job/show', { id }, { headers: global });
      if (r.body.result.status === 'succeeded' || r.body.result.status === 'failed') return r.body.result;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`job ${id} did not finish`);
  }

  store.it('every route needs a maintainer', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/services/status'],
      ['POST', '/services/gitea/enable'],
      ['POST', '/services/gitea/disable'],
      ['GET', '/system/configuration/timezone'],
      ['PUT', '/system/configuration/timezone', { timezone: 'UTC' }],
      ['GET', '/system/configuration/autoUpgrade'],
      ['PUT', '/system/configuration/autoUpgrade', { enable: true }],
      ['GET', '/system/version'],
      ['GET', '/system/pythonVersion'],
      ['GET', '/services/mailserver/dkim'],
      ['GET', '/system/configuration/apply'],
      ['POST', '/system/configuration/apply'],
      ['GET', '/system/reboot'],
      ['GET', '/services/ssh'],
      ['PUT', '/services/ssh', { enable: true }],
      ['POST', '/services/ssh/enable'],
    ];
    for (const [method, path, body] of routes) {
      assert.equal((await rest(d, bob, method, path, body)).status, 403, `${method} ${path} as an auditor`);
      assert.equal((await rest(d, {}, method, path, body)).status, 401, `${method} ${path} without a credential`);
    }
    for (const path of [
      'service/list',
      'service/status',
      'service/enable',
      'system/timezone/get',
      'system/auto-upgrade/set',
      'system/version',
      'mail/dkim/show',
      'mail/dkim/generate',
      'ssh/show',
    ]) {
      assert.equal((await call({ url: d.url }, path, path === 'service/enable' ? { id: 'gitea' } : {}, { headers: bob })).status, 403, path);
    }
  });
});

forEachStore('host actions that fail or take long', (store) => {
  store.it('a failing command fails its job with why; a second rebuild while one runs is a 409', async () => {
    const f = fakeHost();
    const slow = f.script('slow-rebuild', { sleepMs: 1500 });
    const failing = f.script('failing-rebuild', { code: 3, out: 'error: something broke\n' });
    const d = await store.startInProcess({
      toml: f
        .toml(`apply = [${JSON.stringify(slow)}, "switch"]\nupgrade = [${JSON.stringify(failing)}, "switch", "--upgrade"]`)
        .replace(/^apply = .*\n/m, '')
        .replace(/^upgrade = .*\n/m, ''),
    });
    const global = { 'x-hearth-auth': d.token };
    const started = await rest(d, global, 'POST', '/system/configuration/apply');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const again = await rest(d, global, 'POST', '/system/configuration/upgrade');
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal((await call({ url: d.url }, 'system/apply', {}, { headers: global })).status, 409);
    const show = async (id: string) => (await call({ url: d.url }, 'job/show', { id }, { headers: global })).body.result;
    // Generous deadlines: each job starts a Node.js script, slow on a loaded machine.
    await waitFor('the apply job to end', async () => ['succeeded', 'failed'].includes((await show(started.body.job)).status), 30_000);
    assert.equal((await show(started.body.job)).status, 'succeeded');
    const up = await call({ url: d.url }, 'system/upgrade', {}, { headers: global });
    assert.equal(up.status, 200);
    let job: any;
    await waitFor('the upgrade job to end', async () => ['succeeded', 'failed'].includes((job = await show(up.body.result.job.id)).status), 30_000);
    assert.equal(job.status, 'failed');
    assert.match(job.error, /exited with 3/);
    assert.ok(job.log.includes('error: something broke'));
  });
});
