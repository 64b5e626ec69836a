/**
 * A native command (as in Bitmask): `POST /API/<path>` with JSON params, also `hearth <path words>`
 * in the CLI. One definition serves the HTTP surface, the OpenAPI document and the CLI.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { AuthRequirement } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { Hearth } from '../core/hearth.js';
import type { CookieJar } from '../core/web.js';

export type { CookieJar };

export interface CommandContext {
  hearth: Hearth;
  principal: Principal | null;
  /** Where the call came from: the client address (behind a trusted proxy, the forwarded one), or `local` on the Unix socket. */
  address: string;
  /** The surface it came through, for the login log. */
  surface: string;
  /**
   * The caller's cookies, where the surface has them (HTTP): the console's session commands
   * read and set theirs through it. Absent elsewhere.
   */
  cookies?: CookieJar;
}

export interface Command<P extends TObject = TObject> {
  /** `group/command` or `group/sub/command`. */
  path: string;
  summary: string;
  /** Parameters, in positional order. */
  params: P;
  /** Shape of the result: documents it, and serializes it fast. */
  result?: TSchema;
  auth: AuthRequirement;
  /** Components that must be on before this command is offered (404 until then). */
  requires?: readonly string[];
  run(ctx: CommandContext, params: Static<P>): unknown;
}

/** The context of a command that needs a credential: the policy has let only principals through. */
export interface AuthedContext extends CommandContext {
  principal: Principal;
}

/** Narrows a context on a route that declared a role (the policy answered 401 to anyone else). */
export function authed(ctx: CommandContext): AuthedContext {
  if (!ctx.principal) throw new Error('a command that declares a role ran without a principal');
  return ctx as AuthedContext;
}

export function command<P extends TObject>(def: Command<P>): Command<P> {
  return def;
}

/** The command's parameter names, in positional order. */
export function paramNames(cmd: Command): string[] {
  return Object.keys(cmd.params.properties);
}
