/**
 * A Bitwarden client's key handling in the browser, with WebCrypto only — the same steps as
 * src/vault-client/crypto.ts (which `hearth vault register` uses): the master key by
 * PBKDF2-SHA256 salted with the lower-cased e-mail, the master-password hash the server sees
 * (PBKDF2(masterKey, password, 1)), the stretched key (HKDF-Expand only, done with HMAC), a random
 * 64-byte user key wrapped as a type-2 EncString (AES-256-CBC + HMAC-SHA256 over iv||ct), and an
 * RSA-2048 key pair whose private key (PKCS#8) is encrypted with the user key. The master password
 * never leaves this module: only the hash and the wrapped keys are sent.
 */

type Bytes = Uint8Array<ArrayBuffer>;

const subtle = () => {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('This browser offers no WebCrypto here: open the console over HTTPS (or on localhost) to create a vault.');
  return s;
};

const utf8 = (s: string): Bytes => new TextEncoder().encode(s) as Bytes;

export function b64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function unb64(s: string): Bytes {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const concat = (...parts: Uint8Array[]): Bytes => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

export const KDF_PBKDF2 = 0;
export const MIN_ITERATIONS = 5000;
export const MAX_ITERATIONS = 2_000_000;
export const DEFAULT_ITERATIONS = 600_000;
export const MIN_MASTER_PASSWORD = 8;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

async function pbkdf2(password: Bytes, salt: Bytes, iterations: number): Promise<Bytes> {
  const key = await subtle().importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await subtle().deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256));
}

/** The 32-byte master key: PBKDF2-SHA256(password, lower-cased e-mail, iterations). */
export const masterKey = (password: string, email: string, iterations: number) => pbkdf2(utf8(password), utf8(normalizeEmail(email)), iterations);

/** What the client sends as its password: base64(PBKDF2-SHA256(masterKey, password, 1)). */
export const masterPasswordHash = async (mk: Bytes, password: string) => b64(await pbkdf2(mk, utf8(password), 1));

async function hmac(key: Bytes, data: Bytes): Promise<Bytes> {
  const k = await subtle().importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, data));
}

export interface SymKey {
  enc: Bytes;
  mac: Bytes;
}

/** HKDF-Expand for one 32-byte block: HMAC(prk, info || 0x01). WebCrypto's HKDF always extracts first. */
const hkdfExpand = (prk: Bytes, info: string) => hmac(prk, concat(utf8(info), new Uint8Array([1])));

/** The stretched master key, as the clients make it. */
export const stretch = async (mk: Bytes): Promise<SymKey> => ({ enc: await hkdfExpand(mk, 'enc'), mac: await hkdfExpand(mk, 'mac') });
export const splitKey = (k64: Bytes): SymKey => ({ enc: k64.slice(0, 32), mac: k64.slice(32, 64) });

/** A type-2 EncString: `2.iv|ciphertext|mac`. */
export async function encrypt(plain: Bytes, k: SymKey): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const key = await subtle().importKey('raw', k.enc, 'AES-CBC', false, ['encrypt']);
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv }, key, plain));
  return `2.${b64(iv)}|${b64(ct)}|${b64(await hmac(k.mac, concat(iv, ct)))}`;
}

export async function decrypt(enc: string, k: SymKey): Promise<Bytes> {
  const m = /^2\.([^|]+)\|([^|]+)\|([^|]+)$/.exec(enc);
  if (!m) throw new Error('not a type-2 EncString');
  const [iv, ct, mac] = [m[1]!, m[2]!, m[3]!].map(unb64) as [Bytes, Bytes, Bytes];
  const macKey = await subtle().importKey('raw', k.mac, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  if (!(await subtle().verify('HMAC', macKey, mac, concat(iv, ct)))) throw new Error('EncString MAC does not match');
  const key = await subtle().importKey('raw', k.enc, 'AES-CBC', false, ['decrypt']);
  return new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv }, key, ct));
}

export interface Registration {
  email: string;
  iterations: number;
  masterPasswordHash: string;
  /** The user key wrapped with the stretched master key. */
  key: string;
  publicKey: string;
  encryptedPrivateKey: string;
}

/** New keys for an account (PBKDF2-SHA256 only: WebCrypto has no Argon2id). */
export async function makeRegistration(email: string, password: string, iterations: number): Promise<Registration> {
  const mk = await masterKey(password, email, iterations);
  const userKey = crypto.getRandomValues(new Uint8Array(64));
  // Bitwarden's key pair is RSA-OAEP with SHA-1; the exported DER is the same for any hash.
  const pair = await subtle().generateKey({ name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-1' }, true, [
    'encrypt',
    'decrypt',
  ]);
  const spki = new Uint8Array(await subtle().exportKey('spki', pair.publicKey));
  const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
  return {
    email: normalizeEmail(email),
    iterations,
    masterPasswordHash: await masterPasswordHash(mk, password),
    key: await encrypt(userKey, await stretch(mk)),
    publicKey: b64(spki),
    encryptedPrivateKey: await encrypt(pkcs8, splitKey(userKey)),
  };
}

/** The body of `POST /bitwarden/identity/accounts/register/finish`, in today's clients' shape. */
export function registerFinishBody(r: Registration, token: string, name?: string | null) {
  const kdf = { kdfType: KDF_PBKDF2, iterations: r.iterations, memory: null, parallelism: null };
  return {
    email: r.email,
    name: name || null,
    masterPasswordHint: null,
    masterPasswordHash: r.masterPasswordHash,
    userSymmetricKey: r.key,
    kdf: KDF_PBKDF2,
    kdfIterations: r.iterations,
    kdfMemory: null,
    kdfParallelism: null,
    userAsymmetricKeys: { publicKey: r.publicKey, encryptedPrivateKey: r.encryptedPrivateKey },
    masterPasswordAuthentication: { salt: r.email, kdf, masterPasswordAuthenticationHash: r.masterPasswordHash },
    masterPasswordUnlock: { salt: r.email, kdf, masterKeyWrappedUserKey: r.key },
    emailVerificationToken: token,
  };
}
