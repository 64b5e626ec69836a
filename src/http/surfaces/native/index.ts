/**
 * The native command API (as in Bitmask): `POST /API/<group>/<command>` with params as a JSON object
 * or a positional array, answering `{"result": …, "error": null}`. One route per command of the
 * registry; the command's auth, params and result schema are the route's.
 */
import { parse as parseCookieHeader, serialize as serializeCookie } from 'cookie';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { paramNames, type Command } from '../../../api/command.js';
import { COMMANDS } from '../../../api/registry.js';
import { cookieAttributes, cookieName, type CookieJar } from '../../../auth/cookies.js';
import { badRequest, HearthError } from '../../../kernel/errors.js';
import { clientAddress, deviceSlot, isHttps } from '../../client.js';
import { envelope } from '../../errors.js';
import { lenientJson } from '../../json.js';
import type { SurfaceDescriptor, SurfaceOptions } from '../../surface.js';

export const NATIVE: SurfaceDescriptor = {
  name: 'native',
  // Every header scheme of Hearth's own, then the console's session cookie with its CSRF header
  // (tried last, so a header credential wins).
  schemes: ['global', 'token', 'bearer', 'cookie'],
  prefixes: ['/API/'],
  error: (err) => ({ status: err.status, body: envelope(err) }),
  cacheControl: 'no-store',
  crossOrigin: false,
  security: [{ hearthAuth: [] }, { hearthToken: [] }, { hearthBearer: [] }, { hearthSession: [], hearthCsrf: [] }],
  notFound(req, reply) {
    if (req.method !== 'POST') {
      return reply
        .status(405)
        .header('allow', 'POST')
        .send(envelope(new HearthError('methodNotAllowed', 'native commands are called with POST')));
    }
    return reply.status(404).send(envelope(new HearthError('notFound', `unknown command ${req.url.slice(5).split('?')[0]}`)));
  },
};

/** `["a", 1]` → `{first: "a", second: 1}` by the order the command declares its params. */
export function positionalToObject(cmd: Command, args: unknown[]): Record<string, unknown> {
  const names = paramNames(cmd);
  if (args.length > names.length) {
    throw badRequest(
      names.length === 0
        ? `${cmd.path} takes no parameters`
        : `${cmd.path} takes at most ${names.length} positional parameters (${names.join(', ')}), got ${args.length}`,
    );
  }
  return Object.fromEntries(args.map((v, i) => [names[i]!, v]));
}

/** The OpenAPI description of the positional form, which the body schema (an object) cannot show. */
function positionalNote(cmd: Command): string {
  const names = paramNames(cmd);
  return names.length ? `Params may also be sent as a JSON array, in this order: ${names.join(', ')}.` : 'Takes no params: send no body, {} or [].';
}

/**
 * The request's cookies for the core, named and sent as `cookieName`/`cookieAttributes` say.
 * Parsed only when a command asks (the few console-session commands), so other calls pay nothing.
 */
function cookieJar(req: FastifyRequest, reply: FastifyReply): CookieJar {
  const https = isHttps(req);
  let cookies: Record<string, string | undefined> | undefined;
  // Fastify adds each Set-Cookie header beside those already set.
  const setCookie = (name: string, value: string, attributes: Parameters<typeof serializeCookie>[2]) =>
    void reply.header('set-cookie', serializeCookie(cookieName(name, https), value, attributes));
  return {
    get: (name) => (cookies ??= req.headers.cookie ? parseCookieHeader(req.headers.cookie) : {})[cookieName(name, https)],
    set: (name, value, opts) => setCookie(name, value, cookieAttributes(https, opts?.maxAge)),
    clear: (name) => setCookie(name, '', { ...cookieAttributes(https), expires: new Date(0), maxAge: 0 }),
  };
}

export async function nativeSurface(app: FastifyInstance, { hearth }: SurfaceOptions) {
  // Params are JSON whatever the Content-Type says, so `curl -d '["x"]'` works as in Bitmask.
  lenientJson(app);

  for (const cmd of COMMANDS) {
    app.post(
      `/API/${cmd.path}`,
      {
        config: { auth: cmd.auth, surface: 'native', requires: cmd.requires },
        schema: {
          summary: cmd.summary,
          description: positionalNote(cmd),
          tags: [cmd.path.split('/')[0]!],
          // Positional arrays are turned into this object before validation.
          body: cmd.params,
          // Documents the result, and serializes it fast.
          response: { 200: Type.Object({ result: cmd.result, error: Type.Null() }) },
        },
        preValidation: async (req) => {
          if (req.body === undefined || req.body === null) req.body = {};
          else if (Array.isArray(req.body)) req.body = positionalToObject(cmd, req.body);
          else if (typeof req.body !== 'object') throw badRequest('params must be a JSON object or a positional JSON array');
        },
      },
      async (req, reply) => {
        const cookies = cookieJar(req, reply);
        return {
          result: await cmd.run(
            {
              hearth,
              principal: req.principal,
              address: clientAddress(req),
              surface: 'native',
              userAgent: req.headers['user-agent'],
              cookies,
              device: deviceSlot(req, reply, cookies),
            },
            req.body,
          ),
          error: null,
        };
      },
    );
  }
}
