/**
 * The server's services: SelfPrivacy's set (mail server, Bitwarden, Gitea, Nextcloud, OCserv,
 * Pleroma) plus those `[host] services` declares. Enabling or disabling one writes the flag to
 * the state file; the operating system acts on it when the configuration is applied
 * (`system/apply`). Their state comes from the status command, per systemd unit.
 */
import { notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { hostOf, type UnitState } from '../../host/index.js';
import * as state from '../host-state/service.js';
import { startHostAction } from '../system/service.js';

export interface ServiceDef {
  id: string;
  name: string;
  units: string[];
}

export const BUILT_IN: readonly ServiceDef[] = [
  { id: 'mailserver', name: 'Mail server', units: ['dovecot2.service', 'postfix.service'] },
  { id: 'bitwarden', name: 'Bitwarden', units: ['vaultwarden.service'] },
  { id: 'gitea', name: 'Gitea', units: ['gitea.service'] },
  { id: 'nextcloud', name: 'Nextcloud', units: ['phpfpm-nextcloud.service'] },
  { id: 'ocserv', name: 'OCserv', units: ['ocserv.service'] },
  { id: 'pleroma', name: 'Pleroma', units: ['pleroma.service'] },
];

/** The web server: always on, reported by status, never enabled or disabled here. */
export const WEB_SERVER_UNIT = 'nginx.service';

/** Every service: the built-in ones (a declared one with the same id replaces it), then the declared ones. */
export function services(h: Hearth): ServiceDef[] {
  const declared = h.config.host.services;
  const byId = new Map(BUILT_IN.map((s) => [s.id, s]));
  for (const s of declared) byId.set(s.id, { id: s.id, name: s.name, units: [...s.units] });
  return [...byId.values()];
}

function find(h: Hearth, id: string): ServiceDef {
  const s = services(h).find((x) => x.id === id);
  if (!s)
    throw notFound(
      `no service ${JSON.stringify(id.slice(0, 40))}; the services are ${services(h)
        .map((x) => x.id)
        .join(', ')}`,
    );
  return s;
}

export async function list(h: Hearth): Promise<{ id: string; name: string; enabled: boolean; units: string[] }[]> {
  const flags = await state.getSetting(h, 'services');
  return services(h).map((s) => ({ id: s.id, name: s.name, enabled: flags[s.id] === true, units: s.units }));
}

/**
 * Writes the flag to the state file; with `apply`, then starts the apply job (else applying is a
 * separate step, as SelfPrivacy's clients expect).
 */
export async function setEnabled(
  h: Hearth,
  id: string,
  enabled: boolean,
  apply = false,
): Promise<{ id: string; name: string; enabled: boolean; job: string | null }> {
  const s = find(h, id);
  const flags = await state.getSetting(h, 'services');
  await state.setSetting(h, 'services', { ...flags, [s.id]: enabled });
  const job = apply ? (await startHostAction(h, 'apply')).job.id : null;
  return { id: s.id, name: s.name, enabled, job };
}

/** The worst state of several units: failed, then unknown, then anything not active, else active. */
export function overall(states: readonly UnitState[]): UnitState {
  if (states.includes('failed')) return 'failed';
  if (states.includes('unknown')) return 'unknown';
  return states.find((s) => s !== 'active' && s !== 'reloading') ?? 'active';
}

export async function unitState(h: Hearth, unit: string): Promise<UnitState> {
  return hostOf(h).services.status(unit);
}

/** One service's state: each of its units', asked of the status command, and the worst of them. */
export async function serviceState(h: Hearth, id: string): Promise<{ state: UnitState; units: { unit: string; state: UnitState }[] }> {
  const s = find(h, id);
  const units = await Promise.all(s.units.map(async (unit) => ({ unit, state: await unitState(h, unit) })));
  return { state: overall(units.map((u) => u.state)), units };
}

/** Each service's state (each unit's, asked of the status command), and the web server's. */
export async function status(h: Hearth) {
  const all = await list(h);
  const [web, ...rows] = await Promise.all([
    unitState(h, WEB_SERVER_UNIT),
    ...all.map(async (s) => {
      const units = await Promise.all(s.units.map(async (unit) => ({ unit, state: await unitState(h, unit) })));
      return { ...s, state: overall(units.map((u) => u.state)), units };
    }),
  ]);
  return { services: rows, web_server: { unit: WEB_SERVER_UNIT, state: web! } };
}
