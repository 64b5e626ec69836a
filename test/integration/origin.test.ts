/** Other sites cannot use the owner's browser against hearthd: cross-site writes and foreign Host names are refused. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'node:http';
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
});
