/** hearthd: the Hearth daemon's entry point. */
import { startupOver } from './heap.js';
import { pino, type Logger } from 'pino';
import { ConfigError, loadConfig } from '../kernel/config.js';
import { VERSION_CORE } from '../kernel/version.js';
import { Daemon } from './daemon.js';

const HELP = `hearthd ${VERSION_CORE} — the Hearth daemon

Usage: hearthd [--help] [--version]

Configuration comes from $HEARTH_HOME/hearth.toml (home: ${'$'}HEARTH_HOME, default ~/.config/hearth)
and HEARTH_<SECTION>_<KEY> environment variables; docs/configuration.md lists every key.
Stop it with SIGTERM, SIGINT or "hearth daemon stop".`;

/**
 * Log lines for a terminal: the time, the level and the message, then the fields that matter (the
 * start-up line's own fields repeat its message, so they are left out here; JSON keeps them).
 */
async function terminalLogger(level: string): Promise<Logger> {
  const { default: pretty } = await import('pino-pretty');
  const stream = pretty({
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,reqId,version,urls,socket,authtoken,home,tls',
    singleLine: true,
  });
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void console.log(HELP);
  if (argv.includes('--version')) return void console.log(VERSION_CORE);
  if (argv.length) {
    console.error(`hearthd: unknown argument ${argv[0]} (see hearthd --help)`);
    process.exit(2);
  }
  process.umask(0o077); // the store, socket and every file hearthd writes are the owner's alone
  const loaded = loadConfig();
  // A person at a terminal reads lines; a service manager, a pipe or a file gets JSON, one per line.
  const logger = process.stdout.isTTY ? await terminalLogger(loaded.config.log.level) : undefined;
  const daemon = new Daemon({ loaded, logger, onStopped: () => process.exit(0) });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void daemon.stop(signal).then(() => process.exit(0)));
  }
  try {
    await daemon.start();
  } catch (err) {
    await daemon.abort().catch(() => {});
    throw err;
  }
  startupOver();
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // One clear line, naming the key or the cause; a stack only for the unexpected.
  console.error(`hearthd: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
