/** Backups (maintainers): the restic repository, back up now with live progress, snapshots and restores. */
import { useCallback, useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, Empty, Field, Form, formatDate, Loaded, Loading, Notice, StackTable, useAction, useLoad } from '../ui';
import { active, JobProgress, JobStatus, usePolling, type Job } from './jobs';

interface Settings {
  configured: boolean;
  kind: 'local' | 'b2' | null;
  location: string | null;
  bucket: string | null;
  has_key: boolean;
  initialized: boolean;
  password_file: string | null;
  paths: string[];
  stop_units: string[];
}

interface Status {
  status: string;
  progress: number;
  error_message: string | null;
  job: string | null;
}

interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  paths: string[];
  hostname: string;
}

const STATES: Record<string, string> = {
  NO_KEY: 'No repository set',
  NOT_INITIALIZED: 'Ready (the first backup creates the repository)',
  INITIALIZING: 'Creating the repository…',
  INITIALIZED: 'Ready',
  BACKING_UP: 'Backing up…',
  RESTORING: 'Restoring…',
  ERROR: 'The last backup or restore failed',
};

export function BackupsPage() {
  const settings = useLoad(() => call<Settings>('backup/settings'));
  const snapshots = useLoad(() => call<Snapshot[]>('backup/list'));
  const [job, setJob] = useState<Job | null>(null);
  const status = useLoad(async () => {
    const s = await call<Status>('backup/status');
    if (s.job) setJob(await call<Job>('job/show', { id: s.job }));
    return s;
  });
  const busy = Boolean(status.data?.job);
  const following = Boolean(job && active(job));
  const refresh = useCallback(async () => {
    await status.reload();
    if (!job) return;
    const now = await call<Job>('job/show', { id: job.id });
    setJob(now);
    if (!active(now)) await Promise.all([snapshots.reload(), settings.reload()]);
  }, [job, status.reload]);
  usePolling(busy || following, refresh);
  const start = useAction();
  const startJob = (path: string, params: Record<string, unknown> = {}) =>
    start.run(async () => {
      setJob(await call<Job>(path, params));
      await status.reload();
    });
  const restore = (s: Snapshot) => {
    if (!confirm(`Restore snapshot ${s.short_id}? The backed-up paths are overwritten with it; the configured services are stopped meanwhile.`)) return;
    void startJob('backup/restore', { snapshot: s.id });
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>Backups</h1>
      </div>
      <Card
        title="Status"
        actions={
          <Button kind="primary" onClick={() => void startJob('backup/create')} busy={start.busy} disabled={busy || !settings.data?.configured}>
            Back up now
          </Button>
        }
      >
        {start.error && <Notice kind="error">{start.error}</Notice>}
        {status.error && <Notice kind="error">{status.error}</Notice>}
        {!status.data ? (
          <Loading what="the backup status" />
        ) : (
          <p data-backup-status={status.data.status}>
            <strong>{STATES[status.data.status] ?? status.data.status}</strong>
            {status.data.error_message && <span class="muted"> — {status.data.error_message}</span>}
          </p>
        )}
        {job && (
          <div class="row" data-backup-job={job.id}>
            <span>{job.title}</span> <JobStatus job={job} /> <JobProgress job={job} />
            {job.error && <Notice kind="error">{job.error}</Notice>}
          </div>
        )}
      </Card>
      <Repository settings={settings.data} error={settings.error} onSaved={() => Promise.all([settings.reload(), status.reload(), snapshots.reload()])} />
      <Card
        title="Snapshots"
        actions={
          <Button onClick={() => void call<Snapshot[]>('backup/reload').then(snapshots.setData)} busy={snapshots.loading}>
            Reload
          </Button>
        }
      >
        <Loaded
          load={snapshots}
          what="snapshots"
          isEmpty={(rows) => rows.length === 0}
          empty={<Empty title="No snapshots yet">Back up once and the snapshot appears here.</Empty>}
        >
          {(rows) => (
            <StackTable
              rows={rows}
              rowKey={(s) => s.id}
              rowData={(s) => ({ snapshot: s.short_id })}
              columns={[
                { label: 'Snapshot', cell: (s) => <code>{s.short_id}</code> },
                { label: 'Time', cell: (s) => formatDate(s.time) },
                { label: 'Paths', cell: (s) => s.paths.map((p) => (p.endsWith('/.hearth-backup') ? "Hearth's data" : p)).join(', ') },
              ]}
              actions={(s) => (
                <Button kind="danger" onClick={() => restore(s)} disabled={busy} label={`Restore snapshot ${s.short_id}`}>
                  Restore
                </Button>
              )}
            />
          )}
        </Loaded>
      </Card>
    </div>
  );
}

function Repository(props: { settings: Settings | null; error: string | null; onSaved: () => Promise<unknown> }) {
  const [path, setPath] = useState('');
  const [bucket, setBucket] = useState('');
  const [accountId, setAccountId] = useState('');
  const [accountKey, setAccountKey] = useState('');
  const save = useAction();
  const s = props.settings;
  const saveLocal = () =>
    save.run(async () => {
      await call('backup/local', { path });
      setPath('');
      await props.onSaved();
    });
  const saveB2 = () =>
    save.run(async () => {
      await call('backup/b2', { bucket, account_id: accountId, account_key: accountKey });
      setAccountKey('');
      await props.onSaved();
    });
  return (
    <Card title="Repository">
      {props.error && <Notice kind="error">{props.error}</Notice>}
      {save.error && <Notice kind="error">{save.error}</Notice>}
      {s?.configured ? (
        <dl class="facts">
          <dt>Where</dt>
          <dd data-repository={s.location}>{s.location}</dd>
          <dt>Password file</dt>
          <dd>
            <code>{s.password_file}</code> — keep a copy away from this server: a restore on a new machine needs it.
          </dd>
          <dt>Also backed up</dt>
          <dd>{s.paths.length ? s.paths.join(', ') : "Hearth's own data only"}</dd>
        </dl>
      ) : (
        <p class="muted">No repository yet: choose a local path (a mounted disk) or a Backblaze B2 bucket.</p>
      )}
      <Form onSubmit={saveLocal} label="Back up to a local path" class="form form-inline">
        <Field label="Local path" value={path} onInput={setPath} required hint="An absolute path, e.g. /mnt/backup/hearth." />
        <Button type="submit" busy={save.busy}>
          Use this path
        </Button>
      </Form>
      <Form onSubmit={saveB2} label="Back up to Backblaze B2" class="form form-inline">
        <Field label="B2 bucket" value={bucket} onInput={setBucket} required />
        <Field label="Key id" value={accountId} onInput={setAccountId} required />
        <Field
          label="Application key"
          type="password"
          value={accountKey}
          onInput={setAccountKey}
          required
          autocomplete="off"
          hint="Kept on the server, never shown again."
        />
        <Button type="submit" busy={save.busy}>
          Use this bucket
        </Button>
      </Form>
    </Card>
  );
}
