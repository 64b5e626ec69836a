// Writes the generated references, docs/configuration.md, docs/api.md and docs/state-file.schema.json, from the compiled
// generator. Run after `npm run build` (or `npx tsc -p .`): npm run build && node scripts/gen-docs.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiMarkdown, configurationMarkdown } from '../dist/src/api/reference.js';
import { STATE_SCHEMA } from '../dist/src/host/state-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const [file, text] of [
  ['docs/configuration.md', configurationMarkdown()],
  ['docs/api.md', apiMarkdown()],
  ['docs/state-file.schema.json', `${JSON.stringify(STATE_SCHEMA, null, 2)}\n`],
]) {
  writeFileSync(join(root, file), text);
  process.stdout.write(`wrote ${file}\n`);
}
