/**
 * Remote servers: `hearth remote add NAME LINK` trades a pairing phrase for a device token over
 * HTTPS, pinning the certificate the link names, and keeps it in `$HEARTH_HOME/remotes.toml`
 * (0600); `hearth --remote NAME …` then runs any command against that server.
 *
 * Pinning: the link's `fp` is the SHA-256 of the server's local CA or of its certificate. Every
 * connection is checked before a byte of the request (and its token) is sent: the certificate
 * presented must be the pinned one, or be signed by the pinned CA (whose PEM is fetched once, at
 * `add`, and kept only if its fingerprint is the pinned one). Without `fp` the system's trusted
 * CAs decide, as for any HTTPS site (a server behind a TLS proxy with a public certificate).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions, type RequestOptions } from 'node:https';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { parse, stringify } from 'smol-toml';
import type { DeviceSlot } from '../auth/device-cookies.js';
import { writeFileAtomicSync } from '../host/files.js';
import { callCommand, CliError, type Endpoint } from './client.js';

export const REMOTES_FILE = 'remotes.toml';

export interface Remote {
  url: string;
  /** Lowercase hex SHA-256 of the pinned CA or certificate; empty: the system's CAs decide. */
  fingerprint: string;
  /** The pinned local CA's PEM, when the fingerprint is a CA's. */
  ca: string;
  token: string;
  device: string;
  added_at: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function checkRemoteName(name: string): void {
  if (!NAME.test(name))
    throw new CliError('remote:badName', `remote name ${JSON.stringify(name)}: use 1–63 letters, digits, _ . or -, starting with a letter or digit`);
}

/** `SHA256: AB:CD…`, `ab cd…` or plain hex → 64 lowercase hex digits; else an error naming the input. */
export function normalizeFingerprint(raw: string): string {
  const hex = raw
    .replace(/^sha-?256:?/i, '')
    .replace(/[\s:]/g, '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new CliError('remote:badLink', `the fingerprint must be 64 hex digits (SHA-256); got ${JSON.stringify(raw)}`);
  return hex;
}

const sha256 = (cert: X509Certificate) => cert.fingerprint256.replaceAll(':', '').toLowerCase();

/** `hearth://pair?url=…&fp=…&words=…` → its parts. */
export function parseLink(link: string): { url: string; fingerprint: string; words: string } {
  let u: URL;
  try {
    u = new URL(link.trim());
  } catch {
    throw new CliError('remote:badLink', 'not a pairing link: expected hearth://pair?url=…&fp=…&words=… (from "hearth device pair" or the console)');
  }
  if (u.protocol !== 'hearth:' || (u.hostname || u.pathname.replace(/^\/+/, '')) !== 'pair') {
    throw new CliError('remote:badLink', `not a pairing link: expected hearth://pair?…, got ${u.protocol}//${u.hostname}`);
  }
  const url = u.searchParams.get('url');
  const words = u.searchParams.get('words');
  if (!url || !words) throw new CliError('remote:badLink', 'the pairing link lacks its url or words; copy it again, whole');
  const fp = u.searchParams.get('fp');
  return { url, fingerprint: fp ? normalizeFingerprint(fp) : '', words };
}

/** The server URL: https only, without a trailing slash. */
export function checkServerUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError('remote:badUrl', `not a URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'https:') {
    throw new CliError(
      'remote:notHttps',
      `${u.origin} is not HTTPS: a device token must not cross the network in the clear; the server's maintainer turns HTTPS on ([server] tls_listen, or public_url behind a TLS proxy)`,
    );
  }
  return u;
}

// ---- remotes.toml ---------------------------------------------------------------------------

export const remotesPath = (home: string) => join(home, REMOTES_FILE);

export function readRemotes(home: string): Record<string, Remote> {
  let text: string;
  try {
    text = readFileSync(remotesPath(home), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError('remote:unreadable', `cannot read ${remotesPath(home)}: ${(err as NodeJS.ErrnoException).code}`);
  }
  try {
    const doc = parse(text) as { remote?: Record<string, Remote> };
    return doc.remote ?? {};
  } catch (err) {
    throw new CliError('remote:unreadable', `${remotesPath(home)} is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Written whole to a temporary file (0600) and renamed over the old one: never half a file, never readable by others. */
export function writeRemotes(home: string, remotes: Record<string, Remote>): void {
  const path = remotesPath(home);
  const header = '# Remote Hearth servers this CLI reaches (hearth remote add/list/remove). Holds device tokens: keep it 0600.\n';
  writeFileAtomicSync(path, header + stringify({ remote: remotes }) + '\n', 0o600);
}

export function getRemote(home: string, name: string): Remote {
  const remote = readRemotes(home)[name];
  if (!remote) throw new CliError('remote:unknown', `no remote named ${JSON.stringify(name)}; "hearth remote list" shows them, "hearth remote add" adds one`);
  return remote;
}

// ---- pinned HTTPS ---------------------------------------------------------------------------

/** Why the presented certificate is not the pinned one, or null when it is (or chains to the pinned CA). */
function pinProblem(socket: TLSSocket, fingerprint: string, caPem: string): string | null {
  const leaf = socket.getPeerX509Certificate();
  if (!leaf) return 'the server presented no certificate';
  if (sha256(leaf) === fingerprint) return null;
  if (caPem) {
    const ca = new X509Certificate(caPem);
    const now = Date.now();
    if (
      sha256(ca) === fingerprint &&
      leaf.checkIssued(ca) &&
      leaf.verify(ca.publicKey) &&
      Date.parse(leaf.validFrom) <= now + 60_000 &&
      Date.parse(leaf.validTo) > now
    )
      return null;
  }
  return `its certificate (SHA-256 ${sha256(leaf)}${leaf.issuer ? `, issued by ${leaf.issuer.replace(/\n/g, ', ')}` : ''}) is not the pinned ${fingerprint}${caPem ? ' nor signed by the pinned CA' : ''}`;
}

/**
 * An HTTPS agent whose connections are handed to a request only once the server's certificate
 * passed the pin: a server that fails it never sees the request, nor the token in it.
 */
class PinnedAgent extends HttpsAgent {
  constructor(
    private readonly fingerprint: string,
    private readonly caPem: string,
    private readonly origin: string,
    opts: AgentOptions = {},
  ) {
    super({ ...opts, keepAlive: false });
  }

  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | undefined {
    // The chain is checked here, against the pin, rather than by the system's CAs.
    const socket = connect({ ...(options as ConnectionOptions), rejectUnauthorized: false });
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      if (err) socket.destroy();
      callback?.(err, socket);
    };
    socket.once('secureConnect', () => {
      const problem = pinProblem(socket, this.fingerprint, this.caPem);
      finish(
        problem
          ? new CliError(
              'remote:fingerprintMismatch',
              `refusing ${this.origin}: ${problem}. Someone may be in between, or the server has a new certificate or CA; check with its maintainer, then "hearth remote add" again`,
            )
          : null,
      );
    });
    socket.once('error', (err) => finish(err));
    return undefined;
  }
}

function agentFor(url: URL, fingerprint: string, caPem: string): HttpsAgent {
  return fingerprint ? new PinnedAgent(fingerprint, caPem, url.origin) : new HttpsAgent({ keepAlive: false });
}

export function remoteEndpoint(remote: Remote): Endpoint {
  const url = checkServerUrl(remote.url);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 443,
    describe: url.origin,
    https: { agent: agentFor(url, remote.fingerprint, remote.ca), base: url.pathname.replace(/\/+$/, '') },
  };
}

/** `GET <url>/ca.pem` without a credential, trusting nothing yet: kept only if its fingerprint is the pinned one. */
function fetchPinnedCa(url: URL, fingerprint: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 443,
        path: `${url.pathname.replace(/\/+$/, '')}/ca.pem`,
        rejectUnauthorized: false,
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c.length + text.length > 65536 ? '' : c));
        res.on('end', () => {
          if (res.statusCode !== 200) return resolve('');
          try {
            resolve(sha256(new X509Certificate(text)) === fingerprint ? text : '');
          } catch {
            resolve('');
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
    req.end();
  });
}

/** Trades the phrase for a device token on the server, over pinned HTTPS; answers what to keep. */
export async function pairRemote(p: { url: string; fingerprint: string; words: string; device?: string }): Promise<Remote> {
  const url = checkServerUrl(p.url);
  const ca = p.fingerprint ? await fetchPinnedCa(url, p.fingerprint) : '';
  const remote: Remote = {
    url: url.href.replace(/\/+$/, ''),
    fingerprint: p.fingerprint,
    ca,
    token: '',
    device: p.device ?? hostname(),
    added_at: new Date().toISOString(),
  };
  const ep = remoteEndpoint(remote);
  let answer: { name: string; token: string };
  try {
    answer = (await callCommand(ep, '', 'device/authorize', { token: p.words, device: remote.device })) as { name: string; token: string };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO/.test(code))
      throw new CliError('remote:untrusted', `${url.origin} presented a certificate this system does not trust (${code}); use the link with its fp=…`);
    throw err;
  }
  return { ...remote, token: answer.token, device: answer.name };
}

// ---- the commands ---------------------------------------------------------------------------

export interface RemoteCli {
  /** The home whose remotes.toml is used. */
  home(): string;
  json(): boolean;
  say(line: string): void;
  output(path: string, result: unknown): Promise<void>;
}

/** `hearth remote add|list|remove`. */
export function addRemoteCommands(program: import('commander').Command, cli: RemoteCli): void {
  const remote = program.command('remote').description('other Hearth servers this CLI reaches over HTTPS: hearth --remote NAME <command>');
  remote
    .command('add')
    .description(
      'pair this CLI with another Hearth server: trade a pairing phrase (from that server\'s "hearth device pair" or console) for a device token, pinning its certificate',
    )
    .argument('<name>', 'a name for the server here, for --remote NAME')
    .argument('[link]', 'the pairing link: hearth://pair?url=…&fp=…&words=…')
    .option('--url <url>', "the server's https URL (instead of a link)")
    .option('--words <phrase>', 'the pairing phrase (instead of a link)')
    .option('--fp <sha256>', "the SHA-256 fingerprint of the server's CA or certificate to pin (with --url; without it the system's CAs decide)")
    .option('--device <name>', 'the name this device gets on the server (default: this host name)')
    .action(async (name: string, link: string | undefined, opts: { url?: string; words?: string; fp?: string; device?: string }) => {
      checkRemoteName(name);
      const home = cli.home();
      if (readRemotes(home)[name])
        throw new CliError('remote:exists', `a remote named ${JSON.stringify(name)} exists; "hearth remote remove ${name}" first, or choose another name`);
      let target: { url: string; fingerprint: string; words: string };
      if (link) {
        if (opts.url || opts.words) throw new CliError('remote:badLink', 'give a link, or --url and --words, not both');
        target = parseLink(link);
      } else {
        if (!opts.url || !opts.words) throw new CliError('remote:badLink', 'give the pairing link, or both --url and --words');
        target = { url: opts.url, words: opts.words, fingerprint: opts.fp ? normalizeFingerprint(opts.fp) : '' };
      }
      cli.say(`pairing with ${checkServerUrl(target.url).origin}${target.fingerprint ? ` (pinning SHA-256 ${target.fingerprint})` : ''}…`);
      const paired = await pairRemote({ ...target, device: opts.device });
      const remotes = readRemotes(home);
      remotes[name] = paired;
      writeRemotes(home, remotes);
      await cli.output(
        '',
        cli.json()
          ? { name, url: paired.url, fingerprint: paired.fingerprint || null, device: paired.device }
          : `added ${name}: ${paired.url} as device "${paired.device}" (token in ${remotesPath(home)}); try "hearth --remote ${name} core whoami"`,
      );
    });
  remote
    .command('list')
    .description('the remote servers this CLI knows (never their tokens)')
    .action(async () => {
      const rows = Object.entries(readRemotes(cli.home())).map(([name, r]) => ({
        name,
        url: r.url,
        fingerprint: r.fingerprint || null,
        pinned: r.ca ? 'CA' : r.fingerprint ? 'certificate' : 'system CAs',
        device: r.device,
        added_at: r.added_at,
      }));
      if (cli.json()) return cli.output('', rows);
      if (!rows.length) return cli.output('', 'no remotes; add one with "hearth remote add NAME LINK"');
      const w = Math.max(4, ...rows.map((r) => r.name.length));
      await cli.output(
        '',
        [
          `${'NAME'.padEnd(w)}  URL  (PINNED, DEVICE)`,
          ...rows.map((r) => `${r.name.padEnd(w)}  ${r.url}  (${r.pinned}${r.fingerprint ? ` ${r.fingerprint.slice(0, 16)}…` : ''}, ${r.device})`),
        ].join('\n'),
      );
    });
  remote
    .command('remove')
    .description('forget a remote server and its device token here (the server keeps the device until it is revoked there)')
    .argument('<name>')
    .action(async (name: string) => {
      const home = cli.home();
      const remotes = readRemotes(home);
      const r = remotes[name];
      if (!r) throw new CliError('remote:unknown', `no remote named ${JSON.stringify(name)}; "hearth remote list" shows them`);
      delete remotes[name];
      writeRemotes(home, remotes);
      // A device cannot revoke itself (its owner does, from another credential): say where.
      await cli.output(
        '',
        cli.json()
          ? { removed: name, device: r.device }
          : `removed ${name}; the device "${r.device}" stays valid on ${r.url} until revoked there (console → Devices, or "hearth device revoke ${r.device}" on that server)`,
      );
    });
}

/** Runs one native command on a remote server, as its paired device. */
export function callRemote(home: string, name: string, path: string, params: unknown, device?: (server: string) => DeviceSlot | undefined): Promise<unknown> {
  const remote = getRemote(home, name);
  return callCommand(remoteEndpoint(remote), remote.token, path, params, 'bearer', device?.(remote.url));
}

/** What the local daemon answers for `bonafide/provider/session`. */
interface ProviderSession {
  provider: string;
  url: string;
  ca_cert: string;
  ca_cert_fingerprint: string;
  authorization: string;
}

/**
 * Runs one native command at a known provider (`hearth --provider DOMAIN …`): the local daemon
 * keeps the provider list and the caller's session there (`bonafide/provider/session`); the call
 * then goes straight to the provider's API over HTTPS that trusts the pinned CA only.
 */
export async function callProvider(
  local: (path: string, params: unknown) => Promise<unknown>,
  domain: string,
  path: string,
  params: unknown,
): Promise<unknown> {
  const s = (await local('bonafide/provider/session', { domain })) as ProviderSession;
  const endpoint = remoteEndpoint({
    url: s.url,
    fingerprint: normalizeFingerprint(s.ca_cert_fingerprint),
    ca: s.ca_cert,
    token: '',
    device: '',
    added_at: '',
  });
  return callCommand(endpoint, s.authorization, path, params, 'authorization');
}
