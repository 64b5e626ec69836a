/** Every surface: its descriptor and its plugin, in the order the server registers them. */
import type { FastifyPluginAsync } from 'fastify';
import type { SurfaceDescriptor, SurfaceName, SurfaceOptions } from '../surface.js';
import { BITWARDEN, bitwardenSurface } from './bitwarden/index.js';
import { BITWARDEN_PREFIX } from './bitwarden/shared.js';
import { CONSOLE, consoleSurface } from './console/index.js';
import { DOCS } from './docs/index.js';
import { HEALTH, healthSurface } from './health/index.js';
import { NATIVE, nativeSurface } from './native/index.js';
import { REST, restSurface } from './rest/index.js';
import { TOKENS, tokensSurface } from './tokens/index.js';

export const SURFACES: Record<SurfaceName, SurfaceDescriptor> = {
  native: NATIVE,
  rest: REST,
  tokens: TOKENS,
  health: HEALTH,
  docs: DOCS,
  console: CONSOLE,
  bitwarden: BITWARDEN,
};

/** The plugins, each with the prefix it is mounted at. The docs come first, separately (they must see every route). */
export const PLUGINS: { plugin: FastifyPluginAsync<SurfaceOptions>; prefix?: string }[] = [
  { plugin: healthSurface },
  { plugin: nativeSurface },
  { plugin: restSurface },
  { plugin: tokensSurface },
  { plugin: consoleSurface },
  { plugin: bitwardenSurface, prefix: BITWARDEN_PREFIX },
];

/** The surface that owns an unknown path, by its prefixes (the longest match wins). */
export function surfaceOfPath(path: string): SurfaceDescriptor | null {
  let best: SurfaceDescriptor | null = null;
  let bestLength = 0;
  for (const s of Object.values(SURFACES)) {
    for (const p of s.prefixes) {
      if (path.startsWith(p) && p.length > bestLength) {
        best = s;
        bestLength = p.length;
      }
    }
  }
  return best;
}
