/** TypeBox building blocks that commands share: parameter kinds and the shapes results take. */
import { Type, type StringOptions, type TSchema } from '@sinclair/typebox';
import { ROLES } from '../auth/roles.js';

export const NoParams = Type.Object({}, { additionalProperties: false });
export const Params = <T extends Record<string, TSchema>>(props: T) => Type.Object(props, { additionalProperties: false });

/** `T | null` as one JSON Schema type list (serializes much faster than an anyOf). */
export const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
export const NullableInteger = Type.Unsafe<number | null>({ type: ['integer', 'null'] });

/** A point in time, ISO 8601 in UTC (e.g. 2026-11-30T14:06:28.000Z). */
export const Time = Type.String({ description: 'ISO 8601, UTC' });
export const NullableTime = Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'ISO 8601, UTC; null if never' });

/**
 * No control characters (C0, DEL, C1): a line break, tab or NUL in a name, an address or an id is
 * refused with a 400, never trimmed away. The HTTP layer names the parameter in its message.
 */
export const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$';
/** One line of text: a name, an address, an id, a label. */
export const Line = (options: StringOptions = {}) => Type.String({ ...options, pattern: NO_CONTROL_CHARACTERS });

/** A password: `writeOnly` tells the CLI to ask for it rather than take it from the command line. */
export const Password = (description: string) => Type.String({ description, writeOnly: true, maxLength: 1024 });
export const Username = (description = 'the account, as `name` or `name@domain`') => Line({ description, minLength: 1, maxLength: 320 });
export const Role = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { description: `one of ${ROLES.join(', ')}` },
);
export const DeviceName = Line({ description: 'a name for the new device (characters outside a-z, A-Z, 0-9 become _)', maxLength: 200 });
export const Phrase = (what: string) => Type.String({ description: `the ${what}, as its words separated by spaces`, maxLength: 400 });
/** A second-factor code as a sign-in takes it: an authenticator code, or a recovery code. */
export const Otp = (description = 'a current code from the authenticator app, or an unused recovery code') => Type.String({ description, maxLength: 100 });

/** What commands show of an account (never its hash or stamp). */
export const AccountView = Type.Object({
  username: Type.String(),
  address: Type.String({ description: '`username@domain`: its mail and vault identity' }),
  role: Type.String(),
  owner: Type.Boolean(),
  full_name: Type.String(),
  created_at: Time,
  updated_at: Time,
});
