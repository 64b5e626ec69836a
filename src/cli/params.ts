/** Turning command-line words into a command's JSON params, by the command's own schema. */
import type { TObject, TSchema } from '@sinclair/typebox';
import { paramNames, type Command } from '../api/command.js';
import { CliError } from './client.js';

/** `invitecode` → `--invitecode`, `loginToken` → `--login-token`, `uses_left` → `--uses-left`. */
export const flagOf = (param: string) => `--${param.replace(/_/g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A CLI string → the param's JSON type, or a message naming the param. */
export function typed(name: string, raw: string, schema: TSchema | undefined): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new CliError('badRequest', `${name} must be a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (type === 'boolean') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new CliError('badRequest', `${name} must be true or false, got ${JSON.stringify(raw)}`);
  }
  if (type === 'array' || type === 'object') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new CliError('badRequest', `${name} must be JSON, got ${JSON.stringify(raw)}`);
    }
  }
  return raw;
}

/** Positional words fill params in the command's order; `--param value` options win over them. */
export function buildParams(cmd: Command, positional: string[], named: Record<string, string | undefined>): Record<string, unknown> {
  const props = (cmd.params as TObject).properties as Record<string, TSchema>;
  const names = paramNames(cmd);
  if (positional.length > names.length) {
    throw new CliError('badRequest', `${cmd.path} takes at most ${names.length} params (${names.join(' ')}), got ${positional.length}`);
  }
  const params: Record<string, unknown> = {};
  positional.forEach((raw, i) => (params[names[i]!] = typed(names[i]!, raw, props[names[i]!])));
  for (const [name, raw] of Object.entries(named)) {
    if (raw !== undefined) params[name] = typed(name, raw, props[name]);
  }
  return params;
}
