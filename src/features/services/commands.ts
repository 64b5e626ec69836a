/** The `service` group: the server's services, their state, enable and disable. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { Line, NoParams, Params } from '../../api/schemas.js';

const services = lazy(() => import('./service.js'));

const Id = Line({ description: 'the service, e.g. gitea (see service list)', maxLength: 64 });
const State = Type.String({ description: 'active, reloading, inactive, failed, activating, deactivating, or unknown when the status command cannot tell' });
const Changed = Type.Object({
  id: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  job: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'the apply job started, with apply' }),
});
const Apply = Type.Optional(Type.Boolean({ description: 'then start system apply (default: only the state file changes)' }));

export const COMMANDS: readonly Command[] = [
  command({
    path: 'service/list',
    summary: 'The services, whether each is enabled, and their systemd units',
    params: NoParams,
    result: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), enabled: Type.Boolean(), units: Type.Array(Type.String()) })),
    auth: need('maintainer'),
    run: ({ hearth }) => services.list(hearth),
  }),
  command({
    path: 'service/status',
    summary: 'The state of each service (the worst of its units) and of the web server',
    params: NoParams,
    result: Type.Object({
      services: Type.Array(
        Type.Object({
          id: Type.String(),
          name: Type.String(),
          enabled: Type.Boolean(),
          state: State,
          units: Type.Array(Type.Object({ unit: Type.String(), state: State })),
        }),
      ),
      web_server: Type.Object({ unit: Type.String(), state: State }),
    }),
    auth: need('maintainer'),
    run: ({ hearth }) => services.status(hearth),
  }),
  command({
    path: 'service/enable',
    summary: 'Enable a service in the state file (system apply puts it into effect)',
    params: Params({ id: Id, apply: Apply }),
    result: Changed,
    auth: need('maintainer'),
    run: ({ hearth }, p) => services.setEnabled(hearth, p.id, true, p.apply),
  }),
  command({
    path: 'service/disable',
    summary: 'Disable a service in the state file (system apply puts it into effect)',
    params: Params({ id: Id, apply: Apply }),
    result: Changed,
    auth: need('maintainer'),
    run: ({ hearth }, p) => services.setEnabled(hearth, p.id, false, p.apply),
  }),
];
