/** Dashboard: what to fix, the daemon's version, uptime, readiness, components, disks, the mail status and request counts. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, readiness } from '../api';
import { Button, Card, duration, formatDate, Loading, Notice, useLoad } from '../ui';

interface Stats {
  uptime: number;
  started_at: string;
  requests: Record<string, number>;
  accounts: number | null;
  store: string;
}
interface Volume {
  path: string;
  total: number;
  free: number;
  used: number;
  free_percent: number;
  state: string;
  error: string | null;
}
interface Status {
  status: string;
  childrenStatus: Record<string, { status: string; error: string | null }>;
  warnings: string[];
  disk: { state: string; volumes: Volume[] };
}

/** 1536 → "1.5 KiB". */
function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function DashboardPage() {
  const { data, error, loading, reload } = useLoad(async () => {
    const [version, stats, ready, status] = await Promise.all([
      call<{ version_core: string; api_version: string }>('core/version'),
      call<Stats>('core/stats'),
      readiness(),
      call<Status>('core/status').catch((err) => {
        if (err instanceof ApiError && err.code === 'forbidden') return null; // needs the auditor role
        throw err;
      }),
    ]);
    return { version, stats, ready, status };
  });
  // Uptime ticks between refreshes.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [data]);

  if (!data) return error ? <Notice kind="error">{error}</Notice> : <Loading what="the server's status" />;
  const { version, stats, ready, status } = data;
  const requests = Object.entries(stats.requests).sort((a, b) => b[1] - a[1]);
  // What the daemon warns of, and any volume running out of room.
  const attention = status
    ? [
        ...status.warnings,
        ...status.disk.volumes
          .filter((v) => v.state === 'warning')
          .map((v) => `${v.path} is running out of room: ${bytes(v.free)} free (${Math.round(v.free_percent)} %)`),
      ]
    : [];
  return (
    <div class="page">
      <div class="page-head">
        <h1>Dashboard</h1>
        <Button onClick={reload} busy={loading}>
          Refresh
        </Button>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {attention.length > 0 && (
        <Notice kind="warn">
          <strong>Needs your attention</strong>
          <ul class="warnings">
            {attention.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Notice>
      )}
      <div class="tiles">
        <div class="tile">
          <span class="tile-label">Readiness</span>
          <span class={`badge ${ready.ready ? 'badge-on' : 'badge-warn'}`}>{ready.ready ? 'Ready' : 'Not ready'}</span>
        </div>
        <div class="tile">
          <span class="tile-label">Version</span>
          <span class="tile-value">{version.version_core}</span>
          <span class="tile-sub">API {version.api_version}</span>
        </div>
        <div class="tile">
          <span class="tile-label">Uptime</span>
          <span class="tile-value">{duration(stats.uptime + tick)}</span>
          <span class="tile-sub">since {formatDate(stats.started_at)}</span>
        </div>
        <div class="tile">
          <span class="tile-label">Accounts</span>
          <span class="tile-value">{stats.accounts ?? '—'}</span>
          <span class="tile-sub">store: {stats.store === 'postgres' ? 'PostgreSQL' : 'SQLite'}</span>
        </div>
      </div>
      <Card title="Components">
        {status ? (
          <>
            <p class="muted">
              Overall: <StatusBadge status={status.status} />
            </p>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col">State</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(status.childrenStatus).map(([name, c]) => (
                  <tr key={name}>
                    <td>{name}</td>
                    <td>
                      <StatusBadge status={c.status} />
                    </td>
                    <td class="muted">{c.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : (
          <Notice kind="info">Component details need the auditor role.</Notice>
        )}
        {!ready.ready && (
          <Notice kind="warn">
            Waiting for:{' '}
            {Object.entries(ready.waiting)
              .map(([n, c]) => `${n} (${c.status})`)
              .join(', ')}
          </Notice>
        )}
      </Card>
      {status && status.disk.volumes.length > 0 && (
        <Card title="Disks">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Volume</th>
                <th scope="col" class="num">
                  Used
                </th>
                <th scope="col" class="num">
                  Free
                </th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {status.disk.volumes.map((v) => (
                <tr key={v.path}>
                  <td>{v.path}</td>
                  <td class="num">{v.error ? '—' : bytes(v.used)}</td>
                  <td class="num">{v.error ? '—' : `${bytes(v.free)} (${Math.round(v.free_percent)} %)`}</td>
                  <td>
                    <StatusBadge status={v.state} />
                    {v.error && <span class="muted"> {v.error}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <MailCard />
      <Card title="Requests since start">
        {requests.length ? (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Surface</th>
                <th scope="col" class="num">
                  Requests
                </th>
              </tr>
            </thead>
            <tbody>
              {requests.map(([surface, n]) => (
                <tr key={surface}>
                  <td>{surface}</td>
                  <td class="num">{n}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">No requests yet.</p>
        )}
      </Card>
    </div>
  );
}

function StatusBadge({ status }: { status: string }) {
  const kind = status === 'on' || status === 'ok' ? 'on' : status === 'failed' ? 'bad' : status === 'off' ? 'off' : 'warn';
  return <span class={`badge badge-${kind}`}>{status}</span>;
}

interface MailStatus {
  status: string;
  keys: string | null;
  unread: number | null;
  childrenStatus: Record<string, { status: string; error: string | null; keys?: string | null; unread?: number | null }>;
}

/** The signed-in account's mail status: its key pair, SMTP and IMAP as probed now, unread mail. */
function MailCard() {
  const mail = useLoad(() => call<MailStatus>('mail/status'));
  return (
    <Card
      title="Mail"
      actions={
        <Button onClick={mail.reload} busy={mail.loading}>
          Check again
        </Button>
      }
    >
      {mail.error && <Notice kind="error">{mail.error}</Notice>}
      {!mail.data ? (
        !mail.error && <Loading what="the mail status" />
      ) : (
        <>
          <p class="muted" data-mail-status={mail.data.status}>
            Mail: <StatusBadge status={mail.data.status} /> · Key pair: {mail.data.keys ?? 'none'} · Unread: {mail.data.unread ?? '—'}
          </p>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">State</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(mail.data.childrenStatus).map(([name, c]) => (
                <tr key={name}>
                  <td>{name}</td>
                  <td>
                    <StatusBadge status={c.status} />
                  </td>
                  <td class="muted">{c.error ?? (c.keys !== undefined ? `keys: ${c.keys ?? 'none'}` : c.unread != null ? `${c.unread} unread` : '')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  );
}
