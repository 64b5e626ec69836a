/**
 * The registry: every feature's native commands, in the order the CLI's help lists them (its
 * migrations are joined in ./migrations.ts). The CLI loads this at start: a command's definition
 * is here, its implementation loads when it first runs.
 */
import { COMMANDS as ACCOUNTS } from '../features/accounts/commands.js';
import { COMMANDS as CONSOLE_SESSIONS } from '../features/console-sessions/commands.js';
import { COMMANDS as CREDENTIALS } from '../features/credentials/commands.js';
import { COMMANDS as KEYS } from '../features/keys/commands.js';
import { COMMANDS as MAIL_STATUS } from '../features/mail-status/commands.js';
import { COMMANDS as PROVIDERS } from '../features/providers/commands.js';
import { COMMANDS as LIMITS } from '../features/limits/commands.js';
import { COMMANDS as MAIL } from '../features/mail/commands.js';
import { COMMANDS as PAIRING } from '../features/pairing/commands.js';
import { COMMANDS as ROLE_TOKENS } from '../features/role-tokens/commands.js';
import { COMMANDS as SERVICES } from '../features/services/commands.js';
import { COMMANDS as SSH } from '../features/ssh/commands.js';
import { COMMANDS as SYSTEM } from '../features/system/commands.js';
import { COMMANDS as VAULT } from '../features/vault/commands.js';
import { COMMANDS as TWO_FACTOR } from '../features/two-factor/commands.js';
import { COMMANDS as BACKUPS } from '../features/backups/commands.js';
import { COMMANDS as JOBS } from '../jobs/commands.js';
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
