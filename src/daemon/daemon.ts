/**
 * hearthd's life: start (listen first, so /health answers at once; then open and migrate the
 * store, retrying while it is locked or unreachable), and a graceful stop on SIGTERM, SIGINT or
 * `core/stop`.
 */
import { chmodSync, existsSync, lstatSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { globalTokenResolver, type Resolver } from '../auth/resolvers.js';
import type { CredentialKind } from '../auth/principal.js';
import { systemClock, type Clock } from '../clock.js';
import { ConfigError, inHome, parseListen, type LoadedConfig } from '../config.js';
import { Hearth } from '../core/hearth.js';
import { buildServer } from '../http/server.js';
import { migrate, openStore, storeTarget, type Store } from '../store/store.js';
import { VERSION_CORE } from '../version.js';
import { ensureAuthToken, ensureHome, removeOwnPidFile, writePidFile } from './home.js';

export interface DaemonOptions {
  loaded: LoadedConfig;
  clock?: Clock;
  logger?: Logger;
  /** Called once `core/stop` has stopped the daemon (the entry point exits the process). */
  onStopped?: () => void;
}

/** Is something answering on this Unix socket? (A stale file from a crash does not.) */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class Daemon {
  readonly hearth: Hearth;
  readonly log: Logger;
  private app: FastifyInstance | null = null;
  private socketServer: Server | null = null;
  private socketPath: string | null = null;
  private store: Store | null = null;
  private storeRetry: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  /** Where it listens, once it does. */
  urls: string[] = [];

  constructor(private readonly opts: DaemonOptions) {
    const { config, home } = opts.loaded;
    this.log = opts.logger ?? pino({ level: config.log.level, base: { pid: process.pid } });
    this.hearth = new Hearth({
      config,
      home,
      clock: opts.clock ?? systemClock,
      requestStop: () => {
        setTimeout(() => void this.stop('core/stop').then(() => opts.onStopped?.()), 5);
      },
    });
  }

  async start(): Promise<void> {
    const { config, home } = this.opts.loaded;
    const { components } = this.hearth;
    const target = storeTarget(config.store.url, home);
    if (!config.services.web && !config.server.socket) {
      throw new ConfigError('nothing to listen on: enable [services] web or set [server] socket');
    }
    ensureHome(home);
    const token = ensureAuthToken(home);
    const resolvers = new Map<CredentialKind, Resolver>([['global', globalTokenResolver(token.token)]]);

    components.set('store', 'starting');
    components.set('web', config.services.web ? 'starting' : 'off');
    components.set('socket', config.server.socket ? 'starting' : 'off');
    components.set('docs', config.services.docs ? 'on' : 'off');

    const app = await buildServer({ hearth: this.hearth, logger: this.log, resolvers });
    this.app = app;
    await app.ready();
    // The socket first: it tells whether another hearthd already runs on this home.
    if (config.server.socket) {
      await this.listenSocket(inHome(home, config.server.socket), app);
      components.set('socket', 'on');
    }

    if (config.services.web) {
      const { host, port } = parseListen(config.server.listen);
      try {
        await app.listen({ host, port });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EADDRNOTAVAIL' ? 'no such local address' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
        throw new ConfigError(`cannot listen on ${config.server.listen}: ${why} (set [server] listen or HEARTH_SERVER_LISTEN)`);
      }
      const addr = app.server.address();
      if (addr && typeof addr === 'object') {
        this.urls.push(`http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`);
      }
      components.set('web', 'on');
    }
    writePidFile(home);
    this.log.info(
      { version: VERSION_CORE, urls: this.urls, socket: this.socketPath, authtoken: token.path, home },
      `hearthd ${VERSION_CORE} listening on ${[...this.urls, this.socketPath ? `unix:${this.socketPath}` : null].filter(Boolean).join(' and ')}; API token in ${token.path}`,
    );
    void this.startStore(target);
  }

  /** The CLI's channel: the same routes on a Unix socket only the owner can open. */
  private async listenSocket(path: string, app: FastifyInstance): Promise<void> {
    if (path.length > 100) throw new ConfigError(`[server] socket: path ${path} is too long for a Unix socket; set a shorter one`);
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new ConfigError(`[server] socket: ${path} exists and is not a socket; move it or choose another path`);
      if (await socketAnswers(path)) throw new ConfigError(`another hearthd is running with home ${this.opts.loaded.home} (${path} answers); stop it first with "hearth daemon stop"`);
      rmSync(path, { force: true });
    }
    const server = createServer(app.routing); // mode 0600 from the daemon's umask, then chmod for certainty
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new ConfigError(`[server] socket: cannot listen on ${path}: ${err.message}`)));
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
    this.socketServer = server;
    this.socketPath = path;
  }

  /** Opens and migrates the store; while it is locked or unreachable, says so and retries. */
  private async startStore(target: ReturnType<typeof storeTarget>, attempt = 0): Promise<void> {
    const { components, config } = this.hearth;
    if (this.stopping) return;
    let store: Store | null = null;
    try {
      store = await openStore(target, { busyTimeoutMs: 0 });
      const report = await migrate(store, this.hearth.clock, config.store.skipped_migrations);
      store.setBusyTimeout(1000);
      if (this.stopping) return void (await store.close());
      this.store = store;
      this.hearth.attachStore(store);
      components.set('store', 'on');
      this.log.info({ store: store.kind, location: store.location, ...report }, 'store ready');
    } catch (err) {
      await store?.close().catch(() => {});
      const delay = Math.min(5000, 100 * 2 ** attempt);
      const message = (err as Error).message || String(err);
      // A lock or an unreachable server clears by itself; anything else needs the owner.
      const code = String((err as { code?: unknown }).code ?? '');
      const transient = /^(SQLITE_BUSY|SQLITE_LOCKED|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|57P03)/.test(code) || /timeout/i.test(message);
      components.set('store', transient ? 'starting' : 'failed', message);
      this.log.warn({ store: target.kind, err: message, retryInMs: delay }, 'store not ready; retrying');
      this.storeRetry = setTimeout(() => void this.startStore(target, attempt + 1), delay);
    }
  }

  /** Stops accepting, lets requests in flight finish (bounded), closes the store, removes the pid file. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.doStop(reason, false);
    return this.stopping;
  }

  /** Undoes a start that failed, quietly: the caller prints the one line that says why. */
  abort(): Promise<void> {
    this.stopping ??= this.doStop('start-up failed', true);
    return this.stopping;
  }

  private async doStop(reason: string, quiet: boolean): Promise<void> {
    const { components, config } = this.hearth;
    if (!quiet) this.log.info({ reason }, 'stopping');
    this.hearth.stopping = true;
    if (this.storeRetry) clearTimeout(this.storeRetry);
    for (const name of ['web', 'socket'] as const) {
      if (components.get(name)?.status === 'on') components.set(name, 'stopping');
    }
    const force = setTimeout(() => {
      this.log.warn({ afterSeconds: config.server.shutdown_timeout }, 'closing connections still busy');
      this.app?.server.closeAllConnections();
      this.socketServer?.closeAllConnections();
    }, config.server.shutdown_timeout * 1000);
    const socketClosed = this.socketServer
      ? new Promise<void>((resolve) => {
          this.socketServer!.close(() => resolve());
          this.socketServer!.closeIdleConnections();
        })
      : Promise.resolve();
    await Promise.all([this.app?.close(), socketClosed]);
    clearTimeout(force);
    if (this.store) {
      components.set('store', 'stopping');
      await this.store.close();
    }
    for (const name of ['web', 'socket', 'store'] as const) components.set(name, 'off');
    if (this.socketPath) rmSync(this.socketPath, { force: true });
    removeOwnPidFile(this.opts.loaded.home);
    if (!quiet) this.log.info('stopped');
  }
}
