import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { DAEMON_NODE_OPTIONS, PACKAGE_ROOT } from '../../src/kernel/paths.js';

// hearthd's Node.js options live in one constant (the CLI and the tests spawn with it); the places
// that cannot import it must say the same.
it('npm start and the systemd unit run hearthd with its Node.js options', () => {
  const options = DAEMON_NODE_OPTIONS.join(' ');
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, `node ${options} bin/hearthd.js`);
  assert.match(
    readFileSync(join(PACKAGE_ROOT, 'contrib', 'hearthd.service'), 'utf8'),
    new RegExp(`^ExecStart=/usr/bin/node ${options} /opt/hearth/bin/hearthd\\.js$`, 'm'),
  );
  assert.match(readFileSync(join(PACKAGE_ROOT, 'docs', 'operations.md'), 'utf8'), new RegExp(`\`${options}\``));
});
