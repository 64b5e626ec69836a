/** The `core` command group: version, stats, status, whoami, stop (as in Bitmask). */
import type { Principal } from '../../auth/principal.js';
import type { ComponentState, ComponentStatus } from '../../kernel/components.js';
import type { Hearth, TlsStatus } from '../../kernel/hearth.js';
import { API_VERSION, VERSION_CORE } from '../../kernel/version.js';
import { accountsInStore } from '../accounts/service.js';

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
    registration: h.config.accounts.registration,
  };
}

/**
 * The daemon's overall state: failed if any component failed, starting while any starts; and
 * HTTPS's URL and certificate fingerprint (null when it is off).
 */
export function status(h: Hearth): { status: ComponentStatus; childrenStatus: Record<string, ComponentState>; tls: TlsStatus | null } {
  const children = h.components.snapshot();
  const states = Object.values(children).map((c) => c.status);
  const overall: ComponentStatus = states.includes('failed')
    ? 'failed'
    : states.includes('stopping')
      ? 'stopping'
      : states.includes('starting')
        ? 'starting'
        : 'on';
  return { status: overall, childrenStatus: children, tls: h.tls && { ...h.tls } };
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
