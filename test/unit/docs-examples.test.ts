/**
 * The examples in the README and docs/ are what a new user types first: those that point a
 * Bitwarden client at the server must name the vault's URL (`…/bitwarden`), and
 * NODE_EXTRA_CA_CERTS must be exported, not set for one command that connects to nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/kernel/paths.js';

const files = ['README.md', 'DEVELOPERS.md', ...readdirSync(join(PACKAGE_ROOT, 'docs')).map((f) => join('docs', f))].filter((f) => f.endsWith('.md'));
const lines = files.flatMap((file) =>
  readFileSync(join(PACKAGE_ROOT, file), 'utf8')
    .split('\n')
    .map((text, i) => ({ where: `${file}:${i + 1}`, text })),
);

describe('examples in the docs', () => {
  it('every `bw config server` example names the vault URL, …/bitwarden', () => {
    const examples = lines.filter((l) => /bw config server\s+\S/.test(l.text));
    assert.ok(examples.length > 0, 'the docs show how to point bw at the server');
    for (const l of examples) assert.match(l.text, /bw config server\s+https?:\/\/\S+\/bitwarden\b/, l.where);
  });

  it('NODE_EXTRA_CA_CERTS is never set for `bw config server` alone (it connects to nothing)', () => {
    for (const l of lines) assert.doesNotMatch(l.text, /NODE_EXTRA_CA_CERTS=\S+\s+bw config server/, l.where);
  });
});
