/**
 * Configuration: defaults, then `$HEARTH_HOME/hearth.toml`, then `HEARTH_<SECTION>_<KEY>`
 * environment variables. Every key is declared here once, with its type, default and the
 * description the README's reference is checked against.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseToml } from 'smol-toml';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const CONFIG_SCHEMA = Type.Object({
  server: Type.Object({
    listen: Type.String({
      default: '127.0.0.1:7070',
      description: 'Address and port of the HTTP service, `host:port` (`[::1]:7070` for IPv6; port 0 picks a free one).',
    }),
    socket: Type.String({
      default: 'hearthd.sock',
      description: 'Unix socket the `hearth` CLI talks to, relative to the home; empty disables it.',
    }),
    body_limit: Type.Integer({
      default: 1048576,
      minimum: 1024,
      description: 'Largest request body accepted, in bytes; larger bodies get 413.',
    }),
    shutdown_timeout: Type.Number({
      default: 10,
      minimum: 0,
      maximum: 3600,
      description: 'Seconds a graceful stop waits for requests in flight before closing their connections.',
    }),
  }),
  services: Type.Object({
    web: Type.Boolean({
      default: true,
      description: 'Serve HTTP on `[server] listen`. When false only the Unix socket answers (the CLI keeps working).',
    }),
    docs: Type.Boolean({
      default: true,
      description: 'Serve the OpenAPI document at `/openapi.json` and its offline docs page at `/docs`.',
    }),
  }),
  store: Type.Object({
    url: Type.String({
      default: '',
      description: 'Empty for the embedded SQLite file `hearth.db` in the home; `sqlite:PATH` for another file; `postgres://user@host:port/db` for PostgreSQL.',
    }),
    skipped_migrations: Type.Array(Type.String(), {
      default: [],
      description: 'Migration ids not to run at start; `"DISABLE_ALL"` disables migrations altogether.',
    }),
  }),
  log: Type.Object({
    level: Type.Union(
      LOG_LEVELS.map((l) => Type.Literal(l)),
      { default: 'info', description: 'Least severe log level written: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.' },
    ),
  }),
});

export type Config = Static<typeof CONFIG_SCHEMA>;

/** A configuration problem: start-up prints its message as one line and exits non-zero. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadedConfig {
  home: string;
  file: string | null; // the hearth.toml that was read, if any
  config: Config;
}

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HEARTH_HOME || join(homedir(), '.config', 'hearth'));
}

type Sections = typeof CONFIG_SCHEMA.properties;

function sectionSchema(section: string): Record<string, TSchema> | undefined {
  const sections = CONFIG_SCHEMA.properties as Record<string, { properties: Record<string, TSchema> }>;
  return Object.hasOwn(sections, section) ? sections[section]!.properties : undefined;
}

/** A key's schema, only for keys declared here (never `constructor` or `__proto__`). */
function keySchema(keys: Record<string, TSchema>, key: string): TSchema | undefined {
  return Object.hasOwn(keys, key) ? keys[key] : undefined;
}

/** Every documented key as `section.key`, with its schema (for docs and tests). */
export function configKeys(): { section: string; key: string; schema: TSchema }[] {
  const out: { section: string; key: string; schema: TSchema }[] = [];
  for (const [section, s] of Object.entries(CONFIG_SCHEMA.properties as Sections)) {
    for (const [key, schema] of Object.entries(s.properties as Record<string, TSchema>)) {
      out.push({ section, key, schema });
    }
  }
  return out;
}

function describeType(schema: TSchema): string {
  if (schema.anyOf) return (schema.anyOf as TSchema[]).map((s) => JSON.stringify(s.const)).join(' | ');
  if (schema.type === 'array') return `array of ${(schema.items as TSchema).type}s`;
  return String(schema.type);
}

/** Turns an environment string into the key's type, or explains why it can't. */
function coerceEnv(name: string, raw: string, schema: TSchema): unknown {
  switch (schema.type) {
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      throw new ConfigError(`${name}: expected true or false, got ${JSON.stringify(raw)}`);
    case 'integer':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${name}: expected a number, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'array':
      if (raw.trim().startsWith('[')) {
        try {
          return JSON.parse(raw);
        } catch {
          throw new ConfigError(`${name}: expected a JSON array or a comma-separated list`);
        }
      }
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

function checkValue(where: string, value: unknown, schema: TSchema): void {
  if (Value.Check(schema, value)) return;
  const first = Value.Errors(schema, value).First();
  const want = describeType(schema);
  const why = first && first.path !== '' ? ` (${first.path}: ${first.message})` : first ? ` (${first.message})` : '';
  throw new ConfigError(`${where}: expected ${want}, got ${JSON.stringify(value)}${why}`);
}

/**
 * Loads the configuration for `home`. Unknown sections or keys, wrong types and unreadable
 * files throw a ConfigError whose message names the key and the file or variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const home = defaultHome(env);
  const config = Value.Default(CONFIG_SCHEMA, {
    server: {},
    services: {},
    store: {},
    log: {},
  }) as Config;
  const values = config as unknown as Record<string, Record<string, unknown>>;

  const file = join(home, 'hearth.toml');
  let readFile: string | null = null;
  if (existsSync(file)) {
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      const msg = (err as Error).message.split('\n')[0];
      throw new ConfigError(`${file}: not valid TOML: ${msg}`);
    }
    for (const [section, table] of Object.entries(doc)) {
      const keys = sectionSchema(section);
      if (!keys) throw new ConfigError(`${file}: unknown section [${section}]`);
      if (typeof table !== 'object' || table === null || Array.isArray(table)) {
        throw new ConfigError(`${file}: [${section}] must be a table`);
      }
      for (const [key, value] of Object.entries(table)) {
        const schema = keySchema(keys, key);
        if (!schema) throw new ConfigError(`${file}: unknown key ${key} in [${section}]`);
        checkValue(`${file}: [${section}] ${key}`, value, schema);
        values[section]![key] = value;
      }
    }
    readFile = file;
  }

  // HEARTH_<SECTION>_<KEY>; HEARTH_HOME and variables of other programs are not config keys.
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('HEARTH_') || raw === undefined) continue;
    const rest = name.slice('HEARTH_'.length).toLowerCase();
    const section = Object.keys(CONFIG_SCHEMA.properties).find((s) => rest.startsWith(`${s}_`));
    if (!section) continue;
    const key = rest.slice(section.length + 1);
    const schema = keySchema(sectionSchema(section)!, key);
    if (!schema) throw new ConfigError(`${name}: unknown key ${key} in [${section}]`);
    const value = coerceEnv(name, raw, schema);
    checkValue(name, value, schema);
    values[section]![key] = value;
  }

  parseListen(config.server.listen); // validates early, with the key's name
  return { home, file: readFile, config };
}

/** `host:port` or `[v6]:port` → parts; throws a ConfigError naming the key. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError(`[server] listen: expected host:port (e.g. 127.0.0.1:7070), got ${JSON.stringify(listen)}`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** Where a path from the config lives: absolute as given, else inside the home. */
export function inHome(home: string, path: string): string {
  return isAbsolute(path) ? path : join(home, path);
}
