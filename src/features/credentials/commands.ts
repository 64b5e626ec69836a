/** The caller's device tokens: `device/list|revoke|refresh`. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { Line, NoParams, NullableTime, Params, Time } from '../../api/schemas.js';

const credentials = lazy(() => import('./service.js'));

const DeviceView = Type.Object({
  name: Type.String(),
  date: Time,
  last_used: NullableTime,
  role: Type.String(),
  is_caller: Type.Boolean({ description: 'the device making this call' }),
});

export const COMMANDS: readonly Command[] = [
  command({
    path: 'device/list',
    summary: "The caller's device tokens: name, creation date, last use, and which is the caller",
    params: NoParams,
    result: Type.Array(DeviceView),
    auth: need('consumer'),
    run: ({ hearth, principal }) => credentials.listDevices(hearth, principal),
  }),
  command({
    path: 'device/revoke',
    summary: "Revoke one of the caller's devices by name (not the one making the call)",
    params: Params({ name: Line({ description: "the device's name, as device/list shows it", minLength: 1, maxLength: 200 }) }),
    result: Type.Object({ revoked: Type.String() }),
    auth: need('consumer'),
    run: async ({ hearth, principal }, p) => {
      await credentials.deleteDevice(hearth, principal, p.name);
      return { revoked: p.name };
    },
  }),
  command({
    path: 'device/refresh',
    summary: "Replace the calling device's token; the old one stops working at once",
    params: NoParams,
    result: Type.Object({ token: Type.String() }),
    auth: need('consumer'),
    run: ({ hearth, principal }) => credentials.refreshDevice(hearth, principal),
  }),
];
