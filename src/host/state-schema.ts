/**
 * The state file's JSON Schema: what the operating system's configuration may rely on. Every
 * write is checked against it before it reaches the disk; docs/state-file.schema.json is this
 * object as JSON (a unit test keeps them equal).
 */

/** Key types Hearth accepts, as OpenSSH names them. */
export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
] as const;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One `authorized_keys` line: type, base64 blob, an optional comment of printable ASCII. */
export const SSH_KEY_LINE = `^(${SSH_KEY_TYPES.map(escapeRe).join('|')}) [A-Za-z0-9+/]+={0,3}( [\\x20-\\x7e]{1,100})?$`;
export const USERNAME_PATTERN = '^[a-z_][a-z0-9_]{0,31}$';
export const SERVICE_ID_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';

const sshKeys = { type: 'array', items: { type: 'string', pattern: SSH_KEY_LINE, maxLength: 16384 }, maxItems: 1000 };

export const STATE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://hearth.invalid/state-file.schema.json',
  title: 'Hearth state file',
  description: "The server's desired state, written by hearthd for the operating system's configuration to read.",
  type: 'object',
  additionalProperties: false,
  required: ['version', 'generatedAt', 'domain', 'timezone', 'autoUpgrade', 'ssh', 'users', 'services'],
  properties: {
    version: { const: 1, description: 'Format version; a change that old readers would misread gets a new number.' },
    generatedAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$', description: 'When it was written, ISO 8601 in UTC.' },
    domain: { type: 'string', pattern: '^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$', maxLength: 253 },
    timezone: { type: 'string', pattern: '^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$', maxLength: 64, description: 'An IANA time zone name.' },
    autoUpgrade: {
      type: 'object',
      additionalProperties: false,
      required: ['enable', 'allowReboot'],
      properties: { enable: { type: 'boolean' }, allowReboot: { type: 'boolean' } },
    },
    ssh: {
      type: 'object',
      additionalProperties: false,
      required: ['enable', 'passwordAuthentication', 'rootKeys'],
      properties: {
        enable: { type: 'boolean' },
        passwordAuthentication: { type: 'boolean' },
        rootKeys: { ...sshKeys, description: "root's authorized keys, one `authorized_keys` line each" },
      },
    },
    users: {
      type: 'array',
      description: "Hearth's accounts, the owner first: the server's users.",
      maxItems: 100000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['username', 'isOwner', 'sshKeys'],
        properties: {
          username: { type: 'string', pattern: USERNAME_PATTERN },
          isOwner: { type: 'boolean' },
          sshKeys: sshKeys,
          hashedPassword: {
            type: 'string',
            pattern: '^\\$6\\$(rounds=[0-9]{4,9}\\$)?[./0-9A-Za-z]{1,16}\\$[./0-9A-Za-z]{86}$',
            description: 'crypt(3) SHA-512 hash of the password; only while `[host] system_logins` is on.',
          },
        },
      },
    },
    services: {
      type: 'object',
      description: 'Each service by id: whether it is enabled.',
      additionalProperties: false,
      patternProperties: {
        [SERVICE_ID_PATTERN]: { type: 'object', additionalProperties: false, required: ['enable'], properties: { enable: { type: 'boolean' } } },
      },
    },
  },
} as const;

export interface StateUser {
  username: string;
  isOwner: boolean;
  sshKeys: string[];
  hashedPassword?: string;
}

/** What the state file holds (STATE_SCHEMA, as a type). */
export interface HostState {
  version: 1;
  generatedAt: string;
  domain: string;
  timezone: string;
  autoUpgrade: { enable: boolean; allowReboot: boolean };
  ssh: { enable: boolean; passwordAuthentication: boolean; rootKeys: string[] };
  users: StateUser[];
  services: Record<string, { enable: boolean }>;
}
