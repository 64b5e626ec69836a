/** The `core` group (as in Bitmask): version, stats, status, whoami, stop. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need, PUBLIC } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { Line, NoParams, NullableInteger, NullableString, Params, Time } from '../../api/schemas.js';
import { JobView } from '../../jobs/commands.js';
import { HOST_ACTIONS, type HostAction } from '../../host/actions.js';
import { version, whoami } from './about.js';

const system = lazy(() => import('./service.js'));

const ACTION_SUMMARIES: Record<HostAction, string> = {
  apply: 'Apply the state file to the server ([host] apply, e.g. nixos-rebuild switch), as a job',
  upgrade: 'Upgrade the operating system and apply ([host] upgrade), as a job',
  rollback: 'Go back to the previous configuration ([host] rollback), as a job',
  pull: 'Pull the configuration repository ([host] pull), as a job',
  reboot: 'Reboot the server ([host] reboot), as a job',
};

const AutoUpgrade = Type.Object({ enable: Type.Boolean(), allowReboot: Type.Boolean() });

const ComponentState = Type.Object({ status: Type.String({ description: 'on, off, starting, stopping or failed' }), error: NullableString });

export const COMMANDS: readonly Command[] = [
  command({
    path: 'core/version',
    summary: 'Version of the core and of the API',
    params: NoParams,
    result: Type.Object({ version_core: Type.String(), api_version: Type.String() }),
    auth: PUBLIC,
    requires: [],
    run: () => version(),
  }),
  command({
    path: 'core/stats',
    summary: 'Uptime, requests answered per surface, accounts, store kind, registration policy',
    params: NoParams,
    result: Type.Object({
      uptime: Type.Integer({ description: 'seconds since start' }),
      started_at: Time,
      requests: Type.Record(Type.String(), Type.Integer(), { description: 'requests answered, per surface' }),
      accounts: NullableInteger,
      store: Type.String({ description: 'sqlite or postgres' }),
      registration: Type.String({ description: '`[accounts] registration`: closed, invite or open (the console offers sign-up by it)' }),
    }),
    auth: PUBLIC,
    run: ({ hearth }) => system.stats(hearth),
  }),
  command({
    path: 'core/status',
    summary: 'State of the daemon and of each component, and free space on the volumes',
    params: NoParams,
    result: Type.Object({
      status: Type.String({ description: 'on, starting, stopping or failed: the worst of the components' }),
      childrenStatus: Type.Record(Type.String(), ComponentState),
      tls: Type.Union([
        Type.Object({
          url: Type.String(),
          ca_cert_fingerprint: Type.String({ description: '`SHA256: <hex>` of the local CA, or of the configured certificate' }),
          ca_cert_path: NullableString,
          cert_path: Type.String(),
          not_after: Type.String({ description: 'when the served certificate ends' }),
          issuer: Type.String({ description: "the served certificate's issuer: the local CA, the configured certificate's, or the ACME CA's" }),
          source: Type.String({ description: 'local-ca, configured or acme' }),
        }),
        Type.Null(),
      ]),
      acme: Type.Union(
        [
          Type.Object({
            directory: Type.String({ description: "the ACME server's directory URL" }),
            status: Type.String({
              description: "pending (the local CA's certificate is served meanwhile), on, or failed (the last attempt; the current certificate is kept)",
            }),
            error: NullableString,
            last_attempt: NullableString,
            renew_at: NullableString,
          }),
          Type.Null(),
        ],
        { description: 'the ACME certificate, while [server] acme_directory is set' },
      ),
      warnings: Type.Array(Type.String(), {
        description:
          'what the owner should fix that does not stop the daemon, one line each (e.g. plain HTTP listening beyond loopback, an empty store while hearth.db holds accounts)',
      }),
      disk: Type.Object({
        state: Type.String({ description: 'ok, warning (a volume has less free space than [host] disk_warning percent) or unknown' }),
        volumes: Type.Array(
          Type.Object({
            path: Type.String(),
            total: Type.Number({ description: 'bytes' }),
            free: Type.Number({ description: 'bytes available to unprivileged users' }),
            used: Type.Number({ description: 'bytes' }),
            free_percent: Type.Number(),
            state: Type.String({ description: 'ok, warning or unknown' }),
            error: NullableString,
          }),
        ),
      }),
    }),
    auth: need('auditor'),
    requires: [],
    run: ({ hearth }) => system.status(hearth),
  }),
  command({
    path: 'core/whoami',
    summary: 'The credential this call was made with: kind, account, role',
    params: NoParams,
    result: Type.Object({
      credential: Type.String({ description: 'global, session, device or role' }),
      credential_id: Type.Optional(Type.String()),
      account: Type.Union([Type.String(), Type.Null()], { description: "null for the server owner's global token and its devices" }),
      role: Type.String(),
      owner: Type.Boolean(),
    }),
    auth: need('consumer'),
    requires: [],
    run: ({ principal }) => whoami(principal),
  }),
  command({
    path: 'core/stop',
    summary: 'Stop the daemon gracefully (answers first)',
    params: NoParams,
    result: Type.Object({ shutdown: Type.Literal('ok') }),
    auth: need('maintainer'),
    requires: [],
    run: ({ hearth }) => system.stop(hearth),
  }),
  command({
    path: 'system/timezone/get',
    summary: "The server's time zone",
    params: NoParams,
    result: Type.Object({ timezone: Type.String() }),
    auth: need('maintainer'),
    run: async ({ hearth }) => ({ timezone: await system.getTimezone(hearth) }),
  }),
  command({
    path: 'system/timezone/set',
    summary: "Change the server's time zone (an IANA name, e.g. Europe/Berlin)",
    params: Params({ timezone: Line({ description: 'an IANA time zone name, e.g. Europe/Berlin or UTC', maxLength: 100 }) }),
    result: Type.Object({ timezone: Type.String() }),
    auth: need('maintainer'),
    run: async ({ hearth }, p) => ({ timezone: await system.setTimezone(hearth, p.timezone) }),
  }),
  command({
    path: 'system/auto-upgrade/get',
    summary: 'Automatic upgrades: enabled, and whether they may reboot the server',
    params: NoParams,
    result: AutoUpgrade,
    auth: need('maintainer'),
    run: ({ hearth }) => system.getAutoUpgrade(hearth),
  }),
  command({
    path: 'system/auto-upgrade/set',
    summary: 'Change automatic upgrades (only the settings given)',
    params: Params({ enable: Type.Optional(Type.Boolean()), allowReboot: Type.Optional(Type.Boolean()) }),
    result: AutoUpgrade,
    auth: need('maintainer'),
    run: ({ hearth }, p) => system.setAutoUpgrade(hearth, p),
  }),
  command({
    path: 'system/version',
    summary: "The server's kernel (as uname -a) and the runtime Hearth runs on",
    params: NoParams,
    result: Type.Object({ system_version: Type.String(), kernel: Type.String(), os_version: Type.String(), runtime: Type.String() }),
    auth: need('maintainer'),
    requires: [],
    run: () => system.systemVersion(),
  }),
  ...HOST_ACTIONS.map((action: HostAction) =>
    command({
      path: `system/${action}`,
      summary: ACTION_SUMMARIES[action],
      params: NoParams,
      result: Type.Object({ message: Type.String(), job: JobView }),
      auth: need('maintainer'),
      run: ({ hearth }) => system.startHostAction(hearth, action),
    }),
  ),
];
