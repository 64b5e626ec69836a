/** The `backup` group: the restic repository, backups (jobs), snapshots, status and restores. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { Line, NoParams, NullableString, Params, Time } from '../../api/schemas.js';
import { JobView } from '../../jobs/commands.js';

const backups = lazy(() => import('./service.js'));

const maintainer = need('maintainer');

export const RepositoryView = Type.Object({
  configured: Type.Boolean(),
  kind: Type.Unsafe<string | null>({ ...NullableString, description: 'local or b2; null when none is set' }),
  location: Type.Unsafe<string | null>({ ...NullableString, description: 'the local path, or b2:<bucket>' }),
  bucket: NullableString,
  has_key: Type.Boolean({ description: 'whether a B2 key is set (it is never shown)' }),
  initialized: Type.Boolean({ description: 'whether the repository has been created (by the first backup)' }),
  password_file: Type.Unsafe<string | null>({
    ...NullableString,
    description: "the repository password's file (mode 0600): keep a copy away from this server, a restore on a new machine needs it",
  }),
  paths: Type.Array(Type.String(), { description: "[backup] paths, backed up besides Hearth's own data" }),
  stop_units: Type.Array(Type.String(), { description: '[backup] stop_units, stopped during a restore' }),
});

export const SnapshotView = Type.Object({
  id: Type.String(),
  short_id: Type.String(),
  time: Time,
  paths: Type.Array(Type.String()),
  hostname: Type.String(),
  tags: Type.Array(Type.String()),
});

const StatusView = Type.Object({
  status: Type.String({ description: 'NO_KEY, NOT_INITIALIZED, INITIALIZING, INITIALIZED, BACKING_UP, RESTORING or ERROR' }),
  progress: Type.Number({ description: 'of the running backup or restore, 0–1' }),
  error_message: NullableString,
  job: Type.Unsafe<string | null>({ ...NullableString, description: 'the running job, to follow with job/show' }),
});

export const COMMANDS: readonly Command[] = [
  command({
    path: 'backup/settings',
    summary: 'The backup repository (never its key), the paths backed up and the units a restore stops',
    params: NoParams,
    result: RepositoryView,
    auth: maintainer,
    run: ({ hearth }) => backups.repositorySettings(hearth),
  }),
  command({
    path: 'backup/local',
    summary: 'Back up into a restic repository at a local path (a disk mounted there, say); made by the first backup',
    params: Params({ path: Line({ description: 'an absolute path', minLength: 1, maxLength: 4096 }) }),
    result: RepositoryView,
    auth: maintainer,
    run: ({ hearth }, p) => backups.configureRepository(hearth, { kind: 'local', path: p.path }),
  }),
  command({
    path: 'backup/b2',
    summary: 'Back up into a Backblaze B2 bucket (the key is kept in a 0600 file, never shown again)',
    params: Params({
      bucket: Line({ description: 'the bucket name', minLength: 1, maxLength: 50 }),
      account_id: Line({ description: 'the B2 application key id', minLength: 1, maxLength: 64 }),
      account_key: Type.String({ description: 'the B2 application key', minLength: 1, maxLength: 200, writeOnly: true }),
    }),
    result: RepositoryView,
    auth: maintainer,
    run: ({ hearth }, p) => backups.configureRepository(hearth, { kind: 'b2', ...p }),
  }),
  command({
    path: 'backup/create',
    summary: "Start a backup (a job: follow it with job/show or 'hearth job watch ID'); 409 while one runs",
    params: NoParams,
    result: JobView,
    auth: maintainer,
    run: ({ hearth }) => backups.createBackup(hearth),
  }),
  command({
    path: 'backup/list',
    summary: "The repository's snapshots, newest first",
    params: NoParams,
    result: Type.Array(SnapshotView),
    auth: maintainer,
    run: ({ hearth }) => backups.listSnapshots(hearth),
  }),
  command({
    path: 'backup/reload',
    summary: 'Read the snapshots from the repository again (after a backup made elsewhere)',
    params: NoParams,
    result: Type.Array(SnapshotView),
    auth: maintainer,
    run: ({ hearth }) => backups.listSnapshots(hearth, true),
  }),
  command({
    path: 'backup/status',
    summary: 'The state of backups (as SelfPrivacy reports it) and the progress of the one running',
    params: NoParams,
    result: StatusView,
    auth: maintainer,
    run: ({ hearth }) => backups.backupStatus(hearth),
  }),
  command({
    path: 'backup/restore',
    summary:
      "Restore a snapshot's [backup] paths in place, stopping [backup] stop_units first (a job); the CLI with --home DIR --repo --password-file brings a whole Hearth back into an empty home",
    params: Params({ snapshot: Line({ description: "the snapshot's id (or its first 8 characters or more)", minLength: 1, maxLength: 64 }) }),
    result: JobView,
    auth: maintainer,
    run: ({ hearth }, p) => backups.restoreSnapshot(hearth, p.snapshot),
  }),
];
