import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { badRequest } from '../kernel/errors.js';

/**
 * How deep arrays and objects may nest in a body. Nothing Hearth takes needs more than a few
 * levels (a cipher: five); deeper input is refused before it is parsed, since code that walks
 * or prints a value recursively (validation, error messages) would overflow the stack on it.
 */
export const MAX_JSON_DEPTH = 64;

const [QUOTE, BACKSLASH, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT] = ['"', '\\', '[', ']', '{', '}'].map((c) => c.charCodeAt(0));

/** The deepest nesting of `[`/`{` in JSON text, strings skipped; stops counting past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character; a quote ends the string.
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return max;
}

/** A JSON body (`__proto__` and `constructor` keys refused, nesting limited); an empty one is no body. */
export function parseJson(_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) {
  if (body.trim() === '') return done(null, undefined);
  if (jsonDepth(body) > MAX_JSON_DEPTH) return done(badRequest(`the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`));
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
