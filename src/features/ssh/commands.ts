/** The `ssh` group: sshd's settings and the users' and root's public keys. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need, needMinting } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { Line, NoParams, Params, Time } from '../../api/schemas.js';

const ssh = lazy(() => import('./service.js'));

const Settings = Type.Object({ enable: Type.Boolean(), passwordAuthentication: Type.Boolean() });
const PublicKey = Type.String({ description: 'an OpenSSH public key line, e.g. the content of ~/.ssh/id_ed25519.pub', maxLength: 16384 });
const User = Type.Optional(Line({ description: 'whose keys: a username, or `root`; default: your own', maxLength: 320 }));

export const COMMANDS: readonly Command[] = [
  command({
    path: 'ssh/show',
    summary: "sshd's settings: enabled, password authentication",
    params: NoParams,
    result: Settings,
    auth: need('maintainer'),
    run: ({ hearth }) => ssh.getSettings(hearth),
  }),
  command({
    path: 'ssh/set',
    summary: "Change sshd's settings (only those given)",
    params: Params({ enable: Type.Optional(Type.Boolean()), passwordAuthentication: Type.Optional(Type.Boolean()) }),
    result: Settings,
    auth: need('maintainer'),
    run: ({ hearth }, p) => ssh.setSettings(hearth, p),
  }),
  command({
    path: 'ssh/enable',
    summary: 'Enable sshd',
    params: NoParams,
    result: Settings,
    auth: need('maintainer'),
    run: ({ hearth }) => ssh.setSettings(hearth, { enable: true }),
  }),
  command({
    path: 'ssh/key/list',
    summary: "A user's SSH public keys (your own, or as a maintainer anyone's or root's)",
    params: Params({ username: User }),
    result: Type.Object({
      username: Type.String(),
      keys: Type.Array(
        Type.Object({
          type: Type.String(),
          public_key: Type.String(),
          comment: Type.String(),
          fingerprint: Type.String({ description: 'SHA256:…' }),
          created_at: Time,
        }),
      ),
    }),
    auth: need('consumer'),
    run: ({ hearth, principal }, p) => ssh.listKeys(hearth, principal, p.username),
  }),
  command({
    path: 'ssh/key/add',
    summary: 'Add an SSH public key to a user (or root): ed25519, ECDSA, sk-* (FIDO) or RSA of at least 2048 bits',
    params: Params({ public_key: PublicKey, username: User }),
    result: Type.Object({ username: Type.String(), fingerprint: Type.String(), type: Type.String() }),
    auth: needMinting('maintainer'),
    run: ({ hearth, principal }, p) => ssh.addKey(hearth, principal, p),
  }),
  command({
    path: 'ssh/key/delete',
    summary: 'Remove an SSH public key from a user (or root), given the key or its SHA256: fingerprint',
    params: Params({ public_key: Type.String({ description: 'the key line, or its `SHA256:` fingerprint', maxLength: 16384 }), username: User }),
    result: Type.Object({ username: Type.String(), fingerprint: Type.String() }),
    auth: need('maintainer'),
    run: ({ hearth, principal }, p) => ssh.deleteKey(hearth, principal, p),
  }),
];
