/** The mail status (Bitmask's `mail/status`). */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { command, type Command } from '../../api/command.js';
import { NullableInteger, NullableString, Params, Username } from '../../api/schemas.js';
import { need } from '../../auth/policy.js';
const status = lazy(() => import('./service.js'));
const accounts = lazy(() => import('../accounts/service.js'));

const Status = Type.Union(
  (['on', 'off', 'starting', 'stopping', 'failed'] as const).map((s) => Type.Literal(s)),
  { description: 'on, off, starting, stopping or failed' },
);
const Keys = Type.Unsafe<null | 'sync' | 'generating' | 'found'>({
  type: ['string', 'null'],
  enum: [null, 'sync', 'generating', 'found'],
  description: 'null (nothing known of the key pair), sync, generating or found',
});
const Child = { status: Status, error: NullableString };

export const COMMANDS: readonly Command[] = [
  command({
    path: 'mail/status',
    summary: "The mail service's status for an account: its key pair, SMTP and IMAP (probed now), its unread count",
    params: Params({ address: Type.Optional(Username("the account, as `name` or `name@domain` (default: the caller's own)")) }),
    result: Type.Object({
      status: Status,
      keys: Keys,
      unread: { ...NullableInteger, description: 'unseen messages in INBOX; null when unknown' },
      childrenStatus: Type.Object({
        keymanager: Type.Object({ ...Child, keys: Keys }),
        smtp: Type.Object(Child),
        imap: Type.Object(Child),
        incoming: Type.Object({ ...Child, unread: NullableInteger }),
      }),
      service: Type.Object(
        {
          state: Type.String({ description: 'the worst of its units: active, inactive, activating, deactivating, failed, … or unknown' }),
          units: Type.Array(Type.Object({ unit: Type.String(), state: Type.String() })),
        },
        {
          description: "the mail server's systemd units, as `[host] service_status` tells them (a unit that is starting, stopping or failed decides `status`)",
        },
      ),
      error: NullableString,
    }),
    auth: need('consumer'),
    run: async ({ hearth, principal }, p) => status.mailStatus(hearth, await accounts.targetAccount(hearth, principal, p.address)),
  }),
];
