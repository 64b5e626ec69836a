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

export interface RateEventsTable {
  id: string;
  key: string;
  at: number;
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

/** `generating` → `found` (Bitmask's key values), or `failed` with an error. */
export type KeyStatus = 'generating' | 'found' | 'failed';

/** An account's OpenPGP keys (0006): its own key pair (`private` 1) and the public keys it imported. */
export interface OpenpgpKeysTable {
  id: string;
  account_id: string;
  /** The address the key is for (its own key pair: `username@domain`). */
  address: string;
  private: number;
  status: KeyStatus;
  /** Null while the key pair is being generated. */
  fingerprint: string | null;
  public_armor: string | null;
  /** The private key, encrypted (OpenPGP S2K) under the account's password. */
  private_armor: string | null;
  /** JSON array of the key's user ids. */
  uids: string;
  algorithm: string | null;
  bits: number | null;
  key_created_at: number | null;
  /** Null: the key never expires. */
  expires_at: number | null;
  revoked: number;
  validation: string;
  /** When the key was stored, generated or last replaced. */
  refreshed_at: number;
  error: string | null;
}

/** A known provider (0007): its document as fetched and the CA it is pinned to. */
/** A session at another provider, for one caller here: its token sealed under the home's key. */
export interface ProviderSessionsTable {
  /** Who holds it here: `account:<id>`, or the credential (`<kind>:<id>`) of a caller with no account. */
  caller: string;
  provider: string;
  /** The remote user, as the remote knows it. */
  username: string;
  /** The remote session token, sealed (AES-256-GCM). */
  token: string;
  expires_at: number | null;
  created_at: number;
}

export interface ProvidersTable {
  domain: string;
  /** Where it was fetched from: `https://<domain>`, or the URL given. */
  url: string;
  /** The provider document, as JSON text. */
  document: string;
  /** The CA certificate (PEM) later connections trust, and its `SHA256: <hex>`. */
  ca_cert: string;
  ca_fingerprint: string;
  created_at: number;
  refreshed_at: number;
}

/** An account's authenticator (0008): its secret sealed with the home's two-factor key, never in clear. */
export interface TwoFactorTable {
  account_id: string;
  /** The enabled authenticator's secret, sealed; null when none is enabled. */
  totp_secret: string | null;
  totp_enabled_at: number | null;
  /** The last time step a code was accepted for: a code is good once. */
  totp_last_step: number | null;
  /** A secret set up and not yet confirmed with a code, sealed, and when. */
  pending_secret: string | null;
  pending_at: number | null;
}

/** Single-use recovery codes (0008): only their SHA-256. */
export interface RecoveryCodesTable {
  id: string;
  account_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** Bitwarden's remember-this-device tokens (0008): SHA-256, tied to a client device and the account's security stamp. */
export interface TwoFactorRememberTable {
  token_hash: string;
  account_id: string;
  device: string;
  stamp: string;
  created_at: number;
  expires_at: number;
}

/** Passkeys (0009): WebAuthn credentials for the console, by their credential id. */
export interface PasskeysTable {
  id: string;
  account_id: string;
  name: string;
  /** The COSE public key, base64url. */
  public_key: string;
  counter: number;
  /** What the authenticator said it speaks (usb, internal, hybrid…), comma-separated. */
  transports: string;
  created_at: number;
  last_used_at: number | null;
}

/** WebAuthn challenges waiting for their answer (0009): single use, a few minutes. */
export interface WebauthnChallengesTable {
  challenge: string;
  /** register, second (a second factor after the password), login (a passkey alone). */
  purpose: string;
  account_id: string | null;
  expires_at: number;
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

/** Long actions (0010): `log` is a JSON array of the last lines, `result` a JSON object or null. */
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
  /** The daemon (replica) that runs it: a random id each daemon takes at start (0013). */
  replica: string | null;
  /** When that daemon last said it still runs it (ms); a stale one means the daemon died (0013). */
  heartbeat_at: number | null;
}

export interface Database {
  hearth_migrations: MigrationsTable;
  accounts: AccountsTable;
  credentials: CredentialsTable;
  one_time_secrets: OneTimeSecretsTable;
  role_tokens: RoleTokensTable;
  rate_counters: RateCountersTable;
  rate_events: RateEventsTable;
  login_attempts: LoginAttemptsTable;
  vault_users: VaultUsersTable;
  vault_devices: VaultDevicesTable;
  vault_folders: VaultFoldersTable;
  vault_ciphers: VaultCiphersTable;
  openpgp_keys: OpenpgpKeysTable;
  providers: ProvidersTable;
  provider_sessions: ProviderSessionsTable;
  two_factor: TwoFactorTable;
  recovery_codes: RecoveryCodesTable;
  two_factor_remember: TwoFactorRememberTable;
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
  host_settings: HostSettingsTable;
  ssh_keys: SshKeysTable;
  system_passwords: SystemPasswordsTable;
  jobs: JobsTable;
}
