/** SelfPrivacy's service routes: `/services/status` and `/services/<name>/enable|disable`. */
import { need } from '../../../auth/policy.js';
import { setEnabled, status } from '../../../features/services/service.js';
import type { UnitState } from '../../../host/index.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';

/** SelfPrivacy's integers (`systemctl status`'s exit codes): 0 running, 3 not running, 4 unknown. */
export function statusCode(s: UnitState): number {
  if (s === 'active' || s === 'reloading') return 0;
  return s === 'unknown' ? 4 : 3;
}

export function serviceRoutes(hearth: Hearth): RouteDef[] {
  const toggle = (enabled: boolean) => async (req: AuthedRequest) => {
    const s = await setEnabled(hearth, req.params.name!, enabled);
    return { status: 0, message: `${s.name} ${enabled ? 'enabled' : 'disabled'}` };
  };
  return [
    route({
      method: 'GET',
      url: '/services/status',
      auth: need('maintainer'),
      summary: "Each service's state: 0 running, 3 not running, 4 unknown (imap, smtp, http, then each service)",
      handler: async () => {
        const s = await status(hearth);
        const mail = s.services.find((x) => x.id === 'mailserver');
        const unit = (name: string) => mail?.units.find((u) => u.unit === name)?.state ?? 'unknown';
        const out: Record<string, number> = {
          imap: statusCode(unit('dovecot2.service')),
          smtp: statusCode(unit('postfix.service')),
          http: statusCode(s.web_server.state),
        };
        for (const x of s.services) if (x.id !== 'mailserver') out[x.id] = statusCode(x.state);
        return out;
      },
    }),
    route({
      method: 'POST',
      url: '/services/:name/enable',
      auth: need('maintainer'),
      summary: 'Enable a service (applied by /system/configuration/apply)',
      handler: toggle(true),
    }),
    route({
      method: 'POST',
      url: '/services/:name/disable',
      auth: need('maintainer'),
      summary: 'Disable a service (applied by /system/configuration/apply)',
      handler: toggle(false),
    }),
  ];
}
