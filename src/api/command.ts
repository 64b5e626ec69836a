/**
 * A native command (as in Bitmask): `POST /API/<path>` with JSON params, also `hearth <path words>`
 * in the CLI. One definition serves the HTTP surface, the OpenAPI document, the CLI and docs/api.md.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { CookieJar } from '../auth/cookies.js';
import type { DeviceSlot } from '../auth/device-cookies.js';
import type { PublicRequirement, RoleRequirement } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { Hearth } from '../kernel/hearth.js';

export interface CommandContext<P extends Principal | null = Principal | null> {
  hearth: Hearth;
  /** Who called. Non-null in every command that needs a credential: the policy let only principals through. */
  principal: P;
  /** Where the call came from: the client address (behind a trusted proxy, the forwarded one), or `local` on the Unix socket. */
  address: string;
  /** The surface it came through, for the login log. */
  surface: string;
  /** The client's User-Agent, where it sent one (recorded with a new login session). */
  userAgent?: string;
  /** The caller's cookies, where the surface has them (HTTP): the console's session commands read and set theirs. */
  cookies?: CookieJar;
  /** The caller's device cookie (HTTP), for the sign-in commands: presented, and where a new one goes. */
  device?: DeviceSlot;
}

interface Definition<P extends TObject, R extends TSchema> {
  /** `group/command` or `group/sub/command`. */
  path: string;
  summary: string;
  /** Parameters, in positional order. */
  params: P;
  /** Shape of the result: documents it, and serializes it fast. */
  result: R;
  /** Components that must be on before this command is offered (404 until then). Default: the store. */
  requires?: readonly string[];
}

type Answer<R extends TSchema> = Static<R> | Promise<Static<R>>;

/** A command anyone may call: it may see no principal. */
export interface PublicDefinition<P extends TObject, R extends TSchema> extends Definition<P, R> {
  auth: PublicRequirement;
  run(ctx: CommandContext, params: Static<P>): Answer<R>;
}

/** A command that needs a credential with a role: it always sees the principal. */
export interface AuthedDefinition<P extends TObject, R extends TSchema> extends Definition<P, R> {
  auth: RoleRequirement;
  run(ctx: CommandContext<Principal>, params: Static<P>): Answer<R>;
}

/** A command as the surfaces see it, whatever its auth. */
export interface Command {
  path: string;
  summary: string;
  params: TObject;
  result: TSchema;
  auth: PublicRequirement | RoleRequirement;
  requires: readonly string[];
  /** Called only after the policy allowed `ctx.principal` (see `authorize`). */
  run(ctx: CommandContext, params: unknown): unknown;
}

const STORE = ['store'] as const;

/** A command that needs a credential: `run` sees a principal (no casts in the commands). */
export function command<P extends TObject, R extends TSchema>(def: AuthedDefinition<P, R>): Command;
/** A public command: `run` may see no principal. */
export function command<P extends TObject, R extends TSchema>(def: PublicDefinition<P, R>): Command;
export function command<P extends TObject, R extends TSchema>(def: PublicDefinition<P, R> | AuthedDefinition<P, R>): Command {
  // The one widening: surfaces run a command only after `authorize` passed, which for a role
  // requirement means a principal is there, as AuthedDefinition's `run` expects.
  return { ...def, requires: def.requires ?? STORE, run: def.run as Command['run'] };
}

/** The command's parameter names, in positional order. */
export function paramNames(cmd: Pick<Command, 'params'>): string[] {
  return Object.keys(cmd.params.properties);
}
