/** HTTPS: the local CA, the server certificate it signs, a configured certificate, and HTTPS on loopback. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { Agent, createServer as createHttpsServer, request } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { PUBLIC } from '../../src/auth/policy.js';
import { systemClock } from '../../src/kernel/clock.js';
import { ConfigError, loadConfig } from '../../src/kernel/config.js';
import { Hearth } from '../../src/kernel/hearth.js';
import { prepareTls, tlsNames } from '../../src/daemon/tls.js';
import { isHttps } from '../../src/http/client.js';
import { buildServer } from '../../src/http/server.js';
import { call, runDaemonExpectingFailure, startDaemon, startInProcess, tempHome, waitFor } from '../support/helpers.js';

interface HttpsResult {
  status: number;
  body: any;
  /** The certificate the server presented. */
  cert: X509Certificate;
  headers: import('node:http').IncomingHttpHeaders;
}

/** A request over HTTPS trusting only `ca` (or nothing but the system's roots when absent). */
function httpsCall(
  base: string,
  path: string,
  opts: { ca?: string; servername?: string; method?: string; headers?: Record<string, string>; body?: unknown; agent?: Agent } = {},
): Promise<HttpsResult> {
  const url = new URL(path, base);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: url.pathname,
        method: opts.method ?? 'GET',
        ca: opts.ca,
        servername: opts.servername,
        agent: opts.agent ?? false,
        headers: { ...opts.headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerX509Certificate()!;
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode!, body, cert, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const fingerprintOf = (pem: string) => `SHA256: ${new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase()}`;
const mode = (path: string) => statSync(path).mode & 0o777;

describe('HTTPS with the local CA', () => {
  it('makes a CA and a server certificate on first start (keys 0600), and serves the same routes over HTTPS', async () => {
    const d = await startDaemon();
    try {
      const tls = join(d.home, 'tls');
      for (const f of ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem']) assert.ok(existsSync(join(tls, f)), f);
      assert.equal(mode(join(tls, 'ca-key.pem')), 0o600);
      assert.equal(mode(join(tls, 'server-key.pem')), 0o600);
      assert.equal(mode(tls) & 0o077, 0, "tls/ is the owner's alone");

      assert.equal(d.urls.length, 2, 'http first, then https');
      assert.match(d.urls[0]!, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(d.urls[1]!, /^https:\/\/127\.0\.0\.1:\d+$/);
      const line = d.logs().find((l) => Array.isArray(l.urls))!;
      assert.match(line.msg, /listening on http:\/\/127\.0\.0\.1:\d+ and https:\/\/127\.0\.0\.1:\d+ and unix:/);
      assert.ok(!d.output().includes('PRIVATE KEY'), 'no key in the log');

      const ca = readFileSync(join(tls, 'ca.pem'), 'utf8');
      const https = d.urls[1]!;
      // By address and by name: the certificate covers both, and it chains to the CA.
      const byIp = await httpsCall(https, '/readiness', { ca });
      await waitFor('readiness over HTTPS', async () => (await httpsCall(https, '/readiness', { ca })).status === 200);
      assert.equal(byIp.cert.checkIP('127.0.0.1'), '127.0.0.1');
      const byName = await httpsCall(https, '/health', { ca, servername: 'localhost' });
      assert.equal(byName.status, 200);
      // The local CA may not be trusted by every browser yet: no HSTS, so one can still click through.
      assert.equal(byName.headers['strict-transport-security'], undefined);
      assert.equal(byName.body.status, 'ok');
      const leaf = byName.cert;
      assert.ok(leaf.verify(new X509Certificate(ca).publicKey), 'signed by the CA');
      assert.equal(leaf.checkHost('localhost'), 'localhost');
      assert.equal(leaf.checkIP('::1'), '::1');
      assert.equal(leaf.fingerprint256, new X509Certificate(readFileSync(join(tls, 'server.pem'))).fingerprint256);

      const whoami = await httpsCall(https, '/API/core/whoami', { ca, method: 'POST', headers: { 'x-hearth-auth': d.token } });
      assert.equal(whoami.status, 200);
      assert.equal(whoami.body.result.owner, true);

      const status = await httpsCall(https, '/API/core/status', { ca, method: 'POST', headers: { 'x-hearth-auth': d.token } });
      assert.deepEqual(status.body.result.childrenStatus.tls, { status: 'on', error: null });
      assert.equal(status.body.result.tls.url, https);
      assert.equal(status.body.result.tls.ca_cert_path, join(tls, 'ca.pem'));
      assert.equal(status.body.result.tls.ca_cert_fingerprint, fingerprintOf(ca));
      assert.match(status.body.result.tls.ca_cert_fingerprint, /^SHA256: [0-9a-f]{64}$/);
      assert.equal((await call(d, 'core/status')).body.result.tls.ca_cert_fingerprint, fingerprintOf(ca), 'the same over HTTP');
    } finally {
      assert.equal(await d.stop(), 0);
    }
  });

  it('a client that does not trust the CA is refused', async () => {
    const d = await startDaemon();
    try {
      await assert.rejects(httpsCall(d.urls[1]!, '/health'), (err: NodeJS.ErrnoException) =>
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/.test(String(err.code)),
      );
      await assert.rejects(fetch(`${d.urls[1]}/health`), 'fetch with the default trust store refuses it too');
      // A client that trusts another home's CA is refused as well.
      const other = await startDaemon();
      try {
        const otherCa = readFileSync(join(other.home, 'tls', 'ca.pem'), 'utf8');
        await assert.rejects(httpsCall(d.urls[1]!, '/health', { ca: otherCa }));
      } finally {
        await other.stop();
      }
    } finally {
      await d.stop();
    }
  });

  it('a restart keeps the CA, its fingerprint and a server certificate that still fits', async () => {
    const d1 = await startDaemon();
    const ca = readFileSync(join(d1.home, 'tls', 'ca.pem'), 'utf8');
    const server = readFileSync(join(d1.home, 'tls', 'server.pem'), 'utf8');
    const fp1 = (await call(d1, 'core/status')).body.result.tls.ca_cert_fingerprint;
    await d1.stop();
    const d2 = await startDaemon({ home: d1.home });
    try {
      assert.equal(readFileSync(join(d2.home, 'tls', 'ca.pem'), 'utf8'), ca);
      assert.equal(readFileSync(join(d2.home, 'tls', 'server.pem'), 'utf8'), server);
      assert.equal((await call(d2, 'core/status')).body.result.tls.ca_cert_fingerprint, fp1);
      assert.equal((await httpsCall(d2.urls[1]!, '/health', { ca })).status, 200, 'clients that trusted it keep working');
      assert.ok(!d2.logs().some((l) => l.msg === 'made a new HTTPS server certificate'));
    } finally {
      await d2.stop();
    }
  });

  it('a new [server] domain gets a new server certificate from the same CA', async () => {
    const d1 = await startDaemon();
    const ca = readFileSync(join(d1.home, 'tls', 'ca.pem'), 'utf8');
    await d1.stop();
    const d2 = await startDaemon({ home: d1.home, env: { HEARTH_SERVER_DOMAIN: 'hearth.example' } });
    try {
      assert.equal(readFileSync(join(d2.home, 'tls', 'ca.pem'), 'utf8'), ca, 'the CA is kept');
      const r = await httpsCall(d2.urls[1]!, '/health', { ca, servername: 'hearth.example' });
      assert.equal(r.status, 200);
      assert.equal(r.cert.checkHost('hearth.example'), 'hearth.example');
      assert.equal(r.cert.checkHost('localhost'), 'localhost');
      assert.ok(d2.logs().some((l) => l.msg === 'made a new HTTPS server certificate' && l.reason === 'names changed'));
    } finally {
      await d2.stop();
    }
  });

  it('graceful stop closes HTTPS too, even with an idle keep-alive connection', async () => {
    const d = await startDaemon();
    const ca = readFileSync(join(d.home, 'tls', 'ca.pem'), 'utf8');
    const agent = new Agent({ keepAlive: true });
    try {
      assert.equal((await httpsCall(d.urls[1]!, '/health', { ca, agent })).status, 200);
      const t0 = Date.now();
      assert.equal(await d.stop(), 0);
      assert.ok(Date.now() - t0 < 5000, 'not held open by the idle connection');
      assert.ok(d.logs().some((l) => l.msg === 'stopped'));
      await assert.rejects(httpsCall(d.urls[1]!, '/health', { ca }));
    } finally {
      agent.destroy();
    }
  });
});

describe('HTTPS with a configured certificate', () => {
  /** A certificate and key to configure: another home's server pair (from its own local CA). */
  async function pairFromAnotherHome(): Promise<{ dir: string; cert: string; key: string; caKey: string; ca: string }> {
    const d = await startDaemon();
    await d.stop();
    const dir = join(d.home, 'tls');
    return { dir, cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem'), caKey: join(dir, 'ca-key.pem'), ca: join(dir, 'ca.pem') };
  }

  it('is served as it is, and core/status shows its fingerprint (no local CA is made)', async () => {
    const pair = await pairFromAnotherHome();
    const home = tempHome();
    copyFileSync(pair.cert, join(home, 'cert.pem'));
    // Relative to the home, or absolute.
    const d = await startDaemon({ home, env: { HEARTH_SERVER_TLS_CERT: 'cert.pem', HEARTH_SERVER_TLS_KEY: pair.key, HEARTH_SERVER_DOMAIN: 'example.org' } });
    try {
      const r = await httpsCall(d.urls[1]!, '/health', { ca: readFileSync(pair.ca, 'utf8') });
      assert.equal(r.status, 200);
      assert.equal(r.cert.fingerprint256, new X509Certificate(readFileSync(pair.cert)).fingerprint256);
      const tls = (await call(d, 'core/status')).body.result.tls;
      assert.equal(tls.ca_cert_path, null);
      assert.equal(tls.cert_path, join(home, 'cert.pem'));
      assert.equal(tls.ca_cert_fingerprint, fingerprintOf(readFileSync(pair.cert, 'utf8')));
      assert.equal(existsSync(join(home, 'tls')), false);
      // A configured certificate is one browsers trust: HTTPS answers to the server's name tell
      // them to keep to it; not to an address or localhost, and not over plain HTTP.
      const byName = await httpsCall(d.urls[1]!, '/health', {
        ca: readFileSync(pair.ca, 'utf8'),
        servername: 'localhost',
        headers: { host: 'hearth.example.org' },
      });
      assert.equal(byName.status, 200);
      assert.equal(byName.headers['strict-transport-security'], 'max-age=31536000');
      assert.equal(r.headers['strict-transport-security'], undefined, 'not to an IP address');
      const local = await httpsCall(d.urls[1]!, '/health', { ca: readFileSync(pair.ca, 'utf8'), servername: 'localhost', headers: { host: 'localhost' } });
      assert.equal(local.headers['strict-transport-security'], undefined, 'not to localhost');
      assert.equal(
        (await fetch(`${d.url}/health`, { headers: { host: 'hearth.example.org' } })).headers.get('strict-transport-security'),
        null,
        'not over plain HTTP',
      );
    } finally {
      await d.stop();
    }
  });

  const refusals: [string, (p: Awaited<ReturnType<typeof pairFromAnotherHome>>, home: string) => Record<string, string>, RegExp][] = [
    [
      'a key that does not match the certificate',
      (p) => ({ HEARTH_SERVER_TLS_CERT: p.cert, HEARTH_SERVER_TLS_KEY: p.caKey }),
      /^hearthd: \[server\] tls_key: .*ca-key\.pem does not match the certificate in \[server\] tls_cert \(.*server\.pem\)$/,
    ],
    [
      'a certificate without its key',
      (p) => ({ HEARTH_SERVER_TLS_CERT: p.cert }),
      /^hearthd: \[server\] tls_key: empty while \[server\] tls_cert is set; set both, or neither for the local CA$/,
    ],
    ['a key without its certificate', (p) => ({ HEARTH_SERVER_TLS_KEY: p.key }), /^hearthd: \[server\] tls_cert: empty while \[server\] tls_key is set/],
    [
      'a certificate that cannot be read',
      (p) => ({ HEARTH_SERVER_TLS_CERT: 'nowhere.pem', HEARTH_SERVER_TLS_KEY: p.key }),
      /^hearthd: \[server\] tls_cert: cannot read .*nowhere\.pem \(ENOENT\)$/,
    ],
    [
      'a key file that holds no key',
      (p) => ({ HEARTH_SERVER_TLS_CERT: p.cert, HEARTH_SERVER_TLS_KEY: p.cert }),
      /^hearthd: \[server\] tls_key: .*server\.pem does not hold an unencrypted PEM private key$/,
    ],
    [
      'a certificate file that holds no certificate',
      (p, home) => (writeFileSync(join(home, 'junk.pem'), 'junk\n'), { HEARTH_SERVER_TLS_CERT: 'junk.pem', HEARTH_SERVER_TLS_KEY: p.key }),
      /^hearthd: \[server\] tls_cert: .*junk\.pem does not hold a PEM certificate$/,
    ],
    [
      'a tls_listen that is not host:port',
      () => ({ HEARTH_SERVER_TLS_LISTEN: '7443' }),
      /^hearthd: \[server\] tls_listen: expected host:port \(e\.g\. 127\.0\.0\.1:7443\), got "7443"$/,
    ],
  ];
  it('bad combinations stop start-up with one clear line naming the key', async () => {
    const pair = await pairFromAnotherHome();
    for (const [what, env, message] of refusals) {
      const home = tempHome();
      const { code, output } = await runDaemonExpectingFailure(home, env(pair, home));
      assert.equal(code, 2, `${what}: ${output}`);
      assert.equal(output.trim().split('\n').length, 1, `${what}: ${output}`);
      assert.match(output.trim(), message, what);
      assert.equal(existsSync(join(home, 'hearthd.pid')), false, `${what}: nothing left running`);
    }
  });

  it('a tls_listen port in use stops start-up with one clear line', async () => {
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { code, output } = await runDaemonExpectingFailure(tempHome(), { HEARTH_SERVER_TLS_LISTEN: `127.0.0.1:${port}` });
      assert.notEqual(code, 0);
      assert.equal(output.trim().split('\n').length, 1, output);
      assert.match(
        output,
        new RegExp(
          `hearthd: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use \\(set \\[server\\] tls_listen or HEARTH_SERVER_TLS_LISTEN; empty disables HTTPS\\)`,
        ),
      );
    } finally {
      blocker.close();
    }
  });
});

describe('HTTPS off', () => {
  it('tls_listen = "" turns it off: component off, no https URL, no tls/, status tls null', async () => {
    const d = await startDaemon({ env: { HEARTH_SERVER_TLS_LISTEN: '' } });
    try {
      await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
      assert.deepEqual(d.urls, [d.url]);
      const status = (await call(d, 'core/status')).body.result;
      assert.deepEqual(status.childrenStatus.tls, { status: 'off', error: null });
      assert.equal(status.tls, null);
      assert.equal(existsSync(join(d.home, 'tls')), false);
    } finally {
      await d.stop();
    }
  });

  it('[services] web = false turns it off too', async () => {
    const d = await startDaemon({ toml: '[services]\nweb = false\n' });
    try {
      assert.deepEqual(d.urls, []);
    } finally {
      await d.stop();
    }
  });
});

describe('the server certificate over time', () => {
  it('is made again when near its end, from the same CA; a CA without its key stops start-up', async () => {
    const home = tempHome();
    const { config } = loadConfig({ HEARTH_HOME: home, HEARTH_SERVER_TLS_LISTEN: '127.0.0.1:0' });
    const now = Date.now();
    const first = await prepareTls(config, home, now);
    assert.equal(first.renewed, 'missing');
    const again = await prepareTls(config, home, now + 60_000);
    assert.equal(again.renewed, null);
    assert.equal(again.cert, first.cert);
    // 380 days on, the 397-day certificate has less than 30 days left.
    const later = await prepareTls(config, home, now + 380 * 86_400_000);
    assert.equal(later.renewed, 'expires soon');
    assert.notEqual(later.cert, first.cert);
    assert.equal(later.fingerprint, first.fingerprint, 'the CA is kept');
    assert.ok(new X509Certificate(later.cert).verify(new X509Certificate(readFileSync(first.caPath!)).publicKey));

    writeFileSync(join(home, 'tls', 'server-key.pem'), readFileSync(join(home, 'tls', 'ca-key.pem')));
    assert.equal((await prepareTls(config, home)).renewed, 'key does not match');

    rmSync(join(home, 'tls', 'ca-key.pem'));
    await assert.rejects(
      prepareTls(config, home),
      (err: unknown) =>
        err instanceof ConfigError &&
        /ca\.pem is there but its key .*ca-key\.pem is not; restore the key, or delete .*tls to make a new local CA/.test(err.message),
    );
  });

  it('covers [server] domain, localhost, 127.0.0.1, ::1 and the tls_listen host (not a wildcard address)', () => {
    const names = (env: Record<string, string>) => tlsNames(loadConfig({ HEARTH_HOME: tempHome(), ...env }).config);
    assert.deepEqual(names({}), { dns: ['localhost'], ip: ['127.0.0.1', '::1'] });
    assert.deepEqual(names({ HEARTH_SERVER_DOMAIN: 'Hearth.Example', HEARTH_SERVER_TLS_LISTEN: '192.168.1.5:443' }), {
      dns: ['hearth.example', 'localhost'],
      ip: ['127.0.0.1', '::1', '192.168.1.5'],
    });
    // A wildcard: this machine's own addresses, which devices on the network connect to (never link-local).
    const lan = {
      eth0: [
        { address: '192.0.2.7', family: 'IPv4', internal: false },
        { address: 'fe80::1', family: 'IPv6', internal: false },
        { address: 'fd00::7', family: 'IPv6', internal: false },
      ],
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    } as never;
    const config = (env: Record<string, string>) => loadConfig({ HEARTH_HOME: tempHome(), ...env }).config;
    assert.deepEqual(tlsNames(config({ HEARTH_SERVER_TLS_LISTEN: '0.0.0.0:443' }), lan), { dns: ['localhost'], ip: ['127.0.0.1', '::1', '192.0.2.7'] });
    assert.deepEqual(tlsNames(config({ HEARTH_SERVER_TLS_LISTEN: '[::]:443' }), lan), { dns: ['localhost'], ip: ['127.0.0.1', '::1', '192.0.2.7', 'fd00::7'] });
    // The public URL's host: what devices are told to use.
    assert.deepEqual(names({ HEARTH_SERVER_PUBLIC_URL: 'https://hearth.lan:7443' }), { dns: ['localhost', 'hearth.lan'], ip: ['127.0.0.1', '::1'] });
    assert.deepEqual(names({ HEARTH_SERVER_TLS_LISTEN: '[0:0:0:0:0:0:0:1]:443' }), { dns: ['localhost'], ip: ['127.0.0.1', '::1'] });
  });

  it('while running: a new certificate is picked up without a restart; a broken CA is reported failed and the old certificate kept', async () => {
    const d = await startInProcess();
    try {
      const https = d.daemon.urls[1]!;
      const caPath = join(d.home, 'tls', 'ca.pem');
      const ca = readFileSync(caPath, 'utf8');
      const before = (await httpsCall(https, '/health', { ca })).cert;
      rmSync(join(d.home, 'tls', 'server.pem'));
      await d.daemon.checkTls();
      const after = (await httpsCall(https, '/health', { ca })).cert;
      assert.notEqual(after.fingerprint256, before.fingerprint256, 'the new certificate is served');
      assert.match(d.logText(), /"reason":"missing".*"msg":"made a new HTTPS server certificate"/);

      writeFileSync(caPath, 'broken\n');
      rmSync(join(d.home, 'tls', 'server.pem'));
      await d.daemon.checkTls();
      assert.equal(d.daemon.hearth.components.get('tls')?.status, 'failed');
      assert.match(d.daemon.hearth.components.get('tls')?.error ?? '', /ca\.pem does not hold a PEM certificate/);
      const r = await httpsCall(https, '/readiness', { ca });
      assert.equal(r.status, 503, 'readiness says so');
      assert.deepEqual(r.body.waiting.tls, { status: 'failed' });
      assert.equal(r.cert.fingerprint256, after.fingerprint256, 'and HTTPS keeps serving');

      writeFileSync(caPath, ca);
      await d.daemon.checkTls();
      assert.equal(d.daemon.hearth.components.get('tls')?.status, 'on');
      assert.equal((await httpsCall(https, '/readiness', { ca })).status, 200);
    } finally {
      await d.stop();
    }
  });
});

describe('req.protocol', () => {
  it('is https for requests that came over TLS and http otherwise, whatever a client claims', async () => {
    const home = tempHome();
    const { config } = loadConfig({ HEARTH_HOME: home, HEARTH_SERVER_TLS_LISTEN: '127.0.0.1:0' });
    const tls = await prepareTls(config, home);
    const hearth = new Hearth({ config, home, clock: systemClock, requestStop: () => {} });
    const app = await buildServer({ hearth, logger: pino({ level: 'silent' }), resolvers: new Map() });
    app.get('/proto', { config: { auth: PUBLIC, surface: 'health' } }, async (req) => ({ protocol: req.protocol, https: isHttps(req) }));
    await app.ready();
    // As the daemon serves them: one routing function behind each server.
    const secure = createHttpsServer({ cert: tls.cert, key: tls.key }, app.routing);
    const plain = createHttpServer(app.routing);
    await Promise.all([secure, plain].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    try {
      const overTls = await httpsCall(`https://127.0.0.1:${(secure.address() as AddressInfo).port}`, '/proto', { ca: readFileSync(tls.caPath!, 'utf8') });
      assert.deepEqual(overTls.body, { protocol: 'https', https: true });
      const overHttp = await fetch(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/proto`, { headers: { 'x-forwarded-proto': 'https' } });
      assert.deepEqual(await overHttp.json(), { protocol: 'http', https: false }, 'X-Forwarded-Proto from an untrusted peer is ignored');
    } finally {
      secure.close();
      plain.close();
      await app.close();
    }
  });
});
