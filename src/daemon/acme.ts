/**
 * A certificate from an ACME CA (`[server] acme_directory`): the account key and the certificate
 * are kept in `$HEARTH_HOME/acme/` (keys 0600); the HTTP-01 challenge is answered by the HTTP
 * listener (`/.well-known/acme-challenge/<token>`) from `hearth.acmeChallenges`. Loaded only when
 * ACME is on, with the client library, so an ordinary daemon never loads either.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { Agent, type AgentOptions } from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { ConfigError, inHome, type Config } from '../kernel/config.js';
import { writeFileAtomic, writeSecretOnce } from './home.js';
import { ACME_ACCOUNT_KEY_FILE, ACME_CERT_FILE, ACME_DIR, ACME_KEY_FILE } from './tls.js';

type Acme = typeof import('acme-client');
/** The client library, loaded on first use (an import here would be hoisted into the daemon's bundle). */
const library = async (): Promise<Acme> => {
  const mod = (await import('acme-client')) as Acme & { default?: Acme };
  return mod.default ?? mod;
};

const DIRECTORIES: Record<string, string> = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
};

export function directoryUrl(config: Config): string {
  return DIRECTORIES[config.server.acme_directory] ?? config.server.acme_directory;
}

/** The CAs the ACME server's HTTPS is checked against: the system's, and `[server] acme_ca`. */
function agentFor(config: Config, home: string): Agent {
  const opts: AgentOptions = { keepAlive: false };
  if (config.server.acme_ca) {
    const path = inHome(home, config.server.acme_ca);
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`[server] acme_ca: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
    }
    opts.ca = [...rootCertificates, pem];
  }
  return new Agent(opts);
}

export interface AcmeResult {
  certPath: string;
  notAfter: string;
  issuer: string;
}

/**
 * Orders a certificate for `[server] domain` (HTTP-01), and writes it and its key to the home.
 * `challenges` is what the HTTP listener answers from while the order is validated.
 */
export async function obtainCertificate(config: Config, home: string, challenges: Map<string, string>, log: (msg: string) => void): Promise<AcmeResult> {
  const acme = await library();
  const domain = config.server.domain;
  const dir = join(home, ACME_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const accountKeyPath = join(dir, ACME_ACCOUNT_KEY_FILE);
  writeSecretOnce(accountKeyPath, (await acme.crypto.createPrivateEcdsaKey()).toString());
  const accountKey = readFileSync(accountKeyPath, 'utf8');

  acme.axios.defaults.httpsAgent = agentFor(config, home);
  const client = new acme.Client({ directoryUrl: directoryUrl(config), accountKey });
  const key = await acme.crypto.createPrivateEcdsaKey();
  const [, csr] = await acme.crypto.createCsr({ commonName: domain, altNames: [domain] }, key);
  log(`asking ${directoryUrl(config)} for a certificate for ${domain} (HTTP-01)`);
  const cert = await client.auto({
    csr,
    email: config.server.acme_email || undefined,
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    // The CA checks; hearthd answers from memory and need not fetch its own challenge first.
    skipChallengeVerification: true,
    challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
      challenges.set(challenge.token, keyAuthorization);
    },
    challengeRemoveFn: async (_authz, challenge) => {
      challenges.delete(challenge.token);
    },
  });
  // The key first: a stop between the two leaves a pair that does not match, which is got again.
  writeFileAtomic(join(dir, ACME_KEY_FILE), key.toString(), 0o600);
  writeFileAtomic(join(dir, ACME_CERT_FILE), cert, 0o600);
  const info = acme.crypto.readCertificateInfo(cert);
  return { certPath: join(dir, ACME_CERT_FILE), notAfter: info.notAfter.toISOString(), issuer: info.issuer.commonName ?? '' };
}
