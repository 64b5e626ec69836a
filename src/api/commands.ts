/** Every native command, in the order the CLI's help lists them. */
import { Type } from '@sinclair/typebox';
import { PUBLIC, need } from '../auth/policy.js';
import * as system from '../core/system.js';
import { command, type Command } from './command.js';

const NoParams = Type.Object({}, { additionalProperties: false });

/** `string | null` as one JSON Schema type list (serializes much faster than an anyOf). */
const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });

export const COMMANDS: readonly Command<any>[] = [
  command({
    path: 'core/version',
    summary: 'Version of the core and of the API',
    params: NoParams,
    result: Type.Object({ version_core: Type.String(), api_version: Type.String() }),
    auth: PUBLIC,
    run: () => system.version(),
  }),
  command({
    path: 'core/stats',
    summary: 'Uptime, requests answered per surface, accounts, store kind',
    params: NoParams,
    auth: PUBLIC,
    requires: ['store'],
    run: ({ hearth }) => system.stats(hearth),
  }),
  command({
    path: 'core/status',
    summary: 'State of the daemon and of each component',
    params: NoParams,
    auth: need('auditor'),
    run: ({ hearth }) => system.status(hearth),
  }),
  command({
    path: 'core/whoami',
    summary: 'The credential this call was made with: kind, account, role',
    params: NoParams,
    result: Type.Object({
      credential: NullableString,
      credential_id: Type.Optional(Type.String()),
      account: NullableString,
      role: NullableString,
      owner: Type.Boolean(),
    }),
    auth: need('consumer', 'own'),
    run: ({ principal }) => system.whoami(principal),
  }),
  command({
    path: 'core/stop',
    summary: 'Stop the daemon gracefully (answers first)',
    params: NoParams,
    auth: need('maintainer'),
    run: ({ hearth }) => system.stop(hearth),
  }),
];
