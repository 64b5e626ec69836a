/**
 * The credentials part of `npm run bench`: stored credentials made the way a client makes them,
 * the argon2id floor, logins under load, and a latency probe for a cheap call beside them.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { hashPassword, verifyPassword } from '../src/auth/passwords.js';
import { call, setupCode, type RunningDaemon } from '../test/support/helpers.js';

export const BENCH_USER = 'bench';

export interface Credentials {
  /** The account's password, for the login load (random per run, never printed). */
  pass: string;
  device: Record<string, string>;
  role: Record<string, string>;
  session: Record<string, string>;
}

async function ok(d: RunningDaemon, what: string, path: string, body: unknown, init: Parameters<typeof call>[3] = {}) {
  const r = await call(d, path, body, init);
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body?.error ?? r.body)}`);
  return r.body;
}

/**
 * A session, a device token and a role token, each got as a client gets it: the first account
 * (no credential needed), a login, a pairing phrase traded for a device token, `token/create`.
 */
export async function makeCredentials(d: RunningDaemon): Promise<Credentials> {
  const pass = randomBytes(18).toString('base64url');
  // As the owner does on a first run: with the setup code from the home (no credential).
  await ok(d, 'create the first account', 'bonafide/user/create', { username: BENCH_USER, pass, setup_code: setupCode(d.home) }, { noToken: true });
  const login = await ok(d, 'log in', 'bonafide/user/authenticate', { username: BENCH_USER, pass }, { noToken: true });
  const phrase = (await ok(d, 'pair a device', 'device/pair', {})).result.token as string;
  const device = (await ok(d, 'authorize the device', '/auth/new_device/authorize', { token: phrase, device: 'bench' }, { noToken: true })).token as string;
  const role = (await ok(d, 'create a role token', 'token/create', ['auditor', 3600])).result.key as string;
  const creds = {
    pass,
    device: { authorization: `Bearer ${device}` },
    role: { authorization: `Bearer ${role}` },
    session: { authorization: `Token ${Buffer.from(`${BENCH_USER}:${login.result.token as string}`).toString('base64')}` },
  };
  // Each must be what whoami sees, or the loads below would measure refusals.
  for (const [kind, headers] of [
    ['device', creds.device],
    ['role', creds.role],
    ['session', creds.session],
  ] as const) {
    const who = await ok(d, `whoami with the ${kind} token`, 'core/whoami', {}, { headers, noToken: true });
    if (who.result.credential !== kind) throw new Error(`whoami with the ${kind} token answered ${JSON.stringify(who.result.credential)}`);
  }
  return creds;
}

/**
 * argon2id verifications per second in this process, through the daemon's own hashPassword and
 * verifyPassword (same parameters, same hashing threads), `concurrency` in flight for `seconds`.
 */
export async function argon2Rate(seconds: number, concurrency: number): Promise<number> {
  const pass = randomBytes(18).toString('base64url');
  const hash = await hashPassword(pass);
  let done = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      if (!(await verifyPassword(hash, pass))) throw new Error('argon2id verification failed');
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - t0) / 1000);
}

export interface Probe {
  sent: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/**
 * Open-loop latency probe: `rate` POSTs per second to `url` for `seconds`, each sent on schedule
 * whether or not earlier ones have answered (so a stalled event loop shows in every call it
 * delays, not in one). Latency is measured from the moment a call is sent, in ms.
 */
export async function probe(url: string, headers: Record<string, string>, seconds: number, rate = 200): Promise<Probe> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const target = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const sent = performance.now();
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': '2', ...headers },
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - sent);
            else errors++;
            resolve();
          });
        },
      );
      req.once('error', () => {
        errors++;
        resolve();
      });
      req.end('{}');
    });
  const interval = 1000 / rate;
  const count = Math.round(seconds * rate);
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(one());
  }
  await Promise.all(pending);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return { sent: count, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, errors };
}
