/** The `job` group: list the jobs and show one (its progress and log tail), to follow it. */
import { lazy } from '../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need } from '../auth/policy.js';
import { command, type Command } from '../api/command.js';
import { NullableInteger, NullableString, NullableTime, Params, Time } from '../api/schemas.js';

import { LOG_LINES } from './limits.js';

const jobs = lazy(() => import('./service.js'));

export const JobView = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'what it does: backup, restore, apply, upgrade, rollback…' }),
  title: Type.String(),
  status: Type.String({ description: 'queued, running, succeeded or failed' }),
  progress: Type.Unsafe<number | null>({ ...NullableInteger, description: '0–100; null while not known' }),
  created_at: Time,
  started_at: NullableTime,
  finished_at: NullableTime,
  log: Type.Array(Type.String(), { description: `the last lines of its log (at most ${LOG_LINES})` }),
  error: Type.Unsafe<string | null>({ ...NullableString, description: 'why it failed; null otherwise' }),
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'what it made (e.g. a snapshot id), once it succeeded' }),
});

export const COMMANDS: readonly Command[] = [
  command({
    path: 'job/list',
    summary: 'Long actions (backups, restores, configuration applies…), newest first, with status and progress',
    params: Params({
      kind: Type.Optional(Type.String({ description: 'only jobs of this kind, e.g. backup', maxLength: 40 })),
      limit: Type.Optional(Type.Integer({ description: 'at most this many (default 50, at most 500)', minimum: 1, maximum: 500 })),
    }),
    result: Type.Array(JobView),
    auth: need('maintainer'),
    run: ({ hearth }, p) => jobs.listJobs(hearth, p),
  }),
  command({
    path: 'job/show',
    summary: "One job: its status, progress, times, log tail and result (poll it to follow a job, or run 'hearth job watch ID')",
    params: Params({ id: Type.String({ description: "the job's id, as job/list shows it", minLength: 1, maxLength: 100 }) }),
    result: JobView,
    auth: need('maintainer'),
    run: ({ hearth }, p) => jobs.getJob(hearth, p.id),
  }),
];
