import type { ColumnType } from 'kysely';

/** The tables, as Kysely sees them. Times are milliseconds since the epoch. */
export interface MigrationsTable {
  id: string;
  applied_at: number;
}

export interface AccountsTable {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  full_name: string;
  security_stamp: string;
  created_at: number;
  updated_at: number;
  owner: ColumnType<number, number | undefined, number>; // 1 for the first account
}

export type CredentialRowKind = 'session' | 'device';

export interface CredentialsTable {
  id: string;
  kind: CredentialRowKind;
  /** null: the server owner's (a device paired with the global token). */
  account_id: string | null;
  name: string | null;
  token_hash: string;
  role: string;
  created_at: number;
  last_used_at: number | null;
  /** Sessions: idle expiry, pushed forward on use. */
  expires_at: number | null;
  /** Sessions: the absolute end. */
  max_expires_at: number | null;
  csrf_hash: string | null;
  /** Sessions: where the login came from, and the client's User-Agent (0005). */
  address: ColumnType<string | null, string | null | undefined, string | null>;
  user_agent: ColumnType<string | null, string | null | undefined, string | null>;
}

export type SecretKind = 'pairing' | 'recovery' | 'invite' | 'vaultreg';

export interface OneTimeSecretsTable {
  id: string;
  kind: SecretKind;
  account_id: string | null;
  secret_hash: string;
  role: string;
  created_at: number;
  expires_at: number | null;
  uses_left: number;
}

export interface RoleTokensTable {
  id: string;
  role: string;
  issued_at: number;
  expires_at: number;
  chain_started_at: number;
  revoked_at: number | null;
  /** What it is for, as its maker named it (0004). */
  label: ColumnType<string, string | undefined, string>;
}

export interface RateCountersTable {
  key: string;
  count: number;
  reset_at: number;
}

export interface LoginAttemptsTable {
  id: string;
  at: number;
  surface: string;
  username: string;
  account_id: string | null;
  address: string;
  success: number;
  reason: string;
}

export interface VaultUsersTable {
  account_id: string;
  email: string;
  name: string;
  password_hash: string;
  kdf_type: number;
  kdf_iterations: number;
  kdf_memory: number | null;
  kdf_parallelism: number | null;
  akey: string;
  public_key: string;
  private_key: string;
  user_key_id: string | null;
  revision_date: number;
  created_at: number;
  last_sync_at: number | null;
}

export interface VaultDevicesTable {
  id: string;
  account_id: string;
  identifier: string;
  name: string;
  type: number;
  refresh_hash: string;
  stamp: string;
  created_at: number;
  last_used_at: number;
  refresh_expires_at: number;
}

export interface VaultFoldersTable {
  id: string;
  account_id: string;
  name: string;
  revision_date: number;
}

export interface VaultCiphersTable {
  id: string;
  account_id: string;
  folder_id: string | null;
  type: number;
  favorite: number;
  reprompt: number;
  cipher_key: string | null;
  /** The client's fields for this type, as JSON text: name, notes, fields, login, card, … */
  data: string;
  created_at: number;
  revision_date: number;
  deleted_at: number | null;
}

/** The server's desired settings, one JSON value per key (0006). */
export interface HostSettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

/** SSH public keys: an account's, or root's (`scope` is the account's id, or `root`) (0006). */
export interface SshKeysTable {
  id: string;
  scope: string;
  account_id: string | null;
  key_type: string;
  /** `type base64`, without the comment. */
  public_key: string;
  comment: string;
  /** `SHA256:…` of the key's blob, as ssh-keygen -l shows it. */
  fingerprint: string;
  created_at: number;
}

/** crypt(3) SHA-512 hashes for logging in to the server, kept only while `[host] system_logins` is on (0006). */
export interface SystemPasswordsTable {
  account_id: string;
  crypt_hash: string;
  updated_at: number;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** Long actions (0006): `log` is a JSON array of the last lines, `result` a JSON object or null. */
export interface JobsTable {
  id: string;
  kind: string;
  title: string;
  status: JobStatus;
  progress: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  log: string;
  error: string | null;
  result: string | null;
}

export interface Database {
  hearth_migrations: MigrationsTable;
  accounts: AccountsTable;
  credentials: CredentialsTable;
  one_time_secrets: OneTimeSecretsTable;
  role_tokens: RoleTokensTable;
  rate_counters: RateCountersTable;
  login_attempts: LoginAttemptsTable;
  vault_users: VaultUsersTable;
  vault_devices: VaultDevicesTable;
  vault_folders: VaultFoldersTable;
  vault_ciphers: VaultCiphersTable;
  host_settings: HostSettingsTable;
  ssh_keys: SshKeysTable;
  system_passwords: SystemPasswordsTable;
  jobs: JobsTable;
}
