import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './paths.js';

/** Version of the hearthd core (from package.json) and of the native API it speaks. */
const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };

export const VERSION_CORE: string = pkg.version;
export const API_VERSION = '1';
