/**
 * Second factors: authenticator codes (TOTP, RFC 6238: SHA-1, 6 digits, 30 s, as every
 * authenticator app reads an `otpauth://` URI) and single-use recovery codes. One account, one
 * set of factors, whichever surface the password comes through.
 *
 * - `setup` makes a secret and keeps it pending; nothing changes until `enable` gets a good code.
 * - A code is accepted once: the last accepted time step is recorded, and a code from it or an
 *   earlier one is refused; ±1 step of clock drift is allowed.
 * - Secrets are sealed with AES-256-GCM under a key from the home's `twofactor.key`, bound to the
 *   account; recovery codes (80 random bits each) and remember tokens are kept as SHA-256 only.
 * - Checks run inside the password check's failed-login limits (see `secondFactor`), so a wrong
 *   code counts as a wrong password does.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { ownAccount } from '../../auth/ownership.js';
import type { Principal } from '../../auth/principal.js';
import { roleCovers } from '../../auth/roles.js';
import { newId, randomSecret, tokenHash } from '../../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { isoOrNull, type Db } from '../../store/db.js';
import { accountById, checkLogin, getAccount, listAccounts, normalizeUsername, type Account, type SecondFactorCheck } from '../accounts/service.js';
import { guarded, logEvent, type From } from '../limits/service.js';
import * as repo from './repo.js';

// WebAuthn is loaded on first use: the CLI, which lists these commands, never pays for it.
const passkeys = () => import('./passkeys.js');

const PERIOD = 30;
const DIGITS = 6;
const DRIFT_STEPS = 1;
/** A set-up secret waits this long for its first code. */
const PENDING_TTL_MS = 3_600_000;
export const RECOVERY_CODE_COUNT = 10;
/** Bitwarden's remember-this-device token lives 30 days (and ends with the security stamp). */
export const REMEMBER_TTL_MS = 30 * 86_400_000;

/** What a sign-in may be asked for: `totp` (an authenticator code), `passkey` (the console only), `recovery` (a recovery code). */
export type Method = 'totp' | 'passkey' | 'recovery';

// ---- sealing secrets at rest ----------------------------------------------------------------

/** The AES-256 key second-factor secrets are sealed with, from the home's `twofactor.key`. */
export function deriveTwoFactorKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('hearth'), Buffer.from('two-factor secrets: aes-256-gcm v1'), 32));
}

const aad = (accountId: string) => `hearth totp secret v1 ${accountId}`;

/**
 * Seals a secret with AES-256-GCM under the home's `twofactor.key`, bound to `context` (what it is
 * and whose: a secret sealed for one context does not open in another). Also used for other
 * secrets Hearth must keep readable at rest, e.g. sessions at other providers.
 */
export function sealSecret(h: Hearth, context: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', h.twoFactorKey, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** Opens what `sealSecret` sealed for the same context; null if it does not open (another home's key, another context). */
export function unsealSecret(h: Hearth, context: string, sealed: string): string | null {
  const raw = Buffer.from(sealed.replace(/^v1\./, ''), 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', h.twoFactorKey, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

function seal(h: Hearth, accountId: string, secret: string): string {
  return sealSecret(h, aad(accountId), secret);
}

function unseal(h: Hearth, accountId: string, sealed: string): string {
  const opened = unsealSecret(h, aad(accountId), sealed);
  if (opened === null)
    throw new HearthError(
      'internal',
      "an authenticator secret cannot be opened with this home's twofactor.key (restored from another home?); a maintainer can reset the account's second factor",
    );
  return opened;
}

// ---- codes ----------------------------------------------------------------------------------

function totpFor(h: Hearth, username: string, base32: string): TOTP {
  return new TOTP({
    issuer: 'Hearth',
    label: `${username}@${h.config.server.domain}`,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD,
    secret: Secret.fromBase32(base32),
  });
}

/** An authenticator code as typed (spaces and dashes allowed) → 6 digits, or null. */
const asTotpCode = (raw: string): string | null => {
  const code = raw.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : null;
};

/** The time step a good code was made for (±1 of now), or null. */
function stepOf(h: Hearth, username: string, base32: string, code: string): number | null {
  const now = h.clock.now();
  const delta = totpFor(h, username, base32).validate({ token: code, timestamp: now, window: DRIFT_STEPS });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD) + delta;
}

/** 80 random bits in 16 base32 characters, shown as four groups: `abcd-efgh-ijkl-mnop`. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join('-');
}

/** A recovery code as typed → its stored form (lower case, no dashes or spaces). */
const normalizeRecoveryCode = (raw: string) => raw.replace(/[\s-]/g, '').toLowerCase();

/** Ten new recovery codes for the account, in `db`; the old ones end. Answers them (shown once). */
async function newRecoveryCodes(db: Db, accountId: string, now: number): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await repo.replaceRecoveryCodes(
    db,
    accountId,
    codes.map((c) => ({ id: newId(), code_hash: tokenHash(normalizeRecoveryCode(c)) })),
    now,
  );
  return codes;
}

// ---- what an account has --------------------------------------------------------------------

/** The second factors an account has, in the order a sign-in offers them; empty: none. */
export async function methodsOf(h: Hearth, accountId: string): Promise<Method[]> {
  const row = await repo.find(h.store.db, accountId);
  const methods: Method[] = [];
  if (row?.totp_secret) methods.push('totp');
  if ((await repo.countPasskeys(h.store.db, accountId)) > 0) methods.push('passkey');
  if (methods.length && (await repo.recoveryCodesLeft(h.store.db, accountId)) > 0) methods.push('recovery');
  return methods;
}

export const needSecondFactor = (methods: Method[], extra: Record<string, unknown> = {}) => {
  const ways = [methods.includes('totp') && 'a code from the authenticator app', methods.includes('recovery') && 'a recovery code'].filter(Boolean);
  const passkey = methods.includes('passkey') ? (ways.length ? ' (or, in the console, use a passkey)' : ' (in the console: use a passkey)') : '';
  return new HearthError('user:needSecondFactor', `this account has a second factor: send otp, ${ways.join(' or ') || 'a recovery code'}${passkey}`, {
    methods,
    ...extra,
  });
};

/**
 * Checks a code (an authenticator code, or a recovery code, which is then spent) for an account
 * with a second factor; true when it is good. Runs inside the caller's failed-login limits.
 */
export async function verifyCode(h: Hearth, account: Account, raw: string): Promise<boolean> {
  if (raw.length > 100) return false;
  const row = await repo.find(h.store.db, account.id);
  const code = asTotpCode(raw);
  if (code !== null) {
    if (!row?.totp_secret) return false;
    const step = stepOf(h, account.username, unseal(h, account.id, row.totp_secret), code);
    return step !== null && (await repo.useStep(h.store.db, account.id, step));
  }
  const normalized = normalizeRecoveryCode(raw);
  if (!/^[a-z2-7]{16}$/.test(normalized)) return false;
  return repo.spendRecoveryCode(h.store.db, account.id, tokenHash(normalized), h.clock.now());
}

/**
 * The second-factor check a password sign-in runs once the password is right (see
 * `checkLogin`): an account without a factor goes on; with one, no `otp` asks for it
 * (`user:needSecondFactor`, listing the methods), a wrong one is a failure.
 */
export function secondFactor(h: Hearth, second: SecondFactorGiven): SecondFactorCheck {
  return async (account) => {
    const methods = await methodsOf(h, account.id);
    if (methods.length === 0) return null;
    const { otp, passkey } = second;
    if (passkey !== undefined && passkey !== null) {
      if ((await (await passkeys()).verifyAssertion(h, account.id, passkey)) === account.id) return null;
      return new HearthError('user:badLogin', 'the passkey did not sign in (not one of this account, or it took more than 5 minutes): try again');
    }
    if (otp === undefined || otp === null || otp.trim() === '') {
      // The console gets a passkey challenge with the question (only ever after the right password).
      const extra = second.console && methods.includes('passkey') ? { passkey: await (await passkeys()).authenticationOptions(h, account.id) } : {};
      return needSecondFactor(methods, extra);
    }
    if (await verifyCode(h, account, otp)) return null;
    return new HearthError('user:badLogin', 'wrong or already used code: wait for the next code from the authenticator app, or use an unused recovery code');
  };
}

/** The second factor a sign-in came with: a code, or (the console) a passkey's answer. */
export interface SecondFactorGiven {
  otp?: string | null;
  passkey?: unknown;
  /** The console, which can use a passkey: the question carries a challenge. */
  console?: boolean;
}

/** Checks a password and, where the account has one, its second factor (native and console sign-in). */
export const checkSignIn = (h: Hearth, username: string, pass: string, second: SecondFactorGiven, from: From): Promise<Account> =>
  checkLogin(h, username, pass, from, secondFactor(h, second));

/**
 * Signs in with a passkey alone (a discoverable credential, the user verified by the
 * authenticator), under the failed-login limits: the account it belongs to.
 */
export async function signInWithPasskey(h: Hearth, response: unknown, from: From): Promise<Account> {
  const accountId = await guarded(
    h,
    { ...from, username: '(passkey)', accountId: null },
    async () => (await passkeys()).verifyAssertion(h, null, response),
    () => new HearthError('user:badLogin', 'the passkey did not sign in (unknown here, or it took more than 5 minutes): try again'),
  );
  const account = await accountById(h, accountId);
  if (!account) throw new HearthError('user:badLogin', 'the passkey belongs to no account any more');
  return account;
}

// ---- the commands' work ---------------------------------------------------------------------

const ownOnly = (principal: Principal) =>
  ownAccount(principal, 'second factors belong to accounts; this credential has none: sign in as the account (bonafide/user/authenticate)');

/** `2fa/totp/setup`: a new secret, pending until `enable` gets a code from it. */
export async function setupTotp(h: Hearth, principal: Principal) {
  const who = ownOnly(principal);
  const row = await repo.find(h.store.db, who.id);
  if (row?.totp_secret) throw new HearthError('conflict', 'an authenticator is enabled already; disable it first (2fa/totp/disable) to set up another');
  const secret = new Secret({ size: 20 }).base32;
  const now = h.clock.now();
  await repo.upsert(h.store.db, who.id, { pending_secret: seal(h, who.id, secret), pending_at: now });
  const uri = totpFor(h, who.username, secret).toString();
  return {
    secret,
    uri,
    qr: await (await import('qrcode')).default.toDataURL(uri, { margin: 1, width: 240 }),
    expires_at: new Date(now + PENDING_TTL_MS).toISOString(),
  };
}

/** `2fa/totp/enable`: the set-up secret becomes the account's authenticator; ten recovery codes, shown once. */
export async function enableTotp(h: Hearth, principal: Principal, code: string, from: From) {
  const who = ownOnly(principal);
  const row = await repo.find(h.store.db, who.id);
  if (row?.totp_secret) throw new HearthError('conflict', 'an authenticator is enabled already');
  if (!row?.pending_secret || row.pending_at === null || row.pending_at + PENDING_TTL_MS <= h.clock.now()) {
    throw badRequest('no authenticator is being set up (or it waited more than an hour): call 2fa/totp/setup first');
  }
  const secret = unseal(h, who.id, row.pending_secret);
  const step = await guarded(
    h,
    { ...from, username: who.username, accountId: who.id },
    async () => {
      const c = asTotpCode(code);
      return c === null ? null : stepOf(h, who.username, secret, c);
    },
    () => badRequest('that code is not from the authenticator just set up: check the time on the phone, and type the current code'),
  );
  const now = h.clock.now();
  const codes = await h.store.db.transaction().execute(async (tx) => {
    await repo.upsert(tx, who.id, {
      totp_secret: row.pending_secret,
      totp_enabled_at: now,
      totp_last_step: step,
      pending_secret: null,
      pending_at: null,
    });
    await repo.deleteRemembers(tx, who.id);
    return newRecoveryCodes(tx, who.id, now);
  });
  return { enabled: true, recovery_codes: codes };
}

/**
 * `2fa/totp/disable`: the account's own needs its password and a current code (or a recovery
 * code); a maintainer resetting another account (who lost their phone) needs neither, and the
 * reset is written to the login log.
 */
export async function disableTotp(h: Hearth, principal: Principal, p: { username?: string; password: string; code?: string }, from: From) {
  const target = p.username ? normalizeUsername(h, p.username) : undefined;
  const own = target === undefined || target === principal.account?.username;
  let account: Account;
  if (own) {
    const who = ownOnly(principal);
    if (!p.password || !p.code) throw badRequest('to turn the authenticator off, give password and code (a current code or a recovery code)');
    if ((await methodsOf(h, who.id)).length === 0) throw badRequest('this account has no authenticator enabled');
    account = await checkLogin(h, who.username, p.password, from, async (a) =>
      (await verifyCode(h, a, p.code!)) ? null : new HearthError('user:badLogin', 'wrong or already used code'),
    );
  } else {
    if (!roleCovers(principal.role, 'maintainer') || principal.credential.kind === 'role') {
      throw new HearthError('forbidden', "only a maintainer may reset another account's second factor");
    }
    // A maintainer signed in as an account confirms with that account's password (the global token has none).
    if (principal.account) {
      if (!p.password) throw badRequest("to reset another account's authenticator, give your own password");
      await checkLogin(h, principal.account.username, p.password, from);
    }
    account = await getAccount(h, target);
    if ((await methodsOf(h, account.id)).length === 0) throw badRequest(`${account.username} has no authenticator enabled`);
    await logEvent(
      h,
      { ...from, username: account.username, accountId: account.id },
      true,
      `2fa reset by ${principal.account?.username ?? "the owner's global token"}`,
    );
  }
  await h.store.db.transaction().execute(async (tx) => {
    await repo.upsert(tx, account.id, { totp_secret: null, totp_enabled_at: null, totp_last_step: null, pending_secret: null, pending_at: null });
    // Recovery codes stay while passkeys do: they are the way in where a passkey cannot be used.
    if ((await repo.countPasskeys(tx, account.id)) === 0) await repo.deleteRecoveryCodes(tx, account.id);
    await repo.deleteRemembers(tx, account.id);
  });
  return { username: account.username, totp: false };
}

/** `2fa/recovery/regenerate`: ten new recovery codes (the old ones end); needs the password. */
export async function regenerateRecoveryCodes(h: Hearth, principal: Principal, password: string, from: From) {
  const who = ownOnly(principal);
  if ((await methodsOf(h, who.id)).length === 0) throw badRequest('recovery codes come with a second factor: set up an authenticator or a passkey first');
  await checkLogin(h, who.username, password, from);
  return { recovery_codes: await newRecoveryCodes(h.store.db, who.id, h.clock.now()) };
}

export interface TwoFactorStatus {
  username: string;
  totp: boolean;
  totp_enabled_at: string | null;
  /** An authenticator set up and waiting for its first code. */
  totp_pending: boolean;
  recovery_codes_left: number;
  passkeys: number;
  methods: Method[];
}

/** `2fa/status`: the caller's own (or, for a maintainer, a named account's) second factors. */
export async function status(h: Hearth, principal: Principal, username?: string): Promise<TwoFactorStatus> {
  let account: { id: string; username: string };
  if (username && normalizeUsername(h, username) !== principal.account?.username) {
    if (!roleCovers(principal.role, 'maintainer')) throw new HearthError('forbidden', "only a maintainer may see another account's second factors");
    account = await getAccount(h, normalizeUsername(h, username));
  } else {
    account = ownOnly(principal);
  }
  const row = await repo.find(h.store.db, account.id);
  const now = h.clock.now();
  return {
    username: account.username,
    totp: Boolean(row?.totp_secret),
    totp_enabled_at: isoOrNull(row?.totp_enabled_at ?? null),
    totp_pending: Boolean(row?.pending_secret && row.pending_at !== null && row.pending_at + PENDING_TTL_MS > now),
    recovery_codes_left: await repo.recoveryCodesLeft(h.store.db, account.id),
    passkeys: await repo.countPasskeys(h.store.db, account.id),
    methods: await methodsOf(h, account.id),
  };
}

/** `2fa/list`: every account and which second factors it has (for the maintainer's user table). */
export async function listFactors(h: Hearth) {
  const accounts = await listAccounts(h);
  const enabled = await repo.enabledAmong(
    h.store.db,
    accounts.map((a) => a.id),
  );
  return Promise.all(accounts.map(async (a) => ({ username: a.username, totp: enabled.has(a.id), passkeys: await repo.countPasskeys(h.store.db, a.id) })));
}

// ---- passkeys (the console) -----------------------------------------------------------------

/** `2fa/passkey/options`: what the browser needs to make a passkey for the caller's account. */
export const passkeyRegistrationOptions = async (h: Hearth, principal: Principal) => (await passkeys()).registrationOptions(h, ownOnly(principal));

/**
 * `2fa/passkey/register`: keeps the passkey the browser made. The account's first second factor
 * comes with ten recovery codes (shown once), as an authenticator's does.
 */
export async function registerPasskey(h: Hearth, principal: Principal, name: string, response: unknown) {
  const who = ownOnly(principal);
  const hadFactor = (await methodsOf(h, who.id)).length > 0;
  const row = await (await passkeys()).register(h, who, name, response);
  const recovery_codes = hadFactor ? [] : await newRecoveryCodes(h.store.db, who.id, h.clock.now());
  return { passkey: passkeyView(row), recovery_codes };
}

const passkeyView = (r: { id: string; name: string; created_at: number; last_used_at: number | null }) => ({
  id: r.id,
  name: r.name,
  created_at: new Date(r.created_at).toISOString(),
  last_used_at: isoOrNull(r.last_used_at),
});

export async function listPasskeys(h: Hearth, principal: Principal) {
  return (await repo.passkeysOf(h.store.db, ownOnly(principal).id)).map(passkeyView);
}

/** `2fa/passkey/remove`; with the last factor gone, the recovery codes go too. */
export async function removePasskey(h: Hearth, principal: Principal, id: string) {
  const who = ownOnly(principal);
  await h.store.db.transaction().execute(async (tx) => {
    if (!(await repo.deletePasskey(tx, who.id, id))) throw notFound(`no passkey ${id} on this account`);
    const row = await repo.find(tx, who.id);
    if (!row?.totp_secret && (await repo.countPasskeys(tx, who.id)) === 0) await repo.deleteRecoveryCodes(tx, who.id);
  });
  return { removed: id };
}

/** `web/passkey/options`: a challenge for signing in with a passkey alone. */
export const passkeyLoginOptions = async (h: Hearth) => (await passkeys()).authenticationOptions(h, null);

// ---- Bitwarden's remember-this-device ---------------------------------------------------------

/** A remember token for a client device: 30 days, ends with the account's security stamp. */
export async function rememberDevice(h: Hearth, account: Account, device: string): Promise<string> {
  const token = randomSecret(32);
  const now = h.clock.now();
  await repo.insertRemember(h.store.db, {
    token_hash: tokenHash(token),
    account_id: account.id,
    device: device.slice(0, 100),
    stamp: account.securityStamp,
    created_at: now,
    expires_at: now + REMEMBER_TTL_MS,
  });
  return token;
}

/**
 * The second factor of a Bitwarden token request: `factor` when the account has one and it was
 * met; `refused` is `user:needSecondFactor` when none (or a stale remember token) came, and a
 * failure for a wrong code.
 */
export async function bitwardenSecondFactor(
  h: Hearth,
  account: Account,
  device: string,
  tf: { token?: string | null; provider?: string | null },
): Promise<{ factor: boolean; refused: HearthError | null }> {
  const methods = await methodsOf(h, account.id);
  if (methods.length === 0) return { factor: false, refused: null };
  const token = tf.token?.trim();
  if (!token) return { factor: false, refused: needSecondFactor(methods) };
  const provider = tf.provider ?? '0';
  // A remember token that has ended (30 days, or a new security stamp) asks for a code again.
  if (provider === '5')
    return (await isRemembered(h, account, device, token)) ? { factor: true, refused: null } : { factor: false, refused: needSecondFactor(methods) };
  if (provider !== '0' && provider !== '8') {
    return { factor: false, refused: new HearthError('user:badLogin', `two-step login provider ${provider} is not offered here: use 0 (authenticator app)`) };
  }
  if (await verifyCode(h, account, token)) return { factor: true, refused: null };
  return { factor: false, refused: new HearthError('user:badLogin', 'Invalid TOTP code. Try again.') };
}

/** Whether a remember token is good for this account and device (and its security stamp now). */
export async function isRemembered(h: Hearth, account: Account, device: string, token: string): Promise<boolean> {
  if (token.length > 200) return false;
  const row = await repo.findRemember(h.store.db, tokenHash(token));
  return Boolean(
    row && row.account_id === account.id && row.device === device.slice(0, 100) && row.stamp === account.securityStamp && row.expires_at > h.clock.now(),
  );
}
