/**
 * What the Bitwarden clients send, as TypeBox schemas: the surface validates each body against
 * its schema before any code reads it, and the vault's functions take the checked types. Schemas
 * type every field the server reads and let the rest through (clients send many more); where a
 * value needs more than a type (an EncString, a KDF's bounds, a cipher's type data) the vault
 * checks it and says which field is wrong.
 */
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import { Line } from '../../api/schemas.js';

/** A body object: the fields listed are typed, others are allowed and ignored. */
const Body = <T extends TProperties>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: true, ...(description ? { description } : {}) });
/**
 * A field a client may leave out or send as null: clients send null for what they do not use, and
 * the vault falls back from a newer field to an older one (`masterPasswordUnlock` → `key`).
 */
const Opt = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const Text = (maxLength = 100_000) => Type.String({ maxLength });
/** An identifier (an e-mail, a device's name or id): control characters are refused. */
const Id = (maxLength: number) => Line({ maxLength });

export const KdfBody = Body({ kdfType: Opt(Type.Integer()), iterations: Opt(Type.Integer()), memory: Opt(Type.Integer()), parallelism: Opt(Type.Integer()) });
export type KdfBody = Static<typeof KdfBody>;

/** The KDF as the older bodies send it, at the top level. */
const LegacyKdf = { kdf: Opt(Type.Integer()), kdfIterations: Opt(Type.Integer()), kdfMemory: Opt(Type.Integer()), kdfParallelism: Opt(Type.Integer()) };

export const PreloginBody = Body({ email: Opt(Id(320)) });

const KeyPair = Body({ publicKey: Opt(Text(4000)), encryptedPrivateKey: Opt(Text()) });

export const RegisterBody = Body({
  email: Opt(Id(320)),
  name: Opt(Text(1000)),
  masterPasswordHash: Opt(Text(200)),
  masterPasswordAuthentication: Opt(Body({ masterPasswordAuthenticationHash: Opt(Text(200)), salt: Opt(Text(320)), kdf: Opt(KdfBody) })),
  masterPasswordUnlock: Opt(Body({ masterKeyWrappedUserKey: Opt(Text()), salt: Opt(Text(320)), kdf: Opt(KdfBody) })),
  userSymmetricKey: Opt(Text()),
  key: Opt(Text()),
  userAsymmetricKeys: Opt(KeyPair),
  keys: Opt(KeyPair),
  emailVerificationToken: Opt(Text(200)),
  token: Opt(Text(200)),
  ...LegacyKdf,
});
export type RegisterBody = Static<typeof RegisterBody>;

/** The OAuth token request, form-encoded; field names arrive lower-cased (clients mix their case). */
export const TokenForm = Body({
  grant_type: Opt(Id(100)),
  username: Opt(Id(320)),
  password: Opt(Text(1024)),
  refresh_token: Opt(Text()),
  client_id: Opt(Id(100)),
  deviceidentifier: Opt(Id(200)),
  device_identifier: Opt(Id(200)),
  devicetype: Opt(Type.Union([Text(20), Type.Number()])),
  device_type: Opt(Type.Union([Text(20), Type.Number()])),
  devicename: Opt(Id(1000)),
  device_name: Opt(Id(1000)),
  twofactortoken: Opt(Text(200)),
  twofactorprovider: Opt(Type.Union([Text(20), Type.Number()])),
  twofactorremember: Opt(Type.Union([Text(20), Type.Number(), Type.Boolean()])),
});
export type TokenForm = Static<typeof TokenForm>;

export const ProfileBody = Body({ name: Opt(Text(1000)) });
export const SecretVerificationBody = Body({ masterPasswordHash: Opt(Text(200)) });

export const PasswordChangeBody = Body({
  masterPasswordHash: Opt(Text(200)),
  newMasterPasswordHash: Opt(Text(200)),
  key: Opt(Text()),
  authenticationData: Opt(Body({ masterPasswordAuthenticationHash: Opt(Text(200)), salt: Opt(Text(320)), kdf: Opt(KdfBody) })),
  unlockData: Opt(Body({ masterKeyWrappedUserKey: Opt(Text()), salt: Opt(Text(320)), kdf: Opt(KdfBody) })),
  ...LegacyKdf,
});
export type PasswordChangeBody = Static<typeof PasswordChangeBody>;

export const UserKeyIdBody = Body({ userKeyId: Opt(Id(100)) });

/**
 * A cipher as the clients send it. Its type data (login, card, …) is checked field by field by
 * `parseCipher`, which names the offending field (`login.uris[2].uri`), so here it is any JSON.
 */
export const CipherBody = Body(
  {
    type: Opt(Type.Unknown({ description: '1 login, 2 secure note, 3 card, 4 identity, 5 SSH key' })),
    name: Opt(Type.Unknown({ description: 'an EncString' })),
    notes: Opt(Type.Unknown({ description: 'an EncString or null' })),
    folderId: Opt(Type.Unknown({ description: 'a folder id or null' })),
    favorite: Opt(Type.Unknown()),
    reprompt: Opt(Type.Unknown()),
    key: Opt(Type.Unknown()),
    organizationId: Opt(Type.Unknown({ description: 'must be null: organizations are not supported' })),
    lastKnownRevisionDate: Opt(Type.Unknown()),
    login: Opt(Type.Unknown()),
    secureNote: Opt(Type.Unknown()),
    card: Opt(Type.Unknown()),
    identity: Opt(Type.Unknown()),
    sshKey: Opt(Type.Unknown()),
    fields: Opt(Type.Unknown()),
    passwordHistory: Opt(Type.Unknown()),
  },
  "a cipher: type, name and the type's data, EncStrings as the client encrypted them",
);

export const CipherCreateBody = Body({ cipher: CipherBody, collectionIds: Opt(Type.Array(Type.Unknown())) });

/** Bulk operations on ciphers. */
export const IdsBody = Body({ ids: Opt(Type.Array(Type.Unknown(), { maxItems: 5000 })), folderId: Opt(Type.Unknown()) });
export type IdsBody = Static<typeof IdsBody>;

export const PartialCipherBody = Body({ folderId: Opt(Type.Unknown()), favorite: Opt(Type.Unknown()) });
export type PartialCipherBody = Static<typeof PartialCipherBody>;

export const FolderBody = Body({ name: Opt(Text()) });
export type FolderBody = Static<typeof FolderBody>;
export type CipherBody = Static<typeof CipherBody>;
