/**
 * hearthd's life: start (listen first, so /health answers at once; then open and migrate the
 * store, retrying while it is locked or unreachable), and a graceful stop on SIGTERM, SIGINT or
 * `core/stop`.
 */
import { join } from 'node:path';
import { chmodSync, existsSync, lstatSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { MIGRATIONS } from '../api/migrations.js';
import { isPasswordHash } from '../auth/passwords.js';
import { deriveDeviceCookieKey } from '../auth/device-cookies.js';
import { accountsInStore, knownOwner } from '../features/accounts/service.js';
import { adoptForOwner } from '../features/credentials/service.js';
import { followAccounts, startHostState } from '../features/host-state/service.js';
import { deriveRoleTokenKey } from '../features/role-tokens/service.js';
import { deriveTwoFactorKey } from '../features/two-factor/service.js';
import { deriveVaultJwtKey } from '../features/vault/service.js';
import { resolversFor } from '../http/authenticate.js';
import { isLoopback, plainHttpWarning } from '../http/plain-http.js';
import { buildServer } from '../http/server.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { ConfigError, inHome, parseListen, type LoadedConfig } from '../kernel/config.js';
import { Hearth } from '../kernel/hearth.js';
import { VERSION_CORE } from '../kernel/version.js';
import { openStore, rowsInSqliteFile, storeTarget, type Store } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { recoverJobs, stopJobs } from '../jobs/service.js';
import { ensureAuthToken, ensureHome, ensureSetupCode, ensureTokenKey, ensureTwoFactorKey, removeOwnPidFile, removeSetupCode, writePidFile } from './home.js';
import { ACME_DIR, acmeDue, prepareTls, TLS_DIR, type TlsMaterial } from './tls.js';
import { removeLeftoverTemps } from '../host/files.js';

/** How often HTTPS looks whether its certificate must be made again (or was replaced on disk). */
const TLS_CHECK_MS = 12 * 3_600_000;
/** How long after a failed ACME attempt the next one is made. */
const ACME_RETRY_MS = 3_600_000;

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

/** Why listening failed, in words. */
function listenFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EADDRINUSE'
    ? 'the address is already in use'
    : code === 'EADDRNOTAVAIL'
      ? 'no such local address'
      : code === 'EACCES'
        ? 'permission denied'
        : (err as Error).message;
}

function urlOf(scheme: 'http' | 'https', addr: AddressInfo): string {
  return `${scheme}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
}

let isoSecond = -1;
let isoPrefix = '';
/** pino's isoTime, with the date and time to the second made once a second: every request's log line pays for it. */
export function isoTime(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const ms = now - second * 1000;
  return `,"time":"${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

export class Daemon {
  readonly hearth: Hearth;
  readonly log: Logger;
  private app: FastifyInstance | null = null;
  private socketServer: Server | null = null;
  private socketPath: string | null = null;
  private tlsServer: HttpsServer | null = null;
  private tlsTimer: NodeJS.Timeout | null = null;
  private tls: TlsMaterial | null = null;
  private store: Store | null = null;
  private storeRetry: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  /** Where it listens, once it does. */
  urls: string[] = [];

  constructor(private readonly opts: DaemonOptions) {
    const { config, home } = opts.loaded;
    // ISO times, so a person reading the JSON need not convert epochs (main.ts makes them human on a terminal).
    // Written asynchronously (lines written while one write is under way go out together in the
    // next), so a request never waits for its log line; pino flushes what is left on exit.
    this.log = opts.logger ?? pino({ level: config.log.level, base: { pid: process.pid }, timestamp: isoTime }, pino.destination({ dest: 1, sync: false }));
    this.hearth = new Hearth({
      config,
      home,
      clock: opts.clock ?? systemClock,
      requestStop: () => {
        setTimeout(() => void this.stop('core/stop').then(() => opts.onStopped?.()), 5);
      },
    });
    followAccounts(this.hearth);
    this.hearth.hooks.onError = (err, e) =>
      this.log.warn({ err: (err as Error).message, account: e.username, change: e.kind }, 'the host state did not follow an account change');
  }

  async start(): Promise<void> {
    const { config, home } = this.opts.loaded;
    const { components } = this.hearth;
    const target = storeTarget(config.store.url, home);
    if (!config.services.web && !config.server.socket) {
      throw new ConfigError('nothing to listen on: enable [services] web or set [server] socket');
    }
    ensureHome(home);
    // What a daemon killed mid-write left: the files themselves are whole (written beside, then renamed).
    for (const dir of ['', TLS_DIR, ACME_DIR, 'backup']) await removeLeftoverTemps(join(home, dir));
    const token = ensureAuthToken(home);
    // A hash nothing can verify would make /auth refuse every password, silently.
    if (config.security.admin_password_hash && !isPasswordHash(config.security.admin_password_hash)) {
      throw new ConfigError('[security] admin_password_hash: not an argon2 or bcrypt hash; make one with "hearth admin hash-password"');
    }
    const tokenSecret = config.security.token_encryption_key || ensureTokenKey(home);
    this.hearth.roleTokenKey = deriveRoleTokenKey(tokenSecret);
    this.hearth.vaultJwtKey = deriveVaultJwtKey(tokenSecret);
    this.hearth.deviceCookieKey = deriveDeviceCookieKey(tokenSecret);
    this.hearth.twoFactorKey = deriveTwoFactorKey(ensureTwoFactorKey(home));
    const resolvers = resolversFor(this.hearth, token.token);

    components.set('store', 'starting');
    components.set('web', config.services.web ? 'starting' : 'off');
    components.set('socket', config.server.socket ? 'starting' : 'off');
    components.set('docs', config.services.docs ? 'on' : 'off');
    const tlsOn = config.services.web && config.server.tls_listen !== '';
    components.set('tls', tlsOn ? 'starting' : 'off');

    const app = await buildServer({ hearth: this.hearth, logger: this.log, resolvers });
    this.app = app;
    await app.ready();
    // The socket first: it tells whether another hearthd already runs on this home.
    if (config.server.socket) {
      await this.listenSocket(inHome(home, config.server.socket), app);
      components.set('socket', 'on');
    }

    // The certificate before any port: a bad one stops start-up before anything listens. HTTPS
    // binds before HTTP, whose "listening" line must not come before a failure to bind.
    const tls = tlsOn ? await prepareTls(config, home) : null;
    const tlsUrl = tls ? await this.listenTls(tls, app) : null;

    if (config.services.web) {
      const { host, port } = parseListen(config.server.listen);
      try {
        await app.listen({ host, port });
      } catch (err) {
        throw new ConfigError(`cannot listen on ${config.server.listen}: ${listenFailure(err)} (set [server] listen or HEARTH_SERVER_LISTEN)`);
      }
      const addr = app.server.address();
      if (addr && typeof addr === 'object') {
        this.hearth.httpUrl = urlOf('http', addr);
        this.urls.push(this.hearth.httpUrl);
        if (!isLoopback(addr.address)) this.hearth.warnings.push(plainHttpWarning(this.hearth.httpUrl));
      }
      components.set('web', 'on');
    }
    if (tlsUrl) this.urls.push(tlsUrl); // after http: clients and tests take the first URL
    if (tls && config.server.acme_directory) {
      this.hearth.acme = { directory: config.server.acme_directory, status: 'pending', error: null, last_attempt: null, renew_at: null };
      if (tls.source === 'acme') this.acmeServed(tls);
    }
    writePidFile(home);
    const tlsLog = this.hearth.tls && {
      ca_cert_fingerprint: this.hearth.tls.ca_cert_fingerprint,
      ca_cert_path: this.hearth.tls.ca_cert_path,
      cert_path: this.hearth.tls.cert_path,
    };
    this.log.info(
      { version: VERSION_CORE, urls: this.urls, socket: this.socketPath, authtoken: token.path, home, tls: tlsLog },
      `hearthd ${VERSION_CORE} listening on ${[...this.urls, this.socketPath ? `unix:${this.socketPath}` : null].filter(Boolean).join(' and ')}; API token in ${token.path}` +
        (tlsLog?.ca_cert_path ? `; HTTPS CA certificate in ${tlsLog.ca_cert_path} (${tlsLog.ca_cert_fingerprint})` : ''),
    );
    for (const warning of this.hearth.warnings) this.log.warn(warning);
    if (tls) this.logTls(tls); // only now: a start that fails says one line, and nothing before it
    void this.startStore(target);
    // Once HTTP listens (the CA checks the challenge there).
    if (this.hearth.acme && this.hearth.acme.status !== 'on') void this.renewAcme();
  }

  /** HTTPS: the same routes as HTTP, on `[server] tls_listen`, with the certificate prepared at start. */
  private async listenTls(tls: TlsMaterial, app: FastifyInstance): Promise<string> {
    const { config } = this.hearth;
    const { host, port } = parseListen(config.server.tls_listen, 'tls_listen');
    // req.socket.encrypted is set on these connections, so Fastify's req.protocol is 'https'.
    const server = createHttpsServer({ cert: tls.cert, key: tls.key }, app.routing);
    // A client that does not trust the certificate hangs up during the handshake: not our error.
    server.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new ConfigError(
            `cannot listen on ${config.server.tls_listen}: ${listenFailure(err)} (set [server] tls_listen or HEARTH_SERVER_TLS_LISTEN; empty disables HTTPS)`,
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.tlsServer = server;
    const url = urlOf('https', server.address() as AddressInfo);
    this.useTls(tls, url);
    this.hearth.components.set('tls', 'on');
    this.tlsTimer = setInterval(() => void this.periodicTls(), TLS_CHECK_MS).unref();
    return url;
  }

  private useTls(tls: TlsMaterial, url: string): void {
    this.tls = tls;
    this.hearth.tls = {
      url,
      ca_cert_fingerprint: tls.fingerprint,
      ca_cert_path: tls.caPath,
      cert_path: tls.certPath,
      not_after: tls.notAfter.toISOString(),
      issuer: tls.issuer,
      source: tls.source,
    };
  }

  private async periodicTls(): Promise<void> {
    if (this.hearth.acme && acmeDue(this.opts.loaded.home, this.hearth.clock.now())) await this.renewAcme();
    else await this.checkTls();
  }

  private acmeServed(tls: TlsMaterial): void {
    const acme = this.hearth.acme!;
    acme.status = 'on';
    acme.error = null;
    acme.renew_at = new Date(tls.notAfter.getTime() - 30 * 86_400_000).toISOString();
  }

  private acmeRun: Promise<void> | null = null;
  private acmeRetry: NodeJS.Timeout | null = null;

  /**
   * Gets a certificate from the ACME CA and serves it (without a restart). On failure the current
   * certificate is kept, `core/status` says why, and the next check tries again. Public for tests.
   */
  renewAcme(): Promise<void> {
    this.acmeRun ??= this.doRenewAcme().finally(() => (this.acmeRun = null));
    return this.acmeRun;
  }

  private async doRenewAcme(): Promise<void> {
    const acme = this.hearth.acme;
    if (!acme || this.stopping) return;
    if (this.acmeRetry) clearTimeout(this.acmeRetry);
    acme.last_attempt = new Date(this.hearth.clock.now()).toISOString();
    try {
      const { obtainCertificate } = await import('./acme.js');
      const got = await obtainCertificate(this.hearth.config, this.opts.loaded.home, this.hearth.acmeChallenges, (msg) => this.log.info(msg));
      this.log.info({ cert_path: got.certPath, issuer: got.issuer, not_after: got.notAfter }, 'got a certificate from the ACME CA');
      await this.checkTls();
      if (this.tls?.source === 'acme') this.acmeServed(this.tls);
      else throw new Error(`the certificate from the ACME CA in ${got.certPath} could not be served`);
    } catch (err) {
      const message = (err as Error).message || String(err);
      // A renewal that failed keeps the certificate served (still on); a first one that failed says so.
      if (acme.status !== 'on') acme.status = 'failed';
      acme.error = message;
      this.log.warn({ err: message, directory: acme.directory }, 'could not get a certificate from the ACME CA; serving the current one');
      if (!this.stopping) this.acmeRetry = setTimeout(() => void this.renewAcme(), ACME_RETRY_MS).unref();
    }
  }

  /** What the owner should know of a certificate just taken into use. */
  private logTls(tls: TlsMaterial): void {
    if (tls.renewed)
      this.log.info({ cert_path: tls.certPath, reason: tls.renewed, not_after: tls.notAfter.toISOString() }, 'made a new HTTPS server certificate');
    for (const warning of tls.warnings) this.log.warn({ cert_path: tls.certPath }, warning);
  }

  /**
   * While running: makes a new server certificate before the old one ends, and picks up a
   * configured one replaced on disk. On failure HTTPS keeps its certificate and reports failed.
   * Runs on a timer; public so that tests need not wait for it.
   */
  async checkTls(): Promise<void> {
    const { components, config } = this.hearth;
    const { home } = this.opts.loaded;
    if (!this.tlsServer || this.stopping) return;
    try {
      const tls = await prepareTls(config, home);
      if (tls.cert !== this.tls?.cert || tls.key !== this.tls?.key) {
        this.tlsServer.setSecureContext({ cert: tls.cert, key: tls.key });
        this.useTls(tls, this.hearth.tls!.url);
        this.logTls(tls);
      }
      components.set('tls', 'on');
    } catch (err) {
      const message = (err as Error).message;
      components.set('tls', 'failed', message);
      this.log.warn({ err: message }, 'HTTPS certificate check failed; serving the current one');
    }
  }

  /** The CLI's channel: the same routes on a Unix socket only the owner can open. */
  private async listenSocket(path: string, app: FastifyInstance): Promise<void> {
    if (path.length > 100) throw new ConfigError(`[server] socket: path ${path} is too long for a Unix socket; set a shorter one`);
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new ConfigError(`[server] socket: ${path} exists and is not a socket; move it or choose another path`);
      if (await socketAnswers(path))
        throw new ConfigError(`another hearthd is running with home ${this.opts.loaded.home} (${path} answers); stop it first with "hearth daemon stop"`);
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
      const report = await migrate(store, this.hearth.clock, MIGRATIONS, config.store.skipped_migrations);
      store.setBusyTimeout(1000);
      if (this.stopping) return void (await store.close());
      this.store = store;
      this.hearth.attachStore(store);
      // Before the store reports on: ready means the owner is known, or the setup code is in the home.
      await this.sayWhereToStart().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'cannot keep the setup code'));
      // With migrations skipped the jobs table may not exist: the store still serves what it has.
      const orphans = await recoverJobs(this.hearth).catch((err: Error) => {
        this.log.warn({ err: err.message }, 'jobs left running could not be checked');
        return 0;
      });
      if (orphans) this.log.warn({ jobs: orphans }, 'jobs left running by a daemon that stopped are marked failed');
      // Before ready too: after a crash the host's files catch up with the store (a change stored, its publication cut short).
      await startHostState(this.hearth).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'the host state could not be published'));
      components.set('store', 'on');
      this.log.info({ store: store.kind, location: store.location, ...report }, 'store ready');
      await this.warnIfHomeDbHasAccounts(target);
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

  /**
   * The owner, or the claim for it. With an owner: the global token acts as it, so what the
   * token made before (on a store from before that rule) becomes the owner's, and no setup code
   * is kept. With no account yet: a setup code in the home, and the link that carries it.
   */
  private async sayWhereToStart(): Promise<void> {
    const { home } = this.opts.loaded;
    const owner = await knownOwner(this.hearth);
    if (owner) {
      await adoptForOwner(this.hearth.store.db, owner.id);
      this.hearth.setup = null;
      removeSetupCode(home);
      return;
    }
    const accounts = await accountsInStore(this.hearth);
    if (accounts === null) return; // no accounts table: nothing to claim
    if (accounts > 0) {
      removeSetupCode(home);
      return;
    }
    const { path, code } = ensureSetupCode(home);
    this.hearth.setup = { code, done: () => removeSetupCode(home) };
    // The code rides in the fragment, which browsers never send: no access log or proxy sees it.
    const base = this.hearth.config.server.public_url.replace(/\/+$/, '') || this.urls[0];
    this.log.info(
      { next: base ? `${base}/#setup=${code}` : null, setup_code_file: path },
      base
        ? `no account yet: open ${base}/#setup=${code} in a browser to create the owner's account, or run "hearth bonafide user create <name>"`
        : `no account yet: create the owner's account with "hearth bonafide user create <name>" (the console needs the setup code in ${path})`,
    );
  }

  /**
   * On an empty store other than the home's hearth.db, while hearth.db still holds accounts: the
   * owner has likely switched `[store] url` without moving the data. Said in the log and in
   * `core/status`, with the command that moves it.
   */
  private async warnIfHomeDbHasAccounts(target: ReturnType<typeof storeTarget>): Promise<void> {
    const homeDb = inHome(this.opts.loaded.home, 'hearth.db');
    if (target.kind === 'sqlite' && target.target === homeDb) return;
    if ((await accountsInStore(this.hearth)) !== 0) return;
    const old = await rowsInSqliteFile(homeDb, 'accounts');
    if (!old) return;
    const message =
      `this store has no account, but ${homeDb} holds ${old} account${old === 1 ? '' : 's'} (and their devices and vaults): ` +
      `to move them here, stop hearthd ("hearth daemon stop"), run "hearth store copy --from sqlite:hearth.db --to <[store] url>", and start it again`;
    this.hearth.warnings.push(message);
    this.log.warn({ file: homeDb, accounts: old }, message);
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
    if (this.tlsTimer) clearInterval(this.tlsTimer);
    if (this.acmeRetry) clearTimeout(this.acmeRetry);
    for (const name of ['web', 'socket', 'tls'] as const) {
      if (components.get(name)?.status === 'on') components.set(name, 'stopping');
    }
    const force = setTimeout(() => {
      this.log.warn({ afterSeconds: config.server.shutdown_timeout }, 'closing connections still busy');
      this.app?.server.closeAllConnections();
      this.socketServer?.closeAllConnections();
      this.tlsServer?.closeAllConnections();
    }, config.server.shutdown_timeout * 1000);
    const closed = (server: Server | HttpsServer | null) =>
      server
        ? new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          })
        : Promise.resolve();
    await Promise.all([this.app?.close(), closed(this.socketServer), closed(this.tlsServer)]);
    clearTimeout(force);
    if (this.store) {
      await stopJobs(this.hearth);
      components.set('store', 'stopping');
      await this.store.close();
    }
    for (const name of ['web', 'socket', 'tls', 'store'] as const) components.set(name, 'off');
    this.hearth.tls = null;
    if (this.socketPath) rmSync(this.socketPath, { force: true });
    removeOwnPidFile(this.opts.loaded.home);
    if (!quiet) this.log.info('stopped');
  }
}
