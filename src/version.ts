import { readFileSync } from 'node:fs';

/** Version of the hearthd core (from package.json) and of the native API it speaks. */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const VERSION_CORE: string = pkg.version;
export const API_VERSION = '1';
