/** Second factors: `2fa/status`, `2fa/list`, `2fa/totp/setup|enable|disable`, `2fa/recovery/regenerate`, `2fa/passkey/options|register|list|remove`. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need, needMinting } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { Line, NoParams, NullableTime, Otp, Params, Password, Time, Username } from '../../api/schemas.js';

const twoFactor = lazy(() => import('./service.js'));

const RecoveryCodes = Type.Array(Type.String(), { description: 'ten single-use recovery codes: shown this once, keep them somewhere safe' });

const Passkey = Type.Object({ id: Type.String(), name: Type.String(), created_at: Time, last_used_at: NullableTime });

export const COMMANDS: readonly Command[] = [
  command({
    path: '2fa/status',
    summary: "The second factors of the caller's account (a maintainer: of any account)",
    params: Params({ username: Type.Optional(Username("the account (default: the caller's own)")) }),
    result: Type.Object({
      username: Type.String(),
      totp: Type.Boolean({ description: 'an authenticator is enabled' }),
      totp_enabled_at: NullableTime,
      totp_pending: Type.Boolean({ description: 'an authenticator is set up and waits for its first code (2fa/totp/enable)' }),
      recovery_codes_left: Type.Integer(),
      passkeys: Type.Integer({ description: 'how many passkeys the account has (the console)' }),
      methods: Type.Array(Type.String(), { description: 'what a sign-in asks for: totp, passkey, recovery' }),
    }),
    auth: need('consumer'),
    run: ({ hearth, principal }, p) => twoFactor.status(hearth, principal, p.username),
  }),
  command({
    path: '2fa/list',
    summary: 'Every account, whether it has an authenticator, and how many passkeys',
    params: NoParams,
    result: Type.Array(Type.Object({ username: Type.String(), totp: Type.Boolean(), passkeys: Type.Integer() })),
    auth: need('auditor'),
    run: ({ hearth }) => twoFactor.listFactors(hearth),
  }),
  command({
    path: '2fa/totp/setup',
    summary: 'Set up an authenticator: a new secret, its otpauth:// URI and QR code; nothing changes until 2fa/totp/enable gets a code',
    params: NoParams,
    result: Type.Object({
      secret: Type.String({ description: 'the secret in base32, to type into the app where a QR code cannot be scanned' }),
      uri: Type.String({ description: 'the otpauth:// URI the QR code holds' }),
      qr: Type.String({ description: 'the QR code as a data: URL (PNG)' }),
      expires_at: Time,
    }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal }) => twoFactor.setupTotp(hearth, principal),
  }),
  command({
    path: '2fa/totp/enable',
    summary: 'Turn the authenticator on with a code from it; answers ten recovery codes, shown once',
    params: Params({ code: Type.String({ description: 'the current 6-digit code from the app just set up', maxLength: 20 }) }),
    result: Type.Object({ enabled: Type.Boolean(), recovery_codes: RecoveryCodes }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal, address, surface }, p) => twoFactor.enableTotp(hearth, principal, p.code, { address, surface }),
  }),
  command({
    path: '2fa/totp/disable',
    summary: "Turn the authenticator off (the password and a current code or recovery code); a maintainer resets another account's with username (logged)",
    params: Params({
      password: Password("the account's password (a maintainer resetting another account: the maintainer's own)"),
      code: Type.Optional(Otp()),
      username: Type.Optional(Username("the account (default: the caller's own); another's needs a maintainer")),
    }),
    result: Type.Object({ username: Type.String(), totp: Type.Boolean() }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal, address, surface }, p) => twoFactor.disableTotp(hearth, principal, p, { address, surface }),
  }),
  command({
    path: '2fa/recovery/regenerate',
    summary: 'Ten new recovery codes (shown once); the old ones stop working',
    params: Params({ password: Password("the account's password") }),
    result: Type.Object({ recovery_codes: RecoveryCodes }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal, address, surface }, p) => twoFactor.regenerateRecoveryCodes(hearth, principal, p.password, { address, surface }),
  }),
  command({
    path: '2fa/passkey/options',
    summary: 'Start registering a passkey (the console): options for navigator.credentials.create',
    params: NoParams,
    result: Type.Unknown({ description: 'PublicKeyCredentialCreationOptionsJSON' }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal }) => twoFactor.passkeyRegistrationOptions(hearth, principal),
  }),
  command({
    path: '2fa/passkey/register',
    summary: "Keep the passkey the browser made, under a name; the account's first second factor comes with recovery codes (shown once)",
    params: Params({
      name: Line({ description: 'what it is, e.g. "laptop" or "phone" (1 to 64 characters)', minLength: 1, maxLength: 64 }),
      response: Type.Unknown({ description: "the browser's answer (navigator.credentials.create) to 2fa/passkey/options" }),
    }),
    result: Type.Object({ passkey: Passkey, recovery_codes: RecoveryCodes }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal }, p) => twoFactor.registerPasskey(hearth, principal, p.name, p.response),
  }),
  command({
    path: '2fa/passkey/list',
    summary: "The caller's passkeys: id, name, when made and last used",
    params: NoParams,
    result: Type.Array(Passkey),
    auth: need('consumer'),
    run: ({ hearth, principal }) => twoFactor.listPasskeys(hearth, principal),
  }),
  command({
    path: '2fa/passkey/remove',
    summary: "Remove one of the caller's passkeys",
    params: Params({ id: Line({ description: "the passkey's id, as 2fa/passkey/list shows it", minLength: 1, maxLength: 1400 }) }),
    result: Type.Object({ removed: Type.String() }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal }, p) => twoFactor.removePasskey(hearth, principal, p.id),
  }),
];
