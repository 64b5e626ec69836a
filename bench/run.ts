/**
 * npm run bench: hearthd's figures beside floors measured in the same run, on loopback.
 * Machines here are shared and noisy, so ratios against the floor matter more than raw numbers.
 * Credentials: whoami with each stored credential beside the unauthenticated call, logins per
 * second beside argon2id's own rate, and a cheap call's p99 while logins run.
 *
 *   node dist/bench/run.js [--duration SECONDS] [--json FILE] [--only vault]
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

async function load(name: string, url: string, headers: Record<string, string>, pid: number): Promise<Load> {
  const opts = { url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}', connections: CONNECTIONS };
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

/** A second floor for memory only: Fastify's hello world, the framework hearthd is built on. */
const FASTIFY_SERVER = `
const app = require('fastify')();
app.post('/', async () => ({ result: { version_core: '0.0.0' }, error: null }));
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
async function vaultSync() {
  const d = await startDaemon({ discardOutput: true, env: { HEARTH_SERVER_DOMAIN: 'home.example' } });
  await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
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
    'vault sync p50 / floor p50': { value: (p50 / floorP50).toFixed(2), goal: '≤ 2.00' },
    'vault sync p95': { value: `${percentile(syncTimes, 0.95).toFixed(1)} ms`, goal: '' },
    'hearthd RSS with the vault seeded': { value: `${rssBefore.toFixed(1)} MB`, goal: '' },
    'hearthd peak RSS during the syncs (VmHWM)': { value: `${peak.toFixed(1)} MB`, goal: '' },
    "  floor: its process's peak RSS (VmHWM)": { value: `${floor.peakMb.toFixed(1)} MB`, goal: '' },
  };
}

async function main() {
  if (arg('--only') === 'vault') {
    for (const [name, f] of Object.entries(await vaultSync())) console.log(`${name.padEnd(52)}${f.value.padEnd(10)}${f.goal ? `goal ${f.goal}` : ''}`);
    return;
  }
  console.log(`hearth bench: ${CONNECTIONS} connections, ${DURATION} s per load, Node ${process.version}\n`);

  const floor = await startFloor();
  await sleep(300);
  const floorIdleRss = rssMb(floor.proc.pid!);
  const fastify = await startFloor(FASTIFY_SERVER);
  await fetch(fastify.url, { method: 'POST' });
  await sleep(1000);
  const fastifyIdleRss = rssMb(fastify.proc.pid!);
  // No failure delay: a wrong step in the set-up below fails at once (no login here fails).
  const d = await startDaemon({ discardOutput: true, env: { HEARTH_SECURITY_FAILURE_DELAY: '0' } });
  await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
  await call(d, 'core/version');
  await sleep(1000);
  const startRss = rssMb(d.proc.pid!);
  // V8 shrinks the heap once a process has been idle for some seconds: that is the idle figure.
  await sleep(12000);
  const idleRss = rssMb(d.proc.pid!);
  // Made after the idle figure, so the account's argon2id hashing does not weigh on it.
  const creds = await makeCredentials(d);

  // Each load runs three times, interleaved with the others, so drift on a shared machine hits all alike.
  const loads: [string, string, Record<string, string>, number][] = [
    ['bare node:http JSON (floor)', floor.url, {}, floor.proc.pid!],
    ['Fastify hello world (context)', fastify.url, {}, fastify.proc.pid!],
    ['core/version, no credential', `${d.url}/API/core/version`, {}, d.proc.pid!],
    ['core/whoami, global token', `${d.url}/API/core/whoami`, { 'x-hearth-auth': d.token }, d.proc.pid!],
    ['core/whoami, device token', `${d.url}/API/core/whoami`, creds.device, d.proc.pid!],
    ['core/whoami, role token', `${d.url}/API/core/whoami`, creds.role, d.proc.pid!],
    ['core/whoami, session token', `${d.url}/API/core/whoami`, creds.session, d.proc.pid!],
  ];
  const rounds: Load[][] = [];
  for (let round = 0; round < 3; round++) {
    const r: Load[] = [];
    for (const [name, url, headers, pid] of loads) r.push(await load(name, url, headers, pid));
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
  const [bare, fastifyLoad, version, whoami, whoamiDevice, whoamiRole, whoamiSession] = results as [Load, Load, Load, Load, Load, Load, Load];
  fastify.proc.kill();
  const peakRss = rssMb(d.proc.pid!);

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
  await d.stop();
  floor.proc.kill();

  const cold: number[] = [];
  for (let i = 0; i < 3; i++) cold.push(await coldStart());
  const vault = await vaultSync();

  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('load', 32)}${pad('req/s', 10)}${pad('p99 ms', 8)}${pad('CPU µs/req', 12)}${pad('errors', 8)}non-2xx`);
  for (const r of results) {
    console.log(`${pad(r.name, 32)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p99), 8)}${pad(r.cpuUs!.toFixed(1), 12)}${pad(String(r.errors), 8)}${r.non2xx}`);
  }
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const loginRate = median(loginRuns.map((r) => r.rps));
  const hashRate = median(hashRates);
  const loginErrors = [...loginRuns, ...backgroundLogins].reduce((n, r) => n + r.errors + r.non2xx, 0);
  const probeErrors = [...idleProbes, ...loadedProbes].reduce((n, p) => n + p.errors, 0);
  const idleP99 = median(idleProbes.map((p) => p.p99));
  const loadedP99 = median(loadedProbes.map((p) => p.p99));
  const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;
  const figures: Record<string, { value: string; goal: string; met?: boolean }> = {
    'whoami (global token) / version (no credential)': { value: ratio(whoami.rps, version.rps), goal: '≥ 0.90' },
    'whoami (device token) / version (no credential)': {
      value: ratio(whoamiDevice.rps, version.rps),
      goal: '≥ 0.80',
      met: whoamiDevice.rps / version.rps >= 0.8,
    },
    'whoami (role token) / version (no credential)': { value: ratio(whoamiRole.rps, version.rps), goal: '≥ 0.80', met: whoamiRole.rps / version.rps >= 0.8 },
    'whoami (session token) / version (no credential)': {
      value: ratio(whoamiSession.rps, version.rps),
      goal: '≥ 0.80',
      met: whoamiSession.rps / version.rps >= 0.8,
    },
    // The same comparison by the daemon's CPU per request, which other tenants of the machine disturb far less.
    '  by CPU/req: version / whoami (device token)': { value: ratio(version.cpuUs!, whoamiDevice.cpuUs!), goal: '' },
    '  by CPU/req: version / whoami (role token)': { value: ratio(version.cpuUs!, whoamiRole.cpuUs!), goal: '' },
    '  by CPU/req: version / whoami (session token)': { value: ratio(version.cpuUs!, whoamiSession.cpuUs!), goal: '' },
    'whoami (token) / bare node:http': { value: ratio(whoami.rps, bare.rps), goal: '≥ 0.50' },
    'version / bare node:http': { value: ratio(version.rps, bare.rps), goal: '' },
    'version / Fastify hello world': { value: ratio(version.rps, fastifyLoad.rps), goal: '' },
    'cold start, spawn → /readiness 200 (median of 3)': { value: `${median(cold).toFixed(0)} ms`, goal: '< 1000 ms' },
    '`hearth core version`, warm daemon (median of 7)': { value: `${median(cliTimes).toFixed(0)} ms`, goal: '< 300 ms' },
    '  floor: `node -e 0` (median of 7)': { value: `${median(nodeTimes).toFixed(0)} ms`, goal: '' },
    'hearthd RSS 1 s after start': { value: `${startRss.toFixed(1)} MB`, goal: '' },
    'hearthd idle RSS (after 12 s idle)': { value: `${idleRss.toFixed(1)} MB`, goal: '≤ 64 MB' },
    '  floor: bare node:http idle RSS': { value: `${floorIdleRss.toFixed(1)} MB`, goal: '' },
    '  floor: Fastify hello-world idle RSS': { value: `${fastifyIdleRss.toFixed(1)} MB`, goal: '' },
    'hearthd RSS after the loads': { value: `${peakRss.toFixed(1)} MB`, goal: '' },
    [`logins/s, ${LOGINS} concurrent (median of 3)`]: { value: loginRate.toFixed(1), goal: '' },
    [`  floor: argon2id verifications/s in-process`]: { value: hashRate.toFixed(1), goal: '' },
    'logins / argon2id floor': { value: ratio(loginRate, hashRate), goal: '' },
    'login p99 (median of 3)': { value: `${median(loginRuns.map((r) => r.p99)).toFixed(0)} ms`, goal: '' },
    'whoami (device token) p99, idle (median of 3)': { value: fmtMs(idleP99), goal: '' },
    [`whoami (device token) p99, ${LOGINS} logins running`]: { value: fmtMs(loadedP99), goal: '< 50 ms', met: loadedP99 < 50 },
    '  p99 under logins / p99 idle': { value: ratio(loadedP99, idleP99), goal: '< 5', met: loadedP99 / idleP99 < 5 },
    ...vault,
  };
  console.log('');
  for (const [name, f] of Object.entries(figures)) {
    const goal = f.goal ? `goal ${f.goal}${f.met === undefined ? '' : f.met ? ' (met)' : ' (MISSED)'}` : '';
    console.log(`${pad(name, 52)}${pad(f.value, 10)}${goal}`);
  }
  if (loginErrors || probeErrors) console.log(`\nfailed calls: ${loginErrors} logins, ${probeErrors} probe calls`);
  const out = arg('--json');
  if (out) {
    const probes = { idle: idleProbes, during_logins: loadedProbes, background_logins: backgroundLogins };
    writeFileSync(out, JSON.stringify({ loads: results, logins: loginRuns, argon2_per_s: hashRates, probes, figures }, null, 2));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
