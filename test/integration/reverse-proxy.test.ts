/**
 * The reverse-proxy configurations in docs/operations.md, as written there, in front of a real
 * hearthd: Caddy and nginx terminate TLS for hearth.example.org, hearthd runs with the
 * hearth.toml shown there, and a browser-like client signs in to the console through each. Only
 * ports, certificate paths and the upstream port are changed. The client connects from 127.0.0.2,
 * so the address hearthd records shows whether the proxy's X-Forwarded-For was used (and a forged
 * one was not). Without nginx or caddy the test is skipped with a NOTICE, except on CI.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/kernel/paths.js';
import { call, startDaemon, waitFor, type RunningDaemon } from '../support/helpers.js';

const which = (name: string) =>
  ['/usr/sbin', '/usr/bin', ...(process.env.PATH ?? '').split(delimiter)].map((d) => join(d, name)).find((p) => existsSync(p)) ?? null;
const NGINX = which('nginx');
const CADDY = which('caddy');
const OPENSSL = which('openssl');
const missing = [!NGINX && 'nginx (Debian package nginx-light)', !CADDY && 'caddy', !OPENSSL && 'openssl'].filter(Boolean);
if (missing.length && process.env.CI)
  throw new Error(`${missing.join(', ')} missing, and CI must test the reverse-proxy configurations (.ci/run installs them)`);
const skip = missing.length ? `${missing.join(', ')} not found: the reverse-proxy tests are skipped` : false;
if (skip) console.log(`# NOTICE: ${skip}`);

const HOST = 'hearth.example.org';
const PASSWORD = 'account-password-1';

/** The fenced block of `lang` in the docs' reverse-proxy section. */
function snippet(lang: string): string {
  const docs = readFileSync(join(PACKAGE_ROOT, 'docs', 'operations.md'), 'utf8');
  const section = docs.slice(docs.indexOf('## Behind a reverse proxy'), docs.indexOf('## HTTPS'));
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  assert.ok(m, `docs/operations.md shows a ${lang} block for the reverse proxy`);
  return m[1]!;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** HTTPS to 127.0.0.1:port as hearth.example.org, from 127.0.0.2, trusting the test certificate. */
function https(port: number, ca: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        localAddress: '127.0.0.2',
        port,
        servername: HOST,
        ca,
        method,
        path,
        headers: { host: `${HOST}:${port}`, ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The console's sign-in, as the browser does it: loginprep (a cookie), then login with it. */
async function consoleLogin(port: number, ca: string, password: string, extra: Record<string, string> = {}): Promise<Answer> {
  const origin = { origin: `https://${HOST}:${port}`, ...extra };
  const prep = await https(port, ca, 'POST', '/API/web/loginprep', {}, origin);
  assert.equal(prep.status, 200, JSON.stringify(prep.body));
  const cookie = (prep.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
  return https(port, ca, 'POST', '/API/web/login', { username: 'alice', password, loginToken: prep.body.result.loginToken }, { ...origin, cookie });
}

describe('behind a reverse proxy, configured as docs/operations.md shows', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-proxy-'));
  const procs: ChildProcess[] = [];
  let d: RunningDaemon;
  let upstream = '';
  let ca = '';
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  before(async () => {
    execFileSync(
      OPENSSL!,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        `/CN=${HOST}`,
        '-addext',
        `subjectAltName=DNS:${HOST}`,
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const toml = snippet('toml');
    assert.match(toml, /trusted_proxies = \["127\.0\.0\.1", "::1"\]/);
    // The listen address is the docs' but for a free port (HEARTH_SERVER_LISTEN overrides it).
    d = await startDaemon({ toml, env: { HEARTH_SERVER_TLS_LISTEN: '', HEARTH_SECURITY_FAILURE_DELAY: '0' } });
    upstream = new URL(d.url).host;
    assert.equal((await call(d, 'bonafide/user/create', { username: 'alice', pass: PASSWORD })).status, 200);
  });

  async function checkThrough(port: number): Promise<void> {
    assert.equal((await https(port, ca, 'GET', '/health')).status, 200);
    // A forged X-Forwarded-For from the client is not believed: the proxy's view of the client is.
    const ok = await consoleLogin(port, ca, PASSWORD, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const session = (ok.headers['set-cookie'] as string[]).find((c) => c.startsWith('__Host-hearth_session='));
    assert.ok(session, 'a session cookie');
    assert.match(session, /; Secure/, 'Secure: hearthd knows the client used HTTPS');
    const bad = await consoleLogin(port, ca, 'wrong-password-1');
    assert.equal(bad.status, 401);
    const log = (await call(d, 'auth/log', {})).body.result as { address: string; success: boolean | number }[];
    assert.deepEqual(
      log.slice(0, 2).map((l) => l.address),
      ['127.0.0.2', '127.0.0.2'],
      'the login log has the client address the proxy saw',
    );
  }

  it('nginx: TLS at the proxy, Secure cookies, the client address from X-Forwarded-For, http redirected to https', async () => {
    const [http, tls] = [await freePort(), await freePort()];
    const prefix = join(dir, 'nginx');
    for (const sub of ['', 'logs', 'tmp']) mkdirSync(join(prefix, sub), { recursive: true });
    const site = snippet('nginx')
      .replace(/^\s*listen \[::\]:\d+.*\n/gm, '') // no IPv6 on every test machine
      .replace('listen 80;', `listen 127.0.0.1:${http};`)
      .replace('listen 443 ssl http2;', `listen 127.0.0.1:${tls} ssl http2;`)
      .replace(`/etc/letsencrypt/live/${HOST}/fullchain.pem`, join(dir, 'cert.pem'))
      .replace(`/etc/letsencrypt/live/${HOST}/privkey.pem`, join(dir, 'key.pem'))
      .replace('http://127.0.0.1:7070', `http://${upstream}`);
    assert.ok(site.includes(`proxy_pass http://${upstream};`));
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(prefix, 'tmp', t)};`).join('\n');
    writeFileSync(
      join(prefix, 'nginx.conf'),
      `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;\nworker_processes 1;\npid ${join(prefix, 'nginx.pid')};\nerror_log ${join(prefix, 'logs', 'error.log')};\n` +
        `events {}\nhttp {\naccess_log off;\n${temp}\n${site}\n}\n`,
    );
    const proc = spawn(NGINX!, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(proc);
    let out = '';
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(`nginx to listen (${out})`, () =>
      https(tls, ca, 'GET', '/health').then(
        () => true,
        () => false,
      ),
    );
    await checkThrough(tls);
    const redirect = await new Promise<{ status: number; location?: string }>((resolve, reject) =>
      import('node:http').then(({ get }) =>
        get({ host: '127.0.0.1', port: http, path: '/vault', headers: { host: HOST } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        }).on('error', reject),
      ),
    );
    assert.deepEqual(redirect, { status: 301, location: `https://${HOST}/vault` });
  });

  it('Caddy: TLS at the proxy, Secure cookies, the client address from X-Forwarded-For', async () => {
    const tls = await freePort();
    const home = join(dir, 'caddy');
    mkdirSync(home, { recursive: true });
    const site = snippet('caddy');
    assert.match(site, new RegExp(`^${HOST.replace(/\./g, '\\.')} \\{\\n\\treverse_proxy 127\\.0\\.0\\.1:7070\\n\\}`));
    // Caddy would get a certificate for the name from an ACME CA; here it uses the test's.
    const caddyfile =
      `{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system ${join(home, 'data')}\n}\n` +
      site.replace(`${HOST} {`, `https://${HOST}:${tls} {\n\ttls ${join(dir, 'cert.pem')} ${join(dir, 'key.pem')}`).replace('127.0.0.1:7070', upstream);
    writeFileSync(join(home, 'Caddyfile'), caddyfile);
    const proc = spawn(CADDY!, ['run', '--config', join(home, 'Caddyfile'), '--adapter', 'caddyfile'], {
      env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(proc);
    let out = '';
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(`caddy to listen`, () =>
      https(tls, ca, 'GET', '/health').then(
        () => true,
        () => false,
      ),
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${out}`);
    });
    await checkThrough(tls);
  });
});
