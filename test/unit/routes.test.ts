/** Every route declares who may call it; the server will not start otherwise. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { Hearth } from '../../src/core/hearth.js';
import { SURFACE_CREDENTIALS } from '../../src/http/route-config.js';
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
    assert.ok(consoleFiles.every((r) => /^(GET|HEAD) \//.test(r)), consoleFiles.join(', '));
    const publicRoutes = app.hearthRoutes.filter((r) => r.config.auth && 'public' in r.config.auth).map((r) => `${r.method} ${r.url}`);
    // The whitelist is explicit and small: anything added to it must be added here too.
    assert.deepEqual(
      publicRoutes.filter((r) => !r.startsWith('HEAD ') && !/^GET \/(docs|openapi|health|readiness)/.test(r) && !consoleFiles.includes(r)).sort(),
      [
        'GET /api/version', // SelfPrivacy's app reads it before it has a token
        'GET /bitwarden/api/config', // Bitwarden clients read it before logging in
        'GET /bitwarden/api/devices/knowndevice', // needs the device's own random identifier
        'POST /API/bonafide/user/authenticate', // logging in (rate-limited)
        'POST /API/bonafide/user/create', // the first account; then only as [accounts] registration allows
        'POST /API/core/stats',
        'POST /API/core/version',
        'POST /API/device/authorize', // a new device with its pairing phrase (rate-limited)
        'POST /API/recovery/use', // a device with the recovery token (rate-limited)
        'POST /API/web/login', // the console's login: login cookie + password (rate-limited)
        'POST /API/web/loginprep', // the console's login cookie
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
    for (const r of app.hearthRoutes.filter((r) => r.url.startsWith('/bitwarden'))) {
      assert.equal(r.config.surface, 'bitwarden', r.url);
      assert.equal(r.config.accepts, undefined, r.url);
    }
    assert.deepEqual(SURFACE_CREDENTIALS.bitwarden, ['bitwarden']);
    for (const [surface, schemes] of Object.entries(SURFACE_CREDENTIALS)) {
      if (surface !== 'bitwarden') assert.ok(!schemes.includes('bitwarden'), `${surface} must not take vault tokens`);
    }
    await app.close();
  });

  it('a route without a declaration stops the server from starting', async () => {
    const app = await server();
    app.get('/undeclared', async () => 'oops');
    await assert.rejects(async () => void (await app.ready()), /routes without an auth declaration: GET \/undeclared/);
  });
});
