/**
 * Passkeys (WebAuthn) for the console, with @simplewebauthn/server: the relying party is the host
 * of the public URL (`localhost` when that is a loopback address, as in development: browsers
 * refuse IP addresses), and the origins the console is served at. Only public keys are stored;
 * every challenge is kept a few minutes and spent by its first answer.
 */
import { isIP } from 'node:net';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { badRequest } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import * as repo from './repo.js';

const CHALLENGE_TTL_MS = 5 * 60_000;
const MAX_PASSKEYS = 20;

export type ChallengePurpose = 'register' | 'second' | 'login';

/** The relying party: its id (a host name) and the origins a response may come from. */
export function relyingParty(h: Hearth): { id: string; origins: string[] } {
  const publicUrl = new URL(h.publicUrl ?? 'http://localhost');
  const host = publicUrl.hostname.replace(/^\[|\]$/g, '');
  const id = isIP(host) !== 0 ? 'localhost' : host;
  const origins = new Set([publicUrl.origin]);
  if (id === 'localhost') {
    // In development the console is reached as localhost, on whichever port serves it.
    for (const url of [h.publicUrl, h.httpUrl, h.tls?.url]) {
      if (!url) continue;
      const u = new URL(url);
      u.hostname = 'localhost';
      origins.add(u.origin);
    }
  }
  return { id, origins: [...origins] };
}

const transportsOf = (row: repo.PasskeyRow) => (row.transports ? row.transports.split(',') : []) as ('usb' | 'nfc' | 'ble' | 'internal' | 'hybrid')[];

/** The challenge a response answers (from its clientDataJSON), or null. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | null {
  try {
    const json = JSON.parse(Buffer.from(String(response.response?.clientDataJSON ?? ''), 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof json.challenge === 'string' && json.challenge.length <= 200 ? json.challenge : null;
  } catch {
    return null;
  }
}

async function keepChallenge(h: Hearth, challenge: string, purpose: ChallengePurpose, accountId: string | null): Promise<void> {
  const now = h.clock.now();
  await repo.insertChallenge(h.store.db, { challenge, purpose, account_id: accountId, expires_at: now + CHALLENGE_TTL_MS }, now);
}

/** Spends the challenge a response answers; its value, or null when it is unknown, spent, expired or another's. */
async function spend(h: Hearth, response: unknown, purpose: ChallengePurpose, accountId: string | null): Promise<string | null> {
  const challenge = challengeOf(response as { response?: { clientDataJSON?: unknown } });
  if (!challenge) return null;
  return (await repo.spendChallenge(h.store.db, challenge, purpose, accountId, h.clock.now())) ? challenge : null;
}

// ---- registering ---------------------------------------------------------------------------

/** Options for `navigator.credentials.create`: a discoverable credential where the authenticator can. */
export async function registrationOptions(h: Hearth, account: { id: string; username: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await repo.passkeysOf(h.store.db, account.id);
  if (existing.length >= MAX_PASSKEYS) throw badRequest(`an account holds at most ${MAX_PASSKEYS} passkeys; remove one first`);
  const rp = relyingParty(h);
  const options = await generateRegistrationOptions({
    rpName: `Hearth (${h.config.server.domain})`,
    rpID: rp.id,
    userName: `${account.username}@${h.config.server.domain}`,
    userDisplayName: account.username,
    userID: Buffer.from(account.id, 'utf8'),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: transportsOf(p) })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await keepChallenge(h, options.challenge, 'register', account.id);
  return options;
}

/** Checks a registration response against its challenge, and keeps the passkey under `name`. */
export async function register(h: Hearth, account: { id: string }, name: string, response: unknown): Promise<repo.PasskeyRow> {
  const label = name.trim();
  if (label.length < 1 || label.length > 64) throw badRequest('name the passkey: 1 to 64 characters, e.g. "laptop" or "phone"');
  const challenge = await spend(h, response, 'register', account.id);
  if (!challenge) throw badRequest('the passkey answered no challenge of this account (or it waited more than 5 minutes): start again');
  const rp = relyingParty(h);
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: false,
    });
  } catch (err) {
    throw badRequest(`the passkey could not be checked: ${(err as Error).message}`);
  }
  if (!verified.verified) throw badRequest('the passkey could not be verified');
  const { credential } = verified.registrationInfo;
  if (await repo.passkeyById(h.store.db, credential.id)) throw badRequest('this passkey is registered already');
  const row: repo.PasskeyRow = {
    id: credential.id,
    account_id: account.id,
    name: label,
    public_key: Buffer.from(credential.publicKey).toString('base64url'),
    counter: credential.counter,
    transports: (credential.transports ?? []).join(','),
    created_at: h.clock.now(),
    last_used_at: null,
  };
  await repo.insertPasskey(h.store.db, row);
  return row;
}

// ---- signing in ----------------------------------------------------------------------------

/**
 * Options for `navigator.credentials.get`: for a second factor, the account's passkeys; for a
 * sign-in with a passkey alone (`accountId` null), any discoverable one, with user verification.
 */
export async function authenticationOptions(h: Hearth, accountId: string | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const rp = relyingParty(h);
  const mine = accountId ? await repo.passkeysOf(h.store.db, accountId) : [];
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: mine.map((p) => ({ id: p.id, transports: transportsOf(p) })),
    userVerification: accountId ? 'preferred' : 'required',
  });
  await keepChallenge(h, options.challenge, accountId ? 'second' : 'login', accountId);
  return options;
}

/**
 * Checks an assertion: for a second factor, by one of `accountId`'s passkeys; for a passkey
 * alone (`accountId` null), by any, with the user verified. Answers the account it proves, or null.
 */
export async function verifyAssertion(h: Hearth, accountId: string | null, response: unknown): Promise<string | null> {
  const r = response as AuthenticationResponseJSON | null;
  if (!r || typeof r !== 'object' || typeof r.id !== 'string' || r.id.length > 1400) return null;
  const challenge = await spend(h, r, accountId ? 'second' : 'login', accountId);
  if (!challenge) return null;
  const row = await repo.passkeyById(h.store.db, r.id);
  if (!row || (accountId !== null && row.account_id !== accountId)) return null;
  const rp = relyingParty(h);
  try {
    const result = await verifyAuthenticationResponse({
      response: r,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      credential: { id: row.id, publicKey: Buffer.from(row.public_key, 'base64url'), counter: Number(row.counter), transports: transportsOf(row) },
      requireUserVerification: accountId === null,
    });
    if (!result.verified) return null;
    await repo.usePasskey(h.store.db, row.id, result.authenticationInfo.newCounter, h.clock.now());
    return row.account_id;
  } catch {
    return null;
  }
}
