// The architecture rules in .dependency-cruiser.cjs, checked on src/ as part of `npm test`
// (`npm run lint` checks the same rules, and bench/ too, with the depcruise CLI).
//
// Runs from dist/test/unit/ after `tsc -p .`, but reads the TypeScript sources: the package root is
// found by walking up from this file to package.json.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, getAvailableTranspilers, type ICruiseOptions, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

const ROOT = packageRoot();
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/** The rules the architecture depends on: removing or renaming one must fail this test, not pass it. */
const REQUIRED_RULES = [
  'no-circular',
  'foundations-not-to-features-or-delivery',
  'features-not-to-delivery',
  'features-cross-only-via-service',
  'feature-core-no-transport-or-processes',
  'src-not-to-test-or-bench',
  'bench-only-test-support',
  'no-unresolvable',
];

async function loadOptions(): Promise<ICruiseOptions> {
  const options = await extractDepcruiseOptions(CONFIG);
  // The config names tsconfig.json relative to the package root; make that independent of the cwd.
  return { ...options, baseDir: ROOT, tsConfig: { fileName: join(ROOT, 'tsconfig.json') } };
}

function describeViolation(v: IViolation): string {
  const path = v.cycle?.length ? ` (cycle: ${[v.from, ...v.cycle.map((step) => step.name)].join(' -> ')})` : '';
  return `${v.rule.severity} ${v.rule.name}: ${v.from} -> ${v.to}${path}`;
}

describe('architecture (.dependency-cruiser.cjs)', () => {
  it('has the rules the layout relies on, each an error with a comment', async () => {
    const { ruleSet, tsPreCompilationDeps } = await loadOptions();
    const rules = new Map((ruleSet?.forbidden ?? []).map((rule) => [rule.name, rule]));
    for (const name of REQUIRED_RULES) {
      const rule = rules.get(name);
      assert.ok(rule, `rule ${name} is missing from .dependency-cruiser.cjs`);
      assert.equal(rule.severity, 'error', `rule ${name} must be an error`);
      assert.ok(rule.comment && rule.comment.length > 20, `rule ${name} needs a comment saying why`);
    }
    assert.equal(tsPreCompilationDeps, true, 'tsPreCompilationDeps must be true, or type-only imports (and their cycles) are not seen');
  });

  it('src/ breaks none of them', async () => {
    const typescript = getAvailableTranspilers().find((t) => t.name === 'typescript');
    assert.ok(
      typescript?.available,
      `dependency-cruiser finds no TypeScript compiler API it supports (${typescript?.version}): \`typescript\` must be the TypeScript 6 API package (see package.json)`,
    );
    const options = await loadOptions();
    const tsConfig = extractTSConfig(join(ROOT, 'tsconfig.json'));
    const { output } = await cruise(['src'], { ...options, outputType: 'json' }, {}, { tsConfig });
    const result: ICruiseResult = typeof output === 'string' ? JSON.parse(output) : output;

    // Guard against a vacuous pass: the graph must really have been built from src/.
    const fromSrc = result.modules.filter((m) => m.source.startsWith('src/'));
    assert.ok(fromSrc.length >= 20, `only ${fromSrc.length} modules of src/ were cruised`);
    const localTs = fromSrc.flatMap((m) => m.dependencies).filter((d) => d.resolved.startsWith('src/') && d.resolved.endsWith('.ts'));
    assert.ok(localTs.length >= 20, `only ${localTs.length} imports resolved to src/**/*.ts: is the .js -> .ts resolution broken?`);

    const violations = result.summary.violations.map(describeViolation);
    assert.equal(
      violations.length,
      0,
      `${violations.length} architecture violation(s) in src/ (the rules and their reasons: .dependency-cruiser.cjs):\n  ${violations.join('\n  ')}\n`,
    );
  });
});
