/**
 * Hostile input into every field that reaches a host command, a path or the state file: shell
 * metacharacters, `..`, NUL bytes, newlines and over-long strings are refused (4xx, never 5xx)
 * or inert (stored as plain data). Afterwards the state file still matches its schema, no file
 * appeared outside the configured directories, and the host's commands received nothing of it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateProblem } from '../../src/host/state-file.js';
import { call, tempHome, type CallResult, type InProcessDaemon } from '../support/helpers.js';
import { fakeHost, rest, type FakeHost } from '../support/fake-host.js';
import { sshKeygen } from '../support/ssh-keys.js';
import { forEachStore } from '../support/stores.js';

type Headers = Record<string, string>;
const PASS = 'correct horse battery';

const HOSTILE = [
  '; touch /tmp/hearth-pwned',
  '$(touch /tmp/hearth-pwned)',
  '`touch /tmp/hearth-pwned`',
  '| reboot',
  '&& reboot',
  '../../../../etc/passwd',
  '..',
  'a/../../b',
  'nul\u0000byte',
  'new\nline',
  'carriage\rreturn',
  '--help',
  '-rf',
  '*',
  '~root',
  '%2e%2e%2f',
  'x'.repeat(5000),
];

const refused = (r: CallResult, what: string) => assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);

forEachStore('hostile input to the host', (store) => {
  let d: InProcessDaemon;
  let f: FakeHost;
  let global: Headers;

  store.before(async () => {
    f = fakeHost();
    d = await store.startInProcess({ toml: f.toml() });
    global = { 'x-hearth-auth': d.token };
    await call({ url: d.url }, 'bonafide/user/create', { username: 'alice', pass: PASS }, { headers: global });
  });

  store.it('usernames, key lines, service ids and time zones that could reach a command, a path or the state file are refused', async () => {
    const key = sshKeygen('ed25519');
    for (const bad of HOSTILE) {
      const enc = encodeURIComponent(bad).replace(/\./g, '%2E'); // sent as typed, not resolved by the client
      refused(await rest(d, global, 'POST', '/users', { username: bad, password: PASS }), `create user ${JSON.stringify(bad)}`);
      if (bad !== '..') refused(await rest(d, global, 'POST', `/services/ssh/keys/${enc}`, { public_key: key }), `key for ${JSON.stringify(bad)}`);
      refused(await call({ url: d.url }, 'ssh/key/add', { public_key: key, username: bad }, { headers: global }), `ssh/key/add for ${JSON.stringify(bad)}`);
      // A path segment of `..` alone is resolved by URL parsing before it is sent (to /services/ssh): it never reaches a route as a name.
      if (bad !== '..') refused(await rest(d, global, 'GET', `/services/ssh/keys/${enc}`), `keys of ${JSON.stringify(bad)}`);
      refused(await rest(d, global, 'POST', '/services/ssh/keys/alice', { public_key: bad }), `key ${JSON.stringify(bad)}`);
      refused(
        await rest(d, global, 'POST', '/services/ssh/keys/alice', {
          public_key: `${key.split(' ').slice(0, 2).join(' ')}${bad.startsWith('x') ? '' : '\n'}${bad}`,
        }),
        `key + ${JSON.stringify(bad)}`,
      );
      refused(await rest(d, global, 'PUT', '/services/ssh/key/send', { public_key: `${bad} ${key}` }), `root key ${JSON.stringify(bad)}`);
      if (bad !== '..') refused(await rest(d, global, 'POST', `/services/${enc}/enable`), `service ${JSON.stringify(bad)}`);
      refused(await call({ url: d.url }, 'service/enable', { id: bad }, { headers: global }), `service/enable ${JSON.stringify(bad)}`);
      refused(await rest(d, global, 'PUT', '/system/configuration/timezone', { timezone: bad }), `timezone ${JSON.stringify(bad)}`);
      refused(
        await rest(d, global, 'PUT', '/system/configuration/timezone', { timezone: `Europe/Berlin${bad}` }),
        `timezone Europe/Berlin${JSON.stringify(bad)}`,
      );
    }
    // A NUL in a login name is refused by its schema, never a failure of the store.
    assert.equal((await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'ali\u0000ce', pass: PASS })).status, 400);
    // Nothing of it reached the host: no user but alice, no key, no service, no file elsewhere.
    const s = JSON.parse(readFileSync(f.stateFile, 'utf8'));
    assert.equal(stateProblem(s), null);
    assert.deepEqual(
      s.users.map((u: any) => [u.username, u.sshKeys]),
      [['alice', []]],
    );
    assert.deepEqual(s.services, {});
    assert.equal(s.timezone, 'Etc/UTC');
    assert.deepEqual(existsSync(f.keysDir) ? readdirSync(f.keysDir) : [], []);
    assert.deepEqual(readdirSync(join(f.dir, 'state')).sort(), ['hearth.json']);
    assert.deepEqual(f.calls(), []);
    assert.equal(existsSync('/tmp/hearth-pwned'), false);
  });

  store.it('a key comment with metacharacters and control characters is inert: one line, printable, in the file', async () => {
    const [type, b64] = sshKeygen('ed25519').split(' ');
    const r = await rest(d, global, 'POST', '/services/ssh/keys/alice', {
      public_key: `${type} ${b64} me$(reboot);\`id\` \u001b[31mred\u0007 ${'c'.repeat(300)}`,
    });
    assert.equal(r.status, 400, 'control characters are refused');
    const ok = await rest(d, global, 'POST', '/services/ssh/keys/alice', { public_key: `${type} ${b64} me$(reboot);\`id\` "x" ${'c'.repeat(300)}` });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const lines = readFileSync(join(f.keysDir, 'alice'), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2); // the header and the key: nothing else
    assert.ok(lines[1]!.startsWith(`${type} ${b64} me$(reboot);`));
    assert.ok(lines[1]!.length <= type!.length + b64!.length + 2 + 100);
    assert.equal(stateProblem(JSON.parse(readFileSync(f.stateFile, 'utf8'))), null);
    assert.deepEqual(f.calls(), []);
  });

  store.it('an over-long body is refused, never a 5xx', async () => {
    refused(await rest(d, global, 'POST', '/services/ssh/keys/alice', { public_key: `ssh-ed25519 ${'A'.repeat(20000)}` }), 'long key');
    const huge = await rest(d, global, 'POST', '/services/ssh/keys/alice', { public_key: 'A'.repeat(2_000_000) });
    assert.equal(huge.status, 413);
  });
});

forEachStore('the state file cannot be written', (store) => {
  store.it('a change is refused with 503 before anything is stored, and nothing is written', async () => {
    const f = fakeHost();
    const missing = join(tempHome(), 'no', 'such', 'dir', 'hearth.json');
    const d = await store.startInProcess({ toml: f.toml().replace(`state_file = ${JSON.stringify(f.stateFile)}`, `state_file = ${JSON.stringify(missing)}`) });
    const global = { 'x-hearth-auth': d.token };
    await call({ url: d.url }, 'bonafide/user/create', { username: 'alice', pass: PASS }, { headers: global });
    const key = sshKeygen('ed25519');
    const r = await rest(d, global, 'POST', '/services/ssh/keys/alice', { public_key: key });
    assert.equal(r.status, 503);
    assert.match(r.body.error, /state file's directory .* does not exist/);
    assert.deepEqual((await rest(d, global, 'GET', '/services/ssh/keys/alice')).body, []);
    assert.equal((await rest(d, global, 'PUT', '/system/configuration/timezone', { timezone: 'UTC' })).status, 503);
    assert.equal((await rest(d, global, 'GET', '/system/configuration/timezone')).body, 'Etc/UTC');
    assert.equal(existsSync(missing), false);
    assert.equal(existsSync(f.keysDir), false);
  });
});
