/** The login log: `auth/log`. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { Params, Time } from '../../api/schemas.js';
const limits = lazy(() => import('./service.js'));

export const COMMANDS: readonly Command[] = [
  command({
    path: 'auth/log',
    summary: "Recent logins and failed attempts on every surface, newest first (below auditor: only those for the caller's own account)",
    params: Params({
      limit: Type.Optional(Type.Integer({ description: 'how many entries (default 50, at most 1000)', minimum: 1, maximum: 1000 })),
      failures: Type.Optional(Type.Boolean({ description: 'only failed attempts' })),
    }),
    result: Type.Array(
      Type.Object({
        at: Time,
        surface: Type.String(),
        username: Type.String({ description: 'as typed (a phrase or token attempt shows its kind in parentheses)' }),
        address: Type.String(),
        success: Type.Boolean(),
        reason: Type.String({ description: '`ok`, or the error code answered' }),
      }),
    ),
    auth: need('consumer'),
    run: ({ hearth, principal }, p) => limits.loginLog(hearth, principal, p.limit ?? 50, p.failures ?? false),
  }),
];
