/**
 * Real certificates with ACME, against Debian's pebble (the ACME test server) on loopback, its
 * DNS answered by pebble-challtestsrv (every name is 127.0.0.1), HTTP-01 answered by hearthd.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { acmeDue } from '../../src/daemon/tls.js';
import { call, startDaemon, tempHome, waitFor, type RunningDaemon } from '../support/helpers.js';

const PEBBLE = process.env.HEARTH_TEST_PEBBLE ?? '/usr/bin/pebble';
const CHALLTESTSRV = `${PEBBLE}-challtestsrv`;
const skip = existsSync(PEBBLE) && existsSync(CHALLTESTSRV) ? false : `pebble is not installed (apt-get install pebble)`;
if (skip && process.env.CI) throw new Error(`CI: ${skip}`);

/** A free TCP port on loopback (and UDP, for the DNS server), chosen by the system. */
async function freePort(udp = false): Promise<number> {
  if (udp) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    s.close();
    return port;
  }
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function httpsGet(host: string, port: number, path: string, opts: { ca?: string; servername?: string } = {}) {
  return new Promise<{ status: number; body: string; cert: X509Certificate; authorized: boolean }>((resolve, reject) => {
    request({ host, port, path, ca: opts.ca, servername: opts.servername, rejectUnauthorized: false, agent: false }, (res) => {
      const socket = res.socket as TLSSocket;
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, cert: socket.getPeerX509Certificate()!, authorized: socket.authorized }));
    })
      .on('error', reject)
      .end();
  });
}

describe('ACME with pebble', { skip }, () => {
  const procs: ChildProcess[] = [];
  let output = '';
  let pebbleCa = ''; // what pebble's own HTTPS is signed by (acme_ca)
  let pebbleCaPath = '';
  let directory = '';
  let management = 0;
  let d: RunningDaemon | null = null;

  before(async () => {
    // Pebble's HTTPS certificate: another home's local CA made one for 127.0.0.1 and localhost.
    const other = await startDaemon();
    await other.stop();
    pebbleCaPath = join(other.home, 'tls', 'ca.pem');
    pebbleCa = readFileSync(pebbleCaPath, 'utf8');
    const dir = tempHome();
    const [listen, tlsPort, dns, mgmt, challMgmt] = [await freePort(), await freePort(), await freePort(true), await freePort(), await freePort()];
    management = mgmt;
    directory = `https://127.0.0.1:${listen}/dir`;
    const httpPort = await freePort();
    process.env.HEARTH_TEST_ACME_HTTP_PORT = String(httpPort);
    writeFileSync(
      join(dir, 'pebble.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${listen}`,
          managementListenAddress: `127.0.0.1:${mgmt}`,
          certificate: join(other.home, 'tls', 'server.pem'),
          privateKey: join(other.home, 'tls', 'server-key.pem'),
          // HTTP-01 is checked on hearthd's HTTP listener.
          httpPort,
          tlsPort,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    const run = (bin: string, args: string[], env: Record<string, string> = {}) => {
      const p = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      p.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      procs.push(p);
    };
    // Every name resolves to 127.0.0.1 (and has no IPv6 address).
    run(CHALLTESTSRV, [
      '-dns01',
      `127.0.0.1:${dns}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${challMgmt}`,
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ]);
    run(PEBBLE, ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dns}`], { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' });
    await waitFor(
      'pebble',
      async () => {
        try {
          return (await httpsGet('127.0.0.1', listen, '/dir', { ca: pebbleCa })).status === 200;
        } catch {
          return false;
        }
      },
      20000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
  });

  after(async () => {
    await d?.stop();
    for (const p of procs) p.kill('SIGTERM');
  });

  it('gets a certificate by HTTP-01, serves it without a restart, reports issuer and expiry, and keeps it in the home', async () => {
    const httpPort = process.env.HEARTH_TEST_ACME_HTTP_PORT!;
    const env = {
      HEARTH_SERVER_LISTEN: `127.0.0.1:${httpPort}`,
      HEARTH_SERVER_DOMAIN: 'hearth.test',
      HEARTH_SERVER_ACME_DIRECTORY: directory,
      HEARTH_SERVER_ACME_EMAIL: 'owner@hearth.test',
      HEARTH_SERVER_ACME_CA: pebbleCaPath,
    };
    d = await startDaemon({ env });
    const https = new URL(d.urls[1]!);
    let status: any;
    await waitFor(
      'the ACME certificate',
      async () => {
        status = (await call(d!, 'core/status')).body.result;
        return status.acme.status !== 'pending';
      },
      60000,
    );
    assert.equal(status.acme.status, 'on', `${JSON.stringify(status.acme)}\n${d.output()}\n${output}`);
    assert.equal(status.acme.error, null);
    assert.equal(status.acme.directory, directory);

    // Served now, on the HTTPS listener that was already up: issued by pebble, for the domain,
    // chaining to pebble's root (from its management interface).
    const root = (await httpsGet('127.0.0.1', management, '/roots/0', { ca: pebbleCa })).body;
    const served = await httpsGet(https.hostname, Number(https.port), '/health', { ca: root, servername: 'hearth.test' });
    assert.equal(served.status, 200);
    assert.match(served.cert.issuer, /Pebble Intermediate CA/);
    assert.equal(served.cert.checkHost('hearth.test'), 'hearth.test');
    assert.ok(served.authorized, 'the chain verifies against pebble’s root');
    assert.equal(status.tls.source, 'acme');
    assert.match(status.tls.issuer, /Pebble Intermediate CA/);
    assert.equal(status.tls.not_after, new Date(served.cert.validTo).toISOString());
    assert.equal(status.tls.ca_cert_path, null);
    assert.equal(status.tls.ca_cert_fingerprint, `SHA256: ${served.cert.fingerprint256.replaceAll(':', '').toLowerCase()}`);
    assert.equal(Date.parse(status.acme.renew_at), Date.parse(status.tls.not_after) - 30 * 86_400_000);
    // The local CA is no longer what devices must trust.
    assert.equal((await fetch(`${d.url}/ca.pem`)).status, 404);
    // pebble checked the challenge on hearthd's HTTP listener, which answered it.
    const answered = d.logs().filter((l) => l.route === '/.well-known/acme-challenge/:token');
    assert.ok(answered.length >= 1 && answered.every((l) => l.status === 200), JSON.stringify(answered));
    // The challenge was answered and is gone.
    assert.equal((await fetch(`${d.url}/.well-known/acme-challenge/nothing`)).status, 404);

    const acmeDir = join(d.home, 'acme');
    for (const f of ['key.pem', 'account-key.pem', 'cert.pem']) assert.equal(statSync(join(acmeDir, f)).mode & 0o777, 0o600, f);
    assert.equal(new X509Certificate(readFileSync(join(acmeDir, 'cert.pem'))).fingerprint256, served.cert.fingerprint256);
    assert.ok(!d.output().includes('PRIVATE KEY'));

    // Renewal: due 30 days before the end, not before (the twice-daily check asks this).
    const end = Date.parse(status.tls.not_after);
    assert.equal(acmeDue(d.home, end - 31 * 86_400_000), false);
    assert.equal(acmeDue(d.home, end - 29 * 86_400_000), true);
    assert.equal(acmeDue(tempHome(), Date.now()), true, 'none yet: due');

    // A restart serves the kept certificate at once, without a new order.
    await d.stop();
    d = await startDaemon({ home: d.home, env });
    const again = (await call(d, 'core/status')).body.result;
    assert.equal(again.tls.source, 'acme');
    assert.equal(again.acme.status, 'on');
    assert.equal(again.acme.last_attempt, null);
    const reserved = await httpsGet(https.hostname, Number(new URL(d.urls[1]!).port), '/health', { servername: 'hearth.test' });
    assert.equal(reserved.cert.fingerprint256, served.cert.fingerprint256);
  });
});
