/**
 * The mail status (Bitmask's `mail/status`): the key manager (the account's OpenPGP key pair),
 * SMTP and IMAP (probed on the configured host and ports: a connect and the protocol's greeting,
 * with a short deadline) and incoming mail (the account's unread count, from the IMAP server over
 * TLS when a master user is configured). Nothing is cached: each call probes.
 */
import { readFile } from 'node:fs/promises';
import { inHome } from '../../kernel/config.js';
import type { Hearth } from '../../kernel/hearth.js';
import { keysStatus } from '../keys/service.js';
import { serviceState } from '../services/service.js';
import { imapUnseen, probeImap, probeSmtp, type Endpoint } from './probe.js';

export type ServiceStatus = 'on' | 'off' | 'starting' | 'stopping' | 'failed';
export type KeysValue = null | 'sync' | 'generating' | 'found';

export interface Child {
  status: ServiceStatus;
  error: string | null;
}

export interface MailStatus {
  status: ServiceStatus;
  keys: KeysValue;
  unread: number | null;
  childrenStatus: {
    keymanager: Child & { keys: KeysValue };
    smtp: Child;
    imap: Child;
    incoming: Child & { unread: number | null };
  };
  /** The mail server's units as the status command tells them (`[host] service_status`). */
  service: { state: string; units: { unit: string; state: string }[] };
  error: string | null;
}

/** What the units' state says of the mail service, where it says more than the probes: starting, stopping or failed. */
function fromUnits(state: string): ServiceStatus | null {
  return state === 'activating' ? 'starting' : state === 'deactivating' ? 'stopping' : state === 'failed' ? 'failed' : null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function probe(run: () => Promise<void>): Promise<Child> {
  try {
    await run();
    return { status: 'on', error: null };
  } catch (err) {
    return { status: 'failed', error: message(err) };
  }
}

/** The IMAP endpoint as configured, its CA read from the file `[mail] imap_ca` names. */
async function imapEndpoint(h: Hearth): Promise<Endpoint> {
  const m = h.config.mail;
  const timeoutMs = m.timeout * 1000;
  if (!m.imap_tls) return { host: m.imap_host, port: m.imap_port, timeoutMs };
  let ca: string | undefined;
  if (m.imap_ca) {
    const path = inHome(h.options.home, m.imap_ca);
    ca = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new Error(`[mail] imap_ca: cannot read ${path} (${err.code ?? err.message})`);
    });
  }
  return { host: m.imap_host, port: m.imap_port, tls: { ca }, timeoutMs };
}

async function incoming(h: Hearth, username: string, imap: Child, endpoint: Promise<Endpoint>): Promise<Child & { unread: number | null }> {
  const m = h.config.mail;
  if (!m.imap_host || !m.imap_master_user) return { status: 'off', unread: null, error: null };
  if (imap.status !== 'on') return { status: 'failed', unread: null, error: 'IMAP is not reachable' };
  const e = await endpoint;
  if (!e.tls) return { status: 'off', unread: null, error: 'unread counts are asked only over TLS: set [mail] imap_tls' };
  try {
    const unread = await imapUnseen({ ...e, tls: e.tls }, `${username}${m.imap_master_separator}${m.imap_master_user}`, m.imap_master_password);
    return { status: 'on', unread, error: null };
  } catch (err) {
    return { status: 'failed', unread: null, error: message(err) };
  }
}

/** The mail status of the account `account` (its id and name), probing the configured services now. */
export async function mailStatus(h: Hearth, account: { id: string; username: string }): Promise<MailStatus> {
  const m = h.config.mail;
  const endpoint = imapEndpoint(h);
  endpoint.catch(() => {}); // read below, where its failure is reported
  const [service, keys, smtp, imap] = await Promise.all([
    serviceState(h, 'mailserver').catch(() => ({ state: 'unknown' as const, units: [] })),
    keysStatus(h, account.id).catch(() => null),
    m.smtp_host ? probe(() => probeSmtp({ host: m.smtp_host, port: m.smtp_port, timeoutMs: m.timeout * 1000 })) : ({ status: 'off', error: null } as Child),
    m.imap_host ? probe(async () => probeImap(await endpoint)) : ({ status: 'off', error: null } as Child),
  ]);
  const inbox = await incoming(h, account.username, imap, endpoint);
  const keymanager = { status: 'on' as const, keys, error: null };
  const configured = [smtp, imap].filter((c) => c.status !== 'off');
  const failed = [smtp, imap, inbox].filter((c) => c.status === 'failed');
  const byUnits = fromUnits(service.state);
  const status: ServiceStatus = byUnits ?? (configured.length === 0 ? 'off' : failed.length ? 'failed' : 'on');
  const errors = failed.map((c) => c.error);
  if (byUnits === 'failed') {
    const down = service.units.filter((u) => u.state === 'failed').map((u) => u.unit);
    errors.unshift(`the mail server's ${down.length > 1 ? 'units' : 'unit'} ${down.join(', ')} failed`);
  }
  return {
    status,
    keys,
    unread: inbox.unread,
    childrenStatus: { keymanager, smtp, imap, incoming: inbox },
    service,
    error: errors.length ? errors.join('; ') : null,
  };
}
