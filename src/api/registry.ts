/**
 * The registry: every feature's native commands, in the order the CLI's help lists them, and
 * every feature's migrations, joined. A new capability adds its two lines here.
 */
import { COMMANDS as ACCOUNTS } from '../features/accounts/commands.js';
import { MIGRATIONS as ACCOUNTS_MIGRATIONS } from '../features/accounts/migrations.js';
import { COMMANDS as CONSOLE_SESSIONS } from '../features/console-sessions/commands.js';
import { COMMANDS as CREDENTIALS } from '../features/credentials/commands.js';
import { MIGRATIONS as CREDENTIALS_MIGRATIONS } from '../features/credentials/migrations.js';
import { COMMANDS as KEYS } from '../features/keys/commands.js';
import { MIGRATIONS as KEYS_MIGRATIONS } from '../features/keys/migrations.js';
import { COMMANDS as MAIL_STATUS } from '../features/mail-status/commands.js';
import { COMMANDS as PROVIDERS } from '../features/providers/commands.js';
import { MIGRATIONS as PROVIDERS_MIGRATIONS } from '../features/providers/migrations.js';
import { COMMANDS as LIMITS } from '../features/limits/commands.js';
import { MIGRATIONS as LIMITS_MIGRATIONS } from '../features/limits/migrations.js';
import { COMMANDS as MAIL } from '../features/mail/commands.js';
import { MIGRATIONS as SECRETS_MIGRATIONS } from '../features/one-time-secrets/migrations.js';
import { COMMANDS as PAIRING } from '../features/pairing/commands.js';
import { MIGRATIONS as HOST_STATE_MIGRATIONS } from '../features/host-state/migrations.js';
import { COMMANDS as ROLE_TOKENS } from '../features/role-tokens/commands.js';
import { MIGRATIONS as ROLE_TOKENS_MIGRATIONS } from '../features/role-tokens/migrations.js';
import { COMMANDS as SERVICES } from '../features/services/commands.js';
import { COMMANDS as SSH } from '../features/ssh/commands.js';
import { COMMANDS as SYSTEM } from '../features/system/commands.js';
import { COMMANDS as VAULT } from '../features/vault/commands.js';
import { MIGRATIONS as VAULT_MIGRATIONS } from '../features/vault/migrations.js';
import { COMMANDS as TWO_FACTOR } from '../features/two-factor/commands.js';
import { MIGRATIONS as TWO_FACTOR_MIGRATIONS } from '../features/two-factor/migrations.js';
import { COMMANDS as BACKUPS } from '../features/backups/commands.js';
import { COMMANDS as JOBS } from '../jobs/commands.js';
import { MIGRATIONS as JOBS_MIGRATIONS } from '../jobs/migrations.js';
import { joinMigrations, type Migration } from '../store/migrate.js';
import type { Command } from './command.js';

export const COMMANDS: readonly Command[] = [
  ...SYSTEM,
  ...ACCOUNTS,
  ...CREDENTIALS,
  ...PAIRING,
  ...ROLE_TOKENS,
  ...LIMITS,
  ...CONSOLE_SESSIONS,
  ...VAULT,
  ...KEYS,
  ...MAIL_STATUS,
  ...PROVIDERS,
  ...TWO_FACTOR,
  ...SSH,
  ...SERVICES,
  ...MAIL,
  ...JOBS,
  ...BACKUPS,
];

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
