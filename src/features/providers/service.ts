/**
 * Providers (Bitmask's bonafide/provider): every Hearth describes itself in a provider document
 * (`/provider.json`), and keeps a list of known providers. Adding one fetches its document over
 * HTTPS, fetches its CA from the document's `ca_cert_uri`, checks the CA against the document's
 * fingerprint (and against the one the owner gives), and pins it: later fetches trust that CA
 * only, and a provider whose CA changed is refused until the owner confirms the new fingerprint.
 * A provider whose certificate no public CA signs is never trusted on first sight: the owner is
 * shown its CA's fingerprint to check and pass back.
 */
import type { Principal } from '../../auth/principal.js';
import { roleCovers } from '../../auth/roles.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { API_VERSION } from '../../kernel/version.js';
import * as repo from './repo.js';
import type { ProviderRow } from './repo.js';
import { sealSecret, unsealSecret } from '../two-factor/service.js';
import { CertificateError, httpsGet, normalizeFingerprint, pemFingerprint } from './remote.js';

const FETCH_TIMEOUT_MS = 10_000;
const MAX_DOCUMENT = 256 * 1024;
const MAX_CA = 64 * 1024;

export interface ProviderDocument {
  api_uri: string;
  api_version: string;
  ca_cert_fingerprint: string | null;
  ca_cert_uri: string | null;
  default_language: string;
  description: Record<string, string>;
  domain: string;
  enrollment_policy: 'open' | 'invite' | 'closed';
  languages: string[];
  name: Record<string, string>;
  service: Record<string, unknown>;
  services: string[];
}

/** This Hearth's own provider document, from its config and what is enabled. */
export function providerDocument(h: Hearth): ProviderDocument {
  const url = h.publicUrl ?? '';
  const { domain } = h.config.server;
  const registration = h.config.accounts.registration;
  const mail = h.config.mail;
  const services = ['vault', ...(mail.smtp_host || mail.imap_host ? ['mx'] : []), ...(h.config.services.docs ? ['docs'] : [])];
  return {
    api_uri: url,
    api_version: API_VERSION,
    // The CA that signs HTTPS here: the local CA's (served at /ca.pem), or the configured certificate's.
    ca_cert_fingerprint: h.tls?.ca_cert_fingerprint ?? null,
    ca_cert_uri: h.tls?.ca_cert_path && url ? `${url}/ca.pem` : null,
    default_language: 'en',
    description: { en: `Hearth at ${domain}: accounts, devices, a password vault and mail` },
    domain,
    enrollment_policy: registration,
    languages: ['en'],
    name: { en: domain },
    service: {
      allow_anonymous: false,
      allow_free: true,
      allow_limited_bandwidth: false,
      allow_paid: false,
      allow_registration: registration !== 'closed',
      allow_unlimited_bandwidth: true,
      default_service_level: 1,
      levels: { '1': { description: 'An account on this server', name: 'free' } },
    },
    services,
  };
}

export interface ProviderView {
  domain: string;
  url: string;
  ca_cert_fingerprint: string;
  created_at: string;
  refreshed_at: string;
}

const view = (r: ProviderRow): ProviderView => ({
  domain: r.domain,
  url: r.url,
  ca_cert_fingerprint: r.ca_fingerprint,
  created_at: new Date(r.created_at).toISOString(),
  refreshed_at: new Date(r.refreshed_at).toISOString(),
});

const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** `example.org` → https://example.org; `https://host:port` as given (no path). Anything else: 400. */
function baseUrl(raw: string): { base: string; plainDomain: string | null } {
  const given = raw.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
    let u: URL;
    try {
      u = new URL(given);
    } catch {
      throw badRequest(`domain: ${JSON.stringify(raw)} is not a URL`);
    }
    if (u.protocol !== 'https:') throw badRequest('domain: a provider is fetched over HTTPS only; give an https:// URL or a domain name');
    if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password) {
      throw badRequest("domain: give the provider's https:// URL without a path, e.g. https://example.org:4430");
    }
    return { base: u.origin, plainDomain: null };
  }
  const domain = given.toLowerCase();
  if (!DOMAIN.test(domain) || domain.length > 253)
    throw badRequest(`domain must be a domain name (example.org) or an https:// URL; got ${JSON.stringify(raw)}`);
  return { base: `https://${domain}`, plainDomain: domain };
}

async function get(url: string, opts: { ca?: string; insecure?: boolean }, maxBytes: number, what: string): Promise<string> {
  let r;
  try {
    r = await httpsGet(url, { ...opts, timeoutMs: FETCH_TIMEOUT_MS, maxBytes });
  } catch (err) {
    if (err instanceof CertificateError) throw err;
    throw badRequest(`cannot fetch ${what} from ${url}: ${(err as Error).message}`);
  }
  if (r.status !== 200) throw badRequest(`cannot fetch ${what} from ${url}: it answered HTTP ${r.status}`);
  return r.body;
}

function parseDocument(body: string, url: string): ProviderDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw badRequest(`${url} is not a provider document (not JSON)`);
  }
  const d = doc as Partial<ProviderDocument> | null;
  if (!d || typeof d !== 'object' || typeof d.domain !== 'string' || typeof d.ca_cert_uri !== 'string' || typeof d.ca_cert_fingerprint !== 'string') {
    throw badRequest(`${url} is not a provider document: it lacks domain, ca_cert_uri or ca_cert_fingerprint`);
  }
  return d as ProviderDocument;
}

async function fetchCa(uri: string, opts: { ca?: string; insecure?: boolean }): Promise<{ pem: string; fingerprint: string }> {
  if (!uri.startsWith('https://')) throw badRequest(`the provider's ca_cert_uri ${uri} is not https://`);
  const pem = await get(uri, opts, MAX_CA, 'the CA certificate');
  const fingerprint = pemFingerprint(pem);
  if (!fingerprint) throw badRequest(`${uri} does not hold a PEM certificate`);
  return { pem, fingerprint };
}

export interface CreateRequest {
  domain: string;
  /** The expected CA's SHA-256, as `core/status` and the pairing link show it. */
  fingerprint?: string;
}

/**
 * Fetches, checks and stores (or refreshes) a provider. Nothing is stored unless every check
 * passes; every refusal is a 4xx that says what to do.
 */
export async function createProvider(h: Hearth, req: CreateRequest): Promise<ProviderView & { document: ProviderDocument }> {
  const { base, plainDomain } = baseUrl(req.domain);
  let expected: string | null = null;
  if (req.fingerprint !== undefined && req.fingerprint !== '') {
    expected = normalizeFingerprint(req.fingerprint);
    if (!expected) throw badRequest('fingerprint must be a SHA-256 fingerprint: 64 hex digits, as "SHA256: 0f17…" (colons allowed)');
  }
  const known = await repo.find(h.store.db, plainDomain ?? base);
  const docUrl = `${base}/provider.json`;

  let doc: ProviderDocument;
  let ca: { pem: string; fingerprint: string };
  try {
    // Trusted as things stand: the pinned CA for a known provider, else the system's CAs.
    doc = parseDocument(await get(docUrl, { ca: known?.ca_cert }, MAX_DOCUMENT, 'the provider document'), docUrl);
    ca = await fetchCa(doc.ca_cert_uri!, { ca: known?.ca_cert });
    if (expected && expected !== ca.fingerprint) throw wrongFingerprint(ca.fingerprint, expected);
  } catch (err) {
    if (!(err instanceof CertificateError)) throw err;
    // Not trusted: learn the CA it offers (without believing anything yet), and go on only if
    // the owner named exactly that fingerprint.
    const offered = parseDocument(await get(docUrl, { insecure: true }, MAX_DOCUMENT, 'the provider document'), docUrl);
    const learned = await fetchCa(offered.ca_cert_uri!, { insecure: true });
    if (known && known.ca_fingerprint !== learned.fingerprint && expected !== learned.fingerprint) {
      throw new HearthError(
        'conflict',
        `the CA of ${known.domain} has changed: it was ${known.ca_fingerprint}, it is now ${learned.fingerprint}. ` +
          'If its owner confirms the new one, pass it as fingerprint to accept it.',
        { fingerprint: learned.fingerprint, pinned: known.ca_fingerprint },
      );
    }
    if (!expected && !known) {
      throw new HearthError(
        'forbidden',
        `${new URL(base).host}'s certificate is signed by no CA this server trusts. Its CA's fingerprint is ${learned.fingerprint}: ` +
          "check it against the provider's (its core/status or pairing link shows it), then pass it as fingerprint.",
        { fingerprint: learned.fingerprint },
      );
    }
    if (expected && expected !== learned.fingerprint) throw wrongFingerprint(learned.fingerprint, expected);
    // Now believe only what comes over a connection that CA verifies.
    try {
      doc = parseDocument(await get(docUrl, { ca: learned.pem }, MAX_DOCUMENT, 'the provider document'), docUrl);
    } catch (again) {
      if (again instanceof CertificateError)
        throw badRequest(`${new URL(base).host}'s certificate is not signed by the CA its document names (${again.message})`);
      throw again;
    }
    ca = learned;
  }
  if (normalizeFingerprint(doc.ca_cert_fingerprint ?? '') !== ca.fingerprint) {
    throw badRequest(`the provider document says its CA is ${doc.ca_cert_fingerprint}, but the CA at ${doc.ca_cert_uri} is ${ca.fingerprint}: refused`);
  }
  const domain = doc.domain.toLowerCase();
  if (!DOMAIN.test(domain)) throw badRequest(`the provider document's domain ${JSON.stringify(doc.domain)} is not a domain name`);
  if (plainDomain && domain !== plainDomain) throw badRequest(`${plainDomain} serves the provider document of ${domain}: refused`);
  const sameDomain = await repo.find(h.store.db, domain);
  if (sameDomain && sameDomain.ca_fingerprint !== ca.fingerprint && expected !== ca.fingerprint) {
    throw new HearthError(
      'conflict',
      `the CA of ${domain} has changed: it was ${sameDomain.ca_fingerprint}, it is now ${ca.fingerprint}. If its owner confirms the new one, pass it as fingerprint to accept it.`,
      { fingerprint: ca.fingerprint, pinned: sameDomain.ca_fingerprint },
    );
  }
  const now = h.clock.now();
  await repo.upsert(h.store.db, {
    domain,
    url: base,
    document: JSON.stringify(doc),
    ca_cert: ca.pem,
    ca_fingerprint: ca.fingerprint,
    created_at: sameDomain?.created_at ?? now,
    refreshed_at: now,
  });
  return { ...view((await repo.find(h.store.db, domain))!), document: doc };
}

function wrongFingerprint(actual: string, expected: string): HearthError {
  return badRequest(`the provider's CA is ${actual}, not the fingerprint given (${expected}): refused, nothing stored`, { fingerprint: actual });
}

export async function listProviders(h: Hearth): Promise<ProviderView[]> {
  return (await repo.all(h.store.db)).map(view);
}

async function known(h: Hearth, name: string): Promise<ProviderRow> {
  const trimmed = name.trim().replace(/\/+$/, '');
  const row = (await repo.find(h.store.db, trimmed.toLowerCase())) ?? (await repo.find(h.store.db, trimmed));
  if (!row) throw notFound(`no known provider ${name}: add it with bonafide/provider/create`);
  return row;
}

/** The stored document of a known provider (by domain, or the URL it was added with). */
export async function readProvider(h: Hearth, name: string): Promise<ProviderDocument> {
  return JSON.parse((await known(h, name)).document) as ProviderDocument;
}

export async function deleteProvider(h: Hearth, name: string): Promise<string> {
  const row = await known(h, name);
  await repo.removeSessions(h.store.db, row.domain);
  await repo.remove(h.store.db, row.domain);
  return row.domain;
}

// ---- sessions at other providers ------------------------------------------------------------

/** `bob@other.example` → its parts, when the domain is not this server's; otherwise null (a local account). */
export function remoteUser(h: Hearth, username: string): { user: string; domain: string } | null {
  const at = username.trim().lastIndexOf('@');
  if (at < 0) return null;
  const domain = username
    .trim()
    .slice(at + 1)
    .toLowerCase();
  if (domain === h.config.server.domain.toLowerCase()) return null;
  return { user: username.trim().slice(0, at), domain };
}

/** Who holds a remote session here: the caller's account, else its credential. */
function callerKey(principal: Principal | null): string {
  if (!principal)
    throw new HearthError(
      'user:noAuth',
      'a session at another provider is kept here for the caller: call bonafide/user/authenticate with user@provider using your credential on this server',
    );
  return principal.account ? `account:${principal.account.id}` : `${principal.credential.kind}:${principal.credential.id}`;
}

const sessionContext = (caller: string, provider: string) => `hearth provider session v1 ${caller} ${provider}`;

/** Where a known provider's native API is: its document's `api_uri` (https), else the URL it was added with. */
function apiBase(row: ProviderRow): string {
  const doc = JSON.parse(row.document) as Partial<ProviderDocument>;
  const uri = typeof doc.api_uri === 'string' && doc.api_uri.startsWith('https://') ? doc.api_uri : row.url;
  return uri.replace(/\/+$/, '');
}

export interface RemoteLogin {
  provider: string;
  token: string;
  [field: string]: unknown;
}

/**
 * `bonafide/user/authenticate` for `user@provider` on a known provider: the same command at that
 * provider's native API, over HTTPS that trusts the pinned CA only; the session it answers is kept
 * here, its token sealed, for the caller. The caller gets the remote's answer and the provider.
 */
export async function authenticateRemote(
  h: Hearth,
  principal: Principal | null,
  p: { username: string; pass: string; otp?: string; autoconf?: boolean },
): Promise<RemoteLogin> {
  const who = remoteUser(h, p.username)!;
  const caller = callerKey(principal);
  let row = await repo.find(h.store.db, who.domain);
  if (!row && p.autoconf) {
    // Bitmask's autoconf: a provider not seen before is added first, by the same rules as
    // bonafide/provider/create (a maintainer's call: it makes this server fetch URLs; no trust on first use).
    if (!principal || principal.credential.kind === 'role' || !roleCovers(principal.role, 'maintainer'))
      throw new HearthError('forbidden', `adding ${who.domain} as a provider (autoconf) needs a maintainer; ask one to add it with bonafide/provider/create`);
    await createProvider(h, { domain: who.domain });
    row = await repo.find(h.store.db, who.domain);
  }
  if (!row)
    throw notFound(
      `${who.domain} is not this server's domain nor a known provider: add it with bonafide/provider/create (or pass autoconf to add it while signing in)`,
    );
  const url = `${apiBase(row)}/API/bonafide/user/authenticate`;
  let r;
  try {
    r = await httpsGet(url, {
      ca: row.ca_cert,
      timeoutMs: FETCH_TIMEOUT_MS,
      maxBytes: MAX_DOCUMENT,
      json: { username: who.user, pass: p.pass, ...(p.otp ? { otp: p.otp } : {}) },
    });
  } catch (err) {
    if (err instanceof CertificateError)
      throw new HearthError(
        'forbidden',
        `${row.domain} no longer presents a certificate its pinned CA (${row.ca_fingerprint}) signs: refused, nothing sent. If its owner changed its CA, refresh it with bonafide/provider/create and the new fingerprint.`,
      );
    throw new HearthError('unavailable', `cannot reach ${row.domain} at ${url}: ${(err as Error).message}; nothing stored`);
  }
  let body: { result?: Record<string, unknown>; error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  try {
    body = JSON.parse(r.body) as typeof body;
  } catch {
    throw new HearthError('unavailable', `${row.domain} answered HTTP ${r.status} without JSON at ${url}; nothing stored`);
  }
  const remoteMessage = `${row.domain} says: ${body.error?.message ?? `HTTP ${r.status}`}`;
  if (r.status === 401) {
    const code = body.error?.code === 'user:needSecondFactor' ? 'user:needSecondFactor' : 'user:badLogin';
    throw new HearthError(code, remoteMessage, body.error?.details);
  }
  if (r.status === 429) throw new HearthError('rateLimited', remoteMessage);
  if (r.status >= 400 && r.status < 500) throw badRequest(remoteMessage);
  const session = body.result;
  if (r.status !== 200 || !session || typeof session.token !== 'string') {
    throw new HearthError('unavailable', `${row.domain} did not answer a session (HTTP ${r.status}): ${remoteMessage}; nothing stored`);
  }
  const expires = typeof session.expires_at === 'string' ? Date.parse(session.expires_at) : NaN;
  await repo.saveSession(h.store.db, {
    caller,
    provider: row.domain,
    username: who.user,
    token: sealSecret(h, sessionContext(caller, row.domain), session.token),
    expires_at: Number.isFinite(expires) ? expires : null,
    created_at: h.clock.now(),
  });
  return { ...session, token: session.token, provider: row.domain };
}

export interface ProviderSession {
  provider: string;
  url: string;
  ca_cert: string;
  ca_cert_fingerprint: string;
  username: string;
  authorization: string;
  expires_at: string | null;
}

/**
 * The caller's session at a known provider, opened, with where and how to reach it (its API URL and
 * pinned CA): what `hearth --provider DOMAIN …` needs to call the provider directly.
 */
export async function providerSession(h: Hearth, principal: Principal, name: string): Promise<ProviderSession> {
  const row = await known(h, name);
  const caller = callerKey(principal);
  const s = await repo.findSession(h.store.db, caller, row.domain);
  if (!s) throw notFound(`no session at ${row.domain} for you here: sign in with bonafide/user/authenticate as user@${row.domain}`);
  if (s.expires_at !== null && s.expires_at <= h.clock.now())
    throw new HearthError('user:badAuth', `your session at ${row.domain} has expired: sign in again with bonafide/user/authenticate as user@${row.domain}`);
  const token = unsealSecret(h, sessionContext(caller, row.domain), s.token);
  if (token === null)
    throw new HearthError('user:badAuth', `your session at ${row.domain} cannot be opened with this home's key: sign in again as user@${row.domain}`);
  return {
    provider: row.domain,
    url: apiBase(row),
    ca_cert: row.ca_cert,
    ca_cert_fingerprint: row.ca_fingerprint,
    username: s.username,
    authorization: `Token ${Buffer.from(`${s.username}:${token}`).toString('base64')}`,
    expires_at: s.expires_at === null ? null : new Date(s.expires_at).toISOString(),
  };
}
