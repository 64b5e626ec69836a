/** Pairing a new device (`device/pair|unpair|authorize`) and recovery tokens (`recovery/*`). */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need, needMinting, PUBLIC } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { DeviceName, NoParams, NullableInteger, NullableTime, Params, Phrase, Time } from '../../api/schemas.js';

const pairing = lazy(() => import('./service.js'));

const NewDevice = Type.Object({
  name: Type.String({ description: 'the name the device got (a taken one gains a suffix)' }),
  token: Type.String({ description: 'its device token, for `Authorization: Bearer`' }),
});

export const COMMANDS: readonly Command[] = [
  command({
    path: 'device/pair',
    summary: 'A pairing phrase for a new device: 12 words, valid 10 minutes, single use',
    params: NoParams,
    result: Type.Object({
      token: Type.String({ description: 'the 12 words' }),
      expires_at: Time,
      expires_in: Type.Integer({ description: 'seconds' }),
      link: Type.Union([Type.String(), Type.Null()], {
        description:
          'what the QR code holds: `hearth://pair?url=<public URL>&fp=<SHA-256 of the CA or certificate to pin>&words=<phrase>`, for `hearth remote add NAME LINK`',
      }),
    }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal }) => pairing.newPairing(hearth, principal),
  }),
  command({
    path: 'device/unpair',
    summary: "Cancel the caller's pending pairing phrase",
    params: NoParams,
    result: Type.Object({ cancelled: Type.Literal(true) }),
    auth: need('consumer'),
    run: async ({ hearth, principal }) => {
      await pairing.cancelPairing(hearth, principal);
      return { cancelled: true as const };
    },
  }),
  command({
    path: 'device/authorize',
    summary: 'On the new device: trade a pairing phrase for a device token',
    params: Params({ token: Phrase('pairing phrase'), device: DeviceName }),
    result: NewDevice,
    auth: PUBLIC,
    run: ({ hearth, address, surface }, p) => pairing.authorizeDevice(hearth, p, { address, surface }),
  }),
  command({
    path: 'recovery/create',
    summary: 'A recovery token (18 words) that gives device tokens; replaces any earlier one',
    params: Params({
      expiration: Type.Optional(Type.String({ description: 'when it stops working, UTC, e.g. 2026-12-31T23:59:59.000000Z' })),
      uses: Type.Optional(Type.Integer({ description: 'how many devices it may authorize (at least 1; default unlimited)' })),
    }),
    result: Type.Object({ token: Type.String({ description: 'the 18 words' }) }),
    auth: needMinting('consumer'),
    run: ({ hearth, principal }, p) => pairing.createRecovery(hearth, principal, p),
  }),
  command({
    path: 'recovery/status',
    summary: 'Whether a recovery token exists and is valid, its dates and uses left',
    params: NoParams,
    result: Type.Object({
      exists: Type.Boolean(),
      valid: Type.Boolean(),
      date: NullableTime,
      expiration: NullableTime,
      uses_left: NullableInteger,
    }),
    auth: need('consumer'),
    run: ({ hearth, principal }) => pairing.recoveryStatus(hearth, principal),
  }),
  command({
    path: 'recovery/use',
    summary: 'Trade the recovery token for a device token (spends one use)',
    params: Params({ token: Phrase('recovery token'), device: DeviceName }),
    result: NewDevice,
    auth: PUBLIC,
    run: ({ hearth, address, surface }, p) => pairing.useRecovery(hearth, p, { address, surface }),
  }),
];
