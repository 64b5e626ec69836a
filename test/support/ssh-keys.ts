/** Real OpenSSH public keys from ssh-keygen, and FIDO (sk-) keys built in their wire format from them. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'hearth-keys-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A new key pair made by ssh-keygen: its public key line (`type base64 comment`). */
export function sshKeygen(type: 'ed25519' | 'ecdsa' | 'rsa', bits?: number, comment = 'test@hearth'): string {
  const file = join(dir, `k${n++}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', comment, '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** `ssh-keygen -l`'s SHA256 fingerprint of a public key line. */
export function sshFingerprint(line: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: `${line}\n` }).toString();
  return out.split(' ')[1]!;
}

const str = (b: Buffer | string) => {
  const data = Buffer.isBuffer(b) ? b : Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};

function readStrings(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < blob.length;) {
    const len = blob.readUInt32BE(at);
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/**
 * An sk-ssh-ed25519@openssh.com or sk-ecdsa-sha2-nistp256@openssh.com key (OpenSSH's
 * PROTOCOL.u2f): the public part of a real ssh-keygen key, with the FIDO application appended.
 */
export function skKey(kind: 'ed25519' | 'ecdsa'): string {
  const base = sshKeygen(kind, kind === 'ecdsa' ? 256 : undefined);
  const parts = readStrings(Buffer.from(base.split(' ')[1]!, 'base64'));
  const type = kind === 'ed25519' ? 'sk-ssh-ed25519@openssh.com' : 'sk-ecdsa-sha2-nistp256@openssh.com';
  const blob = Buffer.concat([str(type), ...parts.slice(1).map(str), str('ssh:')]);
  return `${type} ${blob.toString('base64')} yubikey@hearth`;
}
