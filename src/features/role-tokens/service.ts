/**
 * Role tokens for automation (Swarm Bee's restricted API, done better): `POST /auth` with the
 * admin password gives a stateless token carrying an id, a role, its issue time, its expiry and
 * the start of its refresh chain, sealed with AES-256-GCM under a key derived by HKDF from
 * `[security] token_encryption_key`, so replicas sharing that key accept each other's tokens.
 * Issued ids are recorded in the store: `token/list` shows them and `token/revoke` (or a refresh)
 * ends one before its expiry on every replica. Rotating the key ends them all.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { verifyPassword } from '../../auth/passwords.js';
import type { Principal } from '../../auth/principal.js';
import { isRole, ROLES, roleCovers, type Role } from '../../auth/roles.js';
import { newId } from '../../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { then, type MaybePromise } from '../../store/db.js';
import { guarded, type From } from '../limits/service.js';
import * as repo from './repo.js';

export const ROLE_TOKEN_PREFIX = 'hr_';
const VERSION = 1;
const AAD = Buffer.from('hearth role token v1');

/** The AES-256 key for role tokens, from the configured (or home-kept) secret. */
export function deriveRoleTokenKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('hearth'), Buffer.from('role tokens: aes-256-gcm v1'), 32));
}

interface Claims {
  v: number;
  jti: string;
  role: Role;
  iat: number;
  exp: number;
  /** When the first token of this refresh chain was issued. */
  chain: number;
}

function seal(key: Buffer, claims: Claims): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const body = Buffer.concat([cipher.update(JSON.stringify(claims), 'utf8'), cipher.final()]);
  return ROLE_TOKEN_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The claims of a token sealed under `key`, or null if it is malformed, tampered or another key's. */
function open(key: Buffer, token: string): Claims | null {
  if (!token.startsWith(ROLE_TOKEN_PREFIX) || token.length > 1024) return null;
  const raw = Buffer.from(token.slice(ROLE_TOKEN_PREFIX.length), 'base64url');
  if (raw.length < 12 + 16 + 2) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(AAD);
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    const c = JSON.parse(text) as Claims;
    if (c.v !== VERSION || typeof c.jti !== 'string' || !isRole(c.role) || !Number.isFinite(c.exp) || !Number.isFinite(c.chain)) return null;
    return c;
  } catch {
    return null;
  }
}

/** Opened tokens by their text, per key: opening (AES-GCM, JSON) costs more than the store read beside it. */
const opened = new WeakMap<Buffer, Map<string, Claims>>();
const OPENED_MAX = 1000;

/** `open`, remembered: a token's claims never change (whether it was revoked is asked of the store each time). */
function openCached(key: Buffer, token: string): Claims | null {
  let byToken = opened.get(key);
  if (!byToken) opened.set(key, (byToken = new Map()));
  const known = byToken.get(token);
  if (known) return known;
  const claims = open(key, token);
  if (claims) {
    if (byToken.size >= OPENED_MAX) byToken.delete(byToken.keys().next().value!);
    byToken.set(token, claims);
  }
  return claims;
}

/**
 * The principal a role token stands for, or throws user:badAuth saying why it does not. Whether
 * it was revoked is one prepared read of the store per request (synchronous on SQLite), so a
 * revocation on any replica is seen on the very next request.
 */
export function principalForRoleToken(h: Hearth, token: string): MaybePromise<Principal> {
  const claims = openCached(h.roleTokenKey, token);
  if (!claims) throw new HearthError('user:badAuth', 'the role token is not valid here (malformed, altered, or made with another key)');
  if (claims.exp <= h.clock.now()) throw new HearthError('user:badAuth', 'the role token has expired; get a new one from /auth or /refresh');
  return then(repo.revocationOf.first(h.store, claims.jti), (row) => {
    // Every token this store issued has its row until it expires: one without (a store restored
    // from an older backup, another store under the same key) is not this server's to honour.
    if (!row) throw new HearthError('user:badAuth', "the role token was not issued by this server's store");
    if (row.revoked_at !== null) throw new HearthError('user:badAuth', 'the role token has been revoked');
    return { credential: { kind: 'role', id: claims.jti }, account: null, role: claims.role, owner: false };
  });
}

export interface IssueRequest {
  role?: unknown;
  expiry?: unknown;
  /** What the token is for (at most 100 characters); a refresh keeps the old one unless given. */
  label?: string;
}

const MAX_LABEL = 100;

function checkLabel(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const trimmed = label.trim();
  if (trimmed.length > MAX_LABEL) throw badRequest(`label must be at most ${MAX_LABEL} characters`);
  return trimmed;
}

function checkRole(role: unknown): Role {
  if (!isRole(role)) throw badRequest(`role must be one of ${ROLES.join(', ')}; got ${JSON.stringify(role)}`);
  return role;
}

function checkExpiry(expiry: unknown): number {
  if (typeof expiry !== 'number' || !Number.isInteger(expiry) || expiry <= 0) {
    throw badRequest(`expiry must be a positive whole number of seconds; got ${JSON.stringify(expiry)}`);
  }
  return expiry;
}

export interface IssuedToken {
  key: string;
  id: string;
  role: Role;
  label: string;
  expires_at: string;
}

async function issue(h: Hearth, role: Role, expirySeconds: number, chain: number, label: string, revokes?: string): Promise<IssuedToken> {
  const now = h.clock.now();
  const ttl = Math.min(expirySeconds, h.config.security.max_token_ttl) * 1000;
  const chainEnd = chain + h.config.security.max_token_chain * 1000;
  const exp = Math.min(now + ttl, chainEnd);
  if (exp <= now) throw new HearthError('user:badAuth', "this token's refresh chain has reached [security] max_token_chain; get a new one from /auth");
  const claims: Claims = { v: VERSION, jti: newId(), role, iat: now, exp, chain };
  await h.store.db.transaction().execute(async (tx) => {
    if (revokes) {
      // Only one refresh of a token wins, however many race (a token revoked meanwhile gets nothing).
      if (!(await repo.revoke(tx, revokes, now))) throw new HearthError('user:badAuth', 'the role token has been revoked');
    }
    await repo.insert(tx, { id: claims.jti, role, issued_at: now, expires_at: exp, chain_started_at: chain, revoked_at: null, label });
  });
  return { key: seal(h.roleTokenKey, claims), id: claims.jti, role, label, expires_at: new Date(exp).toISOString() };
}

/** A new chain: for `/auth` (after the admin password) and the owner's `token/create`. */
export async function issueRoleToken(h: Hearth, req: IssueRequest): Promise<IssuedToken> {
  const role = checkRole(req.role);
  return issue(h, role, checkExpiry(req.expiry), h.clock.now(), checkLabel(req.label) ?? '');
}

/**
 * Swarm Bee's /refresh: a new token for the presented one, which is revoked at once. The role may
 * be lowered, never raised; the chain keeps its start, so refreshing cannot go on forever.
 */
export async function refreshRoleToken(h: Hearth, principal: Principal, token: string, req: IssueRequest): Promise<IssuedToken> {
  if (principal.credential.kind !== 'role') throw new HearthError('user:badAuth', '/refresh takes a role token from /auth as Bearer');
  const claims = open(h.roleTokenKey, token)!;
  const role = req.role === undefined ? claims.role : checkRole(req.role);
  if (!roleCovers(claims.role, role)) throw new HearthError('forbidden', `a ${claims.role} token cannot be refreshed into a ${role} token`);
  const expiry = req.expiry === undefined ? Math.round((claims.exp - claims.iat) / 1000) : checkExpiry(req.expiry);
  const label = checkLabel(req.label) ?? (await repo.find(h.store.db, claims.jti))?.label ?? '';
  return issue(h, role, expiry, claims.chain, label, claims.jti);
}

/** Role tokens not yet expired, newest first. */
export async function listRoleTokens(h: Hearth) {
  const rows = await repo.live(h.store.db, h.clock.now());
  return rows.map((r) => ({
    id: r.id,
    role: r.role,
    label: r.label,
    issued_at: new Date(r.issued_at).toISOString(),
    expires_at: new Date(r.expires_at).toISOString(),
    chain_started_at: new Date(r.chain_started_at).toISOString(),
    revoked: r.revoked_at !== null,
  }));
}

/** The shortest id prefix a token may be named by (what the console and `token list` show). */
export const MIN_ID_PREFIX = 8;
/** An id or a prefix of one: hex digits and dashes only, so no LIKE wildcard gets into the lookup. */
const ID_OR_PREFIX = new RegExp(`^[0-9a-f-]{${MIN_ID_PREFIX},36}$`);

/** A token's whole id from its id or a prefix of it (as the console shows it); 404 unknown, 400 ambiguous. */
async function resolveId(h: Hearth, idOrPrefix: string): Promise<string> {
  const wanted = idOrPrefix.trim().toLowerCase();
  if (!ID_OR_PREFIX.test(wanted)) {
    throw notFound(`no role token ${idOrPrefix}: give its id, or at least its first ${MIN_ID_PREFIX} characters, as token/list shows them`);
  }
  const ids = await repo.idsStartingWith(h.store.db, wanted, 2);
  if (ids.length === 0) throw notFound(`no role token ${idOrPrefix}`);
  if (ids.length > 1) throw badRequest(`${idOrPrefix} is the start of more than one token's id: give more of it`);
  return ids[0]!;
}

/** Ends a role token (named by its id or a prefix of at least 8 characters); answers its whole id. */
export async function revokeRoleToken(h: Hearth, idOrPrefix: string): Promise<string> {
  const db = h.store.db;
  const id = await resolveId(h, idOrPrefix);
  await repo.revoke(db, id, h.clock.now());
  // Expired ids are no use to anyone: forget them.
  await repo.deleteExpired(db, h.clock.now());
  return id;
}

/** The admin password (Swarm Bee's): its hash lives in config; `/auth` checks it under the login limits. */
export async function checkAdminPassword(h: Hearth, password: string, from: From): Promise<void> {
  const hash = h.config.security.admin_password_hash;
  if (!hash) throw new HearthError('user:badLogin', 'no admin password is set: put a hash from "hearth admin hash-password" in [security] admin_password_hash');
  await guarded(
    h,
    { ...from, username: 'admin', accountId: 'admin' },
    async () => ((await verifyPassword(hash, password)) ? true : null),
    () => new HearthError('user:badLogin', 'wrong admin password'),
  );
}
