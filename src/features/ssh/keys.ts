/**
 * OpenSSH public keys, parsed (never pattern-matched): the line's type and base64 blob, the
 * blob decoded by sshpk (and, for the FIDO `sk-` types sshpk does not know, by the wire format
 * of OpenSSH's PROTOCOL.u2f, their inner key then given to sshpk), the key then loaded by
 * node:crypto, which checks the point or modulus. Accepted: ssh-ed25519, ecdsa-sha2-nistp256/
 * 384/521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa of at least
 * 2048 bits. Anything else is a 400 that names the problem.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { createRequire } from 'node:module';
import type Sshpk from 'sshpk';
import { badRequest } from '../../kernel/errors.js';
import { SSH_KEY_TYPES } from '../../host/index.js';

export interface ParsedKey {
  type: string;
  /** `type base64` */
  publicKey: string;
  /** Printable ASCII only, at most 100 characters (other characters are dropped). */
  comment: string;
  /** `SHA256:…`, as `ssh-keygen -l` shows it. */
  fingerprint: string;
  bits: number;
}

let library: typeof Sshpk | undefined;
/** sshpk (with its crypto dependencies), loaded on the first key parsed: a daemon may never see one. */
const sshpk = (): typeof Sshpk => (library ??= createRequire(import.meta.url)('sshpk') as typeof Sshpk);

export const MAX_KEY_LENGTH = 16384;
const MIN_RSA_BITS = 2048;

/** Reads SSH wire-format strings (uint32 length, bytes). */
class Wire {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  string(what: string): Buffer {
    if (this.at + 4 > this.buf.length) throw badRequest(`public_key: the key's data ends before its ${what}`);
    const len = this.buf.readUInt32BE(this.at);
    if (this.at + 4 + len > this.buf.length) throw badRequest(`public_key: the key's data ends inside its ${what}`);
    const s = this.buf.subarray(this.at + 4, this.at + 4 + len);
    this.at += 4 + len;
    return s;
  }
  end(): void {
    if (this.at !== this.buf.length) throw badRequest('public_key: the key has extra data after its end');
  }
}

const wireString = (b: Buffer | string) => {
  const data = Buffer.isBuffer(b) ? b : Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};

/** Parses one public key line (`type base64 [comment]`); 400 naming what is wrong. */
export function parsePublicKey(input: unknown): ParsedKey {
  if (typeof input !== 'string' || input.trim() === '') throw badRequest('public_key: give an OpenSSH public key, e.g. the content of ~/.ssh/id_ed25519.pub');
  if (input.length > MAX_KEY_LENGTH) throw badRequest(`public_key: longer than ${MAX_KEY_LENGTH} characters`);
  const line = input.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) throw badRequest('public_key: one key on one line, without control characters (a line break, NUL…)');
  const [type = '', b64 = '', ...rest] = line.split(/[ \t]+/);
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    if (type === 'ssh-dss') throw badRequest('public_key: DSA keys (ssh-dss) are not accepted; use ssh-ed25519');
    if (/[=",]/.test(type)) throw badRequest('public_key: authorized_keys options (from=, command=…) are not accepted; give the key alone');
    throw badRequest(`public_key: key type ${JSON.stringify(type.slice(0, 60))} is not accepted; use one of ${SSH_KEY_TYPES.join(', ')}`);
  }
  if (!/^[A-Za-z0-9+/]+={0,3}$/.test(b64)) throw badRequest('public_key: the key data is not base64');
  const blob = Buffer.from(b64, 'base64');
  if (blob.toString('base64') !== b64) throw badRequest('public_key: the key data is not base64');
  const wire = new Wire(blob);
  const inner = wire.string('type').toString('latin1');
  if (inner !== type) throw badRequest(`public_key: the line says ${type} but the key data is ${JSON.stringify(inner.slice(0, 60))}`);

  let key: Sshpk.Key;
  if (type === 'sk-ssh-ed25519@openssh.com') {
    const pk = wire.string('public key');
    wire.string('application');
    wire.end();
    key = loadSshpk(Buffer.concat([wireString('ssh-ed25519'), wireString(pk)]), type);
  } else if (type === 'sk-ecdsa-sha2-nistp256@openssh.com') {
    const curve = wire.string('curve').toString('latin1');
    if (curve !== 'nistp256') throw badRequest(`public_key: ${type} must be on nistp256, not ${JSON.stringify(curve.slice(0, 20))}`);
    const q = wire.string('public point');
    wire.string('application');
    wire.end();
    key = loadSshpk(Buffer.concat([wireString('ecdsa-sha2-nistp256'), wireString('nistp256'), wireString(q)]), type);
  } else {
    key = loadSshpk(blob, type);
  }
  if (key.type === 'rsa' && key.size < MIN_RSA_BITS) throw badRequest(`public_key: RSA keys need at least ${MIN_RSA_BITS} bits; this one has ${key.size}`);
  try {
    // node:crypto checks the key itself: a point on its curve, a valid modulus.
    createPublicKey(key.toString('pkcs8'));
  } catch {
    throw badRequest(`public_key: not a valid ${type} key`);
  }
  const comment = rest
    .join(' ')
    .replace(/[^\x20-\x7e]/g, '')
    .trim()
    .slice(0, 100);
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { type, publicKey: `${type} ${b64}`, comment, fingerprint, bits: key.size };
}

function loadSshpk(blob: Buffer, type: string): Sshpk.Key {
  try {
    return sshpk().parseKey(blob, 'rfc4253');
  } catch (err) {
    throw badRequest(`public_key: not a valid ${type} key (${(err as Error).message.split('\n')[0]!.slice(0, 120)})`);
  }
}
