import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { apiMarkdown, configurationMarkdown } from '../../src/api/reference.js';
import { PACKAGE_ROOT } from '../../src/kernel/paths.js';

const REGENERATE = 'run `npm run docs` and commit the result';

/** The committed file, or null when it is missing. */
function committed(file: string): string | null {
  try {
    return readFileSync(join(PACKAGE_ROOT, file), 'utf8');
  } catch {
    return null;
  }
}

/** The first line where two texts part, for the failure message. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1}: committed ${JSON.stringify(a[i] ?? '(end)')}, generated ${JSON.stringify(e[i] ?? '(end)')}`;
  }
  return 'no difference';
}

describe('generated docs', () => {
  for (const [file, generate] of [
    ['docs/configuration.md', configurationMarkdown],
    ['docs/api.md', apiMarkdown],
  ] as const) {
    it(`${file} is what the generator makes`, () => {
      const expected = generate();
      const actual = committed(file);
      assert.ok(actual !== null, `${file} is missing: ${REGENERATE}`);
      if (actual !== expected) {
        assert.fail(`${file} is out of date (${firstDifference(actual, expected)}): ${REGENERATE}`);
      }
    });
  }

  it('the generators are pure: the same text twice', () => {
    assert.equal(configurationMarkdown(), configurationMarkdown());
    assert.equal(apiMarkdown(), apiMarkdown());
  });
});
