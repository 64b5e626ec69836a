/**
 * Providers between two real hearthd on loopback: B serves its provider document and its CA; A
 * adds B only with B's CA fingerprint (shown when it is missing, refused when wrong), pins it,
 * reads and forgets it. A third, hand-made HTTPS provider serves a document whose fingerprint does
 * not match its CA, and then changes its CA: refused until confirmed. Unreachable providers and
 * plain-HTTP URLs are refused too, and no refusal stores anything.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { after } from 'node:test';
import { prepareTls, type TlsMaterial } from '../../src/daemon/tls.js';
import { loadConfig } from '../../src/kernel/config.js';
import { call, runCli, tempHome } from '../support/helpers.js';
import { forEachStore } from '../support/stores.js';
import type { InProcessDaemon } from '../support/helpers.js';

async function localCa(): Promise<TlsMaterial> {
  const home = tempHome();
  return prepareTls(loadConfig({ HEARTH_HOME: home }).config, home);
}

/** A hand-made provider over HTTPS: serves `doc()` and its CA; its certificate can be swapped. */
async function fakeProvider(material: TlsMaterial, doc: (url: string, ca: TlsMaterial) => object) {
  let current = material;
  const server: Server = createServer({ cert: material.cert, key: material.key }, (req, res) => {
    if (req.url === '/provider.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc(url, current)));
    if (req.url === '/ca.pem') return res.writeHead(200).end(readFileSync(current.caPath!, 'utf8'));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    swap(next: TlsMaterial) {
      current = next;
      server.setSecureContext({ cert: next.cert, key: next.key });
      server.closeAllConnections();
    },
    close: () => server.close(),
  };
}

forEachStore('providers', (store) => {
  let a: InProcessDaemon;
  let b: InProcessDaemon;
  let bUrl: string;
  let bFingerprint: string;
  const fakes: Awaited<ReturnType<typeof fakeProvider>>[] = [];
  store.before(async () => {
    a = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'a.example' } });
    b = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'b.example', HEARTH_ACCOUNTS_REGISTRATION: 'open', HEARTH_MAIL_SMTP_HOST: '127.0.0.1' } });
    const tls = (await call(b, 'core/status', {})).body.result.tls;
    bUrl = tls.url;
    bFingerprint = tls.ca_cert_fingerprint;
  });
  after(() => fakes.forEach((f) => f.close()));

  store.it("/provider.json has seed 000's fields, from the config and what is enabled", async () => {
    const r = await fetch(`${b.url}/provider.json`);
    assert.equal(r.status, 200);
    const doc = (await r.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), [
      'api_uri',
      'api_version',
      'ca_cert_fingerprint',
      'ca_cert_uri',
      'default_language',
      'description',
      'domain',
      'enrollment_policy',
      'languages',
      'name',
      'service',
      'services',
    ]);
    assert.equal(doc.api_uri, bUrl, 'the public URL: HTTPS as served');
    assert.equal(doc.ca_cert_uri, `${bUrl}/ca.pem`);
    assert.equal(doc.ca_cert_fingerprint, bFingerprint);
    assert.equal(doc.domain, 'b.example');
    assert.equal(doc.enrollment_policy, 'open');
    assert.deepEqual(doc.services, ['vault', 'mx', 'docs']);
    assert.equal((doc.service as { allow_registration: boolean }).allow_registration, true);
    assert.equal(((await (await fetch(`${a.url}/provider.json`)).json()) as { enrollment_policy: string }).enrollment_policy, 'closed');
  });

  const list = async () => (await call(a, 'bonafide/provider/list', {})).body.result;

  store.it(
    'a provider whose CA no public CA signs is refused, showing the fingerprint to check; a wrong fingerprint is refused; nothing is stored',
    async () => {
      const bare = await call(a, 'bonafide/provider/create', { domain: bUrl });
      assert.equal(bare.status, 403, JSON.stringify(bare.body));
      assert.ok(bare.body.error.message.includes(bFingerprint), bare.body.error.message);
      assert.match(bare.body.error.message, /pass it as fingerprint/);
      const wrong = await call(a, 'bonafide/provider/create', { domain: bUrl, fingerprint: `SHA256: ${'0'.repeat(64)}` });
      assert.equal(wrong.status, 400);
      assert.match(wrong.body.error.message, /not the fingerprint given/);
      const garbage = await call(a, 'bonafide/provider/create', { domain: bUrl, fingerprint: 'abc' });
      assert.equal(garbage.status, 400);
      assert.deepEqual(await list(), []);
    },
  );

  store.it("with B's fingerprint A stores B's document, pinned; read answers it; delete forgets it", async () => {
    // The fingerprint as a person may type it: upper case, with colons.
    const typed = bFingerprint.replace('SHA256: ', '').toUpperCase().match(/../g)!.join(':');
    const r = await call(a, 'bonafide/provider/create', { domain: bUrl, fingerprint: typed });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result.domain, 'b.example');
    assert.equal(r.body.result.ca_cert_fingerprint, bFingerprint);
    assert.equal(r.body.result.document.enrollment_policy, 'open');
    assert.deepEqual(
      (await list()).map((p: { domain: string; url: string }) => [p.domain, p.url]),
      [['b.example', bUrl]],
    );
    const read = await call(a, 'bonafide/provider/read', { domain: 'b.example' });
    assert.deepEqual(read.body.result, await (await fetch(`${b.url}/provider.json`)).json());
    assert.equal((await call(a, 'bonafide/provider/read', { domain: bUrl })).status, 200, 'by the URL it was added with');
    // Refreshing a pinned provider needs no fingerprint: the pinned CA is trusted.
    const again = await call(a, 'bonafide/provider/create', { domain: bUrl });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    // The CLI lists it.
    const cli = await runCli(['--json', 'provider', 'list'], { HEARTH_HOME: a.home });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout)[0].domain, 'b.example');
    assert.deepEqual((await call(a, 'bonafide/provider/delete', { domain: 'b.example' })).body.result, { deleted: 'b.example' });
    assert.deepEqual(await list(), []);
    assert.equal((await call(a, 'bonafide/provider/read', { domain: 'b.example' })).status, 404);
    assert.equal((await call(a, 'bonafide/provider/delete', { domain: 'b.example' })).status, 404);
  });

  store.it('a document whose fingerprint is not its CA is refused; a changed CA is refused until confirmed', async () => {
    const first = await localCa();
    const second = await localCa();
    let lie = true;
    const fake = await fakeProvider(first, (url, ca) => ({
      domain: 'fake.example',
      api_uri: url,
      ca_cert_uri: `${url}/ca.pem`,
      ca_cert_fingerprint: lie ? `SHA256: ${'ab'.repeat(32)}` : ca.fingerprint,
    }));
    fakes.push(fake);
    const liar = await call(a, 'bonafide/provider/create', { domain: fake.url, fingerprint: first.fingerprint });
    assert.equal(liar.status, 400, JSON.stringify(liar.body));
    assert.match(liar.body.error.message, /says its CA is SHA256: abab.*but the CA at .* is SHA256: /);
    assert.deepEqual(await list(), []);

    lie = false;
    assert.equal((await call(a, 'bonafide/provider/create', { domain: fake.url, fingerprint: first.fingerprint })).status, 200);
    fake.swap(second);
    const changed = await call(a, 'bonafide/provider/create', { domain: fake.url });
    assert.equal(changed.status, 409, JSON.stringify(changed.body));
    assert.ok(changed.body.error.message.includes(second.fingerprint) && changed.body.error.message.includes(first.fingerprint));
    assert.equal((await list())[0].ca_cert_fingerprint, first.fingerprint, 'still pinned to the first');
    const confirmed = await call(a, 'bonafide/provider/create', { domain: fake.url, fingerprint: second.fingerprint });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal((await list())[0].ca_cert_fingerprint, second.fingerprint);
    await call(a, 'bonafide/provider/delete', { domain: 'fake.example' });
  });

  store.it('unreachable providers, plain HTTP, paths and non-domains get a clear 4xx; only a maintainer adds', async () => {
    const cases: [string, RegExp][] = [
      ['https://127.0.0.1:1', /cannot fetch the provider document from https:\/\/127.0.0.1:1\/provider.json: .*ECONNREFUSED/],
      [b.url, /HTTPS only/],
      [`${bUrl}/some/path`, /without a path/],
      ['not a domain!', /must be a domain name/],
    ];
    for (const [domain, message] of cases) {
      const r = await call(a, 'bonafide/provider/create', { domain });
      assert.equal(r.status, 400, `${domain}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, message);
    }
    assert.deepEqual(await list(), []);
    assert.equal((await call(a, 'bonafide/provider/create', { domain: bUrl }, { noToken: true })).status, 401);
    // The first account needs the setup code, or a maintainer's credential: the global token here.
    assert.equal((await call(a, 'bonafide/user/create', { username: 'owner1', pass: 'correct horse battery' })).status, 200);
    assert.equal((await call(a, 'bonafide/user/create', { username: 'carol', pass: 'correct horse battery' })).status, 200);
    const login = await call(a, 'bonafide/user/authenticate', { username: 'carol', pass: 'correct horse battery' }, { noToken: true });
    const r = await call(
      a,
      'bonafide/provider/create',
      { domain: bUrl, fingerprint: bFingerprint },
      { noToken: true, headers: { authorization: login.body.result.authorization } },
    );
    assert.equal(r.status, 403, 'a creator cannot make this server fetch URLs');
  });
});
