/**
 * The core of the daemon, with no HTTP in it: the services each capability needs, built once
 * by the daemon and handed to every surface.
 */
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Store } from '../store/db.js';
import { Components } from './components.js';
import { HearthError } from './errors.js';
import { Hooks } from './hooks.js';

/** Requests answered, per surface (native, health, docs, …), for `core/stats`. */
export class RequestCounters {
  private readonly counts = new Map<string, number>();
  add(surface: string): void {
    this.counts.set(surface, (this.counts.get(surface) ?? 0) + 1);
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** What `core/status` tells of HTTPS: where, and the fingerprint a client checks the CA (or certificate) by. */
export interface TlsStatus {
  url: string;
  /** `SHA256: <hex>` of the local CA, or of the configured certificate. */
  ca_cert_fingerprint: string;
  /** The local CA's certificate, for clients to trust; null when a configured certificate is used. */
  ca_cert_path: string | null;
  cert_path: string;
  not_after: string;
  /** The served certificate's issuer: the local CA, the configured certificate's, or the ACME CA's. */
  issuer: string;
  /** Where the served certificate comes from. */
  source: 'local-ca' | 'configured' | 'acme';
}

/** What `core/status` tells of ACME: where certificates come from, and how the last attempt went. */
export interface AcmeStatus {
  directory: string;
  /** pending (none yet: the local CA's is served meanwhile), on (its certificate is served), failed (the last attempt). */
  status: 'pending' | 'on' | 'failed';
  error: string | null;
  last_attempt: string | null;
  /** When it will be renewed: 30 days before it ends. */
  renew_at: string | null;
}

export interface HearthOptions {
  config: Config;
  home: string;
  clock: Clock;
  /** Called by `core/stop`: the daemon stops gracefully after the answer has gone out. */
  requestStop: () => void;
}

export class Hearth {
  readonly components = new Components();
  readonly requests = new RequestCounters();
  /** Account changes other features follow (the host state's users). */
  readonly hooks = new Hooks();
  readonly startedAt: number;
  /** Set when a graceful stop begins: answers then close their connections. */
  stopping = false;
  private storeRef: Store | null = null;
  /** What the owner should fix that does not stop the daemon (plain HTTP beyond loopback, an empty store beside a full hearth.db, …), for `core/status`, one line each. */
  readonly warnings: string[] = [];
  /** The ACME certificate's state, while `[server] acme_directory` is set; null when ACME is off. */
  acme: AcmeStatus | null = null;
  /** HTTP-01 challenges being answered for the ACME CA: token → key authorization. */
  readonly acmeChallenges = new Map<string, string>();
  /** HTTPS as served, once it listens; null when it is off. */
  tls: TlsStatus | null = null;
  /** The AES-256 key role tokens are sealed with, derived from `[security] token_encryption_key` at start. */
  roleTokenKey: Buffer = Buffer.alloc(0);
  /** The HS256 key of the vault's access tokens, derived from the same secret at start. */
  vaultJwtKey: Uint8Array = new Uint8Array(0);
  /** The HMAC key of device cookies (the failed-login limits), derived from the same secret at start. */
  deviceCookieKey: Buffer = Buffer.alloc(0);
  /** The AES-256 key second-factor secrets are sealed with at rest, from the home's `twofactor.key`. */
  twoFactorKey: Buffer = Buffer.alloc(0);

  constructor(readonly options: HearthOptions) {
    this.startedAt = options.clock.now();
  }

  get clock(): Clock {
    return this.options.clock;
  }

  get config(): Config {
    return this.options.config;
  }

  /** The store once it is open and migrated; routes that use it are gated on the component. */
  get store(): Store {
    if (!this.storeRef) throw new HearthError('unavailable', 'the store is not ready yet');
    return this.storeRef;
  }

  /**
   * The URL clients are told to use, without a trailing slash: `[server] public_url`, else
   * HTTPS as served, else the first HTTP URL; null before anything listens.
   */
  get publicUrl(): string | null {
    const configured = this.config.server.public_url.replace(/\/+$/, '');
    return configured || this.tls?.url || this.httpUrl;
  }

  /** The HTTP listener's URL once it listens (set by the daemon). */
  httpUrl: string | null = null;

  /**
   * The owner's account (the first account created on the store; it cannot be deleted or
   * demoted), once known: the global token acts as it. Learnt when the store opens and when the
   * owner is created; never changes while the store does not (the accounts feature keeps it).
   */
  owner: { id: string; username: string } | null = null;

  /**
   * The first-run setup code while the store has no account (the daemon keeps it in
   * `$HEARTH_HOME/setup-code`), and what to do once the owner exists (remove the file).
   */
  setup: { code: string; done(): void } | null = null;

  attachStore(store: Store | null): void {
    this.storeRef = store;
    this.owner = null;
  }
}
