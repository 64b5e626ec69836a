import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { badRequest } from '../kernel/errors.js';

/** A JSON body (`__proto__` and `constructor` keys refused); an empty one is no body. */
export function parseJson(_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) {
  if (body.trim() === '') return done(null, undefined);
  try {
    done(null, sjson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }));
  } catch (err) {
    done(badRequest(`the body is not valid JSON: ${(err as Error).message}`));
  }
}

/**
 * In this plugin's scope, bodies are JSON whatever the Content-Type says (curl's form default,
 * text/plain), and an empty body is no body: SelfPrivacy's app sends
 * `Content-Type: application/json` with nothing after it. `__proto__` keys are refused.
 */
export function lenientJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded', 'text/plain'], { parseAs: 'string' }, parseJson);
}
