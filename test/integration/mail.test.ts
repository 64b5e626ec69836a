/**
 * mail/status (Bitmask's shape) from real probes: tiny SMTP and IMAP servers on loopback (node:net,
 * and node:tls with a certificate from a CA the daemon is told to trust) greet, count unread mail
 * for the master-user login, stay silent, refuse or greet wrongly; the daemon reports each as a
 * person would want to read it, and the CLI prints it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { prepareTls } from '../../src/daemon/tls.js';
import { loadConfig } from '../../src/kernel/config.js';
import { fakeHost } from '../support/fake-host.js';
import { call, runCli, startInProcess, tempHome, waitFor, type InProcessDaemon } from '../support/helpers.js';

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

/** Answers each line `onLine` gives a reply for; `greeting` first. */
function lineServer(socket: Socket, greeting: string | null, onLine: (line: string) => string | null): void {
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  if (greeting !== null) socket.write(greeting);
  let buffer = '';
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const reply = onLine(line);
      if (reply !== null) socket.write(reply);
      if (/^(QUIT|\S+ LOGOUT)$/i.test(line)) socket.end();
    }
  });
}

describe('mail/status', () => {
  const servers: Server[] = [];
  const daemons: InProcessDaemon[] = [];
  const logins: string[] = [];
  let smtpPort: number;
  let imapPort: number;
  let silentPort: number;
  let refusedPort: number;
  let rudePort: number;
  let caFile: string;

  before(async () => {
    // The IMAP server's certificate, from a local CA made for the test.
    const tlsHome = tempHome();
    const material = await prepareTls(loadConfig({ HEARTH_HOME: tlsHome }).config, tlsHome);
    caFile = material.caPath!;

    const smtp = createTcpServer((s) => lineServer(s, '220-mail.test ESMTP\r\n220 ready\r\n', (l) => (/^QUIT/i.test(l) ? '221 bye\r\n' : null)));
    const imap = createTlsServer({ cert: material.cert, key: material.key }, (s) =>
      lineServer(s as unknown as Socket, '* OK [CAPABILITY IMAP4rev1] ready\r\n', (l) => {
        const [tag, verb] = l.split(' ');
        if (/^LOGIN$/i.test(verb!)) {
          logins.push(l);
          return l === `${tag} LOGIN "alice*hearth" "master \\"pw\\""` ? `${tag} OK logged in\r\n` : `${tag} NO [AUTHENTICATIONFAILED] bad\r\n`;
        }
        if (/^STATUS$/i.test(verb!)) return `* STATUS INBOX (UNSEEN 5)\r\n${tag} OK done\r\n`;
        if (/^LOGOUT$/i.test(verb!)) return `* BYE\r\n${tag} OK bye\r\n`;
        return `${tag} BAD unknown\r\n`;
      }),
    );
    const silent = createTcpServer((s) => s.on('error', () => {}));
    const rude = createTcpServer((s) => lineServer(s, '554 no service here\r\n', () => null));
    const closed = createTcpServer();
    servers.push(smtp, imap as unknown as Server, silent, rude);
    const ports = await Promise.all([smtp, imap as unknown as Server, silent, rude, closed].map(listen));
    [smtpPort, imapPort, silentPort, rudePort, refusedPort] = ports as [number, number, number, number, number];
    await new Promise((r) => closed.close(r));
  });
  after(async () => {
    for (const d of daemons) await d.stop();
    for (const s of servers) s.close();
  });

  async function daemonWith(env: Record<string, string>) {
    const d = await startInProcess({ env });
    daemons.push(d);
    assert.equal((await call(d, 'bonafide/user/create', { username: 'alice', pass: 'correct horse battery' })).status, 200); // the global token needs no setup code
    return d;
  }

  it("SMTP and IMAP greet, the key pair is found, the unread count comes over TLS with the master user: all on, in the seed's shape", async () => {
    const d = await daemonWith({
      HEARTH_MAIL_SMTP_HOST: '127.0.0.1',
      HEARTH_MAIL_SMTP_PORT: String(smtpPort),
      HEARTH_MAIL_IMAP_HOST: 'localhost',
      HEARTH_MAIL_IMAP_PORT: String(imapPort),
      HEARTH_MAIL_IMAP_CA: caFile,
      HEARTH_MAIL_IMAP_MASTER_USER: 'hearth',
      HEARTH_MAIL_IMAP_MASTER_PASSWORD: 'master "pw"',
    });
    await waitFor('the key pair', async () => (await call(d, 'mail/status', { address: 'alice@localhost' })).body.result.keys === 'found');
    const r = await call(d, 'mail/status', { address: 'alice@localhost' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { service, ...seedShape } = r.body.result;
    assert.ok(['unknown', 'inactive'].includes(service.state), "this machine's systemctl knows no mail server units");
    assert.deepEqual(seedShape, {
      status: 'on',
      keys: 'found',
      unread: 5,
      childrenStatus: {
        keymanager: { status: 'on', keys: 'found', error: null },
        smtp: { status: 'on', error: null },
        imap: { status: 'on', error: null },
        incoming: { status: 'on', unread: 5, error: null },
      },
      error: null,
    });
    assert.ok(logins.length > 0, 'the server saw the login');
    assert.ok(!d.logText().includes('master "pw"') && !d.logText().includes('master \\"pw\\"'), 'the master password is not logged');

    // The CLI prints it, by account name, with the global token.
    const cli = await runCli(['--json', 'mail', 'status', 'alice'], { HEARTH_HOME: d.home });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).unread, 5);
  });

  it("a wrong master password: incoming failed with the server's answer, unread null; the rest stays on", async () => {
    const d = await daemonWith({
      HEARTH_MAIL_IMAP_HOST: 'localhost',
      HEARTH_MAIL_IMAP_PORT: String(imapPort),
      HEARTH_MAIL_IMAP_CA: caFile,
      HEARTH_MAIL_IMAP_MASTER_USER: 'hearth',
      HEARTH_MAIL_IMAP_MASTER_PASSWORD: 'wrong',
    });
    const r = (await call(d, 'mail/status', { address: 'alice' })).body.result;
    assert.equal(r.childrenStatus.imap.status, 'on');
    assert.equal(r.childrenStatus.smtp.status, 'off');
    assert.equal(r.childrenStatus.incoming.status, 'failed');
    assert.match(r.childrenStatus.incoming.error, /refused the login: NO \[AUTHENTICATIONFAILED\]/);
    assert.equal(r.unread, null);
    assert.equal(r.status, 'failed');
  });

  it('silent, refusing, rudely greeting and untrusted servers are failed, each saying why, within the timeout', async () => {
    const d = await daemonWith({
      HEARTH_MAIL_SMTP_HOST: '127.0.0.1',
      HEARTH_MAIL_SMTP_PORT: String(silentPort),
      HEARTH_MAIL_IMAP_HOST: '127.0.0.1',
      HEARTH_MAIL_IMAP_PORT: String(refusedPort),
      HEARTH_MAIL_IMAP_TLS: 'false',
      HEARTH_MAIL_TIMEOUT: '0.5',
    });
    const started = Date.now();
    const r = (await call(d, 'mail/status', { address: 'alice' })).body.result;
    assert.ok(Date.now() - started < 3000, 'answered within the timeout');
    assert.equal(r.status, 'failed');
    assert.deepEqual(r.childrenStatus.smtp, { status: 'failed', error: `SMTP at 127.0.0.1:${silentPort} did not answer within 0.5 s` });
    assert.deepEqual(r.childrenStatus.imap, { status: 'failed', error: `IMAP at 127.0.0.1:${refusedPort}: ECONNREFUSED` });
    assert.equal(r.childrenStatus.incoming.status, 'off', 'no master user: no unread count');

    const rude = await daemonWith({
      HEARTH_MAIL_SMTP_HOST: '127.0.0.1',
      HEARTH_MAIL_SMTP_PORT: String(rudePort),
      // The real IMAP server, but its CA not trusted: TLS fails, nothing is sent.
      HEARTH_MAIL_IMAP_HOST: 'localhost',
      HEARTH_MAIL_IMAP_PORT: String(imapPort),
      HEARTH_MAIL_IMAP_MASTER_USER: 'hearth',
      HEARTH_MAIL_IMAP_MASTER_PASSWORD: 'sent-to-nobody',
    });
    const before = logins.length;
    const s = (await call(rude, 'mail/status', { address: 'alice' })).body.result;
    assert.match(s.childrenStatus.smtp.error, /greeted with "554 no service here", not 220/);
    assert.equal(s.childrenStatus.imap.status, 'failed');
    assert.match(s.childrenStatus.imap.error, /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|self.signed/i);
    assert.equal(s.childrenStatus.incoming.status, 'failed');
    assert.equal(logins.length, before, 'no login was sent to a server whose certificate did not verify');
  });

  it("the mail server's units, as the status command tells them: starting, stopping and failed decide the status", async () => {
    const host = fakeHost();
    const d = await daemonWith({
      HEARTH_MAIL_SMTP_HOST: '127.0.0.1',
      HEARTH_MAIL_SMTP_PORT: String(smtpPort),
      HEARTH_HOST_SERVICE_STATUS: JSON.stringify([host.statusScript(), 'is-active', '{unit}']),
    });
    const status = async () => (await call(d, 'mail/status', {})).body.result;
    host.states['dovecot2.service'] = 'active';
    host.states['postfix.service'] = 'active';
    let s = await status();
    assert.equal(s.status, 'on', JSON.stringify(s));
    assert.deepEqual(s.service, {
      state: 'active',
      units: [
        { unit: 'dovecot2.service', state: 'active' },
        { unit: 'postfix.service', state: 'active' },
      ],
    });
    assert.deepEqual(
      host
        .calls('systemctl')
        .slice(-2)
        .map((argv) => argv.join(' '))
        .sort(),
      ['is-active dovecot2.service', 'is-active postfix.service'],
    );
    host.states['postfix.service'] = 'activating';
    assert.equal((await status()).status, 'starting');
    host.states['postfix.service'] = 'deactivating';
    assert.equal((await status()).status, 'stopping');
    host.states['dovecot2.service'] = 'failed';
    s = await status();
    assert.equal(s.status, 'failed');
    assert.match(s.error, /the mail server's unit dovecot2.service failed/);
    assert.equal(s.childrenStatus.smtp.status, 'on', 'the probe still says what it found');
  });

  it('nothing configured: off, keys as the key manager has them; who may ask', async () => {
    const d = await daemonWith({});
    const r = await call(d, 'mail/status', { address: 'alice' });
    assert.equal(r.status, 200);
    assert.equal(r.body.result.status, 'off');
    assert.ok(['generating', 'found'].includes(r.body.result.keys));
    assert.deepEqual(r.body.result.childrenStatus.smtp, { status: 'off', error: null });
    assert.equal((await call(d, 'mail/status', {}, { noToken: true })).status, 401);
    const global = await call(d, 'mail/status', {});
    assert.equal(global.status, 200, "the global token acts as the owner: alice's status");
    assert.equal(global.body.result.status, 'off');
    const other = await call(d, 'mail/status', { address: 'nobody' });
    assert.equal(other.status, 404);
    const wrongDomain = await call(d, 'mail/status', { address: 'alice@elsewhere.example' });
    assert.equal(wrongDomain.status, 400);
    assert.ok(readFileSync(join(d.home, 'authtoken'), 'utf8').length > 0);
  });
});
