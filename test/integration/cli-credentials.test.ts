/** The hearth CLI's credential commands, against a real daemon: secrets off the command line, pairing, tables. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verify } from '@node-rs/argon2';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { bearer, call, runCli, sessionAuth, startDaemonForCli, tempHome, type RunningDaemon } from '../support/helpers.js';
import { hasPython, runOnTerminal } from '../support/pty.js';

const password = 'correct-horse-17';

describe('hearth CLI: credentials', () => {
  let d: RunningDaemon;
  let env: Record<string, string>;
  before(async () => {
    ({ d, env } = await startDaemonForCli());
  });
  after(() => d.stop());

  const cli = async (args: string[], input?: string) => {
    const r = await runCli(args, env, input);
    assert.equal(r.code, 0, `hearth ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  it('creates an account with the password on stdin: not in argv, not in the log, not printed', async () => {
    const args = ['bonafide', 'user', 'create', 'alice'];
    const r = await cli(args, `${password}\n`);
    assert.match(r.stdout, /^username +alice\n/m);
    assert.match(r.stdout, /^role +maintainer$/m);
    assert.ok(!args.join(' ').includes(password));
    assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password));
    assert.ok(!d.output().includes(password), 'the daemon log has the password');
    assert.ok(!readFileSync(`/proc/${d.proc.pid}/cmdline`, 'utf8').includes(password));
    assert.match(d.output(), /bonafide\/user\/create/, 'the call was logged (so the log was there to leak it)');
  });

  it('authenticates with the password on stdin, or as a flag; a wrong one fails', async () => {
    const r = await cli(['--json', 'bonafide', 'user', 'authenticate', 'alice'], `${password}\n`);
    const { token } = JSON.parse(r.stdout);
    const who = await call({ url: d.url }, 'core/whoami', {}, { headers: sessionAuth('alice', token) });
    assert.equal(who.body.result.account, 'alice');
    await cli(['bonafide', 'user', 'authenticate', 'alice', '--pass', password]);
    const bad = await runCli(['bonafide', 'user', 'authenticate', 'alice'], env, 'not-the-password\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^hearth: user:badLogin: /m);
  });

  it('reads each missing secret as one line of stdin, in param order; too few lines is an error', async () => {
    const newPassword = 'battery-staple-42';
    await cli(['bonafide', 'user', 'update', 'alice'], `${password}\n${newPassword}\n`);
    await cli(['bonafide', 'user', 'authenticate', 'alice'], `${newPassword}\n`);
    await cli(['bonafide', 'user', 'update', 'alice'], `${newPassword}\n${password}\n`);
    const short = await runCli(['bonafide', 'user', 'update', 'alice'], env, `${password}\n`);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /^hearth: cli:noInput: newpass was not given: stdin is not a terminal/);
  });

  it('tables: (none) when empty, a header row and aligned columns', async () => {
    assert.equal((await cli(['device', 'list'])).stdout, '(none)\n');
    assert.equal((await cli(['token', 'list'])).stdout, '(none)\n');
    const users = (await cli(['bonafide', 'user', 'list'])).stdout.split('\n');
    assert.match(users[0]!, /^USERNAME +ROLE +OWNER +FULL NAME +CREATED$/);
    assert.match(users[1]!, /^alice +maintainer +yes +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.equal(users[0]!.indexOf('ROLE'), users[1]!.indexOf('maintainer'));
  });

  it('device pair: 12 BIP39 words, a QR code, the expiry and a hint; the words authorize a device over HTTP once', async () => {
    const r = await cli(['device', 'pair']);
    const words = /^ {2}([a-z]+(?: [a-z]+)*)$/m.exec(r.stdout)![1]!.split(' ');
    assert.equal(words.length, 12);
    for (const w of words) assert.ok(wordlist.includes(w), `${w} is not a BIP39 word`);
    assert.match(r.stdout, /[▀▄█]{7}/, 'a QR code in block characters');
    assert.match(r.stdout, /valid until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(10 minutes\)/);
    assert.ok(r.stdout.includes(`hearth device authorize "${words.join(' ')}" <name>`));
    assert.match(r.stdout, /POST \/auth\/new_device\/authorize/);
    const ok = await call({ url: d.url }, '/auth/new_device/authorize', { token: words.join(' '), device: 'phone' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const again = await call({ url: d.url }, '/auth/new_device/authorize', { token: words.join(' '), device: 'phone2' });
    assert.equal(again.status, 404);
    const who = await call({ url: d.url }, 'core/whoami', {}, { headers: bearer(ok.body.token) });
    assert.equal(who.body.result.credential, 'device');

    const list = (await cli(['device', 'list'])).stdout.split('\n');
    assert.match(list[0]!, /^NAME +ROLE +CREATED +LAST USED +THIS ONE$/);
    assert.match(list[1]!, /^phone +maintainer +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d{4}/);

    await cli(['device', 'revoke', 'phone']);
    assert.equal((await cli(['device', 'list'])).stdout, '(none)\n');
    assert.equal((await call({ url: d.url }, 'core/whoami', {}, { headers: bearer(ok.body.token) })).status, 401);
  });

  it('device pair --json: only the result, no QR code', async () => {
    const r = await cli(['--json', 'device', 'pair']);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(result).sort(), ['expires_at', 'expires_in', 'link', 'token']);
    assert.equal(result.token.split(' ').length, 12);
    assert.match(result.link, /^hearth:\/\/pair\?url=/, 'the link a remote device adds this server with');
  });

  it('recovery create, then recovery status', async () => {
    const r = await cli(['--json', 'recovery', 'create', '--uses', '2']);
    assert.equal(JSON.parse(r.stdout).token.split(' ').length, 18);
    const s = await cli(['recovery', 'status']);
    assert.match(s.stdout, /^exists +true$/m);
    assert.match(s.stdout, /^valid +true$/m);
    assert.match(s.stdout, /^uses_left +2$/m);
  });

  it('token create, token list, token revoke', async () => {
    const created = JSON.parse((await cli(['--json', 'token', 'create', 'consumer', '600', 'nightly backup'])).stdout);
    assert.equal(created.label, 'nightly backup');
    const listed = (await cli(['token', 'list'])).stdout.split('\n');
    assert.match(listed[0]!, /^ID +ROLE +LABEL +ISSUED +EXPIRES +STATE$/);
    assert.match(listed[1]!, new RegExp(`^${created.id} +consumer +nightly backup +.+ +active$`));
    assert.equal((await call({ url: d.url }, 'core/whoami', {}, { headers: bearer(created.key) })).status, 200);
    // The first 8 characters of the id name it, as the console shows it.
    await cli(['token', 'revoke', created.id.slice(0, 8)]);
    assert.match((await cli(['token', 'list'])).stdout, new RegExp(`^${created.id} +consumer +.+ +revoked$`, 'm'));
    assert.equal((await call({ url: d.url }, 'core/whoami', {}, { headers: bearer(created.key) })).status, 401);
  });

  it('auth log shows the failed attempt', async () => {
    const lines = (await cli(['auth', 'log', '--failures', 'true'])).stdout.split('\n');
    assert.match(lines[0]!, /^TIME +RESULT +USERNAME +SURFACE +ADDRESS +REASON$/);
    assert.ok(
      lines.some((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +FAILED +alice +native +local +user:badLogin$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => / ok /.test(l)), 'only failures');
  });

  it('other commands load neither the QR nor the argon2 library', async () => {
    // Hooks that refuse both, for import and for require.resolve (the hashing thread's way):
    // a command that loads either fails.
    const hook = `export async function resolve(s, c, next) {
      if (s === 'qrcode' || s === '@node-rs/argon2') throw new Error('imported ' + s);
      return next(s, c);
    }`;
    const register = `import Module, { register } from 'node:module';
      register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});
      const resolveFilename = Module._resolveFilename;
      Module._resolveFilename = function (s, ...rest) {
        if (s === 'qrcode' || s === '@node-rs/argon2') throw new Error('imported ' + s);
        return resolveFilename.call(this, s, ...rest);
      };`;
    const hooked = { ...env, NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(register)}` };
    const version = await runCli(['core', 'version'], hooked);
    assert.equal(version.code, 0, version.stderr);
    const list = await runCli(['device', 'list'], hooked);
    assert.equal(list.code, 0, list.stderr);
    const pair = await runCli(['device', 'pair'], hooked);
    assert.match(pair.stderr, /imported qrcode/, 'the hook works');
    const hash = await runCli(['admin', 'hash-password'], hooked, 'admin-password-1\n');
    assert.match(hash.stderr, /imported @node-rs\/argon2/, 'the hook works');
  });

  it('help names the secret params and the admin commands', async () => {
    const top = await cli(['--help']);
    assert.match(top.stdout, /admin\s+local tasks for the server owner/);
    assert.match(top.stdout, /device\s+device tokens: list, revoke, refresh, and pairing/);
    assert.match(top.stdout, /Passwords never have to be on the command line/);
    const admin = await cli(['admin', '--help']);
    assert.match(admin.stdout, /hash-password\s+read a password/);
    const create = await cli(['bonafide', 'user', 'create', '--help']);
    assert.match(create.stdout, /--pass <value>\s+its password, at least 8 characters; asked for without\s+echo/);
  });

  it('on a terminal: asks without echo, a new password twice', { skip: !hasPython }, async () => {
    const r = await runOnTerminal(['bonafide', 'user', 'create', 'bob'], env, [password, password]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /^New password for bob: \nRepeat it: \n/);
    assert.ok(!r.output.includes(password), 'the password was echoed');
    assert.match(r.output, /^username +bob$/m);
    const auth = await runOnTerminal(['bonafide', 'user', 'authenticate', 'bob'], env, [password]);
    assert.equal(auth.code, 0, auth.output);
    assert.match(auth.output, /^Password for bob: \n/);
  });

  it('on a terminal: a mismatched confirmation is refused, and nothing is done', { skip: !hasPython }, async () => {
    const r = await runOnTerminal(['bonafide', 'user', 'create', 'carol'], env, [password, `${password}x`]);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /hearth: cli:mismatch: the two entries of pass differ; nothing was done\n$/);
    assert.ok(!r.output.includes(password));
    assert.doesNotMatch((await cli(['bonafide', 'user', 'list'])).stdout, /carol/);
    const hash = await runOnTerminal(['admin', 'hash-password'], env, [password, 'something-else']);
    assert.equal(hash.code, 1, hash.output);
    assert.match(hash.output, /hearth: cli:mismatch: the two entries of the password differ/);
  });
});

describe('hearth admin hash-password', () => {
  const home = tempHome();
  const env = { HEARTH_HOME: home };

  it('prints an argon2id hash of the password on stdin, without a daemon', async () => {
    const r = await runCli(['admin', 'hash-password'], env, 'admin-password-1\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$\S+\n$/);
    assert.equal(await verify(r.stdout.trim(), 'admin-password-1'), true);
    assert.equal(await verify(r.stdout.trim(), 'admin-password-2'), false);
    assert.equal(existsSync(join(home, 'hearthd.pid')), false, 'no daemon was started');
  });

  it('--json prints {"hash": …}', async () => {
    const r = await runCli(['--json', 'admin', 'hash-password'], env, 'admin-password-1\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await verify(JSON.parse(r.stdout).hash, 'admin-password-1'), true);
  });

  it('refuses fewer than 8 characters, and no input at all', async () => {
    const r = await runCli(['admin', 'hash-password'], env, 'short\n');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'hearth: badRequest: the password must be at least 8 characters\n');
    const none = await runCli(['admin', 'hash-password'], env, '');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^hearth: cli:noInput: /);
  });
});

describe('hearth CLI: device cookies', () => {
  let d: RunningDaemon;
  let env: Record<string, string>;
  before(async () => {
    ({ d, env } = await startDaemonForCli());
  });
  after(() => d.stop());

  it('keeps the device cookie of a sign-in (0600) and presents it: failures from the same address do not lock the owner out', async () => {
    assert.equal((await runCli(['bonafide', 'user', 'create', 'alice'], env, `${password}\n`)).code, 0);
    assert.equal((await runCli(['bonafide', 'user', 'authenticate', 'alice'], env, `${password}\n`)).code, 0);
    const file = join(d.home, 'device-cookies.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const kept = Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>);
    assert.equal(kept.length, 1);
    assert.match(kept[0]!, /^v1\./);
    // Someone else on the same address (the CLI's socket) spends its 10 failures a minute.
    for (let i = 0; i < 10; i++) assert.equal((await runCli(['bonafide', 'user', 'authenticate', `nobody${i}`], env, 'wrong-guess\n')).code, 1);
    const limited = await runCli(['bonafide', 'user', 'authenticate', 'bob'], env, 'wrong-guess\n');
    assert.match(limited.stderr, /rateLimited/);
    const r = await runCli(['bonafide', 'user', 'authenticate', 'alice'], env, `${password}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)[0], kept[0], 'a new cookie at every sign-in');
    rmSync(file);
    const without = await runCli(['bonafide', 'user', 'authenticate', 'alice'], env, `${password}\n`);
    assert.match(without.stderr, /rateLimited/, 'without it the owner waits like anyone on that address');
  });
});
