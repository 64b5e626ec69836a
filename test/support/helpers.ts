/** Test helpers: temporary homes, real hearthd processes on loopback, and HTTP calls to them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { loadConfig } from '../../src/kernel/config.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { DAEMON_MAIN, DAEMON_NODE_OPTIONS, PACKAGE_ROOT } from '../../src/kernel/paths.js';

export const CLI_MAIN = join(PACKAGE_ROOT, 'bin', 'hearth.js');

const homes: string[] = [];
export function tempHome(toml?: string): string {
  const home = mkdtempSync(join(tmpdir(), 'hearth-test-'));
  homes.push(home);
  if (toml !== undefined) writeFileSync(join(home, 'hearth.toml'), toml);
  return home;
}
process.on('exit', () => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

export interface RunningDaemon {
  home: string;
  url: string;
  /** Every URL from the start-up line: HTTP first, then HTTPS when it is on. */
  urls: string[];
  token: string;
  proc: ChildProcess;
  /** Everything the daemon wrote to stdout and stderr so far. */
  output(): string;
  /** Log lines (JSON) written so far. */
  logs(): Record<string, any>[];
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/**
 * A real hearthd for the CLI's tests, without the pause after a failed sign-in (they make some),
 * and the environment the CLI reaches it with.
 */
export async function startDaemonForCli(): Promise<{ d: RunningDaemon; env: Record<string, string> }> {
  const noFailureDelay = { HEARTH_SECURITY_FAILURE_DELAY: '0' };
  const d = await startDaemon({ env: noFailureDelay });
  return { d, env: { HEARTH_HOME: d.home, ...noFailureDelay } };
}

/**
 * Starts a real hearthd on free loopback ports (HTTP and HTTPS); resolves once it listens and its
 * store is no longer starting (hearthd listens first, then opens and migrates the store: a call
 * made in between is a 404 "not available yet"), unless `waitForStore` is false.
 */
export async function startDaemon(
  opts: {
    home?: string;
    env?: Record<string, string>;
    toml?: string;
    /** stop keeping output once started (benchmarks) */
    discardOutput?: boolean;
    /** Node.js options before the script (profiling: --cpu-prof is not allowed in NODE_OPTIONS) */
    nodeArgs?: string[];
    /** false: resolve as soon as it listens, for tests of a store that is not ready */
    waitForStore?: boolean;
  } = {},
): Promise<RunningDaemon> {
  const home = opts.home ?? tempHome(opts.toml);
  const proc = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, ...(opts.nodeArgs ?? []), DAEMON_MAIN], {
    env: { ...process.env, HEARTH_HOME: home, HEARTH_SERVER_LISTEN: '127.0.0.1:0', HEARTH_SERVER_TLS_LISTEN: '127.0.0.1:0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
  const urls = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hearthd did not start:\n${out}`)), 15000);
    const check = () => {
      const line = logs().find((l) => Array.isArray(l.urls));
      if (line) {
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        if (opts.discardOutput) {
          proc.stdout!.removeAllListeners('data').resume();
          proc.stderr!.removeAllListeners('data').resume();
        }
        resolve(line.urls as string[]);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hearthd exited with ${code}:\n${out}`));
    });
  });
  const url = urls[0] ?? '';
  if (opts.waitForStore !== false && url.startsWith('http:')) await storeStarted(url);
  return {
    home,
    url,
    urls,
    token: readFileSync(join(home, 'authtoken'), 'utf8').trim(),
    proc,
    output: () => out,
    logs,
    exited,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Waits (up to 20 s) until /readiness no longer lists the store as starting: on, or failed. */
async function storeStarted(url: string): Promise<void> {
  await waitFor(
    `the store of hearthd at ${url} to be no longer starting`,
    async () => {
      const r = await call({ url }, '/readiness', undefined, { method: 'GET' }).catch(() => null);
      return r !== null && (r.status === 200 || (r.body as { waiting?: { store?: { status?: string } } })?.waiting?.store?.status !== 'starting');
    },
    20_000,
  );
}

/** Runs hearthd expecting it to fail at start-up; answers its exit code and output. */
export function runDaemonExpectingFailure(home: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, DAEMON_MAIN], {
      env: { ...process.env, HEARTH_HOME: home, HEARTH_SERVER_LISTEN: '127.0.0.1:0', HEARTH_SERVER_TLS_LISTEN: '127.0.0.1:0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export interface CallResult {
  status: number;
  body: any;
  headers: Headers;
}

/** POST /API/<path> (or any method/path with `raw`), JSON in and out. */
export async function call(
  d: { url: string; token?: string },
  path: string,
  body?: unknown,
  init: { headers?: Record<string, string>; raw?: string; method?: string; noToken?: boolean } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...init.headers };
  if (d.token && !init.noToken) headers['x-hearth-auth'] ??= d.token;
  let payload: string | undefined = init.raw;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  const url = path.startsWith('/') ? `${d.url}${path}` : `${d.url}/API/${path}`;
  const res = await fetch(url, { method: init.method ?? 'POST', headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs the hearth CLI (with `input` on its stdin, if given); answers exit code, stdout and stderr. */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const stdin = input === undefined ? 'ignore' : 'pipe';
    const proc = spawn(process.execPath, [CLI_MAIN, ...args], { env: { ...process.env, ...env }, stdio: [stdin, 'pipe', 'pipe'] });
    proc.stdin?.on('error', () => {}); // the CLI may exit without reading it all
    proc.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface InProcessDaemon {
  home: string;
  url: string;
  token: string;
  clock: ManualClock;
  daemon: Daemon;
  /** Every log line written so far, as text (to look for leaked secrets). */
  logText(): string;
  stop(): Promise<void>;
}

/**
 * A real hearthd in this process, on HTTP over loopback, with a clock that moves only when the
 * test says (`clock.advance(ms)`), so expiry is tested without sleeping. Waits until ready.
 */
export async function startInProcess(opts: { home?: string; env?: Record<string, string>; toml?: string; clock?: ManualClock } = {}): Promise<InProcessDaemon> {
  const home = opts.home ?? tempHome(opts.toml);
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 5, 1, 12));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const loaded = loadConfig({
    HEARTH_HOME: home,
    HEARTH_SERVER_LISTEN: '127.0.0.1:0',
    HEARTH_SERVER_TLS_LISTEN: '127.0.0.1:0',
    HEARTH_SECURITY_FAILURE_DELAY: '0',
    ...opts.env,
  });
  const daemon = new Daemon({ loaded, clock, logger: pino({ level: 'info' }, sink) });
  await daemon.start();
  const url = daemon.urls[0]!;
  await waitFor('readiness', async () => (await fetch(`${url}/readiness`)).status === 200);
  return {
    home,
    url,
    token: readFileSync(join(home, 'authtoken'), 'utf8').trim(),
    clock,
    daemon,
    logText: () => lines.join(''),
    stop: () => daemon.stop('test'),
  };
}

/** `Authorization` headers for each credential kind. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const sessionAuth = (username: string, token: string) => ({ authorization: `Token ${Buffer.from(`${username}:${token}`).toString('base64')}` });

/** The first-run setup code hearthd keeps in its home while no account exists. */
export function setupCode(home: string): string {
  return readFileSync(join(home, 'setup-code'), 'utf8').trim();
}
