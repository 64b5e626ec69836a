/**
 * How the CLI reaches hearthd: over the home's Unix socket when there is one, else over HTTP on
 * `[server] listen`, with the global API token from the home. Starts the daemon when none answers.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { DEVICE_HEADER, type DeviceSlot } from '../auth/device-cookies.js';
import { inHome, parseListen, type LoadedConfig } from '../kernel/config.js';
import { AUTHTOKEN_FILE, LOG_FILE } from '../daemon/home.js';
import { DAEMON_MAIN, DAEMON_NODE_OPTIONS } from '../kernel/paths.js';

export interface Endpoint {
  socketPath?: string;
  host?: string;
  port?: number;
  describe: string;
  /** A remote server: HTTPS through this agent (which pins its certificate), under this path prefix. */
  https?: { agent: Agent; base: string };
}

export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function endpointFor({ config, home }: LoadedConfig): Endpoint {
  if (config.server.socket) {
    const socketPath = inHome(home, config.server.socket);
    return { socketPath, describe: `unix:${socketPath}` };
  }
  const { host, port } = parseListen(config.server.listen);
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return { host: h, port, describe: `http://${h.includes(':') ? `[${h}]` : h}:${port}` };
}

/** How long one call may wait for an answer (a graceful stop takes at most shutdown_timeout). */
const REQUEST_TIMEOUT_MS = 60_000;

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE']);

/** One HTTP exchange; rejects with code `daemon:unreachable` when nothing listens. */
export function send(
  ep: Endpoint,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // The daemon's JSON, read by each caller for its own command.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = (ep.https ? httpsRequest : httpRequest)(
      {
        socketPath: ep.socketPath,
        host: ep.host,
        port: ep.port,
        method,
        path: ep.https ? `${ep.https.base}${path}` : path,
        agent: ep.https?.agent,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers: res.headers });
          } catch {
            reject(new CliError('badResponse', `the daemon answered ${res.statusCode} with something that is not JSON`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new CliError('daemon:timeout', `hearthd on ${ep.describe} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof CliError) return reject(err);
      reject(UNREACHABLE.has(err.code ?? '') ? new CliError('daemon:unreachable', `no hearthd answers on ${ep.describe}`) : err);
    });
    req.end(payload);
  });
}

export function readToken(home: string): string {
  try {
    return readFileSync(join(home, AUTHTOKEN_FILE), 'utf8').trim();
  } catch (err) {
    throw new CliError('cli:noToken', `cannot read the API token ${join(home, AUTHTOKEN_FILE)}: ${(err as NodeJS.ErrnoException).code}`);
  }
}

/** Calls a native command and answers its result, or throws its error code and message. */
export async function callCommand(
  ep: Endpoint,
  token: string,
  path: string,
  params: unknown,
  scheme: 'global' | 'bearer' | 'authorization' = 'global',
  /** A sign-in's device cookie: sent when one is kept, and the new one handed back. */
  device?: DeviceSlot,
): Promise<unknown> {
  // 'authorization': `token` is the whole Authorization header value (a login session's).
  const auth: Record<string, string> = !token
    ? {}
    : scheme === 'bearer'
      ? { authorization: `Bearer ${token}` }
      : scheme === 'authorization'
        ? { authorization: token }
        : { 'x-hearth-auth': token };
  if (device?.presented) auth[DEVICE_HEADER] = device.presented;
  const res = await send(ep, 'POST', `/API/${path}`, params, auth);
  const issued = res.headers[DEVICE_HEADER];
  if (device && typeof issued === 'string') device.issue(issued);
  const err = res.body?.error;
  if (err) throw new CliError(String(err.code), String(err.message));
  if (res.status >= 400) throw new CliError(`http:${res.status}`, `the daemon answered ${res.status}`);
  return res.body?.result;
}

/**
 * Whether the daemon can take commands: ready, or up with a component that failed (the owner
 * must see that through `core status`, not wait for it). Unreachable → false.
 */
export async function isUsable(ep: Endpoint): Promise<boolean> {
  try {
    const res = await send(ep, 'GET', '/readiness');
    if (res.status === 200) return true;
    const waiting = Object.values((res.body?.waiting ?? {}) as Record<string, { status: string }>);
    return waiting.some((c) => c.status === 'failed');
  } catch (err) {
    if (err instanceof CliError && err.code === 'daemon:unreachable') return false;
    throw err;
  }
}

/**
 * Starts hearthd in the background (detached, logging to the home's hearthd.log) and waits until
 * it is ready. Answers its pid.
 */
export async function startDaemon(loaded: LoadedConfig, timeoutMs = 20000): Promise<{ pid: number; log: string }> {
  const ep = endpointFor(loaded);
  if (ep.port === 0) {
    throw new CliError('cli:noEndpoint', '[server] listen has port 0 and [server] socket is empty: the CLI cannot know where the daemon will listen');
  }
  mkdirSync(loaded.home, { recursive: true, mode: 0o700 });
  const log = join(loaded.home, LOG_FILE);
  const out = openSync(log, 'a', 0o600);
  const child = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, DAEMON_MAIN], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, HEARTH_HOME: loaded.home },
    cwd: loaded.home,
  });
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) {
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      // The daemon's own one-line reason if it gave one, else the end of its log.
      const tail = lines.filter((l) => l.startsWith('hearthd: ')).at(-1) ?? lines.slice(-3).join('\n');
      throw new CliError('daemon:startFailed', `hearthd exited with code ${exited} (log: ${log})\n${tail}`);
    }
    if (await isUsable(ep)) return { pid: child.pid!, log };
    await sleep(50);
  }
  throw new CliError('daemon:startTimeout', `hearthd did not become ready within ${timeoutMs / 1000} s (log: ${log})`);
}
