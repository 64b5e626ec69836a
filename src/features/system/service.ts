/** The `core` command group: version, stats, status, whoami, stop (as in Bitmask). */
import type { ComponentState, ComponentStatus } from '../../kernel/components.js';
import type { AcmeStatus, Hearth, TlsStatus } from '../../kernel/hearth.js';
export { version, whoami } from './about.js';
import { hostname, machine, release, type as osType, version as osVersion } from 'node:os';
import { describeRun, hostOf, type HostAction, type VolumeUsage } from '../../host/index.js';
import { activeJob, startJob, type JobView } from '../../jobs/service.js';
import { badRequest, HearthError } from '../../kernel/errors.js';
import { accountsInStore } from '../accounts/service.js';
import * as hostState from '../host-state/service.js';
import type { AutoUpgrade } from '../host-state/service.js';

export async function stats(h: Hearth) {
  const accounts = await accountsInStore(h);
  const now = h.clock.now();
  return {
    uptime: Math.floor((now - h.startedAt) / 1000),
    started_at: new Date(h.startedAt).toISOString(),
    requests: h.requests.snapshot(),
    accounts,
    store: h.store.kind,
    registration: h.config.accounts.registration,
  };
}

/**
 * The daemon's overall state: failed if any component failed, starting while any starts; and
 * HTTPS's URL and certificate fingerprint (null when it is off).
 */
export async function status(h: Hearth): Promise<{
  status: ComponentStatus;
  childrenStatus: Record<string, ComponentState>;
  tls: TlsStatus | null;
  warnings: string[];
  acme: AcmeStatus | null;
  disk: Awaited<ReturnType<typeof diskUsage>>;
}> {
  const children = h.components.snapshot();
  const states = Object.values(children).map((c) => c.status);
  const overall: ComponentStatus = states.includes('failed')
    ? 'failed'
    : states.includes('stopping')
      ? 'stopping'
      : states.includes('starting')
        ? 'starting'
        : 'on';
  return {
    status: overall,
    childrenStatus: children,
    tls: h.tls && { ...h.tls },
    warnings: [...h.warnings],
    acme: h.acme && { ...h.acme },
    disk: await diskUsage(h),
  };
}

export function stop(h: Hearth) {
  h.options.requestStop();
  return { shutdown: 'ok' as const };
}

// ---- the server: time zone, automatic upgrades, versions, disks ------------------------------

/** Time zone names the runtime knows (its IANA list), plus UTC, which that list leaves out. */
export function timeZones(): Set<string> {
  return new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
}

export const getTimezone = (h: Hearth): Promise<string> => hostState.getSetting(h, 'timezone');

/** Sets the server's time zone (written to the state file): 400 for a name the IANA list lacks. */
export async function setTimezone(h: Hearth, timezone: string): Promise<string> {
  if (typeof timezone !== 'string' || !timeZones().has(timezone)) {
    throw badRequest(`timezone: ${JSON.stringify(String(timezone).slice(0, 80))} is not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)`);
  }
  await hostState.setSetting(h, 'timezone', timezone);
  return timezone;
}

export const getAutoUpgrade = (h: Hearth): Promise<AutoUpgrade> => hostState.getSetting(h, 'autoUpgrade');

/** Changes only the settings given. */
export async function setAutoUpgrade(h: Hearth, p: { enable?: boolean; allowReboot?: boolean }): Promise<AutoUpgrade> {
  const current = await getAutoUpgrade(h);
  const next = { enable: p.enable ?? current.enable, allowReboot: p.allowReboot ?? current.allowReboot };
  await hostState.setSetting(h, 'autoUpgrade', next);
  return next;
}

/** The kernel as `uname -a` tells it, and the runtime Hearth runs on. */
export function systemVersion() {
  return {
    system_version: `${osType()} ${hostname()} ${release()} ${osVersion()} ${machine()}`,
    kernel: release(),
    os_version: osVersion(),
    runtime: `Node.js ${process.versions.node}`,
  };
}

/** Free and used space of `[host] volumes`, each `warning` under `[host] disk_warning` percent free. */
export async function diskUsage(h: Hearth): Promise<{ state: 'ok' | 'warning' | 'unknown'; volumes: VolumeUsage[] }> {
  const volumes = await hostOf(h).disks.usage(h.config.host.volumes, h.config.host.disk_warning);
  const states = volumes.map((v) => v.state);
  return { state: states.includes('warning') ? 'warning' : states.includes('unknown') ? 'unknown' : 'ok', volumes };
}

// ---- the server: apply, upgrade, roll back, pull, reboot (jobs) ------------------------------

const MESSAGES: Record<HostAction, string> = {
  apply: 'System rebuild has started',
  upgrade: 'System upgrade has started',
  rollback: 'System rollback has started',
  pull: 'Configuration pull has started',
  reboot: 'System reboot has started',
};

const TITLES: Record<HostAction, string> = {
  apply: 'Apply the configuration',
  upgrade: 'Upgrade the system',
  rollback: 'Roll back to the previous configuration',
  pull: 'Pull the configuration repository',
  reboot: 'Reboot the server',
};

/** Actions that rebuild the system: one of them at a time, whichever it is. */
const REBUILDS: readonly HostAction[] = ['apply', 'upgrade', 'rollback'];

/** Splits chunks of output into whole lines for the job's log (a partial line waits for its end). */
function lineSplitter(emit: (line: string) => void) {
  const rest = { stdout: '', stderr: '' };
  return {
    push(chunk: string, stream: 'stdout' | 'stderr') {
      const text = rest[stream] + chunk;
      const lines = text.split('\n');
      rest[stream] = lines.pop()!.slice(-4096);
      for (const l of lines) emit(l);
    },
    end() {
      for (const s of ['stdout', 'stderr'] as const) if (rest[s]) emit(rest[s]);
    },
  };
}

/**
 * Starts a host action (its `[host]` command) as a job of its kind: the command's output is the
 * job's log; it fails when the command exits non-zero, cannot start, or runs past
 * `[host] command_timeout`. 409 while a job of the kind (or, for apply/upgrade/rollback, of any
 * of them) is queued or running.
 */
export async function startHostAction(h: Hearth, action: HostAction): Promise<{ message: string; job: JobView }> {
  const rivals = REBUILDS.includes(action) ? REBUILDS : [action];
  for (const kind of rivals) {
    const other = await activeJob(h, kind);
    if (other) throw new HearthError('conflict', `a ${kind} job is already ${other.status} (job ${other.id}); wait for it to end`, { job: other.id });
  }
  const job = await startJob(
    h,
    action,
    async (ctx) => {
      ctx.log(`running: ${h.config.host[action].join(' ')}`);
      const lines = lineSplitter((l) => ctx.log(l));
      const r = await hostOf(h).commands.run(action, { signal: ctx.signal, onOutput: (chunk, stream) => lines.push(chunk, stream) });
      lines.end();
      if (r.error || r.code !== 0) throw new Error(describeRun(r));
      return { exit_code: r.code };
    },
    { title: TITLES[action] },
  );
  return { message: MESSAGES[action], job };
}
