/**
 * npm run bench: hearthd's figures beside floors measured in the same run, on loopback.
 * Machines here are shared and noisy, so ratios against the floor matter more than raw numbers.
 * Credentials: whoami with each stored credential beside the unauthenticated call, logins per
 * second beside argon2id's own rate, and a cheap call's p99 while logins run.
 *
 *   node dist/bench/run.js [--duration SECONDS] [--soak SECONDS] [--json FILE] [--only PART,…]
 *
 * Parts: requests, memory, logins, start, vault, soak (all by default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { call, runCli, startDaemon, tempHome, waitFor } from '../test/support/helpers.js';
import { argon2Rate, BENCH_USER, makeCredentials, probe, type Probe } from './credentials.js';
import { DAEMON_MAIN, PACKAGE_ROOT } from '../src/kernel/paths.js';
import { registerVault } from '../test/support/vault-harness.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<any>;

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const DURATION = Number(arg('--duration') ?? 5);
/** The mixed soak's length, in seconds. */
const SOAK = Number(arg('--soak') ?? 60);
const PARTS = ['requests', 'memory', 'logins', 'start', 'vault', 'soak'] as const;
type Part = (typeof PARTS)[number];
const only = arg('--only')?.split(',');
for (const p of only ?? []) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: unknown part ${p}; choose from ${PARTS.join(', ')}`);
const runs = (part: Part) => !only || only.includes(part);
const CONNECTIONS = 32;
/** Concurrent logins, for logins per second and for the latency probe beside them. */
const LOGINS = 50;

interface Load {
  name: string;
  rps: number;
  p99: number;
  /** The server process's CPU time (user + system) per request answered, in µs. */
  cpuUs?: number;
  errors: number;
  non2xx: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function load(name: string, url: string, headers: Record<string, string>, pid: number, method = 'POST'): Promise<Load> {
  const opts =
    method === 'POST'
      ? { url, method, headers: { 'content-type': 'application/json', ...headers }, body: '{}', connections: CONNECTIONS }
      : { url, method, headers, connections: CONNECTIONS };
  await autocannon({ ...opts, duration: 1 }); // warm-up: JIT and connection pools
  const cpu0 = cpuSeconds(pid);
  const r = await autocannon({ ...opts, duration: DURATION });
  const cpuUs = ((cpuSeconds(pid) - cpu0) * 1e6) / r.requests.total;
  return { name, rps: r.requests.average, p99: r.latency.p99, cpuUs, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

/** LOGINS concurrent right-password logins for `seconds`: logins per second over the whole run. */
async function logins(url: string, pass: string, seconds: number): Promise<Load> {
  const r = await autocannon({
    url: `${url}/API/bonafide/user/authenticate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: BENCH_USER, pass }),
    connections: LOGINS,
    duration: seconds,
    timeout: 30,
  });
  return { name: 'logins', rps: r['2xx'] / (r.duration || seconds), p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

/** The floor: a bare node:http server answering JSON, in its own process like hearthd. */
const FLOOR_SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const out = JSON.stringify({ result: { version_core: '0.0.0', api_version: '1' }, error: null });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

/** A second floor: Fastify's hello world, the framework hearthd is built on (keep-alive, as autocannon's connections are). */
const FASTIFY_SERVER = `
const app = require('fastify')();
app.post('/', async () => ({ result: { version_core: '0.0.0' }, error: null }));
app.get('/', async () => ({ hello: 'world' }));
app.listen({ port: 0, host: '127.0.0.1' }).then(() => console.log(app.server.address().port));
`;

async function startFloor(code = FLOOR_SERVER): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'], cwd: PACKAGE_ROOT });
  const port = await new Promise<string>((resolve) => proc.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, proc };
}

function rssMb(pid: number, field = 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`))!;
  return Number(line.replace(/\D+/g, '')) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** spawn → /readiness 200, with a fresh home each time (so the store is created and migrated). */
async function coldStart(): Promise<number> {
  const home = tempHome();
  const t0 = performance.now();
  const proc = spawn(process.execPath, [DAEMON_MAIN], {
    env: { ...process.env, HEARTH_HOME: home, HEARTH_SERVER_LISTEN: '127.0.0.1:0', HEARTH_SERVER_TLS_LISTEN: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c));
  await waitFor('listening', () => /"urls":\["([^"]+)"/.test(out));
  const url = /"urls":\["([^"]+)"/.exec(out)![1]!;
  await waitFor('ready', async () => (await fetch(`${url}/readiness`)).status === 200, 15000);
  const ms = performance.now() - t0;
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  return ms;
}

const VAULT_CIPHERS = 5000;
const SYNC_ROUNDS = 30;

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/**
 * `/api/sync` of a vault with 5,000 ciphers: p50 latency and the daemon's peak RSS, beside the
 * floor — reading the same rows from the same store file and JSON.stringify-ing them.
 */
async function vaultSync(): Promise<Record<string, Figure>> {
  const env = { HEARTH_SERVER_DOMAIN: 'home.example' };
  const seeder = await startDaemon({ discardOutput: true, env });
  await waitFor('readiness', async () => (await call(seeder, '/readiness', undefined, { method: 'GET' })).status === 200);
  let d = seeder;
  for (const username of ['olga', 'alice']) await call(d, 'bonafide/user/create', { username, pass: 'account-password-1' });
  const alice = await registerVault(d, 'alice', 'correct horse battery staple');
  if ((await alice.login()).status !== 200) throw new Error('vault login failed');
  const folders: string[] = [];
  for (let i = 0; i < 20; i++) folders.push((await alice.api('POST', '/api/folders', { name: alice.enc(`folder ${i}`) })).body.id);
  let next = 0;
  const worker = async () => {
    while (next < VAULT_CIPHERS) {
      const i = next++;
      const body = alice.loginCipher(`site ${i}`, `password ${i}`, {
        folderId: folders[i % folders.length],
        notes: alice.enc(`notes for item ${i}`),
        passwordHistory: [{ password: alice.enc(`old ${i}`), lastUsedDate: '2026-01-01T00:00:00.000Z' }],
      });
      const r = await alice.api('POST', '/api/ciphers', body);
      if (r.status !== 200) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await sleep(1000);
  const rssSeeded = rssMb(d.proc.pid!);
  // The syncs are served by a daemon started on the seeded home, as after a reboot: what 5,000
  // writes in a row leave in the heap is not the sync's (the soak watches memory under writes).
  await seeder.stop();
  d = await startDaemon({ home: seeder.home, discardOutput: true, env });
  await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
  await sleep(1000);
  const rssBefore = rssMb(d.proc.pid!);
  // Peak RSS from here on: Linux resets VmHWM when 5 is written to clear_refs.
  try {
    writeFileSync(`/proc/${d.proc.pid}/clear_refs`, '5');
  } catch {
    /* not Linux, or not allowed: the peak then includes seeding */
  }

  const syncUrl = `${d.url}/bitwarden/api/sync?excludeDomains=true`;
  const headers = { authorization: `Bearer ${alice.access}` };
  let bytes = 0;
  const syncTimes: number[] = [];
  for (let i = 0; i < SYNC_ROUNDS + 3; i++) {
    const t0 = performance.now();
    const res = await fetch(syncUrl, { headers });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`sync answered ${res.status}`);
    bytes = text.length;
    if (i >= 3) syncTimes.push(ms);
  }
  const peak = rssMb(d.proc.pid!, 'VmHWM');

  // The floor, in a process of its own like hearthd: the same rows, from the same file, JSON.stringify-ed.
  const floor = await new Promise<{ p50: number; peakMb: number; bytes: number }>((resolve, reject) => {
    const proc = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'bench', 'vault-floor.js'), d.home, 'alice', String(SYNC_ROUNDS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c));
    proc.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the floor exited ${code}`))));
  });
  await d.stop();
  const p50 = percentile(syncTimes, 0.5);
  const floorP50 = floor.p50;
  return {
    [`vault /api/sync, ${VAULT_CIPHERS} ciphers, p50 (${(bytes / 1e6).toFixed(1)} MB)`]: { value: `${p50.toFixed(1)} ms`, goal: '' },
    '  floor: same rows read + JSON.stringify, p50': { value: `${floorP50.toFixed(1)} ms`, goal: '' },
    'vault sync p50 / floor p50': { value: (p50 / floorP50).toFixed(2), goal: '≤ 1.50', met: p50 / floorP50 <= 1.5 },
    'vault sync p95': { value: `${percentile(syncTimes, 0.95).toFixed(1)} ms`, goal: '' },
    'hearthd RSS right after seeding 5,000 ciphers': { value: `${rssSeeded.toFixed(1)} MB`, goal: '' },
    'hearthd RSS, restarted on the seeded vault': { value: `${rssBefore.toFixed(1)} MB`, goal: '' },
    'hearthd peak RSS during the syncs (VmHWM)': { value: `${peak.toFixed(1)} MB`, goal: '≤ 150 MB', met: peak <= 150 },
    "  floor: its process's peak RSS (VmHWM)": { value: `${floor.peakMb.toFixed(1)} MB`, goal: '' },
  };
}

interface Figure {
  value: string;
  goal: string;
  met?: boolean;
}

/**
 * SOAK seconds of mixed traffic on 100 connections, each kind its own autocannon instance, all at
 * once: reads (whoami, the device list), writes (a pairing phrase, replaced in place), logins
 * (argon2id) and vault syncs. RSS after a warm-up of the same mix and at the end; beside it the
 * floor's latency on 100 connections.
 */
async function soak(floorUrl: string): Promise<Record<string, Figure>> {
  const d = await startDaemon({ discardOutput: true, env: { HEARTH_SECURITY_FAILURE_DELAY: '0', HEARTH_SERVER_DOMAIN: 'home.example' } });
  await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
  const creds = await makeCredentials(d);
  await call(d, 'bonafide/user/create', { username: 'alice', pass: 'account-password-1' });
  const alice = await registerVault(d, 'alice', 'correct horse battery staple');
  if ((await alice.login()).status !== 200) throw new Error('vault login failed');
  for (let i = 0; i < 200; i++) {
    const r = await alice.api('POST', '/api/ciphers', alice.loginCipher(`site ${i}`, `password ${i}`));
    if (r.status !== 200) throw new Error(`seeding failed: ${r.status}`);
  }
  const json = { 'content-type': 'application/json' };
  const kinds: [string, number, Record<string, unknown>][] = [
    ['read: core/whoami (device token)', 35, { url: `${d.url}/API/core/whoami`, method: 'POST', headers: { ...json, ...creds.device }, body: '{}' }],
    ['read: GET /auth/tokens (device token)', 35, { url: `${d.url}/auth/tokens`, method: 'GET', headers: creds.device }],
    ['write: device/pair', 20, { url: `${d.url}/API/device/pair`, method: 'POST', headers: { ...json, 'x-hearth-auth': d.token }, body: '{}' }],
    [
      'login: bonafide/user/authenticate',
      4,
      {
        url: `${d.url}/API/bonafide/user/authenticate`,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: BENCH_USER, pass: creds.pass }),
        timeout: 30,
      },
    ],
    [
      'sync: vault /api/sync (200 ciphers)',
      6,
      { url: `${d.url}/bitwarden/api/sync?excludeDomains=true`, method: 'GET', headers: { authorization: `Bearer ${alice.access}` } },
    ],
  ];
  const mix = (seconds: number) => Promise.all(kinds.map(([, connections, opts]) => autocannon({ timeout: 30, ...opts, connections, duration: seconds })));
  await mix(Math.max(3, Math.round(SOAK / 10))); // warm-up: JIT, pools, the heap's working size
  const rssStart = rssMb(d.proc.pid!);
  const results = await mix(SOAK);
  const rssEnd = rssMb(d.proc.pid!);
  await d.stop();
  const floor = await autocannon({ url: floorUrl, method: 'POST', headers: json, body: '{}', connections: 100, duration: Math.min(SOAK, 10) });

  const out: Record<string, Figure> = {};
  let errors = 0;
  kinds.forEach(([name, connections], i) => {
    const r = results[i];
    const failed = r.errors + r.timeouts + r.non2xx;
    errors += failed;
    out[`  ${name}, ${connections} conn`] = {
      value: `${r.latency.p50}/${r.latency.p99}`,
      goal: `p50/p99 ms, ${Math.round(r.requests.average)} req/s${failed ? `, ${failed} failed` : ''}`,
    };
  });
  const drift = (rssEnd - rssStart) / rssStart;
  return {
    [`soak: 100 connections × ${SOAK} s mixed, failed calls`]: { value: String(errors), goal: '0', met: errors === 0 },
    ...out,
    '  floor: bare node:http, 100 conn, p50/p99 ms': { value: `${floor.latency.p50}/${floor.latency.p99}`, goal: '' },
    'soak: hearthd RSS at start / at end': { value: `${rssStart.toFixed(1)}/${rssEnd.toFixed(1)}`, goal: 'MB' },
    'soak: RSS drift': { value: `${(drift * 100).toFixed(1)} %`, goal: '< 10 %', met: drift < 0.1 },
  };
}

async function main() {
  const label = only ? ` (${only.join(', ')})` : '';
  console.log(`hearth bench${label}: ${CONNECTIONS} connections, ${DURATION} s per load, soak ${SOAK} s, Node ${process.version}\n`);
  const pad = (s: string, n: number) => s.padEnd(n);
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const atLeast = (a: number, b: number, goal: number): Figure => ({ value: ratio(a, b), goal: `≥ ${goal.toFixed(2)}`, met: a / b >= goal });
  const figures: Record<string, Figure> = {};
  const json: Record<string, unknown> = {};

  const floor = await startFloor();
  await sleep(300);
  const floorIdleRss = rssMb(floor.proc.pid!);
  const fastify = await startFloor(FASTIFY_SERVER);
  await fetch(fastify.url, { method: 'POST' });
  await sleep(1000);
  const fastifyIdleRss = rssMb(fastify.proc.pid!);

  if (runs('requests') || runs('memory') || runs('logins') || runs('start')) {
    // No failure delay: a wrong step in the set-up below fails at once (no login here fails).
    const d = await startDaemon({ discardOutput: true, env: { HEARTH_SECURITY_FAILURE_DELAY: '0' } });
    await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
    if (runs('memory')) {
      await sleep(1000);
      const startRss = rssMb(d.proc.pid!);
      // V8 shrinks the heap once a process has been idle for some seconds: that is the idle figure.
      await sleep(12000);
      const idleRss = rssMb(d.proc.pid!);
      Object.assign(figures, {
        'hearthd RSS 1 s after /readiness 200': { value: `${startRss.toFixed(1)} MB`, goal: '≤ 64 MB', met: startRss <= 64 },
        'hearthd idle RSS (after 12 s idle)': { value: `${idleRss.toFixed(1)} MB`, goal: '≤ 64 MB', met: idleRss <= 64 },
        '  floor: bare node:http idle RSS': { value: `${floorIdleRss.toFixed(1)} MB`, goal: '' },
        '  floor: Fastify hello-world idle RSS': { value: `${fastifyIdleRss.toFixed(1)} MB`, goal: '' },
      });
    }
    // Made after the idle figure, so the account's argon2id hashing does not weigh on it.
    const creds = await makeCredentials(d);

    if (runs('requests')) {
      // Each load runs three times, interleaved with the others, so drift on a shared machine hits all alike.
      const loads: [string, string, Record<string, string>, number, string?][] = [
        ['bare node:http JSON (floor)', floor.url, {}, floor.proc.pid!],
        ['Fastify hello world (context)', fastify.url, {}, fastify.proc.pid!],
        ['Fastify hello world, GET', fastify.url, {}, fastify.proc.pid!, 'GET'],
        ['core/version, no credential', `${d.url}/API/core/version`, {}, d.proc.pid!],
        ['core/whoami, global token', `${d.url}/API/core/whoami`, { 'x-hearth-auth': d.token }, d.proc.pid!],
        ['core/whoami, device token', `${d.url}/API/core/whoami`, creds.device, d.proc.pid!],
        ['core/whoami, role token', `${d.url}/API/core/whoami`, creds.role, d.proc.pid!],
        ['core/whoami, session token', `${d.url}/API/core/whoami`, creds.session, d.proc.pid!],
        ['GET /auth/tokens, device token', `${d.url}/auth/tokens`, creds.device, d.proc.pid!, 'GET'],
      ];
      const rounds: Load[][] = [];
      for (let round = 0; round < 3; round++) {
        const r: Load[] = [];
        for (const [name, url, headers, pid, method] of loads) r.push(await load(name, url, headers, pid, method));
        rounds.push(r);
      }
      // Per load: the median round's req/s, p99 and CPU per request, the errors of all rounds.
      const results: Load[] = loads.map(([name], i) => {
        const runs = rounds.map((r) => r[i]!);
        return {
          name,
          rps: median(runs.map((r) => r.rps)),
          p99: median(runs.map((r) => r.p99)),
          cpuUs: median(runs.map((r) => r.cpuUs!)),
          errors: runs.reduce((n, r) => n + r.errors, 0),
          non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
        };
      });
      json.loads = results;
      const [bare, fastifyLoad, fastifyGet, version, whoami, whoamiDevice, whoamiRole, whoamiSession, tokens] = results as Load[] as [
        Load,
        Load,
        Load,
        Load,
        Load,
        Load,
        Load,
        Load,
        Load,
      ];
      console.log(`${pad('load', 32)}${pad('req/s', 10)}${pad('p99 ms', 8)}${pad('CPU µs/req', 12)}${pad('errors', 8)}non-2xx`);
      for (const r of results) {
        console.log(
          `${pad(r.name, 32)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p99), 8)}${pad(r.cpuUs!.toFixed(1), 12)}${pad(String(r.errors), 8)}${r.non2xx}`,
        );
      }
      console.log('');
      Object.assign(figures, {
        'whoami (global token) / version (no credential)': atLeast(whoami.rps, version.rps, 0.9),
        'whoami (device token) / version (no credential)': atLeast(whoamiDevice.rps, version.rps, 0.9),
        'whoami (role token) / version (no credential)': atLeast(whoamiRole.rps, version.rps, 0.9),
        'whoami (session token) / version (no credential)': atLeast(whoamiSession.rps, version.rps, 0.9),
        // The same comparison by the daemon's CPU per request, which other tenants of the machine disturb far less.
        '  by CPU/req: version / whoami (device token)': { value: ratio(version.cpuUs!, whoamiDevice.cpuUs!), goal: '' },
        '  by CPU/req: version / whoami (role token)': { value: ratio(version.cpuUs!, whoamiRole.cpuUs!), goal: '' },
        '  by CPU/req: version / whoami (session token)': { value: ratio(version.cpuUs!, whoamiSession.cpuUs!), goal: '' },
        'version / Fastify hello world': atLeast(version.rps, fastifyLoad.rps, 0.8),
        '  by CPU/req: Fastify hello world / version': { value: ratio(fastifyLoad.cpuUs!, version.cpuUs!), goal: '' },
        'GET /auth/tokens (device token) / Fastify hello world GET': atLeast(tokens.rps, fastifyGet.rps, 0.6),
        '  by CPU/req: Fastify GET / GET /auth/tokens': { value: ratio(fastifyGet.cpuUs!, tokens.cpuUs!), goal: '' },
        'whoami (token) / bare node:http': atLeast(whoami.rps, bare.rps, 0.5),
        'version / bare node:http': { value: ratio(version.rps, bare.rps), goal: '' },
        'hearthd RSS after the loads': { value: `${rssMb(d.proc.pid!).toFixed(1)} MB`, goal: '' },
      });
    }

    if (runs('start')) {
      const cliTimes: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        const r = await runCli(['core', 'version'], { HEARTH_HOME: d.home });
        if (r.code !== 0) throw new Error(`hearth core version failed: ${r.stderr}`);
        cliTimes.push(performance.now() - t0);
      }
      const nodeTimes: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        await new Promise((r) => spawn(process.execPath, ['-e', '0']).once('exit', r));
        nodeTimes.push(performance.now() - t0);
      }
      Object.assign(figures, {
        '`hearth core version`, warm daemon (median of 7)': { value: `${median(cliTimes).toFixed(0)} ms`, goal: '< 300 ms', met: median(cliTimes) < 300 },
        '  floor: `node -e 0` (median of 7)': { value: `${median(nodeTimes).toFixed(0)} ms`, goal: '' },
      });
    }

    if (runs('logins')) {
      // Logins per second beside argon2id's own rate here (same parameters, same bounded queue),
      // interleaved; then a cheap authenticated call's latency, idle and while LOGINS logins run.
      const loginRuns: Load[] = [];
      const hashRates: number[] = [];
      for (let round = 0; round < 3; round++) {
        hashRates.push(await argon2Rate(DURATION, LOGINS));
        loginRuns.push(await logins(d.url, creds.pass, DURATION));
      }
      const idleProbes: Probe[] = [];
      const loadedProbes: Probe[] = [];
      const backgroundLogins: Load[] = [];
      const probeUrl = `${d.url}/API/core/whoami`;
      for (let round = 0; round < 3; round++) {
        await sleep(1000); // logins a closed connection left queued finish first: this is idle
        idleProbes.push(await probe(probeUrl, creds.device, DURATION));
        const background = logins(d.url, creds.pass, DURATION + 2);
        await sleep(1000); // every login under way before the probe starts
        loadedProbes.push(await probe(probeUrl, creds.device, DURATION));
        backgroundLogins.push(await background);
      }
      const loginRate = median(loginRuns.map((r) => r.rps));
      const hashRate = median(hashRates);
      const loginErrors = [...loginRuns, ...backgroundLogins].reduce((n, r) => n + r.errors + r.non2xx, 0);
      const probeErrors = [...idleProbes, ...loadedProbes].reduce((n, p) => n + p.errors, 0);
      const idleP99 = median(idleProbes.map((p) => p.p99));
      const loadedP99 = median(loadedProbes.map((p) => p.p99));
      const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;
      Object.assign(figures, {
        [`logins/s, ${LOGINS} concurrent (median of 3)`]: { value: loginRate.toFixed(1), goal: '' },
        [`  floor: argon2id verifications/s in-process`]: { value: hashRate.toFixed(1), goal: '' },
        'logins / argon2id floor': { value: ratio(loginRate, hashRate), goal: '' },
        'login p99 (median of 3)': { value: `${median(loginRuns.map((r) => r.p99)).toFixed(0)} ms`, goal: '' },
        'whoami (device token) p99, idle (median of 3)': { value: fmtMs(idleP99), goal: '' },
        [`whoami (device token) p99, ${LOGINS} logins running`]: { value: fmtMs(loadedP99), goal: '< 50 ms', met: loadedP99 < 50 },
        '  p99 under logins / p99 idle': { value: ratio(loadedP99, idleP99), goal: '< 5', met: loadedP99 / idleP99 < 5 },
      });
      if (loginErrors || probeErrors) figures['failed login or probe calls'] = { value: String(loginErrors + probeErrors), goal: '0', met: false };
      Object.assign(json, {
        logins: loginRuns,
        argon2_per_s: hashRates,
        probes: { idle: idleProbes, during_logins: loadedProbes, background_logins: backgroundLogins },
      });
    }
    await d.stop();
  }
  fastify.proc.kill();

  if (runs('start')) {
    const cold: number[] = [];
    for (let i = 0; i < 3; i++) cold.push(await coldStart());
    figures['cold start, spawn → /readiness 200 (median of 3)'] = { value: `${median(cold).toFixed(0)} ms`, goal: '< 1000 ms', met: median(cold) < 1000 };
  }
  if (runs('soak')) Object.assign(figures, await soak(floor.url));
  floor.proc.kill();
  if (runs('vault')) Object.assign(figures, await vaultSync());

  for (const [name, f] of Object.entries(figures)) {
    const goal = f.goal ? `${f.met === undefined ? f.goal : `goal ${f.goal}${f.met ? ' (met)' : ' (MISSED)'}`}` : '';
    console.log(`${pad(name, 60)}${pad(f.value, 14)}${goal}`);
  }
  const out = arg('--json');
  if (out) writeFileSync(out, JSON.stringify({ ...json, figures }, null, 2));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
