/** Every route declares who may call it; the server will not start otherwise. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { Hearth } from '../src/core/hearth.js';
import { buildServer } from '../src/http/server.js';
import { tempHome } from './helpers.js';

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
    const publicRoutes = app.hearthRoutes.filter((r) => r.config.auth && 'public' in r.config.auth).map((r) => `${r.method} ${r.url}`);
    // The whitelist is explicit and small: anything added to it must be added here too.
    assert.deepEqual(publicRoutes.filter((r) => r.includes('/API/')).sort(), ['POST /API/core/stats', 'POST /API/core/version']);
    await app.close();
  });

  it('a route without a declaration stops the server from starting', async () => {
    const app = await server();
    app.get('/undeclared', async () => 'oops');
    await assert.rejects(async () => void (await app.ready()), /routes without an auth declaration: GET \/undeclared/);
  });
});
