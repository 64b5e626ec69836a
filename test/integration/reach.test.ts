/** Phones and laptops reach the server: the local CA for download, plain HTTP beyond loopback, remote devices. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
