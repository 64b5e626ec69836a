/**
 * npm run bench: hearthd's figures beside floors measured in the same run, on loopback.
 * Machines here are shared and noisy, so ratios against the floor matter more than raw numbers.
 *
 *   node dist/bench/run.js [--duration SECONDS] [--json FILE]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { call, runCli, startDaemon, tempHome, waitFor } from '../test/helpers.js';
import { DAEMON_MAIN, PACKAGE_ROOT } from '../src/paths.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<any>;

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const DURATION = Number(arg('--duration') ?? 5);
const CONNECTIONS = 32;

interface Load {
  name: string;
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(name: string, url: string, headers: Record<string, string> = {}): Promise<Load> {
  const opts = { url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}', connections: CONNECTIONS };
  await autocannon({ ...opts, duration: 1 }); // warm-up: JIT and connection pools
  const r = await autocannon({ ...opts, duration: DURATION });
  return { name, rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
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

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** spawn → /readiness 200, with a fresh home each time (so the store is created and migrated). */
async function coldStart(): Promise<number> {
  const home = tempHome();
  const t0 = performance.now();
  const proc = spawn(process.execPath, [DAEMON_MAIN], {
    env: { ...process.env, HEARTH_HOME: home, HEARTH_SERVER_LISTEN: '127.0.0.1:0' },
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

async function main() {
  console.log(`hearth bench: ${CONNECTIONS} connections, ${DURATION} s per load, Node ${process.version}\n`);

  const floor = await startFloor();
  await sleep(300);
  const floorIdleRss = rssMb(floor.proc.pid!);
  const fastify = await startFloor(FASTIFY_SERVER);
  await fetch(fastify.url, { method: 'POST' });
  await sleep(1000);
  const fastifyIdleRss = rssMb(fastify.proc.pid!);
  const d = await startDaemon({ discardOutput: true });
  await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
  await call(d, 'core/version');
  await sleep(1000);
  const startRss = rssMb(d.proc.pid!);
  // V8 shrinks the heap once a process has been idle for some seconds: that is the idle figure.
  await sleep(12000);
  const idleRss = rssMb(d.proc.pid!);

  // Each load runs three times, interleaved with the others, so drift on a shared machine hits all alike.
  const loads: [string, string, Record<string, string>][] = [
    ['bare node:http JSON (floor)', floor.url, {}],
    ['Fastify hello world (context)', fastify.url, {}],
    ['core/version, no credential', `${d.url}/API/core/version`, {}],
    ['core/whoami, global token', `${d.url}/API/core/whoami`, { 'x-hearth-auth': d.token }],
  ];
  const rounds: Load[][] = [];
  for (let round = 0; round < 3; round++) {
    const r: Load[] = [];
    for (const [name, url, headers] of loads) r.push(await load(name, url, headers));
    rounds.push(r);
  }
  // Per load: the median round's req/s and p99, the errors of all rounds.
  const results: Load[] = loads.map(([name], i) => {
    const runs = rounds.map((r) => r[i]!);
    return {
      name,
      rps: median(runs.map((r) => r.rps)),
      p99: median(runs.map((r) => r.p99)),
      errors: runs.reduce((n, r) => n + r.errors, 0),
      non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    };
  });
  const [bare, fastifyLoad, version, whoami] = results as [Load, Load, Load, Load];
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
  await d.stop();
  floor.proc.kill();

  const cold: number[] = [];
  for (let i = 0; i < 3; i++) cold.push(await coldStart());

  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('load', 32)}${pad('req/s', 10)}${pad('p99 ms', 8)}${pad('errors', 8)}non-2xx`);
  for (const r of results) console.log(`${pad(r.name, 32)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p99), 8)}${pad(String(r.errors), 8)}${r.non2xx}`);
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const figures = {
    'whoami (token) / version (no credential)': { value: ratio(whoami.rps, version.rps), goal: '≥ 0.90' },
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
  };
  console.log('');
  for (const [name, f] of Object.entries(figures)) console.log(`${pad(name, 52)}${pad(f.value, 10)}${f.goal ? `goal ${f.goal}` : ''}`);
  const out = arg('--json');
  if (out) writeFileSync(out, JSON.stringify({ loads: results, figures }, null, 2));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
