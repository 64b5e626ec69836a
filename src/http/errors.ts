/** Turns anything thrown while answering a request into a HearthError from the one table. */
import { NO_CONTROL_CHARACTERS } from '../api/schemas.js';
import { ERROR_STATUS, HearthError, type ErrorCode } from '../kernel/errors.js';

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

interface FastifyishError extends Error {
  code?: string;
  statusCode?: number;
  validation?: AjvError[];
  validationContext?: string;
}

/** "params/name must be string" → a sentence naming the parameter a person must fix. */
function describeValidation(errors: AjvError[], context: string | undefined): string {
  const e = errors[0]!;
  const where = context === 'body' ? 'params' : (context ?? 'request');
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown parameter "${field ? field + '.' : ''}${String(e.params.additionalProperty)}"`;
    case 'required':
      return `missing parameter "${field ? field + '.' : ''}${String(e.params.missingProperty)}"`;
    case 'const': {
      // A choice of values (a union of literals, like a role): name them all, not "equal to constant".
      const allowed = errors.filter((x) => x.keyword === 'const' && x.instancePath === e.instancePath).map((x) => JSON.stringify(x.params.allowedValue));
      const what = field ? `parameter "${field}"` : where;
      return allowed.length > 1 ? `${what} must be one of ${allowed.join(', ')}` : `${what} must be ${allowed[0]}`;
    }
    case 'enum': {
      const what = field ? `parameter "${field}"` : where;
      return `${what} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'pattern':
      if (e.params.pattern === NO_CONTROL_CHARACTERS) {
        return `${field ? `parameter "${field}"` : where} must not contain control characters (a line break, a tab, NUL…)`;
      }
      return field ? `parameter "${field}" ${e.message}` : `${where} ${e.message}`;
    default:
      return field ? `parameter "${field}" ${e.message}` : `${where} ${e.message}`;
  }
}

const BY_STATUS: Partial<Record<number, ErrorCode>> = Object.fromEntries(Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]));
// Several codes share 401; a bare 401 from elsewhere means no credential.
BY_STATUS[401] = 'user:noAuth';

/** A body over `[server] body_limit`: the one message, whoever reads the body. */
export const bodyTooLarge = (bodyLimit: number) => new HearthError('payloadTooLarge', `the request body is larger than the ${bodyLimit}-byte limit`);

export function toHearthError(err: unknown, bodyLimit: number): HearthError {
  if (err instanceof HearthError) return err;
  const e = err as FastifyishError;
  if (e.validation) return new HearthError('badRequest', describeValidation(e.validation, e.validationContext));
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HearthError('unsupportedMediaType', 'send the parameters as JSON (Content-Type: application/json)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HearthError('badRequest', 'the body is empty; send JSON parameters or no Content-Type');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HearthError('badRequest', 'the Content-Length does not match the body');
  }
  // Two requests raced to make the same thing; the second is told, not given a 500.
  if (e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new HearthError('conflict', 'it exists already (made by another request at the same time)');
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new HearthError('badRequest', `the body is not valid JSON: ${e.message}`);
  }
  const status = e.statusCode;
  if (status && status >= 400 && status < 500) {
    return new HearthError(BY_STATUS[status] ?? 'badRequest', e.message);
  }
  return new HearthError('internal', 'internal error; the server log has the details');
}

/** The native envelope's error form: `{"result": null, "error": {"code", "message"}}`. */
export function envelope(err: HearthError) {
  // A second factor asked for says which ones the account has (and, for a passkey, the challenge).
  if (err.code === 'user:needSecondFactor') return { result: null, error: { code: err.code, message: err.message, ...err.details } };
  return { result: null, error: { code: err.code, message: err.message } };
}
