import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/kernel/config.js';
import { tempHome } from '../support/helpers.js';

describe('config', () => {
  it('works with no file and no variables: loopback 7070, SQLite, web and docs on', () => {
    const home = tempHome();
    const { config, file } = loadConfig({ HEARTH_HOME: home });
    assert.equal(file, null);
    assert.equal(config.server.listen, '127.0.0.1:7070');
    assert.equal(config.store.url, '');
    assert.equal(config.services.web, true);
    assert.deepEqual(config.store.skipped_migrations, []);
  });

  it("reads hearth.toml, and HEARTH_<SECTION>_<KEY> overrides it with the key's type", () => {
    const home = tempHome('[server]\nlisten = "127.0.0.1:8080"\n[services]\nweb = false\n[store]\nskipped_migrations = ["0001_accounts"]\n');
    const file = loadConfig({ HEARTH_HOME: home }).config;
    assert.equal(file.server.listen, '127.0.0.1:8080');
    assert.equal(file.services.web, false);
    assert.deepEqual(file.store.skipped_migrations, ['0001_accounts']);
    const env = loadConfig({
      HEARTH_HOME: home,
      HEARTH_SERVER_LISTEN: '[::1]:9090',
      HEARTH_SERVICES_WEB: 'true',
      HEARTH_SERVER_BODY_LIMIT: '4096',
      HEARTH_STORE_SKIPPED_MIGRATIONS: 'a, b',
    }).config;
    assert.equal(env.server.listen, '[::1]:9090');
    assert.equal(env.services.web, true);
    assert.equal(env.server.body_limit, 4096);
    assert.deepEqual(env.store.skipped_migrations, ['a', 'b']);
  });

  const refusals: [string, string | null, Record<string, string>, RegExp][] = [
    ['an unknown key in the file', '[server]\nport = 1\n', {}, /unknown key port in \[server\]/],
    ['an unknown section', '[nope]\na = 1\n', {}, /unknown section \[nope\]/],
    ['a wrong type in the file', '[services]\nweb = "yes"\n', {}, /\[services\] web: expected boolean/],
    ['broken TOML', '[server\n', {}, /not valid TOML/],
    ['an unknown key in the environment', null, { HEARTH_SERVER_PORT: '1' }, /HEARTH_SERVER_PORT: unknown key port/],
    ['a wrong type in the environment', null, { HEARTH_SERVER_BODY_LIMIT: 'lots' }, /HEARTH_SERVER_BODY_LIMIT: expected a number/],
    ['a value below the minimum', null, { HEARTH_SERVER_BODY_LIMIT: '10' }, /HEARTH_SERVER_BODY_LIMIT: expected integer/],
    ['a listen address without a port', null, { HEARTH_SERVER_LISTEN: 'localhost' }, /\[server\] listen: expected host:port/],
    ['an unknown log level', null, { HEARTH_LOG_LEVEL: 'loud' }, /HEARTH_LOG_LEVEL: expected "fatal"/],
    ['a key named like an Object member (environment)', null, { HEARTH_SERVER_CONSTRUCTOR: 'x' }, /HEARTH_SERVER_CONSTRUCTOR: unknown key constructor/],
    ['a key named like an Object member (file)', '[server]\ntoString = 1\n', {}, /unknown key toString in \[server\]/],
    ['a section named like an Object member', '[__proto__]\na = 1\n', {}, /unknown section|not valid TOML/],
    [
      'a role-token key too short to resist guessing',
      null,
      { HEARTH_SECURITY_TOKEN_ENCRYPTION_KEY: 'short-secret' },
      /HEARTH_SECURITY_TOKEN_ENCRYPTION_KEY: expected string/,
    ],
    ['a shutdown timeout setTimeout cannot hold', null, { HEARTH_SERVER_SHUTDOWN_TIMEOUT: '9999999' }, /HEARTH_SERVER_SHUTDOWN_TIMEOUT: expected number/],
  ];
  for (const [what, toml, env, message] of refusals) {
    it(`refuses ${what}, naming the key`, () => {
      const home = tempHome(toml ?? undefined);
      assert.throws(
        () => loadConfig({ HEARTH_HOME: home, ...env }),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }

  it('ignores HEARTH_ variables that are not config keys (HEARTH_HOME and others)', () => {
    const home = tempHome();
    assert.doesNotThrow(() => loadConfig({ HEARTH_HOME: home, HEARTH_TEST_PG: 'x' }));
  });
});
