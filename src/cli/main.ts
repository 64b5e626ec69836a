/**
 * hearth: the command-line client (Bitmask's bitmaskctl). Every native command is
 * `hearth <group> <command> [positional params…] [--param value…]`; if no daemon answers, it is
 * started in the background first.
 */
import { Command as Program, Option } from 'commander';
import type { TObject, TSchema } from '@sinclair/typebox';
import { setTimeout as sleep } from 'node:timers/promises';
import { paramNames } from '../api/command.js';
import { buildParams, flagOf } from './params.js';
import { COMMANDS } from '../api/commands.js';
import type { Command } from '../api/command.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config.js';
import { runningPid } from '../daemon/home.js';
import { VERSION_CORE } from '../version.js';
import { callCommand, CliError, endpointFor, isUsable, readToken, startDaemon } from './client.js';
import { render, RENDERERS } from './render.js';

interface GlobalOptions {
  json?: boolean;
  home?: string;
  start?: boolean; // --no-start
}

const program = new Program('hearth')
  .description('Command-line client of hearthd, the Hearth daemon')
  .version(VERSION_CORE, '-V, --version')
  .option('--json', 'print results as JSON (errors too, on stderr)')
  .option('--home <dir>', 'the daemon home (default $HEARTH_HOME or ~/.config/hearth)')
  .option('--no-start', 'fail instead of starting the daemon when none answers')
  .showHelpAfterError('(run with --help for usage)');

const globals = () => program.opts<GlobalOptions>();

function config(): LoadedConfig {
  if (globals().home) process.env.HEARTH_HOME = globals().home;
  return loadConfig();
}

/** Calls a native command on the daemon of this home, with its token. */
function call(loaded: LoadedConfig, path: string, params: unknown): Promise<unknown> {
  return callCommand(endpointFor(loaded), readToken(loaded.home), path, params);
}

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

function output(path: string, result: unknown): void {
  if (globals().json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${(RENDERERS[path] ?? render)(result)}\n`);
}

function addCommand(cmd: Command): void {
  const words = cmd.path.split('/');
  let parent = program;
  for (const word of words.slice(0, -1)) {
    parent = parent.commands.find((c) => c.name() === word) ?? parent.command(word).description(`${word} commands`);
  }
  const props = (cmd.params as TObject).properties as Record<string, TSchema>;
  const names = paramNames(cmd);
  const leaf = parent.command(words.at(-1)!).description(`${cmd.summary}  [POST /API/${cmd.path}]`);
  if (names.length) leaf.argument('[params...]', `positional params, in order: ${names.join(' ')}`);
  const options = names.map((name) => {
    const opt = new Option(`${flagOf(name)} <value>`, props[name]!.description ?? name);
    leaf.addOption(opt);
    return { name, attr: opt.attributeName() };
  });
  leaf.action(async (...args: unknown[]) => {
    const positional = (names.length ? args[0] : []) as string[];
    const opts = (names.length ? args[1] : args[0]) as Record<string, string | undefined>;
    const named = Object.fromEntries(options.map(({ name, attr }) => [name, opts[attr]]));
    const params = buildParams(cmd, positional, named);
    const loaded = config();
    await ensureDaemon(loaded);
    output(cmd.path, await call(loaded, cmd.path, params));
  });
}

for (const cmd of COMMANDS) addCommand(cmd);

const daemon = program.command('daemon').description('start, stop or inspect hearthd');
daemon
  .command('start')
  .description('start hearthd in the background (if it is not running) and wait until it is ready')
  .action(async () => {
    const loaded = config();
    const pid = runningPid(loaded.home);
    if (pid !== null) {
      if (!(await waitUsable(loaded))) throw new CliError('daemon:notReady', `hearthd (pid ${pid}) is running but not ready; see its log`);
      say(`hearthd is already running (pid ${pid})`);
    } else {
      const { pid, log } = await startDaemon(loaded);
      say(`hearthd started (pid ${pid}, log ${log})`);
    }
    if (globals().json) output('', { running: true, pid: runningPid(loaded.home) });
  });
daemon
  .command('stop')
  .description('stop hearthd gracefully and wait until it has exited')
  .action(async () => {
    const loaded = config();
    const pid = runningPid(loaded.home);
    if (pid === null) {
      say('hearthd is not running');
    } else {
      await call(loaded, 'core/stop', {});
      const deadline = Date.now() + (loaded.config.server.shutdown_timeout + 5) * 1000;
      while (runningPid(loaded.home) !== null && Date.now() < deadline) await sleep(50);
      if (runningPid(loaded.home) !== null) throw new CliError('daemon:stopTimeout', `hearthd (pid ${pid}) has not exited yet`);
      say(`hearthd stopped (pid ${pid})`);
    }
    if (globals().json) output('', { running: false });
  });
daemon
  .command('status')
  .description('whether hearthd runs, and the state of its components (exit 3 when it does not run)')
  .action(async () => {
    const loaded = config();
    const pid = runningPid(loaded.home);
    if (pid === null) {
      if (globals().json) output('', { running: false });
      else process.stdout.write('hearthd is not running\n');
      process.exitCode = 3;
      return;
    }
    const status = await call(loaded, 'core/status', {});
    if (globals().json) return output('', { running: true, pid, ...(status as object) });
    process.stdout.write(`pid      ${pid}\n`);
    output('core/status', status);
  });

function fail(code: string, message: string): never {
  if (globals().json) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`hearth: ${code}: ${message}\n`);
  process.exit(1);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) fail(err.code, err.message);
  if (err instanceof ConfigError) fail('config', err.message);
  fail('cli:error', err instanceof Error ? err.message : String(err));
});
