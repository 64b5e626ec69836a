/**
 * What HTTPS serves: the certificate and key the owner configured (`[server] tls_cert` and
 * `tls_key`), or else a local CA that hearthd makes once in `$HEARTH_HOME/tls/` and keeps, and a
 * server certificate signed by it, made again when it is missing, near its end, or no longer
 * covers the names it must. Certificates are checked with node:crypto; the X.509 library is
 * loaded only when something has to be made.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import { ConfigError, inHome, parseListen, type Config } from '../kernel/config.js';
import { othersCanRead, refuseIfOthersCanRead, writeFileAtomic, writeSecretOnce } from './home.js';

export const TLS_DIR = 'tls';
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const SERVER_CERT_FILE = 'server.pem';
export const SERVER_KEY_FILE = 'server-key.pem';

const DAY = 86_400_000;
const CA_DAYS = 3650;
/** Within what Apple's platforms accept for a server certificate (398 days). */
const SERVER_DAYS = 397;
/** A server certificate with less left than this is made again. */
const RENEW_BEFORE_DAYS = 30;
/** Back-dating, so a client whose clock is a little behind accepts a new certificate. */
const BACKDATE_MS = 3_600_000;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** The names the server certificate covers: DNS names and IP addresses. */
export interface TlsNames {
  dns: string[];
  ip: string[];
}

export interface TlsMaterial {
  /** PEM certificate (chain) and key for the HTTPS server. The key is secret: never logged. */
  cert: string;
  key: string;
  source: 'local-ca' | 'configured' | 'acme';
  /** The served certificate's issuer (its distinguished name, one line). */
  issuer: string;
  certPath: string;
  /** The local CA's certificate, which clients trust; null for a configured certificate. */
  caPath: string | null;
  /** `SHA256: <hex>` of the local CA's certificate, or of the configured (leaf) certificate. */
  fingerprint: string;
  notAfter: Date;
  /** Why a new server certificate was made by this call, if one was. */
  renewed: string | null;
  /** Things the owner should know that do not stop start-up (a configured certificate near its end). */
  warnings: string[];
}

/** As Bitmask shows `ca_cert_fingerprint`: `SHA256: ` and lowercase hex. */
export function sha256Fingerprint(cert: X509Certificate): string {
  return `SHA256: ${cert.fingerprint256.replaceAll(':', '').toLowerCase()}`;
}

/** `::1` and `0:0:0:0:0:0:0:1` are one address: the WHATWG URL parser writes the short form. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/**
 * `[server] domain`, localhost, 127.0.0.1, ::1, the host of `[server] public_url` (what devices are
 * told to use) and the host of `[server] tls_listen`; for a wildcard (0.0.0.0 or ::), this
 * machine's own addresses instead, which devices on the network connect to.
 */
export function tlsNames(config: Config, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): TlsNames {
  const { host } = parseListen(config.server.tls_listen, 'tls_listen');
  const dns = new Set<string>();
  const ip = new Set<string>();
  const hosts = [config.server.domain, 'localhost', '127.0.0.1', '::1', host];
  if (config.server.public_url) hosts.push(new URL(config.server.public_url).hostname.replace(/^\[|\]$/g, ''));
  const wildcard = isIP(host) !== 0 && ['0.0.0.0', '::'].includes(canonicalIp(host));
  if (wildcard) {
    for (const i of Object.values(interfaces).flat()) {
      // Not link-local IPv6 (fe80::): no device reaches the server by a zone-scoped address.
      if (i && !i.internal && (i.family === 'IPv4' ? true : host === '::' && !i.address.toLowerCase().startsWith('fe80:'))) hosts.push(i.address);
    }
  }
  for (const name of hosts) {
    if (isIP(name)) {
      const canonical = canonicalIp(name);
      if (canonical !== '0.0.0.0' && canonical !== '::') ip.add(canonical);
    } else dns.add(name.toLowerCase());
  }
  return { dns: [...dns], ip: [...ip] };
}

/** The certificate and key HTTPS serves; a ConfigError names the key or file at fault. */
export async function prepareTls(config: Config, home: string, now = Date.now()): Promise<TlsMaterial> {
  if (config.server.tls_cert) return loadConfigured(config, home, now);
  // With ACME on, its certificate once there is a good one; until then the local CA's, so HTTPS answers at once.
  if (config.server.acme_directory) {
    const acme = loadAcme(home, now);
    if (acme) return acme;
  }
  return ensureLocalCa(home, tlsNames(config), now);
}

export const ACME_DIR = 'acme';
export const ACME_CERT_FILE = 'cert.pem';
export const ACME_KEY_FILE = 'key.pem';
export const ACME_ACCOUNT_KEY_FILE = 'account-key.pem';

/** One line for a distinguished name (node gives one attribute per line). */
export const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');

/** The certificate ACME gave, if it is there, readable, matches its key and has not ended. */
function loadAcme(home: string, now: number): TlsMaterial | null {
  const certPath = join(home, ACME_DIR, ACME_CERT_FILE);
  const certPem = readIfPresent(certPath);
  const keyPem = readIfPresent(join(home, ACME_DIR, ACME_KEY_FILE));
  if (certPem === null || keyPem === null) return null;
  try {
    const leaf = new X509Certificate(certPem);
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return null;
    const notAfter = new Date(leaf.validTo);
    if (notAfter.getTime() <= now) return null;
    return {
      cert: certPem,
      key: keyPem,
      source: 'acme',
      issuer: oneLine(leaf.issuer),
      certPath,
      caPath: null,
      fingerprint: sha256Fingerprint(leaf),
      notAfter,
      renewed: null,
      warnings: [],
    };
  } catch {
    return null;
  }
}

/** When the ACME certificate must be got (again): missing, unusable, or within 30 days of its end. */
export function acmeDue(home: string, now = Date.now()): boolean {
  const acme = loadAcme(home, now);
  return !acme || acme.notAfter.getTime() - now < RENEW_BEFORE_DAYS * DAY;
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

function loadConfigured(config: Config, home: string, now: number): TlsMaterial {
  const certPath = inHome(home, config.server.tls_cert);
  const keyPath = inHome(home, config.server.tls_key);
  const read = (key: string, path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`[server] ${key}: cannot read ${path} (${errCode(err)})`);
    }
  };
  const certPem = read('tls_cert', certPath);
  const keyPem = read('tls_key', keyPath);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch {
    throw new ConfigError(`[server] tls_cert: ${certPath} does not hold a PEM certificate`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new ConfigError(`[server] tls_key: ${keyPath} does not hold an unencrypted PEM private key`);
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfigError(`[server] tls_key: ${keyPath} does not match the certificate in [server] tls_cert (${certPath})`);
  }
  const notAfter = new Date(leaf.validTo);
  const warnings: string[] = [];
  if (notAfter.getTime() <= now) warnings.push(`the certificate in ${certPath} expired on ${notAfter.toISOString()}`);
  else if (notAfter.getTime() - now < RENEW_BEFORE_DAYS * DAY) warnings.push(`the certificate in ${certPath} expires on ${notAfter.toISOString()}`);
  return {
    cert: certPem,
    key: keyPem,
    source: 'configured',
    issuer: oneLine(leaf.issuer),
    certPath,
    caPath: null,
    fingerprint: sha256Fingerprint(leaf),
    notAfter,
    renewed: null,
    warnings,
  };
}

function readIfPresent(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read ${path} (${errCode(err)})`);
  }
}

/** The local CA (kept), and a server certificate it signed for `names` (made again as needed). */
async function ensureLocalCa(home: string, names: TlsNames, now: number): Promise<TlsMaterial> {
  const dir = join(home, TLS_DIR);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ConfigError(`cannot create ${dir} (${errCode(err)})`);
  }
  const caPath = join(dir, CA_CERT_FILE);
  const caKeyPath = join(dir, CA_KEY_FILE);
  const newCa = `delete ${dir} to make a new local CA (clients must then trust the new one)`;

  let caKeyPem = readIfPresent(caKeyPath);
  let caPem = readIfPresent(caPath);
  if (caPem !== null && caKeyPem === null) throw new ConfigError(`${caPath} is there but its key ${caKeyPath} is not; restore the key, or ${newCa}`);
  if (caKeyPem === null) {
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeSecretOnce(caKeyPath, pem); // another process may have won: read what is there
    caKeyPem = readFileSync(caKeyPath, 'utf8');
  }
  refuseIfOthersCanRead(caKeyPath, newCa);
  let caKey: KeyObject;
  try {
    caKey = createPrivateKey(caKeyPem);
    if (caKey.asymmetricKeyType !== 'ec' || caKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256');
  } catch {
    throw new ConfigError(`${caKeyPath} does not hold the local CA's ECDSA P-256 key; ${newCa}`);
  }
  if (caPem === null) {
    writeSecretOnce(caPath, await makeCaCert(caKey, now), 0o644);
    caPem = readFileSync(caPath, 'utf8');
  }
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
  } catch {
    throw new ConfigError(`${caPath} does not hold a PEM certificate; ${newCa}`);
  }
  if (!ca.checkPrivateKey(caKey)) throw new ConfigError(`${caKeyPath} does not match ${caPath}; ${newCa}`);
  const caNotAfter = new Date(ca.validTo);
  if (caNotAfter.getTime() - now < RENEW_BEFORE_DAYS * DAY) {
    throw new ConfigError(`the local CA ${caPath} ${caNotAfter.getTime() <= now ? 'expired' : 'expires'} on ${caNotAfter.toISOString()}; ${newCa}`);
  }

  const certPath = join(dir, SERVER_CERT_FILE);
  const keyPath = join(dir, SERVER_KEY_FILE);
  let certPem = readIfPresent(certPath);
  let keyPem = readIfPresent(keyPath);
  const renewed = serverCertProblem(certPem, keyPem, keyPath, ca, names, now);
  if (renewed) {
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const notAfter = Math.min(now + SERVER_DAYS * DAY, caNotAfter.getTime());
    keyPem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    certPem = await makeServerCert(key, caKey, ca, names, now, notAfter);
    // The key first: a stop between the two leaves a pair that does not match, made again next time.
    writeFileAtomic(keyPath, keyPem, 0o600);
    writeFileAtomic(certPath, certPem, 0o644);
  }
  const leaf = new X509Certificate(certPem!);
  return {
    cert: certPem!,
    key: keyPem!,
    source: 'local-ca',
    issuer: oneLine(leaf.issuer),
    certPath,
    caPath,
    fingerprint: sha256Fingerprint(ca),
    notAfter: new Date(leaf.validTo),
    renewed,
    warnings: [],
  };
}

/** Why the server certificate on disk will not do (then a new one is made), or null if it will. */
function serverCertProblem(certPem: string | null, keyPem: string | null, keyPath: string, ca: X509Certificate, names: TlsNames, now: number): string | null {
  if (certPem === null || keyPem === null) return 'missing';
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(certPem);
    key = createPrivateKey(keyPem);
  } catch {
    return 'unreadable';
  }
  if (othersCanRead(keyPath) !== null) return 'key readable by others';
  if (!cert.checkPrivateKey(key)) return 'key does not match';
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'not signed by the local CA';
  if (new Date(cert.validFrom).getTime() > now + BACKDATE_MS) return 'not valid yet';
  if (new Date(cert.validTo).getTime() - now < RENEW_BEFORE_DAYS * DAY) return 'expires soon';
  const sans = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  const covered =
    sans.length === names.dns.length + names.ip.length &&
    names.dns.every((n) => cert.checkHost(n, { subject: 'never', wildcards: false }) !== undefined) &&
    names.ip.every((ip) => cert.checkIP(ip) !== undefined);
  return covered ? null : 'names changed';
}

type X509 = typeof import('@peculiar/x509');
let x509lib: Promise<X509> | null = null;

/** The X.509 library, with the Reflect polyfill it needs and node's WebCrypto. */
function x509(): Promise<X509> {
  x509lib ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as unknown as Crypto);
    return lib;
  })();
  return x509lib;
}

async function cryptoKeys(key: KeyObject): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  const { subtle } = webcrypto;
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return {
    privateKey: (await subtle.importKey('pkcs8', der, EC, false, ['sign'])) as CryptoKey,
    publicKey: (await subtle.importKey('spki', spki, EC, true, ['verify'])) as CryptoKey,
  };
}

/** A positive serial number of 128 random bits, as hex. */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f || 0x01;
  return b.toString('hex');
}

async function makeCaCert(caKey: KeyObject, now: number): Promise<string> {
  const lib = await x509();
  const keys = await cryptoKeys(caKey);
  const serial = serialNumber();
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    // A distinct name for each home, so several local CAs in one trust store can be told apart.
    name: `CN=Hearth local CA ${serial.slice(0, 8)}, O=Hearth`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_DAYS * DAY),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}

async function makeServerCert(key: KeyObject, caKey: KeyObject, ca: X509Certificate, names: TlsNames, now: number, notAfter: number): Promise<string> {
  const lib = await x509();
  const server = await cryptoKeys(key);
  const signer = await cryptoKeys(caKey);
  const issuer = new lib.X509Certificate(ca.raw);
  const cert = await lib.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${names.dns[0] ?? names.ip[0]}`,
    issuer: issuer.subjectName,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGNING,
    publicKey: server.publicKey,
    signingKey: signer.privateKey,
    extensions: [
      new lib.BasicConstraintsExtension(false, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth]),
      new lib.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ip.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await lib.SubjectKeyIdentifierExtension.create(server.publicKey),
      await lib.AuthorityKeyIdentifierExtension.create(signer.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}
