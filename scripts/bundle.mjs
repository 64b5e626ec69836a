// Bundles the compiled CLI and daemon: `dist/hearth.mjs` and `dist/hearthd.mjs`, each one file
// for what every start needs, plus shared chunks in `dist/chunks/` for what only some paths load
// through a dynamic import() (a command's implementation, the vault, passkeys, SSH key parsing…).
// Loading one module instead of hundreds keeps `hearth <command>` quick, and what is never used
// is never loaded, which keeps the idle daemon small.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: { hearth: 'dist/src/cli/main.js', hearthd: 'dist/src/daemon/entry.js' },
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // No comments or line breaks: V8 keeps every loaded module's source in memory, and holds a
  // source with one non-ASCII character (a comment's '…') at two bytes per character. Licence
  // comments go to a .LEGAL.txt beside each file. HEARTH_BUNDLE_READABLE=1 keeps the layout (for
  // reading a CPU profile by line).
  legalComments: 'external',
  minifyWhitespace: process.env.HEARTH_BUNDLE_READABLE !== '1',
  // Native or optional drivers, and libraries only some paths use (qrcode for one command, the
  // X.509 library only when a certificate has to be made, pino-pretty only on a terminal, the ACME
  // client only with [server] acme_directory, openpgp only for keys, sshpk only to parse an SSH key),
  // stay in node_modules, loaded when needed.
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
    'sshpk',
  ],
  banner: { js: "import { createRequire as __hearthRequire } from 'node:module'; const require = __hearthRequire(import.meta.url);" },
});
