/** OpenPGP keys (Bitmask's `keys`): `keys/list|insert|delete|export|generate`, on the caller's own account. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { command, type Command } from '../../api/command.js';
import { Line, NullableInteger, NullableString, NullableTime, Params, Password, Time } from '../../api/schemas.js';
import { ownAccount } from '../../auth/ownership.js';
import { need } from '../../auth/policy.js';
import type { Principal } from '../../auth/principal.js';
import type { Hearth } from '../../kernel/hearth.js';
import { badRequest, HearthError } from '../../kernel/errors.js';

import { VALIDATION_LEVELS } from './levels.js';
import type { KeyOwner } from './service.js';
const accounts = lazy(() => import('../accounts/service.js'));

const keys = lazy(() => import('./service.js'));

const owner = (principal: Principal): KeyOwner =>
  ownAccount(principal, `OpenPGP keys belong to accounts; this ${principal.credential.kind} credential has none (log in as the account)`);

const Address = (description: string) => Line({ description, minLength: 3, maxLength: 320 });

export const KeyView = Type.Object({
  address: Type.String(),
  fingerprint: NullableString,
  uids: Type.Array(Type.String()),
  algorithm: NullableString,
  bits: NullableInteger,
  created_at: NullableTime,
  expires_at: { ...NullableTime, description: 'ISO 8601, UTC; null if it never expires' },
  private: Type.Boolean({ description: "the account's own key pair (true) or an imported public key" }),
  status: Type.Union([Type.Literal('generating'), Type.Literal('found'), Type.Literal('failed')]),
  state: Type.Unsafe<'valid' | 'expired' | 'revoked' | null>({ type: ['string', 'null'], enum: ['valid', 'expired', 'revoked', null] }),
  validation: Type.String({ description: `how far the key is known to be the address's: ${VALIDATION_LEVELS.join(', ')}` }),
  refreshed_at: Time,
  error: NullableString,
});

/** Confirms the account's password (under the login limits), or 401. */
async function confirmPassword(ctx: { hearth: Hearth; address: string; surface: string }, who: KeyOwner, password: string | undefined, why: string) {
  if (password === undefined || password === '') throw badRequest(`${why} needs the account's password: pass password`);
  await accounts.checkLogin(ctx.hearth, who.username, password, { address: ctx.address, surface: ctx.surface }).catch((err: unknown) => {
    if (err instanceof HearthError && err.code === 'user:badLogin') throw new HearthError('user:badLogin', "password is not the account's password");
    throw err;
  });
}

export const COMMANDS: readonly Command[] = [
  command({
    path: 'keys/list',
    summary: "The account's OpenPGP keys: its own key pair and the public keys it imported",
    params: Params({ address: Type.Optional(Address('only the key for this address')) }),
    result: Type.Array(KeyView),
    auth: need('consumer'),
    run: ({ hearth, principal }, p) => keys.listKeys(hearth, owner(principal), p.address),
  }),
  command({
    path: 'keys/insert',
    summary: "Import another address's public key (ASCII-armored); one whose user ids lack the address is refused",
    params: Params({
      address: Address('the address the key is for'),
      key: Type.String({ description: 'the public key, ASCII-armored (gpg --export --armor ADDRESS)', minLength: 1, maxLength: 200000 }),
      validation: Type.Optional(
        Type.Union(
          VALIDATION_LEVELS.map((l) => Type.Literal(l)),
          { description: `how far it is known to be the address's (default Weak_Chain): ${VALIDATION_LEVELS.join(', ')}` },
        ),
      ),
    }),
    result: Type.Intersect([KeyView, Type.Object({ replaced: Type.Boolean({ description: 'a key for this address was there and is replaced' }) })]),
    auth: need('consumer'),
    run: ({ hearth, principal }, p) => keys.insertKey(hearth, owner(principal), p),
  }),
  command({
    path: 'keys/delete',
    summary: 'Forget an imported public key',
    params: Params({ address: Address('the address whose key to forget') }),
    result: Type.Object({ deleted: Type.String() }),
    auth: need('consumer'),
    run: async ({ hearth, principal }, p) => ({ deleted: await keys.deleteKey(hearth, owner(principal), p.address) }),
  }),
  command({
    path: 'keys/export',
    summary: "A key, ASCII-armored; the account's private key only with its password given again (it stays encrypted under it)",
    params: Params({
      address: Type.Optional(Address("the key's address (default: the account's own)")),
      private: Type.Optional(Type.Boolean({ description: "the account's own private key instead of a public key (needs password)" })),
      password: Type.Optional({ ...Password("the account's password, to export the private key"), 'x-ask-when': 'private' }),
    }),
    result: Type.Object({ address: Type.String(), fingerprint: Type.String(), private: Type.Boolean(), armored: Type.String() }),
    auth: need('consumer'),
    run: async (ctx, p) => {
      const who = owner(ctx.principal);
      if (p.private) await confirmPassword(ctx, who, p.password, 'exporting the private key');
      return keys.exportKey(ctx.hearth, who, p.address, p.private === true);
    },
  }),
  command({
    path: 'keys/generate',
    summary: "Make the account's key pair (in the background: keys/list shows generating, then found); replacing one needs replace",
    params: Params({
      password: Password("the account's password: the private key is encrypted under it"),
      replace: Type.Optional(Type.Boolean({ description: 'replace the key pair the account has (the old private key is lost)' })),
    }),
    result: Type.Object({ address: Type.String(), status: Type.Literal('generating') }),
    auth: need('consumer'),
    run: async (ctx, p) => {
      const who = owner(ctx.principal);
      await confirmPassword(ctx, who, p.password, 'making a key pair');
      const [mine] = (await keys.listKeys(ctx.hearth, who)).filter((k) => k.private);
      if (mine && mine.status !== 'failed' && !p.replace) {
        throw new HearthError('conflict', `${mine.address} has a key pair (${mine.status}); pass replace to make a new one (the old private key is lost)`);
      }
      await keys.beginKeyPair(ctx.hearth, who, p.password);
      return { address: await keys.ownAddress(ctx.hearth, who.username), status: 'generating' as const };
    },
  }),
];
