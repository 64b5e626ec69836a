/** The vault's native commands: registration tokens, status, the maintainer's view, deletion. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need, needMinting } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { NoParams, NullableInteger, NullableString, NullableTime, Params, Time, Username } from '../../api/schemas.js';

const vault = lazy(() => import('./service.js'));

const Kdf = Type.Object({
  kdfType: Type.Integer({ description: '0 PBKDF2-SHA256, 1 Argon2id' }),
  iterations: Type.Integer(),
  memory: NullableInteger,
  parallelism: NullableInteger,
});

export const COMMANDS: readonly Command[] = [
  command({
    path: 'vault/registration_token',
    summary: "A single-use token (valid 24 h) to register a Bitwarden vault for an account: yours, or (maintainers) anyone's",
    params: Params({ username: Type.Optional(Username("the account (default: the caller's own)")) }),
    result: Type.Object({ token: Type.String(), email: Type.String({ description: "the vault's identity, `username@domain`" }), expires_at: Time }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal }, p) => vault.registrationToken(hearth, principal, p.username),
  }),
  command({
    path: 'vault/status',
    summary: 'Your own vault: registered or not, its e-mail, KDF, item count, last sync, and the server URL for Bitwarden apps (never contents)',
    params: NoParams,
    result: Type.Object({
      registered: Type.Boolean(),
      email: Type.String(),
      kdf: Type.Union([Kdf, Type.Null()]),
      items: Type.Integer(),
      last_sync: NullableTime,
      server: Type.Union([
        Type.Object({ url: Type.String({ description: 'the server URL for Bitwarden apps' }), ca_cert_fingerprint: Type.String(), local_ca: Type.Boolean() }),
        Type.Null(),
      ]),
    }),
    auth: need('consumer'),
    run: ({ hearth, principal }) => vault.vaultStatus(hearth, principal),
  }),
  command({
    path: 'vault/accounts',
    summary: 'Every vault: account, KDF, item and folder counts, last sync, devices (never contents)',
    params: NoParams,
    result: Type.Array(
      Type.Object({
        username: Type.String(),
        email: Type.String(),
        kdf: Type.String(),
        items: Type.Integer(),
        trashed: Type.Integer(),
        folders: Type.Integer(),
        created_at: NullableTime,
        revision_date: NullableTime,
        last_sync: NullableTime,
        devices: Type.Array(Type.Object({ name: Type.String(), type: Type.Integer(), logged_in_at: NullableString, last_used_at: NullableString })),
      }),
    ),
    auth: need('maintainer'),
    run: ({ hearth }) => vault.listVaults(hearth),
  }),
  command({
    path: 'vault/delete',
    summary: "Delete an account's vault (keys, items, folders, devices); the account stays",
    params: Params({ username: Username() }),
    result: Type.Object({ deleted: Type.String() }),
    auth: need('maintainer'),
    run: async ({ hearth }, p) => ({ deleted: await vault.deleteVault(hearth, p.username) }),
  }),
];
