/**
 * A Bitwarden client in TypeScript, for the tests: registers with client-made keys (the same
 * crypto module `hearth vault register` uses), logs in like bw 2026.9.0 (form body, device
 * headers), and calls the API with its access token.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decrypt, encrypt, makeRegistration, registerFinishBody, splitKey, type Kdf, type Registration, type SymKey } from '../../src/vault-client/crypto.js';
import { call, type CallResult } from './helpers.js';

export const FAST_KDF: Kdf = { kdfType: 0, iterations: 5000 };

export interface Daemonish {
  url: string;
  token: string;
}

/** The headers bw sends on every request. */
const clientHeaders = (device: string) => ({
  'device-type': '25',
  'device-identifier': device,
  'bitwarden-client-name': 'cli',
  'bitwarden-client-version': '2026.9.0',
  accept: 'application/json',
});

export class VaultClient {
  access = '';
  refresh = '';
  readonly device = randomUUID();
  constructor(
    readonly d: Daemonish,
    readonly email: string,
    readonly reg: Registration,
  ) {}

  get userKey(): SymKey {
    return splitKey(this.reg.userKey);
  }

  enc(text: string): string {
    return encrypt(text, this.userKey);
  }

  dec(enc: string): string {
    return decrypt(enc, this.userKey).toString('utf8');
  }

  /** Any Bitwarden route, with this client's headers and access token. */
  async api(method: string, path: string, body?: unknown, token: string | null = this.access): Promise<CallResult> {
    const headers: Record<string, string> = clientHeaders(this.device);
    if (token) headers.authorization = `Bearer ${token}`;
    return call({ url: this.d.url }, `/bitwarden${path}`, body, { method, headers });
  }

  async tokenRequest(form: Record<string, string>): Promise<CallResult> {
    return call({ url: this.d.url }, '/bitwarden/identity/connect/token', undefined, {
      method: 'POST',
      raw: new URLSearchParams(form).toString(),
      headers: { ...clientHeaders(this.device), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
  }

  async login(hash = this.reg.masterPasswordHash): Promise<CallResult> {
    const r = await this.tokenRequest({
      scope: 'api offline_access',
      client_id: 'cli',
      deviceType: '25',
      deviceIdentifier: this.device,
      deviceName: 'linux',
      grant_type: 'password',
      username: this.email,
      password: hash,
    });
    if (r.status === 200) {
      this.access = r.body.access_token;
      this.refresh = r.body.refresh_token;
    }
    return r;
  }

  async refreshTokens(token = this.refresh): Promise<CallResult> {
    const r = await this.tokenRequest({ grant_type: 'refresh_token', client_id: 'cli', refresh_token: token });
    if (r.status === 200) {
      this.access = r.body.access_token;
      this.refresh = r.body.refresh_token;
    }
    return r;
  }

  /** A login cipher encrypted with the user key. */
  loginCipher(name: string, password: string, extra: Record<string, unknown> = {}) {
    return {
      type: 1,
      name: this.enc(name),
      notes: null,
      favorite: false,
      folderId: null,
      reprompt: 0,
      login: {
        response: null,
        uris: [{ response: null, match: null, uri: this.enc('https://example.com') }],
        username: this.enc('me'),
        password: this.enc(password),
        passwordRevisionDate: null,
        totp: null,
      },
      fields: [],
      passwordHistory: [],
      attachments: {},
      attachments2: {},
      ...extra,
    };
  }
}

/** A registration token from the native API (with the owner's global token), then register/finish. */
export async function registerVault(d: Daemonish, username: string, password: string, kdf: Kdf = FAST_KDF, domain = 'home.example'): Promise<VaultClient> {
  const t = await call(d, 'vault/registration_token', { username });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  const email = `${username}@${domain}`;
  assert.equal(t.body.result.email, email);
  const reg = await makeRegistration(email, password, kdf);
  const r = await call({ url: d.url }, '/bitwarden/identity/accounts/register/finish', registerFinishBody(reg, t.body.result.token, username));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return new VaultClient(d, email, reg);
}
