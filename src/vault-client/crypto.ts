/**
 * A Bitwarden client's key handling, as the official clients do it: the master key from the
 * master password (PBKDF2-SHA256 or Argon2id, salted with the e-mail), the master-password hash
 * the server sees, the stretched key, a random user key and an RSA key pair, and type-2
 * EncStrings (AES-256-CBC + HMAC-SHA256). Used by `hearth vault register` and the tests; the
 * daemon never imports it (it never sees a master password or a plaintext).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export const KDF_PBKDF2 = 0;
export const KDF_ARGON2ID = 1;

export interface Kdf {
  kdfType: 0 | 1;
  iterations: number;
  /** Argon2id only: MiB and lanes. */
  memory?: number | null;
  parallelism?: number | null;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** The 32-byte master key. */
export async function masterKey(password: string, email: string, kdf: Kdf): Promise<Buffer> {
  const salt = Buffer.from(normalizeEmail(email), 'utf8');
  if (kdf.kdfType === KDF_PBKDF2) return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, kdf.iterations, 32, 'sha256');
  const { hashRaw } = await import('@node-rs/argon2');
  return hashRaw(Buffer.from(password, 'utf8'), {
    algorithm: 2,
    version: 1, // 0x13
    salt: createHash('sha256').update(salt).digest(),
    memoryCost: (kdf.memory ?? 64) * 1024,
    timeCost: kdf.iterations,
    parallelism: kdf.parallelism ?? 4,
    outputLen: 32,
  });
}

/** What the client sends as its password: base64(PBKDF2-SHA256(masterKey, password, 1)). */
export const masterPasswordHash = (mk: Buffer, password: string) => b64(pbkdf2Sync(mk, Buffer.from(password, 'utf8'), 1, 32, 'sha256'));

export interface SymKey {
  enc: Buffer;
  mac: Buffer;
}

const hkdfExpand = (prk: Buffer, info: string) =>
  createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info), Buffer.from([1])]))
    .digest();
/** The stretched master key (HKDF-Expand only, as the clients do). */
export const stretch = (mk: Buffer): SymKey => ({ enc: hkdfExpand(mk, 'enc'), mac: hkdfExpand(mk, 'mac') });
export const splitKey = (k64: Buffer): SymKey => ({ enc: k64.subarray(0, 32), mac: k64.subarray(32, 64) });

/** A type-2 EncString: `2.iv|ciphertext|mac`. */
export function encrypt(plain: Buffer | string, k: SymKey): string {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', k.enc, iv);
  const ct = Buffer.concat([c.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), c.final()]);
  return `2.${b64(iv)}|${b64(ct)}|${b64(
    createHmac('sha256', k.mac)
      .update(Buffer.concat([iv, ct]))
      .digest(),
  )}`;
}

export function decrypt(enc: string, k: SymKey): Buffer {
  const m = /^2\.([^|]+)\|([^|]+)\|([^|]+)$/.exec(enc);
  if (!m) throw new Error('not a type-2 EncString');
  const [iv, ct, mac] = [m[1]!, m[2]!, m[3]!].map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer];
  const want = createHmac('sha256', k.mac)
    .update(Buffer.concat([iv, ct]))
    .digest();
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) throw new Error('EncString MAC does not match');
  const d = createDecipheriv('aes-256-cbc', k.enc, iv);
  return Buffer.concat([d.update(ct), d.final()]);
}

export interface Registration {
  email: string;
  kdf: Kdf;
  masterPasswordHash: string;
  /** The user key wrapped with the stretched master key. */
  key: string;
  userKey: Buffer;
  publicKey: string;
  encryptedPrivateKey: string;
}

/** New keys for an account: everything the register call needs, made on the client. */
export async function makeRegistration(email: string, password: string, kdf: Kdf): Promise<Registration> {
  const mk = await masterKey(password, email, kdf);
  const userKey = randomBytes(64);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  return {
    email: normalizeEmail(email),
    kdf,
    masterPasswordHash: masterPasswordHash(mk, password),
    key: encrypt(userKey, stretch(mk)),
    userKey,
    publicKey: b64(publicKey.export({ type: 'spki', format: 'der' })),
    encryptedPrivateKey: encrypt(privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer, splitKey(userKey)),
  };
}

/** The body of `POST /identity/accounts/register/finish`, in today's clients' shape. */
export function registerFinishBody(r: Registration, token: string, name?: string) {
  const kdf = { kdfType: r.kdf.kdfType, iterations: r.kdf.iterations, memory: r.kdf.memory ?? null, parallelism: r.kdf.parallelism ?? null };
  return {
    email: r.email,
    name: name ?? null,
    masterPasswordHint: null,
    masterPasswordHash: r.masterPasswordHash,
    userSymmetricKey: r.key,
    kdf: r.kdf.kdfType,
    kdfIterations: r.kdf.iterations,
    kdfMemory: r.kdf.memory ?? null,
    kdfParallelism: r.kdf.parallelism ?? null,
    userAsymmetricKeys: { publicKey: r.publicKey, encryptedPrivateKey: r.encryptedPrivateKey },
    masterPasswordAuthentication: { salt: r.email, kdf, masterPasswordAuthenticationHash: r.masterPasswordHash },
    masterPasswordUnlock: { salt: r.email, kdf, masterKeyWrappedUserKey: r.key },
    emailVerificationToken: token,
  };
}
