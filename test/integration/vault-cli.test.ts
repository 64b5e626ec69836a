/** `hearth vault register`: keys made in the CLI from a master password read from stdin. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { masterKey, masterPasswordHash, type Kdf } from '../../src/vault-client/crypto.js';
import { call, CLI_MAIN, startDaemon, type RunningDaemon } from '../support/helpers.js';
import { hasPython, runOnTerminal } from '../support/pty.js';

function cli(args: string[], env: Record<string, string>, stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI_MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
    proc.stdin.end(stdin);
  });
}

describe('hearth vault register', () => {
  let d: RunningDaemon;
  let env: Record<string, string>;
  before(async () => {
    d = await startDaemon({ env: { HEARTH_SERVER_DOMAIN: 'home.example' } });
    env = { HEARTH_HOME: d.home, HEARTH_SERVER_LISTEN: '127.0.0.1:0' };
    for (const username of ['olga', 'alice', 'bob'])
      assert.equal((await call(d, 'bonafide/user/create', { username, pass: 'account-password-1' })).status, 200);
  });
  after(() => d?.stop());

  async function logsIn(email: string, password: string, kdf: Kdf): Promise<boolean> {
    const hash = masterPasswordHash(await masterKey(password, email, kdf), password);
    const form = new URLSearchParams({
      grant_type: 'password',
      username: email,
      password: hash,
      client_id: 'cli',
      scope: 'api offline_access',
      deviceType: '25',
      deviceIdentifier: 'b5a3e1f2-0000-4000-8000-000000000001',
      deviceName: 'linux',
    });
    const r = await call({ url: d.url }, '/bitwarden/identity/connect/token', undefined, {
      raw: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    return r.status === 200;
  }

  it('PBKDF2: the daemon gets the hash and wrapped keys, and a client logs in with the master password', async () => {
    const pw = 'a long master password';
    const r = await cli(['--json', 'vault', 'register', 'alice', '--iterations', '5000', '--name', 'Alice'], env, `${pw}\n`);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      { ...out, server: undefined },
      { registered: 'alice@home.example', kdf: 'pbkdf2', iterations: 5000, server: undefined, trust: join(d.home, 'tls', 'ca.pem') },
    );
    assert.match(out.server, /^https:\/\/127\.0\.0\.1:\d+\/bitwarden$/, 'where to point a client');
    assert.ok(await logsIn('alice@home.example', pw, { kdfType: 0, iterations: 5000 }));
    assert.ok(!(await logsIn('alice@home.example', 'another password!', { kdfType: 0, iterations: 5000 })));
    assert.ok(!d.output().includes(pw), 'the master password never reaches the daemon');
    const vaults = await call(d, 'vault/accounts', {});
    assert.equal(vaults.body.result[0].kdf, 'PBKDF2-SHA256, 5000 iterations');
  });

  it(
    'on a terminal: asked twice, never echoed; two different entries register nothing',
    { skip: !hasPython && 'python3 with pty is needed for a terminal' },
    async () => {
      await call(d, 'bonafide/user/create', { username: 'carol', pass: 'account-password-1' });
      const pw = 'carol types this twice';
      const differ = await runOnTerminal(['vault', 'register', 'carol', '--iterations', '5000'], env, [pw, 'something else entirely']);
      assert.equal(differ.code, 1);
      assert.match(differ.output, /differ; nothing was done/);
      const r = await runOnTerminal(['vault', 'register', 'carol', '--iterations', '5000'], env, [pw, pw]);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /Master password for carol@home\.example: \nRepeat it: \n/);
      assert.ok(!r.output.includes(pw), 'not echoed');
      assert.ok(await logsIn('carol@home.example', pw, { kdfType: 0, iterations: 5000 }));
    },
  );

  it('Argon2id as the user chooses; refuses a short master password and bad KDF options', async () => {
    const pw = "bob's master password";
    const r = await cli(['vault', 'register', 'bob', '--kdf', 'argon2id', '--iterations', '2', '--memory', '16', '--parallelism', '1'], env, `${pw}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await logsIn('bob@home.example', pw, { kdfType: 1, iterations: 2, memory: 16, parallelism: 1 }));
    const short = await cli(['vault', 'register', 'olga', '--iterations', '5000'], env, 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 12 characters/);
    const bad = await cli(['vault', 'register', 'olga', '--iterations', '10'], env, 'long enough password\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--iterations must be a whole number from 5000/);
    const again = await cli(['vault', 'register', 'alice', '--iterations', '5000'], env, 'long enough password\n');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /has a vault already/);
  });
});
