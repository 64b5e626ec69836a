/** The `mail` group: the mail server's DKIM key. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { NoParams } from '../../api/schemas.js';

const mail = lazy(() => import('./service.js'));

export const COMMANDS: readonly Command[] = [
  command({
    path: 'mail/dkim/show',
    summary: "The mail server's DKIM DNS record (404 when there is no key yet)",
    params: NoParams,
    result: Type.Object({
      domain: Type.String(),
      record: Type.String(),
      base64: Type.String({ description: 'the record file, base64 (as SelfPrivacy answers it)' }),
    }),
    auth: need('maintainer'),
    run: ({ hearth }) => mail.dkimRecord(hearth),
  }),
  command({
    path: 'mail/dkim/generate',
    summary: "Create the mail server's DKIM key pair, unless one exists",
    params: NoParams,
    result: Type.Object({
      domain: Type.String(),
      created: Type.Boolean({ description: 'false when a key existed already (it is kept)' }),
      record: Type.String(),
    }),
    auth: need('maintainer'),
    run: ({ hearth }) => mail.generateDkim(hearth),
  }),
];
