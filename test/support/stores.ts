/**
 * The same suite on each store: `forEachStore` declares a suite once for SQLite and once for
 * PostgreSQL (a schema of its own on the server at 127.0.0.1:5432, see pg.ts). Without a
 * PostgreSQL server its tests are skipped with a `# NOTICE` line, except on CI, where the suite
 * fails. Every store and daemon a suite makes through it is stopped and removed after the suite.
 *
 *   forEachStore('accounts', (store) => {
 *     let d: InProcessDaemon;
 *     store.before(async () => (d = await store.startInProcess({ env: { HEARTH_SERVER_DOMAIN: 'home.example' } })));
 *     store.it('…', async () => { … });
 *   });
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import { openStore, storeTarget, type Store, type StoreTarget } from '../../src/store/db.js';
import { startDaemon, startInProcess, tempHome, type InProcessDaemon, type RunningDaemon } from './helpers.js';
import { pgReachable, pgSchema, pgSkip } from './pg.js';

// Whether PostgreSQL answers is asked once, before any suite starts a daemon: on a busy machine
// the answer must not wait behind their start-up (hashing, key generation) and time out.
await pgReachable();

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** A new, empty store and a temporary home to go with it. */
export interface FreshStore {
  kind: StoreKind;
  /** A new temporary home (on SQLite the store is its hearth.db). */
  home: string;
  /** The `[store] url`: '' (hearth.db in the home) on SQLite, the schema's URL on PostgreSQL. */
  url: string;
  /** What points a daemon at this store: nothing on SQLite, HEARTH_STORE_URL on PostgreSQL. */
  env: Record<string, string>;
  /** What `openStore` opens. */
  target: StoreTarget;
}

type StartInProcessOptions = Omit<NonNullable<Parameters<typeof startInProcess>[0]>, 'home'>;
type StartDaemonOptions = Omit<NonNullable<Parameters<typeof startDaemon>[0]>, 'home'>;

/** One store kind of a `forEachStore` suite. */
export interface StoreUnderTest {
  readonly kind: StoreKind;
  /** Why this kind's tests are skipped (no PostgreSQL server), or false. */
  readonly skip: string | false;
  /** node:test's `it`, skipped with the suite's store. */
  it(name: string, fn: (t: TestContext) => void | Promise<void>): void;
  /** node:test's `before`, not run when the store is skipped. */
  before(fn: () => unknown): void;
  /** A new, empty store of this kind; dropped after the suite. */
  fresh(toml?: string): Promise<FreshStore>;
  /** `openStore` on a fresh store; the test closes it. */
  open(): Promise<Store>;
  /** An in-process hearthd (startInProcess) on a fresh store; stopped after the suite. */
  startInProcess(opts?: StartInProcessOptions): Promise<InProcessDaemon & { store: FreshStore }>;
  /** A hearthd process (startDaemon) on a fresh store; stopped after the suite. */
  startDaemon(opts?: StartDaemonOptions): Promise<RunningDaemon & { store: FreshStore }>;
}

/**
 * Declares `body` as a suite once per store kind, SQLite first. The suite is named
 * `${title} on ${kind}`, or `title(kind)` when title is a function.
 */
export function forEachStore(title: string | ((kind: StoreKind) => string), body: (store: StoreUnderTest) => void): void {
  for (const kind of STORE_KINDS) {
    describe(typeof title === 'string' ? `${title} on ${kind}` : title(kind), async () => {
      const skip = kind === 'postgres' ? await pgSkip() : false;
      const stops: (() => Promise<unknown>)[] = [];
      const drops: (() => Promise<void>)[] = [];
      after(async () => {
        for (const stop of stops) await stop();
        for (const drop of drops) await drop();
      });

      async function fresh(toml?: string): Promise<FreshStore> {
        if (skip) throw new Error(`no ${kind} store: ${skip}`);
        const home = tempHome(toml);
        let url = '';
        if (kind === 'postgres') {
          const schema = await pgSchema();
          drops.push(schema.drop);
          url = schema.url;
        }
        return { kind, home, url, env: url ? { HEARTH_STORE_URL: url } : {}, target: storeTarget(url, home) };
      }

      body({
        kind,
        skip,
        it: (name, fn) => it(name, { skip }, fn),
        before: (fn) =>
          before(async () => {
            if (!skip) await fn();
          }),
        fresh,
        open: async () => openStore((await fresh()).target),
        async startInProcess(opts = {}) {
          const store = await fresh(opts.toml);
          const d = await startInProcess({ ...opts, home: store.home, env: { ...opts.env, ...store.env } });
          stops.unshift(() => d.stop());
          return Object.assign(d, { store });
        },
        async startDaemon(opts = {}) {
          const store = await fresh(opts.toml);
          const d = await startDaemon({ ...opts, home: store.home, env: { ...opts.env, ...store.env } });
          stops.unshift(() => d.stop());
          return Object.assign(d, { store });
        },
      });
    });
  }
}
