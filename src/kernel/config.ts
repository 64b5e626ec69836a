/**
 * Configuration: defaults, then `$HEARTH_HOME/hearth.toml`, then `HEARTH_<SECTION>_<KEY>`
 * environment variables. Every key is declared here once, with its type, default and the
 * description docs/configuration.md is generated from (a test fails when it is stale).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseToml } from 'smol-toml';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A host command: an argv array run without a shell; a `{placeholder}` argument is replaced whole. */
const Argv = (def: string[], description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { default: def, minItems: 1, description: `${description} An argv array, run without a shell.` });

export const CONFIG_SCHEMA = Type.Object({
  server: Type.Object({
    listen: Type.String({
      default: '127.0.0.1:7070',
      description: 'Address and port of the HTTP service, `host:port` (`[::1]:7070` for IPv6; port 0 picks a free one).',
    }),
    tls_listen: Type.String({
      default: '127.0.0.1:7443',
      description: 'Address and port of the HTTPS service (the same routes as `listen`), `host:port`; empty disables HTTPS.',
    }),
    tls_cert: Type.String({
      default: '',
      description:
        'PEM certificate for HTTPS (leaf first, then any intermediates), relative to the home or absolute. Empty, with `tls_key` empty: a certificate from the local CA hearthd keeps in `tls/` in the home.',
    }),
    tls_key: Type.String({
      default: '',
      description: 'PEM private key of `tls_cert`, relative to the home or absolute; set both or neither.',
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
    public_url: Type.String({
      default: '',
      pattern: '^(|https?://[^\\s/?#]+(/[^\\s?#]*)?)$',
      description:
        "The URL clients are told to use (pairing links, the vault's server URL for Bitwarden apps, provider documents), e.g. `https://hearth.example.org`; no trailing slash needed. Empty: the HTTPS listener's URL, else the HTTP one's.",
    }),
    domain: Type.String({
      default: 'localhost',
      pattern: '^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$',
      description: "The server's domain: an account's mail and vault identity is `username@domain`, and commands accept either form.",
    }),
    acme_directory: Type.String({
      default: '',
      pattern: '^(|letsencrypt|letsencrypt-staging|https://\\S+)$',
      description:
        "Get HTTPS's certificate from an ACME CA for `[server] domain`, answering the HTTP-01 challenge on `listen` (which the CA must reach on port 80): `letsencrypt`, `letsencrypt-staging`, or the directory URL of another ACME server. Renewed 30 days before it ends, served without a restart. Empty: off (the local CA, or `tls_cert`).",
    }),
    acme_email: Type.String({
      default: '',
      description: 'Contact address given to the ACME CA for the account (expiry notices); empty: none.',
    }),
    acme_ca: Type.String({
      default: '',
      description:
        "PEM file of a CA to trust, besides the system's, for the ACME server's own HTTPS (a private ACME server), relative to the home or absolute; empty: the system's CAs only.",
    }),
    trusted_proxies: Type.Array(Type.String(), {
      default: [],
      description:
        'Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed (for rate limits, the login log and secure cookies). Empty: none.',
    }),
  }),
  accounts: Type.Object({
    registration: Type.Union(
      (['closed', 'invite', 'open'] as const).map((l) => Type.Literal(l)),
      {
        default: 'closed',
        description:
          "Who may create an account without the owner's credential: `closed` (nobody; the owner creates accounts), `invite` (whoever has an invite code from `bonafide/invite/create`) or `open` (anyone). The first account can always be created while none exists.",
      },
    ),
    invite_ttl: Type.Integer({
      default: 604800,
      minimum: 60,
      description: 'Seconds an invite code stays valid.',
    }),
    session_idle_timeout: Type.Integer({
      default: 86400,
      minimum: 60,
      description: 'Seconds a login session (`user/authenticate`, the console) lives without use; each use extends it.',
    }),
    session_max_age: Type.Integer({
      default: 2592000,
      minimum: 60,
      description: 'Seconds after which a login session ends however much it is used.',
    }),
  }),
  security: Type.Object({
    admin_password_hash: Type.String({
      default: '',
      description: 'Hash of the admin password that `POST /auth` takes (argon2id from `hearth admin hash-password`, or bcrypt). Empty: `/auth` is off.',
    }),
    token_encryption_key: Type.String({
      default: '',
      // Anyone holding a role token could guess a short key offline and forge tokens.
      pattern: '^(|.{32,})$',
      description:
        "Secret (at least 32 characters) from which the role-token key is derived (HKDF); replicas that share it accept each other's tokens, and changing it revokes every role token. Empty: a random key kept in `token.key` in the home.",
    }),
    max_token_ttl: Type.Integer({
      default: 86400,
      minimum: 60,
      description: 'Longest lifetime, in seconds, of one role token from `/auth`, `/refresh` or `token/create`; longer requests are cut to it.',
    }),
    max_token_chain: Type.Integer({
      default: 2592000,
      minimum: 60,
      description: 'Seconds after the first `/auth` beyond which `/refresh` gives no new role token: a chain of refreshes cannot live forever.',
    }),
    failure_delay: Type.Integer({
      default: 500,
      minimum: 0,
      maximum: 10000,
      description: 'Milliseconds every failed login waits before it is answered.',
    }),
  }),
  services: Type.Object({
    web: Type.Boolean({
      default: true,
      description: 'Serve HTTP on `[server] listen` and HTTPS on `[server] tls_listen`. When false only the Unix socket answers (the CLI keeps working).',
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
  mail: Type.Object({
    smtp_host: Type.String({
      default: '',
      description: "Host of the mail server's SMTP service that `mail/status` probes (a TCP connect and its `220` greeting). Empty: SMTP is reported `off`.",
    }),
    smtp_port: Type.Integer({ default: 25, minimum: 1, maximum: 65535, description: 'Port of the SMTP service.' }),
    imap_host: Type.String({
      default: '',
      description:
        "Host of the mail server's IMAP service that `mail/status` probes (its `* OK` greeting) and asks for unread counts. Empty: IMAP is reported `off`.",
    }),
    imap_port: Type.Integer({ default: 993, minimum: 1, maximum: 65535, description: 'Port of the IMAP service.' }),
    imap_tls: Type.Boolean({
      default: true,
      description: 'Whether the IMAP port speaks TLS from the start (IMAPS, 993). Unread counts are asked only over TLS: no password goes over plain TCP.',
    }),
    imap_ca: Type.String({
      default: '',
      description: "PEM file of the CA that signed the IMAP server's certificate, relative to the home or absolute. Empty: the system's CAs.",
    }),
    imap_master_user: Type.String({
      default: '',
      description:
        "A master user of the IMAP server (Dovecot's `master_user`), logged in as `<username><imap_master_separator><imap_master_user>` to read each account's unread count. Empty: unread counts are null.",
    }),
    imap_master_password: Type.String({ default: '', description: "The master user's password; never logged." }),
    imap_master_separator: Type.String({
      default: '*',
      minLength: 1,
      maxLength: 1,
      description: "The IMAP server's master-user separator (Dovecot's `auth_master_user_separator`).",
    }),
    timeout: Type.Number({
      default: 3,
      minimum: 0.1,
      maximum: 60,
      description: 'Seconds each probe (connect, greeting, and for IMAP the unread count) may take before it is reported `failed`.',
    }),
  }),
  host: Type.Object({
    apply: Argv(['nixos-rebuild', 'switch'], "Command that applies the state file to the server (the operating system's configuration reads it)."),
    upgrade: Argv(['nixos-rebuild', 'switch', '--upgrade'], 'Command that upgrades the operating system and applies the configuration.'),
    rollback: Argv(['nixos-rebuild', 'switch', '--rollback'], 'Command that goes back to the previous configuration.'),
    reboot: Argv(['systemctl', 'reboot'], 'Command that reboots the server.'),
    pull: Argv(['git', '-C', '/etc/nixos', 'pull', '--ff-only'], "Command that pulls the operating system's configuration repository."),
    service_status: Argv(
      ['systemctl', 'is-active', '{unit}'],
      "Command that prints the state of one unit (`active`, `inactive`, `failed`, …); `{unit}` is replaced by the unit's name, as a whole argument.",
    ),
    command_timeout: Type.Integer({
      default: 3600,
      minimum: 1,
      description: 'Seconds a host command (apply, upgrade, …) may run before it is stopped; `service_status` gets at most 10.',
    }),
    state_file: Type.String({
      default: '/etc/nixos/userdata/hearth.json',
      description:
        "The state file: the server's desired state (users, SSH keys, services, timezone, auto-upgrade) as JSON that the operating system's configuration reads (schema: docs/state-file.schema.json). Relative to the home or absolute. Written atomically, under `<state_file>.lock`.",
    }),
    authorized_keys_dir: Type.String({
      default: '/etc/ssh/authorized_keys.d',
      description:
        "Directory of OpenSSH `authorized_keys` files, one per user named after the user (NixOS's sshd reads `/etc/ssh/authorized_keys.d/%u`). Relative to the home or absolute.",
    }),
    system_logins: Type.Boolean({
      default: false,
      description:
        "Put a crypt(3) SHA-512 hash of each account's password in the state file, so the account can log in to the server itself (a second hash of the password, off by default). Computed in-process whenever the account's password is given in plain text: when it is set (account creation, invite sign-up, a change, a reset, a recovery, the console) or at a login with it; until then the account has none. A Bitwarden sign-in never makes one: it sends a hash of the vault's master password, not the account's password.",
    }),
    services: Type.Array(
      Type.Object({
        id: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
        name: Type.String({ maxLength: 100 }),
        units: Type.Array(Type.String({ pattern: '^(?!.*\\.\\.)[a-zA-Z0-9@_:][a-zA-Z0-9@._:-]{0,127}$' })),
      }),
      {
        default: [],
        description:
          'Services besides the built-in ones (mailserver, bitwarden, gitea, nextcloud, ocserv, pleroma, http), e.g. `[{ id = "jitsi", name = "Jitsi", units = ["jitsi-meet.service"] }]`.',
      },
    ),
    dkim_dir: Type.String({
      default: '/var/dkim',
      description: "Directory of the mail server's DKIM keys: `<domain>.selector.txt` (the DNS record) and `<domain>.selector.key` (the private key).",
    }),
    volumes: Type.Array(Type.String(), {
      default: ['/'],
      description: 'Mount points whose free and used space `core/status` reports.',
    }),
    disk_warning: Type.Number({
      default: 10,
      minimum: 0,
      maximum: 100,
      description: 'A volume with less free space than this percentage of its size is reported as `warning`.',
    }),
  }),
  log: Type.Object({
    level: Type.Union(
      LOG_LEVELS.map((l) => Type.Literal(l)),
      { default: 'info', description: 'Least severe log level written: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.' },
    ),
  }),
  backup: Type.Object({
    restic: Type.String({ default: 'restic', minLength: 1, description: 'The restic executable (a name looked up in PATH, or an absolute path).' }),
    paths: Type.Array(Type.String({ pattern: '^/', maxLength: 4096 }), {
      default: [],
      description:
        "Absolute paths backed up besides Hearth's own data (its store, secrets and configuration, always included), e.g. the services' data directories. A restore puts them back in place.",
    }),
    stop_units: Type.Array(Type.String({ pattern: '^[a-zA-Z0-9@._:-]{1,128}$' }), {
      default: [],
      description: 'Units stopped before a restore writes the backed-up paths back, and started again after it (whether it succeeded or not).',
    }),
    service_stop: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      default: ['systemctl', 'stop', '{unit}'],
      minItems: 1,
      description: "Command that stops one unit; `{unit}` is replaced by the unit's name, as a whole argument. An argv array, run without a shell.",
    }),
    service_start: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      default: ['systemctl', 'start', '{unit}'],
      minItems: 1,
      description: "Command that starts one unit; `{unit}` is replaced by the unit's name, as a whole argument. An argv array, run without a shell.",
    }),
  }),
  jobs: Type.Object({
    heartbeat_interval: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 3600,
      description:
        'Seconds between the heartbeats a daemon writes for the jobs it runs. A queued or running job whose heartbeat is older than three intervals belongs to a daemon that died: the next daemon to start (or to start a job of its kind) marks it failed; a job another live replica runs is left alone. Give every replica sharing a store the same value.',
    }),
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

function sectionSchema(section: string): Record<string, TSchema> | undefined {
  const sections = CONFIG_SCHEMA.properties as Record<string, { properties: Record<string, TSchema> }>;
  return Object.hasOwn(sections, section) ? sections[section]!.properties : undefined;
}

/** A key's schema, only for keys declared here (never `constructor` or `__proto__`). */
function keySchema(keys: Record<string, TSchema>, key: string): TSchema | undefined {
  return Object.hasOwn(keys, key) ? keys[key] : undefined;
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
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
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
    accounts: {},
    security: {},
    store: {},
    mail: {},
    host: {},
    log: {},
    backup: {},
    jobs: {},
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

  // Validated early, each with its key's name.
  parseListen(config.server.listen);
  if (config.server.tls_listen) parseListen(config.server.tls_listen, 'tls_listen');
  const { tls_cert: cert, tls_key: key } = config.server;
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError(
      `[server] ${cert ? 'tls_key' : 'tls_cert'}: empty while [server] ${cert ? 'tls_cert' : 'tls_key'} is set; set both, or neither for the local CA`,
    );
  }
  if (config.server.acme_directory && cert) {
    throw new ConfigError('[server] acme_directory: set while [server] tls_cert is set; a certificate comes from one or the other');
  }
  return { home, file: readFile, config };
}

const LISTEN_EXAMPLE = { listen: '127.0.0.1:7070', tls_listen: '127.0.0.1:7443' } as const;
const HOST_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;

/** `host:port` or `[v6]:port` → parts; throws a ConfigError naming the key. */
export function parseListen(listen: string, key: keyof typeof LISTEN_EXAMPLE = 'listen'): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  const host = m ? (m[1] ?? m[2])! : '';
  if (!m || port > 65535 || (m[1] ? isIP(host) !== 6 : !HOST_NAME.test(host))) {
    throw new ConfigError(`[server] ${key}: expected host:port (e.g. ${LISTEN_EXAMPLE[key]}), got ${JSON.stringify(listen)}`);
  }
  return { host, port };
}

/** Where a path from the config lives: absolute as given, else inside the home. */
export function inHome(home: string, path: string): string {
  return isAbsolute(path) ? path : join(home, path);
}
