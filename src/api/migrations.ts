/**
 * Every feature's migrations, joined: the daemon runs them at start, `hearth store copy` too. A new
 * capability adds its line here (and its commands in ./registry.ts).
 */
import { MIGRATIONS as ACCOUNTS_MIGRATIONS } from '../features/accounts/migrations.js';
import { MIGRATIONS as CREDENTIALS_MIGRATIONS } from '../features/credentials/migrations.js';
import { MIGRATIONS as KEYS_MIGRATIONS } from '../features/keys/migrations.js';
import { MIGRATIONS as PROVIDERS_MIGRATIONS } from '../features/providers/migrations.js';
import { MIGRATIONS as LIMITS_MIGRATIONS } from '../features/limits/migrations.js';
import { MIGRATIONS as SECRETS_MIGRATIONS } from '../features/one-time-secrets/migrations.js';
import { MIGRATIONS as HOST_STATE_MIGRATIONS } from '../features/host-state/migrations.js';
import { MIGRATIONS as ROLE_TOKENS_MIGRATIONS } from '../features/role-tokens/migrations.js';
import { MIGRATIONS as VAULT_MIGRATIONS } from '../features/vault/migrations.js';
import { MIGRATIONS as TWO_FACTOR_MIGRATIONS } from '../features/two-factor/migrations.js';
import { MIGRATIONS as JOBS_MIGRATIONS } from '../jobs/migrations.js';
import { joinMigrations, type Migration } from '../store/migrate.js';

/**
 * Every migration, in id order. Parts of one migration (0002 made several features' tables at
 * once) run in this list's order: accounts before the tables that reference them.
 */
export const MIGRATIONS: readonly Migration[] = joinMigrations([
  ...ACCOUNTS_MIGRATIONS,
  ...CREDENTIALS_MIGRATIONS,
  ...SECRETS_MIGRATIONS,
  ...ROLE_TOKENS_MIGRATIONS,
  ...LIMITS_MIGRATIONS,
  ...VAULT_MIGRATIONS,
  ...KEYS_MIGRATIONS,
  ...PROVIDERS_MIGRATIONS,
  ...TWO_FACTOR_MIGRATIONS,
  ...HOST_STATE_MIGRATIONS,
  ...JOBS_MIGRATIONS,
]);
