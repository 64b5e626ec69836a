/** The `core` command group: version, stats, status, whoami, stop (as in Bitmask). */
import type { Principal } from '../../auth/principal.js';
import type { ComponentState, ComponentStatus } from '../../kernel/components.js';
import type { Hearth, TlsStatus } from '../../kernel/hearth.js';
import { API_VERSION, VERSION_CORE } from '../../kernel/version.js';
import { hostname, machine, release, type as osType, version as osVersion } from 'node:os';
import { hostOf, type VolumeUsage } from '../../host/index.js';
import { badRequest } from '../../kernel/errors.js';
import { accountsInStore } from '../accounts/service.js';
import * as hostState from '../host-state/service.js';
import type { AutoUpgrade } from '../host-state/service.js';

export function version() {
  return { version_core: VERSION_CORE, api_version: API_VERSION };
}

export async function stats(h: Hearth) {
  const accounts = await accountsInStore(h);
  const now = h.clock.now();
  return {
    uptime: Math.floor((now - h.startedAt) / 1000),
    started_at: new Date(h.startedAt).toISOString(),
    requests: h.requests.snapshot(),
    accounts,
    store: h.store.kind,
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
  return { status: overall, childrenStatus: children, tls: h.tls && { ...h.tls }, disk: await diskUsage(h) };
}

export function whoami(principal: Principal) {
  return {
    credential: principal.credential.kind,
    credential_id: principal.credential.id,
    account: principal.account?.username ?? null,
    role: principal.role,
    owner: principal.owner,
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
