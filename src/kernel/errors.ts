/**
 * The one table of error codes. Every surface answers errors with one of these codes and the
 * HTTP status it maps to; nothing else decides a status for an error.
 */
export const ERROR_STATUS = {
  'user:noAuth': 401, // no credential where one is needed
  'user:badAuth': 401, // a credential was presented and it is wrong, expired or revoked
  'user:badLogin': 401, // wrong username or password
  'user:needSecondFactor': 401, // the password was right; the account's second factor is needed (details.methods lists them)
  forbidden: 403, // a good credential without enough role
  badRequest: 400, // the request is malformed or its parameters are wrong
  notFound: 404, // no such route, command or resource (or not available yet)
  methodNotAllowed: 405,
  conflict: 409,
  payloadTooLarge: 413,
  unsupportedMediaType: 415,
  rateLimited: 429,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A failure the caller can act on. Core code throws these; surfaces render them. */
export class HearthError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HearthError';
    this.status = ERROR_STATUS[code];
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) => new HearthError('badRequest', message, details);
export const notFound = (message: string) => new HearthError('notFound', message);
