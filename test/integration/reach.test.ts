/** Phones and laptops reach the server: the local CA for download, plain HTTP beyond loopback, remote devices. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { call, runCli, startDaemon, tempHome, waitFor, type RunningDaemon } from '../support/helpers.js';

/** Until the store is open (commands that need it answer 404 before). */
const ready = (d: RunningDaemon) => waitFor('readiness', async () => (await fetch(`${d.url}/readiness`)).status === 200, 20000);

const fingerprintOf = (pem: string) => `SHA256: ${new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase()}`;

describe('GET /ca.pem', () => {
  it('serves the local CA to anyone, over HTTP and HTTPS, with the fingerprint core/status shows', async () => {
    const d = await startDaemon();
    try {
      const onDisk = readFileSync(join(d.home, 'tls', 'ca.pem'), 'utf8');
      const r = await fetch(`${d.url}/ca.pem`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/x-x509-ca-cert');
      assert.match(r.headers.get('content-disposition') ?? '', /attachment; filename="hearth-ca\.pem"/);
      const pem = await r.text();
      assert.equal(pem, onDisk);
      assert.doesNotMatch(pem, /PRIVATE KEY/);
      const status = (await call(d, 'core/status')).body.result;
      assert.equal(fingerprintOf(pem), status.tls.ca_cert_fingerprint);
      assert.equal(r.headers.get('x-hearth-ca-fingerprint'), status.tls.ca_cert_fingerprint);
      // Over HTTPS too (a device that already trusts it can fetch it again), trusting that CA.
      const { request } = await import('node:https');
      const overTls = await new Promise<string>((resolve, reject) => {
        const u = new URL('/ca.pem', d.urls[1]!);
        request({ host: u.hostname, port: u.port, path: u.pathname, ca: onDisk, agent: false }, (res) => {
          let t = '';
          res.on('data', (c) => (t += c)).on('end', () => resolve(t));
        })
          .on('error', reject)
          .end();
      });
      assert.equal(overTls, onDisk);
    } finally {
      await d.stop();
    }
  });

  it('is 404 with a reason when a configured certificate is served, and when HTTPS is off', async () => {
    const other = await startDaemon();
    await other.stop();
    const home = tempHome();
    const d = await startDaemon({
      home,
      env: { HEARTH_SERVER_TLS_CERT: join(other.home, 'tls', 'server.pem'), HEARTH_SERVER_TLS_KEY: join(other.home, 'tls', 'server-key.pem') },
    });
    try {
      const r = await call(d, '/ca.pem', undefined, { method: 'GET', noToken: true });
      assert.equal(r.status, 404);
      assert.match(r.body.error.message, /not its local one: devices need no extra CA/);
    } finally {
      await d.stop();
    }
    const off = await startDaemon({ env: { HEARTH_SERVER_TLS_LISTEN: '' } });
    try {
      const r = await call(off, '/ca.pem', undefined, { method: 'GET', noToken: true });
      assert.equal(r.status, 404);
      assert.match(r.body.error.message, /HTTPS is off/);
    } finally {
      await off.stop();
    }
  });
});

/** This machine's first non-loopback IPv4 address: requests to it come from a non-loopback address too. */
const LAN = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
const noLan = LAN ? false : 'this machine has no non-loopback IPv4 address';

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { redirect: 'manual', headers });
const portOf = (url: string) => new URL(url).port;

describe('plain HTTP beyond loopback', () => {
  it('listening on every interface: core/status warns, the console redirects other machines to HTTPS, loopback is served', { skip: noLan }, async () => {
    const d = await startDaemon({ env: { HEARTH_SERVER_LISTEN: '0.0.0.0:0', HEARTH_SERVER_TLS_LISTEN: '0.0.0.0:0' } });
    try {
      const [http, https] = d.urls as [string, string];
      const status = (await call({ url: `http://127.0.0.1:${portOf(http)}`, token: d.token }, 'core/status')).body.result;
      assert.equal(status.warnings.length, 1);
      assert.match(status.warnings[0], /^plain HTTP listens beyond loopback \(http:\/\/0\.0\.0\.0:\d+\): passwords and tokens .* unencrypted/);
      assert.ok(
        d.logs().some((l) => l.level === 40 && /plain HTTP listens beyond loopback/.test(l.msg)),
        'and the start-up log says it',
      );

      const lan = `http://${LAN}:${portOf(http)}`;
      for (const path of ['/', '/#setup=x', '/?x=1']) {
        const r = await get(`${lan}${path.replace(/#.*/, '')}`);
        assert.equal(r.status, 302, path);
        assert.equal(r.headers.get('location'), `https://${LAN}:${portOf(https)}${path.replace(/#.*/, '')}`);
        assert.equal(await r.text(), '', 'no page, no password form');
      }
      // The console's scripts too (the page is useless without them, but nothing of it goes out).
      const html = await (await get(`http://127.0.0.1:${portOf(http)}/`)).text();
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(asset, 'the loopback console is served');
      assert.equal((await get(`${lan}${asset}`)).status, 302);
      // The API and health are not pages: they answer as before (clients there are warned about in core/status).
      assert.equal((await get(`${lan}/health`)).status, 200);
      // The redirect target answers: the console over HTTPS on the same address, whose certificate
      // covers this machine's address (HTTPS listens on every interface).
      const ca = readFileSync(join(d.home, 'tls', 'ca.pem'), 'utf8');
      const { request } = await import('node:https');
      const status2 = await new Promise<number>((resolve, reject) =>
        request({ host: LAN, port: portOf(https), path: '/', ca, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end(),
      );
      assert.equal(status2, 200);
    } finally {
      await d.stop();
    }
  });

  it('on loopback (the default) there is no warning and nothing is redirected', async () => {
    const d = await startDaemon();
    try {
      assert.deepEqual((await call(d, 'core/status')).body.result.warnings, []);
      assert.equal((await get(`${d.url}/`)).status, 200);
    } finally {
      await d.stop();
    }
  });

  it('with no HTTPS another machine can reach, the console is refused with the reason, never served', { skip: noLan }, async () => {
    // HTTPS on loopback only: a phone cannot use it.
    const d = await startDaemon({ env: { HEARTH_SERVER_LISTEN: '0.0.0.0:0' } });
    try {
      const r = await get(`http://${LAN}:${portOf(d.url)}/`);
      assert.equal(r.status, 403);
      const text = await r.text();
      assert.match(text, /not served over plain HTTP to other machines/);
      assert.doesNotMatch(text, /<script/);
    } finally {
      await d.stop();
    }
  });

  it('behind a trusted proxy, X-Forwarded-Proto and -For decide; [server] public_url is where HTTPS is', async () => {
    const d = await startDaemon({
      env: { HEARTH_SERVER_TRUSTED_PROXIES: '["127.0.0.1"]', HEARTH_SERVER_PUBLIC_URL: 'https://hearth.example.org' },
    });
    try {
      const viaProxy = (proto: string) => get(`${d.url}/?a=b`, { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': proto });
      const plain = await viaProxy('http');
      assert.equal(plain.status, 302);
      assert.equal(plain.headers.get('location'), 'https://hearth.example.org/?a=b');
      assert.equal((await viaProxy('https')).status, 200, 'the proxy terminated TLS: served');
      // A client on loopback (the proxy's own checks, a browser on the server) is served as before.
      assert.equal((await get(`${d.url}/`, { 'x-forwarded-proto': 'http' })).status, 200);
    } finally {
      await d.stop();
    }
  });
});

describe('remote devices', () => {
  it('device/pair answers a link with the public URL, the CA fingerprint and the words', async () => {
    const d = await startDaemon();
    try {
      await ready(d);
      const pair = (await call(d, 'device/pair')).body.result;
      const status = (await call(d, 'core/status')).body.result;
      const link = new URL(pair.link);
      assert.equal(link.protocol, 'hearth:');
      assert.equal(link.hostname, 'pair');
      assert.equal(link.searchParams.get('url'), d.urls[1], 'the public URL: HTTPS as served');
      assert.equal(`SHA256: ${link.searchParams.get('fp')}`, status.tls.ca_cert_fingerprint);
      assert.equal(link.searchParams.get('words'), pair.token);
    } finally {
      await d.stop();
    }
  });

  it('hearth remote add trades the phrase over pinned HTTPS; --remote runs commands there; a wrong fingerprint is refused before anything is sent', async () => {
    const server = await startDaemon({ env: { HEARTH_SERVER_PUBLIC_URL: '' } });
    const laptop = await startDaemon(); // the other home, with a daemon (and a CA) of its own
    const cli = (...args: string[]) => runCli(['--home', laptop.home, ...args], {});
    try {
      await ready(server);
      await ready(laptop);
      const pair = (await call(server, 'device/pair')).body.result;
      const serverCa = readFileSync(join(server.home, 'tls', 'ca.pem'), 'utf8');
      const laptopCa = readFileSync(join(laptop.home, 'tls', 'ca.pem'), 'utf8');

      // The right server and words, but another CA's fingerprint (as if someone were in between):
      // refused, nothing kept, and the phrase not spent (the request never reached the server).
      const forged = new URL(pair.link);
      forged.searchParams.set('fp', fingerprintOf(laptopCa).slice('SHA256: '.length));
      const refused = await cli('remote', 'add', 'home', forged.href);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /^hearth: remote:fingerprintMismatch: refusing https:\/\/127\.0\.0\.1:\d+: its certificate \(SHA-256 [0-9a-f]{64}, issued by .*Hearth local CA.*\) is not the pinned [0-9a-f]{64}/m,
      );
      assert.equal((await cli('remote', 'list', '--json')).stdout.trim(), '[]');
      // A link that is not one, and plain HTTP, are refused with the reason.
      assert.match((await cli('remote', 'add', 'x', 'https://example.org/')).stderr, /remote:badLink: not a pairing link/);
      assert.match(
        (await cli('remote', 'add', 'x', '--url', server.url, '--words', pair.token)).stderr,
        /remote:notHttps: http:\/\/127\.0\.0\.1:\d+ is not HTTPS/,
      );

      const added = await cli('--json', 'remote', 'add', 'home', pair.link, '--device', 'laptop');
      assert.equal(added.code, 0, added.stderr);
      assert.deepEqual(JSON.parse(added.stdout), { name: 'home', url: server.urls[1], fingerprint: fingerprintOf(serverCa).slice(8), device: 'laptop' });
      const file = join(laptop.home, 'remotes.toml');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.match(readFileSync(file, 'utf8'), /\[remote\.home\]/);
      // The device token is the CLI's, in that 0600 file only: the server keeps its hash, and neither logs it.
      const deviceToken = (parseToml(readFileSync(file, 'utf8')) as { remote: Record<string, { token: string }> }).remote.home!.token;
      assert.ok(deviceToken.length >= 32);
      for (const [where, text] of [
        [
          "the server's store",
          ['hearth.db', 'hearth.db-wal'].map((f) => (existsSync(join(server.home, f)) ? readFileSync(join(server.home, f)).toString('latin1') : '')).join(''),
        ],
        ["the server's log", server.output()],
        ["the laptop's daemon log", laptop.output()],
      ]) {
        assert.ok(!text!.includes(deviceToken), `${where} holds the device token`);
      }
      assert.match((await cli('remote', 'add', 'home', pair.link)).stderr, /remote:exists/);

      // --remote: the command runs on the server, as the new device; without it, on the local daemon.
      const devices = await cli('--json', '--remote', 'home', 'device', 'list');
      assert.equal(devices.code, 0, devices.stderr);
      const rows = JSON.parse(devices.stdout) as { name: string; is_caller: boolean }[];
      assert.deepEqual(
        rows.filter((r) => r.is_caller).map((r) => r.name),
        ['laptop'],
      );
      assert.deepEqual(
        (await call(server, 'device/list')).body.result.map((r: { name: string }) => r.name),
        ['laptop'],
        'the server has it',
      );
      assert.deepEqual(JSON.parse((await cli('--json', 'device', 'list')).stdout), [], 'the local daemon does not');
      const whoami = JSON.parse((await cli('--json', '--remote', 'home', 'core', 'whoami')).stdout);
      assert.equal(whoami.credential, 'device');
      const status = await cli('--remote', 'home', 'core', 'status');
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`https  ${server.urls[1]!.replace(/\./g, '\\.')}`));
      const list = await cli('remote', 'list');
      assert.match(list.stdout, /^home\s+https:\/\/127\.0\.0\.1:\d+\s+\(CA [0-9a-f]{16}…, laptop\)$/m);
      assert.doesNotMatch(list.stdout + readFileSync(file, 'utf8').replace(/token = .*/, ''), /hearth-device|dvc_/i);
      assert.match((await cli('--remote', 'nowhere', 'core', 'whoami')).stderr, /remote:unknown: no remote named "nowhere"/);

      // Remove: forgotten here (with its token); the server's owner revokes the device there.
      const token = /token = "([^"]+)"/.exec(readFileSync(file, 'utf8'))![1]!;
      const removed = await cli('remote', 'remove', 'home');
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /removed home; the device "laptop" stays valid on https:\/\/127\.0\.0\.1:\d+ until revoked there/);
      assert.doesNotMatch(readFileSync(file, 'utf8'), new RegExp(token));
      assert.match((await cli('--remote', 'home', 'core', 'whoami')).stderr, /remote:unknown/);
    } finally {
      await server.stop();
      await laptop.stop();
    }
  });
});
