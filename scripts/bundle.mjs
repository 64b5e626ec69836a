// Bundles the compiled CLI and daemon into one file each: loading one module instead of
// hundreds keeps `hearth <command>` quick and the idle daemon small.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // Native or optional drivers, and libraries only some paths use (qrcode for one command, the
  // X.509 library only when a certificate has to be made, pino-pretty only on a terminal, the ACME client only with [server] acme_directory, openpgp only for keys), stay in node_modules, loaded when needed.
  external: [
    'better-sqlite3',
    'pg',
    '@node-rs/argon2',
    '@node-rs/bcrypt',
    'qrcode',
    '@peculiar/x509',
    'reflect-metadata',
    'pino-pretty',
    'acme-client',
    'openpgp',
  ],
  banner: { js: "import { createRequire as __hearthRequire } from 'node:module'; const require = __hearthRequire(import.meta.url);" },
};

await Promise.all([
  build({ ...common, entryPoints: ['dist/src/cli/main.js'], outfile: 'dist/hearth.mjs' }),
  build({ ...common, entryPoints: ['dist/src/daemon/main.js'], outfile: 'dist/hearthd.mjs' }),
]);
