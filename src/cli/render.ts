/** Human-readable output for command results: aligned `key  value` lines, nested by indent. */

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

export function render(value: unknown, indent = ''): string {
  if (isScalar(value)) return indent + scalar(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}(none)`;
    if (value.every(isScalar)) return value.map((v) => indent + scalar(v)).join('\n');
    return value.map((v) => render(v, indent)).join(`\n${indent}\n`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return `${indent}(empty)`;
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => (isScalar(v) ? `${indent}${k.padEnd(width)}  ${scalar(v)}` : `${indent}${k}:\n${render(v, indent + '  ')}`)).join('\n');
}

/** An aligned table with a header row; "(none)" when there are no rows. */
export function table<T>(rows: T[], columns: [header: string, cell: (row: T) => unknown][]): string {
  if (rows.length === 0) return '(none)';
  const cells = [columns.map(([header]) => header), ...rows.map((row) => columns.map(([, cell]) => scalar(cell(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) =>
      line
        .map((v, i) => v.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `2026-06-01T12:00:00.000Z` → `2026-06-01 12:00:00Z`: still UTC, easier to read in a column. */
const when = (iso: string | null) => iso && iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const yes = (b: boolean) => (b ? 'yes' : '');

interface Pairing {
  token: string;
  expires_at: string;
  link?: string | null;
}

/** The phrase, as words and as a QR code to scan, and how the new device uses it. */
async function pairing(r: Pairing): Promise<string> {
  // Loaded only here: no other command pays for the QR library.
  const { default: QRCode } = await import('qrcode');
  // The link, when there is one: it tells the new device where the server is and which certificate to pin.
  const qr = await QRCode.toString(r.link ?? r.token, { type: 'terminal', small: true });
  const minutes = Math.round((Date.parse(r.expires_at) - Date.now()) / 60_000);
  return [
    'Pairing phrase for a new device (single use):',
    '',
    `  ${r.token}`,
    '',
    qr.trimEnd(),
    '',
    `valid until ${when(r.expires_at)} (${minutes} minutes)`,
    '',
    ...(r.link
      ? ['The new device scans the code, or adds this server with', `  hearth remote add <name> '${r.link}'`, 'or, on this server,']
      : ['The new device trades it for its own device token with']),
    `  hearth device authorize "${r.token}" <name>`,
    'or POST /auth/new_device/authorize {"token": "<the words>", "device": "<name>"}',
  ].join('\n');
}

/** The authenticator's QR code to scan (made here from the URI), the URI and secret, and the next step. */
async function totpSetup(r: { secret: string; uri: string; expires_at: string }): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  const qr = await QRCode.toString(r.uri, { type: 'terminal', small: true });
  return [
    'Scan this with an authenticator app:',
    '',
    qr.trimEnd(),
    '',
    `  ${r.uri}`,
    '',
    `or type the secret: ${r.secret}`,
    '',
    'Then turn it on with a code from the app (within the hour):',
    '  hearth 2fa totp enable <code>',
  ].join('\n');
}

const recoveryCodes = (r: { recovery_codes: string[] }) =>
  ['Recovery codes (each works once; shown only now, keep them somewhere safe):', '', ...r.recovery_codes.map((c) => `  ${c}`)].join('\n');

interface StatusResult {
  status: string;
  childrenStatus: Record<string, { status: string; error: string | null }>;
  tls?: { url: string; ca_cert_fingerprint: string; ca_cert_path: string | null; cert_path: string; issuer?: string; not_after?: string } | null;
  acme?: { directory: string; status: string; error: string | null; renew_at: string | null } | null;
  disk?: { state: string; volumes: { path: string; free: number; total: number; free_percent: number; state: string; error: string | null }[] };
  warnings?: string[];
}

const GIB = 1024 ** 3;

/** Commands whose results read better in a shape of their own. */
// Each renderer types the result of its own command; the table holds them all.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const RENDERERS: Record<string, (result: any) => string | Promise<string>> = {
  'core/status': (r: StatusResult) => {
    const names = Object.keys(r.childrenStatus);
    const width = Math.max(...names.map((n) => n.length));
    const lines = names.map((n) => {
      const c = r.childrenStatus[n]!;
      return `  ${n.padEnd(width)}  ${c.status}${c.error ? `  (${c.error})` : ''}`;
    });
    const tls = r.tls
      ? [
          `https  ${r.tls.url}`,
          r.tls.ca_cert_path ? `  ca           ${r.tls.ca_cert_path}` : `  certificate  ${r.tls.cert_path}`,
          `  fingerprint  ${r.tls.ca_cert_fingerprint}`,
          ...(r.tls.issuer ? [`  issuer       ${r.tls.issuer}`] : []),
          ...(r.tls.not_after ? [`  expires      ${when(r.tls.not_after)}`] : []),
        ]
      : [];
    const acme = r.acme
      ? [
          `acme   ${r.acme.status}  ${r.acme.directory}${r.acme.renew_at ? `  (renews ${when(r.acme.renew_at)})` : ''}`,
          ...(r.acme.error ? [`  last error   ${r.acme.error}`] : []),
        ]
      : [];
    const disks = (r.disk?.volumes ?? []).map((v) =>
      v.error
        ? `disk   ${v.path}  unknown (${v.error})`
        : `disk   ${v.path}  ${(v.free / GIB).toFixed(1)} GiB free of ${(v.total / GIB).toFixed(1)} GiB (${v.free_percent}%)${v.state === 'warning' ? '  WARNING: low on space' : ''}`,
    );
    const warnings = (r.warnings ?? []).map((w) => `warning: ${w}`);
    return [`hearthd  ${r.status}`, ...lines, ...tls, ...acme, ...disks, ...warnings].join('\n');
  },
  'device/pair': pairing,
  '2fa/totp/setup': totpSetup,
  '2fa/totp/enable': recoveryCodes,
  '2fa/recovery/regenerate': recoveryCodes,
  'device/list': (rows: { name: string; role: string; date: string; last_used: string | null; is_caller: boolean }[]) =>
    table(rows, [
      ['NAME', (d) => d.name],
      ['ROLE', (d) => d.role],
      ['CREATED', (d) => when(d.date)],
      ['LAST USED', (d) => when(d.last_used)],
      ['THIS ONE', (d) => yes(d.is_caller)],
    ]),
  'token/list': (rows: { id: string; role: string; label: string; issued_at: string; expires_at: string; revoked: boolean }[]) =>
    table(rows, [
      ['ID', (t) => t.id],
      ['ROLE', (t) => t.role],
      ['LABEL', (t) => t.label || '-'],
      ['ISSUED', (t) => when(t.issued_at)],
      ['EXPIRES', (t) => when(t.expires_at)],
      ['STATE', (t) => (t.revoked ? 'revoked' : 'active')],
    ]),
  'auth/log': (rows: { at: string; surface: string; username: string; address: string; success: boolean; reason: string }[]) =>
    table(rows, [
      ['TIME', (e) => when(e.at)],
      ['RESULT', (e) => (e.success ? 'ok' : 'FAILED')],
      ['USERNAME', (e) => e.username],
      ['SURFACE', (e) => e.surface],
      ['ADDRESS', (e) => e.address],
      ['REASON', (e) => e.reason],
    ]),
  'job/list': (rows: { id: string; kind: string; status: string; progress: number | null; started_at: string | null; finished_at: string | null }[]) =>
    table(rows, [
      ['ID', (j) => j.id],
      ['KIND', (j) => j.kind],
      ['STATUS', (j) => j.status],
      ['PROGRESS', (j) => (j.progress === null ? '-' : `${j.progress}%`)],
      ['STARTED', (j) => when(j.started_at)],
      ['ENDED', (j) => when(j.finished_at)],
    ]),
  'bonafide/user/list': (rows: { username: string; role: string; owner: boolean; full_name: string | null; created_at: string }[]) =>
    table(rows, [
      ['USERNAME', (a) => a.username],
      ['ROLE', (a) => a.role],
      ['OWNER', (a) => yes(a.owner)],
      ['FULL NAME', (a) => a.full_name],
      ['CREATED', (a) => when(a.created_at)],
    ]),
};
