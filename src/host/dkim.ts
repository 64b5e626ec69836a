/**
 * The mail server's DKIM key, as the NixOS mail server keeps it: `<dir>/<domain>.selector.key`
 * (the private key, PEM, 0600) and `<dir>/<domain>.selector.txt` (the DNS TXT record that
 * carries the public key).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileInDir, writeFileAtomic } from './files.js';

export interface DkimKeys {
  /** The DNS record file's content, or null when there is none. */
  record(domain: string): Promise<string | null>;
  /** Creates a key pair unless one exists; whether it made one. */
  generate(domain: string): Promise<{ created: boolean; record: string }>;
}

const SELECTOR = 'selector';

export class DkimDir implements DkimKeys {
  constructor(readonly dir: string) {}

  private paths(domain: string) {
    return { key: fileInDir(this.dir, `${domain}.${SELECTOR}.key`, 'domain'), txt: fileInDir(this.dir, `${domain}.${SELECTOR}.txt`, 'domain') };
  }

  async record(domain: string): Promise<string | null> {
    try {
      return await readFile(this.paths(domain).txt, 'utf8');
    } catch (err) {
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw err;
    }
  }

  async generate(domain: string): Promise<{ created: boolean; record: string }> {
    const { key, txt } = this.paths(domain);
    const existing = await this.record(domain);
    if (existing !== null || (await exists(key))) return { created: false, record: existing ?? '' };
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const spki = (pair.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
    // As opendkim-genkey writes it: the TXT value split into quoted strings of at most 255 characters.
    const value = `v=DKIM1; k=rsa; p=${spki}`;
    const parts = value.match(/.{1,250}/g)!.map((p) => `"${p}"`);
    const record = `${SELECTOR}._domainkey IN TXT ( ${parts.join('\n\t')} )  ; ----- DKIM key ${SELECTOR} for ${domain}\n`;
    await writeFileAtomic(key, pem, 0o600);
    await writeFileAtomic(txt, record, 0o644);
    return { created: true, record };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
