/** The `core` group (as in Bitmask): version, stats, status, whoami, stop. */
import { Type } from '@sinclair/typebox';
import { need, PUBLIC } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { NoParams, NullableInteger, NullableString, Time } from '../../api/schemas.js';
import * as system from './service.js';

const ComponentState = Type.Object({ status: Type.String({ description: 'on, off, starting, stopping or failed' }), error: NullableString });

export const COMMANDS: readonly Command[] = [
  command({
    path: 'core/version',
    summary: 'Version of the core and of the API',
    params: NoParams,
    result: Type.Object({ version_core: Type.String(), api_version: Type.String() }),
    auth: PUBLIC,
    requires: [],
    run: () => system.version(),
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
    summary: 'State of the daemon and of each component',
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
          not_after: Type.String(),
        }),
        Type.Null(),
      ]),
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
    run: ({ principal }) => system.whoami(principal),
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
];
