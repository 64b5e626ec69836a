/** SelfPrivacy's `/system` routes (time zone, automatic upgrades, versions) and `/services/mailserver/dkim`. */
import { Type } from '@sinclair/typebox';
import { Line } from '../../../api/schemas.js';
import { need } from '../../../auth/policy.js';
import { dkimRecord } from '../../../features/mail/service.js';
import { getAutoUpgrade, getTimezone, setAutoUpgrade, setTimezone, startHostAction, systemVersion } from '../../../features/system/service.js';
import type { HostAction } from '../../../host/index.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';

const TimezoneBody = Type.Object({ timezone: Line({ maxLength: 100 }) });
const AutoUpgradeBody = Type.Object({ enable: Type.Optional(Type.Boolean()), allowReboot: Type.Optional(Type.Boolean()) });

/** SelfPrivacy's paths of the host actions. */
const ACTION_URLS: [HostAction, string][] = [
  ['apply', '/system/configuration/apply'],
  ['upgrade', '/system/configuration/upgrade'],
  ['rollback', '/system/configuration/rollback'],
  ['pull', '/system/configuration/pull'],
  ['reboot', '/system/reboot'],
];

export function systemRoutes(hearth: Hearth): RouteDef[] {
  const maintainer = need('maintainer');
  return [
    // SelfPrivacy's clients start these with GET; POST is accepted too. Either needs a maintainer's credential.
    ...ACTION_URLS.map(([action, url]) =>
      route({
        method: ['GET', 'POST'],
        url,
        auth: maintainer,
        summary: `Start the ${action} job (GET for SelfPrivacy's clients; POST is the same); 409 while one runs`,
        handler: async () => {
          const { message, job } = await startHostAction(hearth, action);
          return { status: 0, message, job: job.id };
        },
      }),
    ),
    route({ method: 'GET', url: '/system/configuration/timezone', auth: maintainer, summary: "The server's time zone", handler: () => getTimezone(hearth) }),
    route({
      method: 'PUT',
      url: '/system/configuration/timezone',
      auth: maintainer,
      summary: "Change the server's time zone (an IANA name)",
      body: TimezoneBody,
      handler: async (req: AuthedRequest<typeof TimezoneBody>) => {
        await setTimezone(hearth, req.body.timezone);
        return 'Timezone changed';
      },
    }),
    route({
      method: 'GET',
      url: '/system/configuration/autoUpgrade',
      auth: maintainer,
      summary: 'Automatic upgrade settings',
      handler: () => getAutoUpgrade(hearth),
    }),
    route({
      method: 'PUT',
      url: '/system/configuration/autoUpgrade',
      auth: maintainer,
      summary: 'Change automatic upgrade settings (only the keys given)',
      body: AutoUpgradeBody,
      handler: async (req: AuthedRequest<typeof AutoUpgradeBody>) => {
        await setAutoUpgrade(hearth, req.body);
        return 'Auto-upgrade settings changed';
      },
    }),
    route({
      method: 'GET',
      url: '/system/version',
      auth: maintainer,
      summary: 'The kernel, as uname -a tells it',
      handler: () => ({ system_version: systemVersion().system_version }),
    }),
    route({
      method: 'GET',
      url: '/system/pythonVersion',
      auth: maintainer,
      summary: "The runtime's version (Node.js)",
      handler: () => systemVersion().runtime,
    }),
    route({
      method: 'GET',
      url: '/services/mailserver/dkim',
      auth: maintainer,
      summary: "The mail server's DKIM record file, base64 (404 when there is none)",
      handler: async () => (await dkimRecord(hearth)).base64,
    }),
  ];
}
