/**
 * The console's client of the native command API, after mox's sherpa client: every call is
 * `POST /API/<command>` with the session's CSRF token in `X-Hearth-CSRF` (the session itself is
 * an HttpOnly cookie the browser sends). A call refused with user:noAuth or user:badAuth asks for
 * a login — one shared prompt however many calls failed — and is retried once the login is done.
 */

const CSRF_KEY = 'hearth-csrf';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** What else the error said (user:needSecondFactor: the account's methods). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface LoginRequest {
  /** Shown above the form: only for an expired session (badAuth). */
  message: string | null;
  /** Called by the login form once `login()` succeeded. */
  done(): void;
}

type LoginListener = (req: LoginRequest | null) => void;

let csrf = localStorage.getItem(CSRF_KEY) ?? '';
let pendingLogin: Promise<void> | null = null;
let listener: LoginListener = () => {};

/** The app registers here to show the login form when a call needs one. */
export function onLoginNeeded(l: LoginListener): void {
  listener = l;
}

function needLogin(code: string): Promise<void> {
  pendingLogin ??= new Promise<void>((resolve) => {
    listener({
      message: code === 'user:badAuth' ? 'Your session has expired. Sign in again to continue.' : null,
      done: () => {
        pendingLogin = null;
        listener(null);
        resolve();
      },
    });
  });
  return pendingLogin;
}

export interface CallOptions {
  /** On noAuth/badAuth, ask for a login and retry (default); false: throw. */
  login?: boolean;
}

// A command's result, typed by the caller (`call<Account>(…)`); untyped callers read JSON as it comes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(command: string, params: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<T> {
  for (;;) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (csrf) headers['x-hearth-csrf'] = csrf;
    let res: Response;
    try {
      res = await fetch(`/API/${command}`, { method: 'POST', headers, body: JSON.stringify(params), credentials: 'same-origin', cache: 'no-store' });
    } catch {
      throw new ApiError('network', 'Hearth did not answer. Is hearthd running?');
    }
    let body: { result: T; error: ({ code: string; message: string } & Record<string, unknown>) | null };
    try {
      body = await res.json();
    } catch {
      throw new ApiError('internal', `Hearth answered ${res.status} without a readable body.`);
    }
    if (!body.error) return body.result;
    const { code, message, ...details } = body.error;
    if (opts.login !== false && (code === 'user:noAuth' || code === 'user:badAuth')) {
      await needLogin(code);
      continue; // retried with the new session's CSRF token
    }
    throw new ApiError(code, message, details);
  }
}

/**
 * mox's LoginPrep then Login: the login cookie and its token, then the password (and, for an
 * account with a second factor, `otp`; without it the call fails with user:needSecondFactor).
 */
export async function login(username: string, password: string, second: { otp?: string; passkey?: unknown } = {}): Promise<void> {
  const { loginToken } = await call<{ loginToken: string }>('web/loginprep', {}, { login: false });
  const result = await call<{ csrf: string }>('web/login', { loginToken, username, password, ...second }, { login: false });
  keepSession(result.csrf);
}

/** Signs in with a passkey alone: a challenge, the browser's passkey prompt, then the session. */
export async function loginWithPasskey(): Promise<void> {
  const { startAuthentication } = await import('@simplewebauthn/browser');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const optionsJSON = await call<any>('web/passkey/options', {}, { login: false });
  const response = await startAuthentication({ optionsJSON });
  // The login cookie lives 30 s: it is made once the passkey has answered.
  const { loginToken } = await call<{ loginToken: string }>('web/loginprep', {}, { login: false });
  const result = await call<{ csrf: string }>('web/passkey/login', { loginToken, response }, { login: false });
  keepSession(result.csrf);
}

/** Keeps the CSRF token of a session just made. */
export function keepSession(token: string): void {
  csrf = token;
  localStorage.setItem(CSRF_KEY, csrf);
}

/** Ends the session on the server (if it still lives) and forgets its CSRF token. */
export async function logout(): Promise<void> {
  try {
    await call('web/logout', {}, { login: false });
  } catch {
    /* already ended: nothing to undo */
  }
  csrf = '';
  localStorage.removeItem(CSRF_KEY);
}

export function hasCsrf(): boolean {
  return csrf !== '';
}

/** `GET /readiness`: 200 ready, 503 with the components still waiting. */
export async function readiness(): Promise<{ ready: boolean; waiting: Record<string, { status: string }> }> {
  const res = await fetch('/readiness', { cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  return { ready: res.status === 200, waiting: body.waiting ?? {} };
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
