/** Other sites cannot use the owner's browser against hearthd: cross-site writes and foreign Host names are refused. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'node:http';
import { connect } from 'node:net';
import { call, startInProcess, type InProcessDaemon } from '../support/helpers.js';

/** A GET with a Host header of our choosing (fetch keeps its own). */
function rawGet(base: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request written by hand (fetch and http.request always send Host); answers the status line and the body. */
function rawRequest(base: string, text: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.end(text));
    let out = '';
    socket.on('data', (c: Buffer) => (out += c.toString()));
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(out)?.[1] ?? 0), body: out.slice(out.indexOf('\r\n\r\n') + 4) }));
    socket.on('error', reject);
  });
}

describe('requests from other sites', () => {
  let d: InProcessDaemon;
  before(async () => {
    d = await startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'hearth.example' } });
  });
  after(() => d.stop());

  it('a cross-site page cannot create the first account (a simple text/plain POST)', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }] as Record<string, string>[]) {
      const r = await call({ url: d.url }, 'bonafide/user/create', undefined, {
        raw: '{"username":"mallory","pass":"attacker-pw"}',
        headers: { 'content-type': 'text/plain', ...headers },
      });
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(r.body.error.code, 'forbidden');
    }
    assert.equal((await call(d, 'core/stats')).body.result.accounts, 0, 'no account was made');
  });

  it('a DNS-rebinding page (a Host of another name) gets nothing, not even reads', async () => {
    const r = await rawGet(d.url, '/readiness', 'evil.example');
    assert.equal(r.status, 400);
    assert.match(r.body, /does not answer to evil\.example/);
  });

  it("same-origin pages, scripts and the server's own names still work", async () => {
    const port = new URL(d.url).port;
    const same = await call({ url: d.url }, 'core/version', undefined, { headers: { origin: d.url, 'sec-fetch-site': 'same-origin' } });
    assert.equal(same.status, 200);
    for (const host of [`localhost:${port}`, `hearth.example:${port}`, `vault.hearth.example`, `[::1]:${port}`, '192.168.1.20']) {
      assert.equal((await rawGet(d.url, '/readiness', host)).status, 200, host);
    }
    assert.equal((await call({ url: d.url }, 'core/version')).status, 200, 'no Origin at all (curl, the CLI)');
  });

  it('an HTTP/1.0 request without a Host header is refused like a wrong Host, on every path', async () => {
    for (const path of ['/readiness', '/API/core/version', '/bitwarden/api/config', '/no/such/path']) {
      const method = path.startsWith('/API/') ? 'POST' : 'GET';
      const r = await rawRequest(d.url, `${method} ${path} HTTP/1.0\r\nContent-Length: 0\r\n\r\n`);
      assert.equal(r.status, 400, `${path}: ${r.body}`);
      assert.match(r.body, /send a Host header naming this server/, path);
    }
    const withHost = await rawRequest(d.url, `GET /readiness HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.equal(withHost.status, 200, 'HTTP/1.0 with a Host of its own is answered');
  });
});
