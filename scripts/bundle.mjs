// Bundles the compiled CLI and daemon into one file each: loading one module instead of
// hundreds keeps `hearth <command>` quick and the idle daemon small.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // Native or optional drivers stay in node_modules, loaded only when the store needs them.
  external: ['better-sqlite3', 'pg'],
  banner: { js: "import { createRequire as __hearthRequire } from 'node:module'; const require = __hearthRequire(import.meta.url);" },
};

await Promise.all([
  build({ ...common, entryPoints: ['dist/src/cli/main.js'], outfile: 'dist/hearth.mjs' }),
  build({ ...common, entryPoints: ['dist/src/daemon/main.js'], outfile: 'dist/hearthd.mjs' }),
]);
