/** Role tokens for automation: `token/create|list|revoke`. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need, needMinting } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { Line, NoParams, Params, Role, Time } from '../../api/schemas.js';

const roleTokens = lazy(() => import('./service.js'));

export const IssuedTokenView = Type.Object({
  key: Type.String({ description: 'the token, for `Authorization: Bearer`' }),
  id: Type.String(),
  role: Type.String(),
  label: Type.String(),
  expires_at: Time,
});

export const COMMANDS: readonly Command[] = [
  command({
    path: 'token/create',
    summary: 'A role token for automation (as POST /auth gives), without the admin password',
    params: Params({
      role: Role,
      expiry: Type.Integer({ description: 'lifetime in seconds (cut to [security] max_token_ttl)', minimum: 1 }),
      label: Type.Optional(Line({ description: 'what it is for, e.g. "backup script" (at most 100 characters)', maxLength: 100 })),
    }),
    result: IssuedTokenView,
    auth: needMinting('maintainer'),
    run: ({ hearth }, p) => roleTokens.issueRoleToken(hearth, p),
  }),
  command({
    path: 'token/list',
    summary: 'Role tokens not yet expired: id, role, dates, whether revoked',
    params: NoParams,
    result: Type.Array(
      Type.Object({
        id: Type.String(),
        role: Type.String(),
        label: Type.String(),
        issued_at: Time,
        expires_at: Time,
        chain_started_at: Time,
        revoked: Type.Boolean(),
      }),
    ),
    auth: need('maintainer'),
    run: ({ hearth }) => roleTokens.listRoleTokens(hearth),
  }),
  command({
    path: 'token/revoke',
    summary: 'End a role token before its expiry, on every replica',
    params: Params({
      id: Line({ description: "the token's id, or its first 8 characters or more, as token/list shows it", minLength: 1, maxLength: 100 }),
    }),
    result: Type.Object({ revoked: Type.String({ description: 'the whole id' }) }),
    auth: need('maintainer'),
    run: async ({ hearth }, p) => ({ revoked: await roleTokens.revokeRoleToken(hearth, p.id) }),
  }),
];
