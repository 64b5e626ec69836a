/** Phones and laptops reach the server: the local CA for download, plain HTTP beyond loopback, remote devices. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { call, startDaemon, tempHome } from '../support/helpers.js';

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
      // The redirect target answers: the console over HTTPS on the same address.
      const ca = readFileSync(join(d.home, 'tls', 'ca.pem'), 'utf8');
      const { request } = await import('node:https');
      const status2 = await new Promise<number>((resolve, reject) =>
        request({ host: LAN, port: portOf(https), path: '/', ca, servername: 'localhost', agent: false }, (res) => {
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
