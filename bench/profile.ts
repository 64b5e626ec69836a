/**
 * Where a request's time goes: hearthd under load with `node --cpu-prof`, one daemon per case on
 * the same home, and the top self-time frames of each profile while the load ran.
 *
 *   node dist/bench/profile.js [--seconds N] [--top N] [--out DIR] [--only NAME,…]
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { call, startDaemon, tempHome, waitFor } from '../test/support/helpers.js';
import { makeCredentials } from './credentials.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<any>;

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SECONDS = Number(arg('--seconds') ?? 8);
const TOP = Number(arg('--top') ?? 10);
const OUT = arg('--out') ?? join(tempHome(), 'profiles');
const ONLY = arg('--only')?.split(',');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per function (name, file, line) between `from` and `to` (µs on the monotonic clock
 * V8 stamps samples with, which process.hrtime shares), as a share of those samples, largest first.
 */
export function topFrames(profile: CpuProfile, top: number, from = 0, to = Infinity): { share: number; ms: number; frame: string }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) return;
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
    const key = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ share: us / total, ms: us / 1000, frame }));
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const setup = await startDaemon({ discardOutput: true, env: { HEARTH_SECURITY_FAILURE_DELAY: '0' } });
  await waitFor('readiness', async () => (await call(setup, '/readiness', undefined, { method: 'GET' })).status === 200);
  const creds = await makeCredentials(setup);
  const home = setup.home;
  await setup.stop();

  const cases: [string, string, string, Record<string, string>][] = [
    ['version', 'POST', '/API/core/version', {}],
    ['whoami-global', 'POST', '/API/core/whoami', { 'x-hearth-auth': setup.token }],
    ['whoami-device', 'POST', '/API/core/whoami', creds.device],
    ['whoami-role', 'POST', '/API/core/whoami', creds.role],
    ['whoami-session', 'POST', '/API/core/whoami', creds.session],
    ['auth-tokens-device', 'GET', '/auth/tokens', creds.device],
  ];
  for (const [name, method, path, headers] of cases) {
    if (ONLY && !ONLY.includes(name)) continue;
    const dir = join(OUT, name);
    mkdirSync(dir, { recursive: true });
    const d = await startDaemon({
      home,
      discardOutput: true,
      env: { HEARTH_SECURITY_FAILURE_DELAY: '0' },
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    await waitFor('readiness', async () => (await call(d, '/readiness', undefined, { method: 'GET' })).status === 200);
    const opts = {
      url: `${d.url}${path}`,
      method,
      headers: method === 'POST' ? { 'content-type': 'application/json', ...headers } : headers,
      body: method === 'POST' ? '{}' : undefined,
      connections: 32,
    };
    await autocannon({ ...opts, duration: 1 });
    const from = Number(process.hrtime.bigint() / 1000n);
    const r = await autocannon({ ...opts, duration: SECONDS });
    const to = Number(process.hrtime.bigint() / 1000n);
    await d.stop();
    // The main thread's profile (workers, such as the hashing threads, write their own).
    const file = readdirSync(dir).find((f) => f.endsWith(`.${d.proc.pid}.0.001.cpuprofile`) || (f.includes(`.${d.proc.pid}.0.`) && f.endsWith('.cpuprofile')))!;
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    console.log(`\n${name}: ${Math.round(r.requests.average)} req/s, ${r.non2xx} non-2xx, ${r.errors} errors — ${join(dir, file)}`);
    for (const f of topFrames(profile, TOP, from, to)) console.log(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.frame}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
