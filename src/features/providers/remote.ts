/**
 * Fetching from another provider over HTTPS: trusting the system's CAs, or only a pinned CA, or
 * (to learn a CA's fingerprint to show the owner, never to trust what comes) nothing at all.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { request } from 'node:https';

export interface Fetched {
  status: number;
  body: string;
}

/** Why a connection failed because of the certificate (an untrusted CA, a name it does not cover). */
export class CertificateError extends Error {
  override name = 'CertificateError';
}

const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME/;

/**
 * GET `url` (https only) — or POST `json` to it — with at most `maxBytes` of body within `timeoutMs`. `ca`: trust only it;
 * `insecure`: trust nothing (the answer is only ever shown, never believed).
 */
export function httpsGet(url: string, opts: { ca?: string; insecure?: boolean; timeoutMs: number; maxBytes: number; json?: unknown }): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'https:') return reject(new Error(`${url} is not an https:// URL`));
    const req = request(
      u,
      {
        method: opts.json === undefined ? 'GET' : 'POST',
        agent: false,
        ca: opts.ca,
        rejectUnauthorized: !opts.insecure,
        timeout: opts.timeoutMs,
        headers: opts.json === undefined ? { accept: '*/*' } : { accept: 'application/json', 'content-type': 'application/json' },
      },
      (res) => {
        let size = 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) {
            req.destroy(new Error(`${url} answered more than ${opts.maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${u.host} did not answer within ${opts.timeoutMs / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (CERT_ERRORS.test(code)) reject(new CertificateError(`${u.host}'s certificate is not trusted (${code})`));
      else reject(new Error(code && !err.message.includes(code) ? `${u.host}: ${code}` : err.message));
    });
    req.end(opts.json === undefined ? undefined : JSON.stringify(opts.json));
  });
}

/** `SHA256: <hex>` of a PEM certificate, as Bitmask's `ca_cert_fingerprint`; null if it is not one. */
export function pemFingerprint(pem: string): string | null {
  try {
    const cert = new X509Certificate(pem);
    return `SHA256: ${createHash('sha256').update(cert.raw).digest('hex')}`;
  } catch {
    return null;
  }
}

/** `SHA256: AB:CD…`, `sha256:abcd…` or bare hex → `SHA256: abcd…`; null if it is no SHA-256 fingerprint. */
export function normalizeFingerprint(raw: string): string | null {
  const hex = raw
    .trim()
    .replace(/^sha-?256:?\s*/i, '')
    .replace(/[:\s]/g, '')
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? `SHA256: ${hex}` : null;
}
