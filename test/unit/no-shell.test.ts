/**
 * No source file starts a process through a shell: no `exec`/`execSync` from child_process, no
 * `shell:` option other than false, no `sh -c`, and child_process only where processes belong
 * (src/host/, and the CLI starting the daemon). The checker is tried on bad samples first, so
 * this test can fail.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/kernel/paths.js';

/** Where a module may import child_process (argv-only spawns). */
const MAY_SPAWN = [/^src\/host\//, /^src\/cli\/client\.ts$/];

export function shellProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const cp = /from\s+['"](node:)?child_process['"]|require\(\s*['"](node:)?child_process['"]\s*\)|getBuiltinModule\(\s*['"](node:)?child_process['"]/;
  if (cp.test(code)) {
    if (!MAY_SPAWN.some((re) => re.test(file))) problems.push('imports child_process outside src/host/');
    for (const m of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"](?:node:)?child_process['"]/g)) {
      const names = m[1]!.split(',').map((n) =>
        n
          .trim()
          .split(/\s+as\s+/)[0]!
          .trim(),
      );
      for (const bad of ['exec', 'execSync']) if (names.includes(bad)) problems.push(`imports ${bad} from child_process (it runs a shell)`);
    }
    for (const m of code.matchAll(/import\s+\*\s+as\s+(\w+)\s+from\s*['"](?:node:)?child_process['"]/g)) {
      if (new RegExp(`\\b${m[1]}\\.exec(Sync)?\\s*\\(`).test(code)) problems.push(`calls ${m[1]}.exec (it runs a shell)`);
    }
    if (/\bchild_process\s*\.\s*exec(Sync)?\s*\(/.test(code) || /require\(\s*['"](node:)?child_process['"]\s*\)\s*\.\s*exec(Sync)?\b/.test(code)) {
      problems.push('calls child_process.exec (it runs a shell)');
    }
  }
  if (/\bshell\s*:(?!\s*false\b)/.test(code)) problems.push('passes a shell: option other than false');
  if (/['"`](\/bin\/|\/usr\/bin\/)?(ba|da|z|k)?sh['"`]\s*,\s*\[?\s*['"`]-c/.test(code)) problems.push('runs sh -c');
  return problems;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|tsx|js|mjs|cjs)$/.test(e.name) ? [path] : [];
  });
}

describe('no shell', () => {
  it('the checker catches each way of reaching a shell', () => {
    const bad: [string, string][] = [
      ['src/host/a.ts', "import { exec } from 'node:child_process';\nexec('ls');"],
      ['src/host/a.ts', "import { spawn, execSync as run } from 'child_process';"],
      ['src/host/a.ts', "import * as cp from 'node:child_process';\ncp.exec('ls');"],
      ['src/host/a.ts', "import { spawn } from 'node:child_process';\nspawn('ls', [], { shell: true });"],
      ['src/host/a.ts', "import { spawn } from 'node:child_process';\nspawn('ls', [], { shell: '/bin/bash' });"],
      ['src/host/a.ts', "import { spawn } from 'node:child_process';\nspawn('/bin/sh', ['-c', 'ls']);"],
      ['src/features/x/service.ts', "import { spawn } from 'node:child_process';"],
      ['src/features/x/service.ts', "const cp = process.getBuiltinModule('child_process');"],
      ['src/cli/x.ts', "require('child_process').execSync('ls')"],
    ];
    for (const [file, text] of bad) assert.notDeepEqual(shellProblems(file, text), [], text);
    assert.deepEqual(
      shellProblems('src/host/a.ts', "import { spawn } from 'node:child_process';\nspawn(argv[0], argv.slice(1), { shell: false });\n/x/.exec(s);"),
      [],
    );
  });

  it('no file in src/ or the console reaches a shell', () => {
    const files = [...sources(join(PACKAGE_ROOT, 'src')), ...sources(join(PACKAGE_ROOT, 'web', 'src')), ...sources(join(PACKAGE_ROOT, 'bin'))];
    assert.ok(files.length > 50);
    const found = files.flatMap((path) => {
      const file = relative(PACKAGE_ROOT, path).split('\\').join('/');
      return shellProblems(file, readFileSync(path, 'utf8')).map((p) => `${file}: ${p}`);
    });
    assert.deepEqual(found, []);
  });
});
