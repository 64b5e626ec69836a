/** Jobs (maintainers): long actions — backups, restores, applies — with live progress and their log. */
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, Empty, formatDate, Loaded, Notice, RefreshButton, StackTable, useLoad } from '../ui';

export interface Job {
  id: string;
  kind: string;
  title: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  log: string[];
  error: string | null;
  result: Record<string, unknown> | null;
}

const BADGE: Record<Job['status'], string> = { queued: 'badge-off', running: 'badge-warn', succeeded: 'badge-on', failed: 'badge-bad' };
export const active = (j: Job) => j.status === 'queued' || j.status === 'running';

export function JobStatus({ job }: { job: Job }) {
  return <span class={`badge ${BADGE[job.status]}`}>{job.status}</span>;
}

/** A progress bar with its number; an unknown progress is an indeterminate bar. */
export function JobProgress({ job }: { job: Job }) {
  const value = job.status === 'succeeded' ? 100 : job.progress;
  return (
    <span class="job-progress">
      <progress max={100} value={value ?? undefined} aria-label={`${job.title}: ${value === null ? 'progress unknown' : `${value}%`}`} />
      <span class="num">{value === null ? '–' : `${value}%`}</span>
    </span>
  );
}

/** Reloads every second while `running` says so: live progress by polling. */
export function usePolling(running: boolean, reload: () => Promise<void>) {
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => void reload(), 1000);
    return () => clearInterval(t);
  }, [running, reload]);
}

export function JobsPage() {
  const list = useLoad(() => call<Job[]>('job/list', { limit: 50 }));
  const [open, setOpen] = useState<string | null>(null);
  usePolling(Boolean(list.data?.some(active)), list.reload);
  const shown = list.data?.find((j) => j.id === open) ?? null;
  return (
    <div class="page">
      <div class="page-head">
        <h1>Jobs</h1>
      </div>
      <Card title="Recent jobs" actions={<RefreshButton load={list} />}>
        <Loaded
          load={list}
          what="jobs"
          isEmpty={(rows) => rows.length === 0}
          empty={<Empty title="No jobs yet">Backups, restores and configuration changes appear here while they run and after.</Empty>}
        >
          {(rows) => (
            <StackTable
              rows={rows}
              rowKey={(j) => j.id}
              rowData={(j) => ({ job: j.id })}
              columns={[
                { label: 'Job', cell: (j) => j.title },
                { label: 'Status', cell: (j) => <JobStatus job={j} /> },
                { label: 'Progress', cell: (j) => <JobProgress job={j} /> },
                { label: 'Started', cell: (j) => formatDate(j.started_at) },
                { label: 'Ended', cell: (j) => (j.finished_at ? formatDate(j.finished_at) : '—') },
              ]}
              actions={(j) => (
                <Button kind="ghost" onClick={() => setOpen(open === j.id ? null : j.id)} label={`Log of ${j.title}`}>
                  {open === j.id ? 'Hide log' : 'Log'}
                </Button>
              )}
            />
          )}
        </Loaded>
      </Card>
      {shown && (
        <Card title={`Log: ${shown.title}`}>
          {shown.error && <Notice kind="error">{shown.error}</Notice>}
          <pre class="job-log" aria-label="Job log">
            {shown.log.length ? shown.log.join('\n') : '(nothing yet)'}
          </pre>
        </Card>
      )}
    </div>
  );
}
