/**
 * hearth: the command-line client (Bitmask's bitmaskctl). Every native command is
 * `hearth <group> <command> [positional params…] [--param value…]`; if no daemon answers, it is
 * started in the background first.
 */
import { Command as Program, Option } from 'commander';
import type { TObject, TSchema } from '@sinclair/typebox';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { paramNames } from '../api/command.js';
import { buildParams, flagOf } from './params.js';
import { COMMANDS } from '../api/registry.js';
import type { Command } from '../api/command.js';
import { ConfigError, defaultHome, loadConfig, parseListen, type LoadedConfig } from '../kernel/config.js';
import { runningPid, SETUP_CODE_FILE } from '../daemon/home.js';
import { checkNewPassword, hashPassword } from '../auth/passwords.js';
import type { DeviceSlot } from '../auth/device-cookies.js';
import { HearthError } from '../kernel/errors.js';
import { VERSION_CORE } from '../kernel/version.js';
import { callCommand, CliError, endpointFor, isUsable, readToken, send, startDaemon } from './client.js';
import { deviceSlotFor } from './device-cookies.js';
import { addRemoteCommands, callProvider, callRemote } from './remote.js';
import { render, RENDERERS } from './render.js';
import { fillSecrets, SecretReader, SECRET_HELP } from './secrets.js';

interface GlobalOptions {
  json?: boolean;
  home?: string;
  start?: boolean; // --no-start
  remote?: string;
  provider?: string;
}

const program = new Program('hearth')
  .description('Command-line client of hearthd, the Hearth daemon')
  .version(VERSION_CORE, '-V, --version')
  .option('--json', 'print results as JSON (errors too, on stderr)')
  .option('--home <dir>', 'the daemon home (default $HEARTH_HOME or ~/.config/hearth)')
  .option('--no-start', 'fail instead of starting the daemon when none answers')
  .option('--remote <name>', 'run the command on a remote server added with "hearth remote add" (over HTTPS, its certificate pinned)')
  .option(
    '--provider <domain>',
    'run the command at a known provider (hearth provider create), signed in there with "hearth bonafide user authenticate user@DOMAIN" (over HTTPS, its CA pinned)',
  )
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Passwords never have to be on the command line, where other local users could read them: hearth
asks for each one not given, without echo (a new one twice), or reads it from stdin, one line
each, when stdin is not a terminal.`,
  );

const globals = () => program.opts<GlobalOptions>();

function config(): LoadedConfig {
  if (globals().home) process.env.HEARTH_HOME = globals().home;
  return loadConfig();
}

/** Calls a native command on the daemon of this home, with its token. */
function call(loaded: LoadedConfig, path: string, params: unknown, device?: DeviceSlot): Promise<unknown> {
  return callCommand(endpointFor(loaded), readToken(loaded.home), path, params, 'global', device);
}

/** The password sign-in whose device cookie the CLI keeps. */
const SIGN_IN = 'bonafide/user/authenticate';

function say(line: string): void {
  if (!globals().json) process.stderr.write(`${line}\n`);
}

/** Waits while a running daemon gets ready (its store starting, say); false if it never does. */
async function waitUsable(loaded: LoadedConfig, ms = 20000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await isUsable(endpointFor(loaded))) return true;
    await sleep(100);
  }
  return false;
}

/**
 * A daemon that runs with a failed component (a store it cannot open, say) is not "started":
 * the CLI names the component and the cause, and exits non-zero. The daemon keeps running, so
 * `hearth core status` and `hearth daemon stop` still work.
 */
async function refuseFailedComponents(loaded: LoadedConfig, pid: number): Promise<void> {
  const status = (await call(loaded, 'core/status', {})) as { childrenStatus: Record<string, { status: string; error: string | null }> };
  const failed = Object.entries(status.childrenStatus).filter(([, c]) => c.status === 'failed');
  if (failed.length) {
    const causes = failed.map(([name, c]) => `${name}: ${c.error ?? 'failed'}`).join('; ');
    throw new CliError('daemon:componentFailed', `hearthd runs (pid ${pid}) but is not usable: ${causes}. Fix it, then "hearth daemon stop" and start again`);
  }
}

/** Reaches the daemon, starting it when none answers (unless --no-start). */
async function ensureDaemon(loaded: LoadedConfig): Promise<void> {
  if (await isUsable(endpointFor(loaded))) return;
  if (runningPid(loaded.home) !== null) {
    if (await waitUsable(loaded)) return;
    throw new CliError('daemon:notReady', 'hearthd is running but not ready; see "hearth daemon status" and its log');
  }
  if (globals().start === false) throw new CliError('daemon:unreachable', `no hearthd answers on ${endpointFor(loaded).describe}`);
  say('hearthd is not running; starting it…');
  const { pid, log } = await startDaemon(loaded);
  say(`hearthd started (pid ${pid}, log ${log})`);
}

async function output(path: string, result: unknown): Promise<void> {
  if (globals().json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${await (RENDERERS[path] ?? render)(result)}\n`);
}

/** What each group of native commands is about, for the help. */
const GROUPS: Record<string, string> = {
  core: 'core commands: version, stats, status, whoami, stop',
  bonafide: 'accounts (user) and invite codes (invite)',
  user: 'accounts: create, list, log in and out, passwords, roles',
  invite: 'invite codes for registration by invitation',
  device: 'device tokens: list, revoke, refresh, and pairing a new device',
  recovery: 'the recovery token, which gives device tokens',
  token: 'role tokens for automation',
  auth: 'the login log',
  web: "the web console's sessions: log in and out, list and end sessions, change the password",
  vault: 'the password vault (Bitwarden): registration tokens, status, every vault, deletion',
  keys: "OpenPGP keys: the account's key pair and others' public keys",
  mail: "the mail service: status of SMTP, IMAP, the key pair and unread mail; the mail server's DKIM key",
  provider: 'known providers: add (fetched over HTTPS, CA pinned), list, read, forget',
  '2fa': 'second factors: authenticator codes (totp) and recovery codes',
  totp: 'the authenticator: set up, enable with a code, disable',
  ssh: "SSH on the server: sshd's settings, users' and root's public keys",
  key: 'SSH public keys: list, add, delete',
  service: "the server's services: list, status, enable, disable",
  system: 'the server: time zone, automatic upgrades, versions; apply, upgrade, roll back, pull, reboot',
  dkim: "the mail server's DKIM key: show, generate",
  timezone: "the server's time zone: get, set",
  'auto-upgrade': 'automatic upgrades: get, set',
  job: 'long actions (backups, restores, applies): list them, follow one',
  backup: 'restic backups: the repository, backups, snapshots, restores (also of a whole Hearth into a new home)',
};

function addCommand(cmd: Command, words = cmd.path.split('/')): void {
  let parent = program;
  for (const word of words.slice(0, -1)) {
    parent = parent.commands.find((c) => c.name() === word) ?? parent.command(word).description(GROUPS[word] ?? `${word} commands`);
  }
  const props = (cmd.params as TObject).properties as Record<string, TSchema>;
  const names = paramNames(cmd);
  const leaf = parent.command(words.at(-1)!).description(`${cmd.summary}  [POST /API/${cmd.path}]`);
  if (names.length) leaf.argument('[params...]', `positional params, in order: ${names.join(' ')}`);
  const options = names.map((name) => {
    const help = props[name]!.description ?? name;
    const opt = new Option(`${flagOf(name)} <value>`, props[name]!.writeOnly ? `${help}; ${SECRET_HELP}` : help);
    leaf.addOption(opt);
    return { name, attr: opt.attributeName() };
  });
  leaf.action(async (...args: unknown[]) => {
    const positional = (names.length ? args[0] : []) as string[];
    const opts = (names.length ? args[1] : args[0]) as Record<string, string | undefined>;
    const named = Object.fromEntries(options.map(({ name, attr }) => [name, opts[attr]]));
    const params = buildParams(cmd, positional, named);
    await fillSecrets(cmd, params);
    // A password sign-in presents the device cookie an earlier one got, and keeps the new one.
    const username = (params as Record<string, unknown>).username;
    const device = (home: string) => (server: string) =>
      cmd.path === SIGN_IN && typeof username === 'string' ? deviceSlotFor(home, server, username) : undefined;
    const remote = globals().remote;
    if (remote) {
      const home = globals().home ?? defaultHome();
      return output(cmd.path, await callRemote(home, remote, cmd.path, params, device(home)));
    }
    const loaded = config();
    await ensureDaemon(loaded);
    const provider = globals().provider;
    if (provider) return output(cmd.path, await callProvider((path, p) => call(loaded, path, p), provider, cmd.path, params));
    await output(cmd.path, await call(loaded, cmd.path, params, device(loaded.home)('local')));
  });
}

for (const cmd of COMMANDS) addCommand(cmd);
// Known providers are `hearth provider …` too, as short as the other groups.
for (const cmd of COMMANDS.filter((c) => c.path.startsWith('bonafide/provider/'))) addCommand(cmd, ['provider', cmd.path.split('/').at(-1)!]);

program.commands
  .find((c) => c.name() === 'vault')!
  .command('register')
  .description(
    'Register a Bitwarden vault: keys are made here from the master password (read from the terminal or stdin, never the command line); the daemon never sees it',
  )
  .argument('[username]', 'the account (default: the one your credential belongs to; the global token must name one)')
  .option('--kdf <kind>', 'pbkdf2 (PBKDF2-SHA256) or argon2id', 'pbkdf2')
  .option('--iterations <n>', 'KDF iterations (default 600000 for PBKDF2, 3 for Argon2id)')
  .option('--memory <MiB>', 'Argon2id memory in MiB (default 64)')
  .option('--parallelism <n>', 'Argon2id lanes (default 4)')
  .option('--name <name>', 'a display name for the vault')
  .action(async (username: string | undefined, opts: { kdf?: string; iterations?: string; memory?: string; parallelism?: string; name?: string }) => {
    const { kdfFromOptions, MIN_MASTER_PASSWORD } = await import('./vault.js');
    const { makeRegistration, registerFinishBody } = await import('../vault-client/crypto.js');
    let kdf;
    try {
      kdf = kdfFromOptions(opts);
    } catch (err) {
      throw new CliError('cli:badOption', (err as Error).message);
    }
    const loaded = config();
    await ensureDaemon(loaded);
    const { token, email } = (await call(loaded, 'vault/registration_token', username ? { username } : {})) as { token: string; email: string };
    const reader = new SecretReader();
    let password: string;
    try {
      password = await reader.read('the master password', `Master password for ${email}: `, true);
    } finally {
      reader.close();
    }
    if (password.length < MIN_MASTER_PASSWORD) throw new CliError('cli:badPassword', `the master password must be at least ${MIN_MASTER_PASSWORD} characters`);
    say(`deriving keys (${kdf.kdfType === 0 ? `PBKDF2-SHA256, ${kdf.iterations} iterations` : `Argon2id, ${kdf.iterations} iterations, ${kdf.memory} MiB`})…`);
    const reg = await makeRegistration(email, password, kdf);
    const res = await send(endpointFor(loaded), 'POST', '/bitwarden/identity/accounts/register/finish', registerFinishBody(reg, token, opts.name));
    if (res.status !== 200) throw new CliError(`http:${res.status}`, String(res.body?.message ?? 'registration failed'));
    // Where clients go: the HTTPS URL, and the CA they must trust (null with a certificate of your own).
    const { tls } = (await call(loaded, 'core/status', {})) as { tls: { url: string; ca_cert_path: string | null } | null };
    output('vault/register', {
      registered: email,
      kdf: kdf.kdfType === 0 ? 'pbkdf2' : 'argon2id',
      iterations: kdf.iterations,
      server: tls ? `${tls.url}/bitwarden` : null,
      trust: tls?.ca_cert_path ?? null,
    });
  });

program.commands
  .find((c) => c.name() === 'job')!
  .command('watch')
  .description('follow a job to its end: a live progress bar on a terminal, plain lines otherwise, JSON lines with --json (exit 1 if it fails)')
  .argument('<id>', "the job's id, as job list shows it")
  .action(async (id: string) => {
    const { watchJob } = await import('./jobs.js');
    const loaded = config();
    await ensureDaemon(loaded);
    const show = () => call(loaded, 'job/show', { id }) as ReturnType<Parameters<typeof watchJob>[0]>;
    const job = await watchJob(show, { json: Boolean(globals().json), tty: Boolean(process.stdout.isTTY) });
    if (job.status === 'failed') {
      if (!globals().json) process.stderr.write(`hearth: job ${job.id} failed: ${job.error ?? 'no reason given'}\n`);
      process.exitCode = 1;
    }
  });

program.commands
  .find((c) => c.name() === 'backup')!
  .commands.find((c) => c.name() === 'restore')!
  .option(
    '--repo <repository>',
    'bring a whole Hearth back into the empty home given by --home (a PostgreSQL store into the empty database [store] url or HEARTH_STORE_URL names), from this repository: an absolute path, or b2:BUCKET (with B2_ACCOUNT_ID and B2_ACCOUNT_KEY set)',
  )
  .option('--password-file <file>', "with --repo: the repository's password file (backup/settings says where it was kept)")
  .action(async (positional: string[], opts: { snapshot?: string; repo?: string; passwordFile?: string }) => {
    const snapshot = opts.snapshot ?? positional[0];
    if (!snapshot) throw new CliError('cli:badParams', 'give the snapshot to restore, as backup list shows it');
    if (opts.repo === undefined) {
      const loaded = config();
      await ensureDaemon(loaded);
      return output('backup/restore', await call(loaded, 'backup/restore', { snapshot }));
    }
    const { restoreIntoHome, checkRepoPath } = await import('../features/backups/service.js');
    const home = globals().home;
    if (!home) throw new CliError('cli:badParams', '--repo restores into a new home: give it with --home DIR');
    if (!opts.passwordFile) throw new CliError('cli:badParams', "--repo needs --password-file, the repository's password file");
    const b2 = /^b2:([A-Za-z0-9-]{6,50})(:.*)?$/.exec(opts.repo);
    const repository = b2
      ? { kind: 'b2' as const, bucket: b2[1]!, accountId: process.env.B2_ACCOUNT_ID ?? '', accountKey: process.env.B2_ACCOUNT_KEY ?? '' }
      : { kind: 'local' as const, path: checkRepoPath(opts.repo) };
    if (repository.kind === 'b2' && (!repository.accountId || !repository.accountKey)) {
      throw new CliError('cli:badParams', 'a B2 repository needs B2_ACCOUNT_ID and B2_ACCOUNT_KEY in the environment');
    }
    const result = await restoreIntoHome({ home, snapshot, repository, passwordFile: opts.passwordFile, say });
    await output('', result);
    say(`restored: start it with "hearth --home ${result.home} daemon start"`);
  });

/**
 * The configuration, or, when hearth.toml cannot be loaded, the home it belongs to and what is
 * wrong: enough to find a running daemon (its pid file) and to stop it, which must not depend on
 * a file the user may be in the middle of editing.
 */
function configOrHome(): { loaded: LoadedConfig; home: string; broken: null } | { loaded: null; home: string; broken: ConfigError } {
  try {
    const loaded = config();
    return { loaded, home: loaded.home, broken: null };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { loaded: null, home: defaultHome(), broken: err };
  }
}

const warnBroken = (broken: ConfigError) =>
  say(`hearth: warning: the configuration has an error (${broken.message}); hearthd will not start again until it is fixed ("hearth config check")`);

async function waitExited(home: string, pid: number, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (runningPid(home) !== null && Date.now() < deadline) await sleep(50);
  if (runningPid(home) !== null) throw new CliError('daemon:stopTimeout', `hearthd (pid ${pid}) has not exited yet`);
}

/** Stops the home's daemon gracefully: `core/stop`, or SIGTERM when the configuration is broken. */
async function stopDaemon(): Promise<void> {
  const { loaded, home, broken } = configOrHome();
  const pid = runningPid(home);
  if (broken) warnBroken(broken);
  if (pid === null) return say('hearthd is not running');
  if (loaded) {
    await call(loaded, 'core/stop', {});
    await waitExited(home, pid, loaded.config.server.shutdown_timeout + 5);
  } else {
    // SIGTERM stops it as gracefully as core/stop does; its own shutdown_timeout bounds the wait.
    process.kill(pid, 'SIGTERM');
    await waitExited(home, pid, 3600);
  }
  say(`hearthd stopped (pid ${pid})`);
}

/** Starts the daemon unless it runs; answers its pid once it is ready and every component works. */
async function startOrKeep(): Promise<number> {
  const loaded = config();
  let pid = runningPid(loaded.home);
  if (pid !== null) {
    if (!(await waitUsable(loaded))) throw new CliError('daemon:notReady', `hearthd (pid ${pid}) is running but not ready; see its log`);
    say(`hearthd is already running (pid ${pid})`);
  } else {
    const started = await startDaemon(loaded);
    pid = started.pid;
    say(`hearthd started (pid ${pid}, log ${started.log})`);
  }
  await refuseFailedComponents(loaded, pid);
  sayWhereToStart(loaded);
  return pid;
}

/** While no account exists, where the owner creates hers: the console link with the setup code, or the CLI. */
function sayWhereToStart(loaded: LoadedConfig): void {
  let code: string;
  try {
    code = readFileSync(join(loaded.home, SETUP_CODE_FILE), 'utf8').trim();
  } catch {
    return; // the owner exists (or the store is not this home's to claim)
  }
  const { public_url: publicUrl, listen } = loaded.config.server;
  const { host, port } = parseListen(listen);
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const base = publicUrl.replace(/\/+$/, '') || `http://${local}:${port}`;
  say(`no account yet: open ${base}/#setup=${code} to create the owner's account, or run "hearth bonafide user create NAME"`);
}

const daemon = program.command('daemon').description('start, stop, restart or inspect hearthd');
daemon
  .command('start')
  .description('start hearthd in the background (if it is not running) and wait until it is ready')
  .action(async () => {
    const pid = await startOrKeep();
    if (globals().json) await output('', { running: true, pid });
  });
daemon
  .command('stop')
  .description('stop hearthd gracefully and wait until it has exited (also when hearth.toml has an error)')
  .action(async () => {
    await stopDaemon();
    if (globals().json) await output('', { running: false });
  });
daemon
  .command('restart')
  .description('stop hearthd (if it runs), then start it with the configuration as it is now')
  .action(async () => {
    // Check the configuration first: a restart must not stop a daemon that could not start again.
    const { broken } = configOrHome();
    if (broken) throw broken;
    await stopDaemon();
    const pid = await startOrKeep();
    if (globals().json) await output('', { running: true, pid });
  });
daemon
  .command('status')
  .description('whether hearthd runs, and the state of its components (exit 3 when it does not run)')
  .action(async () => {
    const { loaded, home, broken } = configOrHome();
    const pid = runningPid(home);
    if (broken) warnBroken(broken);
    if (pid === null) {
      if (globals().json) await output('', { running: false });
      else process.stdout.write('hearthd is not running\n');
      process.exitCode = 3;
      return;
    }
    if (!loaded) {
      // Without a configuration the CLI cannot know where to ask; the pid is what it can tell.
      if (globals().json) return output('', { running: true, pid, config_error: broken.message });
      return void process.stdout.write(`pid      ${pid}\nhearthd is running (its components cannot be asked while hearth.toml has an error)\n`);
    }
    const status = await call(loaded, 'core/status', {});
    if (globals().json) return output('', { running: true, pid, ...(status as object) });
    process.stdout.write(`pid      ${pid}\n`);
    await output('core/status', status);
  });

program
  .command('config')
  .description('the configuration')
  .command('check')
  .description('load hearth.toml and the HEARTH_* variables as hearthd would, and say what is wrong (exit 1) or that it is fine')
  .action(async () => {
    const loaded = config();
    if (globals().json) return output('', { ok: true, home: loaded.home });
    process.stdout.write(`the configuration of ${loaded.home} is fine\n`);
  });

program
  .command('store')
  .description('the store: move it to another database')
  .command('copy')
  .description(
    'copy every table of the configured store into an empty store (sqlite:PATH or postgres://…), from a consistent snapshot, verified by row counts and checksums; then switch [store] url',
  )
  .requiredOption(
    '--to <url>',
    'the target store: sqlite:PATH (relative to the home) or postgres://USER@HOST:PORT/DATABASE (password: PGPASSWORD or ~/.pgpass)',
  )
  .option('--from <url>', 'the store to copy from (default: the configured [store] url)')
  .action(async (opts: { to: string; from?: string }) => {
    const { storeCopy, renderCopy } = await import('./store.js');
    const result = await storeCopy(config(), opts.to, globals().json === true, opts.from);
    await output('', globals().json ? result : renderCopy(result));
  });
addRemoteCommands(program, {
  home: () => globals().home ?? defaultHome(),
  json: () => globals().json === true,
  say,
  output: (path, result) => output(path, result),
});

const admin = program.command('admin').description('local tasks for the server owner (no daemon needed)');
admin
  .command('hash-password')
  .description('read a password (twice on a terminal, else one line of stdin) and print its argon2id hash for [security] admin_password_hash')
  .action(async () => {
    const reader = new SecretReader();
    const password = await reader.read('the password', 'Admin password: ', true).finally(() => reader.close());
    checkNewPassword(password, 'the password');
    const hash = await hashPassword(password);
    await output('', globals().json ? { hash } : hash);
  });

function fail(code: string, message: string): never {
  if (globals().json) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`hearth: ${code}: ${message}\n`);
  process.exit(1);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError || err instanceof HearthError) fail(err.code, err.message);
  if (err instanceof ConfigError) fail('config', err.message);
  fail('cli:error', err instanceof Error ? err.message : String(err));
});
