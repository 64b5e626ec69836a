/**
 * The mail server's DKIM key: its DNS record read from `[host] dkim_dir` (for the owner to put in
 * DNS; SelfPrivacy's app reads it base64-encoded), and a key pair made when there is none.
 */
import { notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { hostOf } from '../../host/index.js';

export async function dkimRecord(h: Hearth): Promise<{ domain: string; record: string; base64: string }> {
  const domain = h.config.server.domain;
  const record = await hostOf(h).dkim.record(domain);
  if (record === null) throw notFound(`no DKIM key for ${domain} yet: make one with "hearth mail dkim generate"`);
  return { domain, record, base64: Buffer.from(record, 'utf8').toString('base64') };
}

/** Creates a DKIM key pair (RSA 2048, node:crypto) for the server's domain unless one exists. */
export async function generateDkim(h: Hearth): Promise<{ domain: string; created: boolean; record: string }> {
  const domain = h.config.server.domain;
  const made = await hostOf(h).dkim.generate(domain);
  return { domain, ...made };
}
