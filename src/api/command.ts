/**
 * A native command (as in Bitmask): `POST /API/<path>` with JSON params, also `hearth <path words>`
 * in the CLI. One definition serves the HTTP surface, the OpenAPI document and the CLI.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { AuthRequirement } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { Hearth } from '../core/hearth.js';

export interface CommandContext {
  hearth: Hearth;
  principal: Principal | null;
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

export function command<P extends TObject>(def: Command<P>): Command<P> {
  return def;
}

/** The command's parameter names, in positional order. */
export function paramNames(cmd: Command): string[] {
  return Object.keys(cmd.params.properties);
}
