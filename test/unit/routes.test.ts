/** Every route declares who may call it; the server will not start otherwise. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { systemClock } from '../../src/kernel/clock.js';
import { loadConfig } from '../../src/kernel/config.js';
import { Hearth } from '../../src/kernel/hearth.js';
import { SURFACES } from '../../src/http/surfaces/index.js';
import { buildServer } from '../../src/http/server.js';
import { tempHome } from '../support/helpers.js';

async function server() {
  const { config, home } = loadConfig({ HEARTH_HOME: tempHome() });
  const hearth = new Hearth({ config, home, clock: systemClock, requestStop: () => {} });
  return buildServer({ hearth, logger: pino({ level: 'silent' }), resolvers: new Map() });
}

describe('route declarations', () => {
  it('every registered route declares an auth requirement and a surface', async () => {
    const app = await server();
    await app.ready();
    assert.ok(app.hearthRoutes.length >= 8, 'the walk sees the routes');
    for (const r of app.hearthRoutes) {
      assert.ok(r.config.auth, `${r.method} ${r.url} declares no auth`);
      assert.ok(r.config.surface, `${r.method} ${r.url} declares no surface`);
    }
    // The console's static files are public, and only GET.
    const consoleFiles = app.hearthRoutes.filter((r) => r.config.surface === 'console').map((r) => `${r.method} ${r.url}`);
    assert.ok(consoleFiles.includes('GET /'), 'the console is served at /');
    assert.ok(
      consoleFiles.every((r) => /^(GET|HEAD) \//.test(r)),
      consoleFiles.join(', '),
    );
    const publicRoutes = app.hearthRoutes.filter((r) => r.config.auth && 'public' in r.config.auth).map((r) => `${r.method} ${r.url}`);
    // The whitelist is explicit and small: anything added to it must be added here too.
    assert.deepEqual(
      publicRoutes.filter((r) => !r.startsWith('HEAD ') && !/^GET \/(docs|openapi|health|readiness)/.test(r) && !consoleFiles.includes(r)).sort(),
      [
        'GET /.well-known/acme-challenge/:token', // the ACME CA checks a challenge (only while one is answered)
        'GET /api/version', // SelfPrivacy's app reads it before it has a token
        'GET /bitwarden/api/config', // Bitwarden clients read it before logging in
        'GET /bitwarden/api/devices/knowndevice', // needs the device's own random identifier
        'GET /ca.pem', // the local CA's certificate: no secret, fetched before a device has a credential
        'GET /provider.json', // the provider document: read before a client has an account
        'POST /API/bonafide/user/authenticate', // logging in (rate-limited)
        'POST /API/bonafide/user/create', // the first account (with the setup code); then only as [accounts] registration allows
        'POST /API/bonafide/user/recover', // a forgotten password, with the recovery token (rate-limited)
        'POST /API/core/stats',
        'POST /API/core/version',
        'POST /API/device/authorize', // a new device with its pairing phrase (rate-limited)
        'POST /API/recovery/use', // a device with the recovery token (rate-limited)
        'POST /API/web/login', // the console's login: login cookie + password (rate-limited)
        'POST /API/web/loginprep', // the console's login cookie
        'POST /API/web/passkey/login', // the console's login with a passkey alone (rate-limited)
        'POST /API/web/passkey/options', // a challenge for it
        'POST /auth', // the admin password, as Basic auth (rate-limited)
        'POST /auth/new_device/authorize',
        'POST /auth/recovery_token/use',
        'POST /bitwarden/api/accounts/prelogin', // KDF settings (defaults for unknown e-mails)
        'POST /bitwarden/identity/accounts/prelogin',
        'POST /bitwarden/identity/accounts/prelogin/password',
        'POST /bitwarden/identity/accounts/register', // needs a single-use registration token
        'POST /bitwarden/identity/accounts/register/finish',
        'POST /bitwarden/identity/accounts/register/send-verification-email', // always 400: tokens come from the native API
        'POST /bitwarden/identity/connect/token', // the master-password hash or a refresh token (rate-limited)
      ],
    );
    // The Bitwarden surface takes its own access tokens and nothing else.
    for (const r of app.hearthRoutes.filter((r) => r.url.startsWith('/bitwarden'))) assert.equal(r.config.surface, 'bitwarden', r.url);
    assert.deepEqual(SURFACES.bitwarden.schemes, ['bitwarden']);
    for (const [surface, d] of Object.entries(SURFACES)) {
      if (surface !== 'bitwarden') assert.ok(!d.schemes.includes('bitwarden'), `${surface} must not take vault tokens`);
    }
    await app.close();
  });

  it('every surface whose answers carry or depend on a credential is no-store, and documents what it accepts', () => {
    for (const d of Object.values(SURFACES)) {
      if (d.schemes.length) {
        assert.equal(d.cacheControl, 'no-store', `${d.name} takes credentials: its answers must not be cached`);
        assert.ok(d.security.length > 0, `${d.name} takes credentials: its OpenAPI security must say which`);
      }
    }
    // The OpenAPI names of the schemes each surface accepts.
    const named: Record<string, string> = {
      global: 'hearthAuth',
      token: 'hearthToken',
      bearer: 'hearthBearer',
      cookie: 'hearthSession',
      bitwarden: 'bitwardenBearer',
    };
    for (const d of Object.values(SURFACES)) {
      const documented = new Set(d.security.flatMap((alternative) => Object.keys(alternative)));
      for (const scheme of d.schemes) assert.ok(documented.has(named[scheme]!), `${d.name} accepts ${scheme} but its OpenAPI security does not say so`);
      for (const name of documented) {
        if (name === 'hearthCsrf') continue;
        assert.ok(
          d.schemes.some((s) => named[s] === name),
          `${d.name} documents ${name}, which it refuses`,
        );
      }
    }
  });

  it('a route without a declaration stops the server from starting', async () => {
    const app = await server();
    app.get('/undeclared', async () => 'oops');
    await assert.rejects(async () => void (await app.ready()), /routes without an auth declaration: GET \/undeclared/);
  });
});
