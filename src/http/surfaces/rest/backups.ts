/** SelfPrivacy's `/services/restic/…` backup routes, at its paths and with its status codes. */
import { Type } from '@sinclair/typebox';
import { Line } from '../../../api/schemas.js';
import { need } from '../../../auth/policy.js';
import { backupStatus, configureRepository, createBackup, listSnapshots, restoreSnapshot } from '../../../features/backups/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type CheckedRequest, type RouteDef } from '../../surface.js';

const B2Body = Type.Object({
  accountId: Line({ maxLength: 64 }),
  accountKey: Type.String({ maxLength: 200 }),
  bucket: Line({ maxLength: 50 }),
});
const RestoreBody = Type.Object({ backupId: Line({ maxLength: 64 }) });

export function backupRoutes(hearth: Hearth): RouteDef[] {
  const maintainer = need('maintainer');
  const reload = async () => {
    await listSnapshots(hearth, true);
    return { message: 'Snapshots reloaded' };
  };
  return [
    route({ method: 'GET', url: '/services/restic/backup/list', auth: maintainer, summary: 'Get all restic backups', handler: () => listSnapshots(hearth) }),
    // SelfPrivacy's GET, kept for its app; POST too, since it changes what the server holds.
    route({ method: 'GET', url: '/services/restic/backup/reload', auth: maintainer, summary: 'Force reload snapshots', handler: reload }),
    route({ method: 'POST', url: '/services/restic/backup/reload', auth: maintainer, summary: 'Force reload snapshots', handler: reload }),
    route({
      method: 'GET',
      url: '/services/restic/backup/status',
      auth: maintainer,
      summary: 'Get backup status',
      handler: async () => {
        const s = await backupStatus(hearth);
        return { status: s.status, progress: s.progress, error_message: s.error_message };
      },
    }),
    route({
      method: 'PUT',
      url: '/services/restic/backblaze/config',
      auth: maintainer,
      summary: 'Set the new key for backblaze',
      body: B2Body,
      handler: async (req: CheckedRequest<typeof B2Body>) => {
        await configureRepository(hearth, { kind: 'b2', account_id: req.body.accountId, account_key: req.body.accountKey, bucket: req.body.bucket });
        return 'New Backblaze settings';
      },
    }),
    route({
      method: 'PUT',
      url: '/services/restic/backup/create',
      auth: maintainer,
      summary: 'Initiate a new restic backup',
      handler: async () => {
        const job = await createBackup(hearth);
        return { message: 'Backup creation has started', job: job.id };
      },
    }),
    route({
      method: 'PUT',
      url: '/services/restic/backup/restore',
      auth: maintainer,
      summary: 'Start backup restoration',
      body: RestoreBody,
      handler: async (req: CheckedRequest<typeof RestoreBody>) => {
        const job = await restoreSnapshot(hearth, req.body.backupId);
        return { message: 'Backup restoration procedure started', job: job.id };
      },
    }),
  ];
}
