/**
 * SelfPrivacy's REST API, at its paths and with its status codes (its app and scripts call
 * these): device tokens, new-device pairing, recovery tokens, users. Each route calls the same
 * feature service as the native command of the same name; bodies are checked by their schemas.
 * Errors are `{"error": message, "code": code}`. Without a credential, an unknown path under the
 * surface answers 401 (SelfPrivacy checked credentials before routing); with one, a path that
 * exists with another method answers 405 with `Allow`.
 */
import type { FastifyInstance } from 'fastify';
import { HearthError } from '../../../kernel/errors.js';
import { lenientJson } from '../../json.js';
import { addRoutes, type SurfaceDescriptor, type SurfaceOptions } from '../../surface.js';
import { deviceTokenRoutes } from './auth-tokens.js';
import { backupRoutes } from './backups.js';
import { newDeviceRoutes } from './new-device.js';
import { recoveryRoutes } from './recovery.js';
import { serviceRoutes } from './services.js';
import { sshRoutes } from './ssh.js';
import { systemRoutes } from './system.js';
import { userRoutes } from './users.js';
import { versionRoutes } from './version.js';

export { SELFPRIVACY_API_VERSION } from './version.js';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const restError = (err: HearthError) => ({ error: err.message, code: err.code });

export const REST: SurfaceDescriptor = {
  name: 'rest',
  schemes: ['global', 'token', 'bearer'],
  prefixes: ['/auth/', '/users', '/services', '/system', '/api/'],
  error: (err) => ({ status: err.status, body: restError(err) }),
  cacheControl: 'no-store',
  crossOrigin: false,
  security: [{ hearthAuth: [] }, { hearthToken: [] }, { hearthBearer: [] }],
  notFound(req, reply, app) {
    const path = req.url.split('?')[0]!;
    if (!req.headers.authorization && !req.headers['x-hearth-auth']) {
      return reply.status(401).send(restError(new HearthError('user:noAuth', 'this call needs a credential')));
    }
    const allow = HTTP_METHODS.filter((m) => m !== req.method && app.findRoute({ method: m, url: path }));
    if (allow.length) {
      const e = new HearthError('methodNotAllowed', `${req.method} ${path} is not allowed; use ${allow.join(' or ')}`);
      return reply.status(405).header('allow', allow.join(', ')).send(restError(e));
    }
    return reply.status(404).send(restError(new HearthError('notFound', `no route ${req.method} ${path}`)));
  },
};

export async function restSurface(app: FastifyInstance, { hearth }: SurfaceOptions) {
  lenientJson(app);
  // SelfPrivacy's app sends `Content-Type: application/json` with no body: an empty object.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });
  const opts = { requires: ['store'], tag: 'selfprivacy' };
  addRoutes(app, REST, versionRoutes(), { tag: 'selfprivacy' });
  addRoutes(app, REST, deviceTokenRoutes(hearth), opts);
  addRoutes(app, REST, newDeviceRoutes(hearth), opts);
  addRoutes(app, REST, recoveryRoutes(hearth), opts);
  addRoutes(app, REST, userRoutes(hearth), opts);
  addRoutes(app, REST, backupRoutes(hearth), opts);
  addRoutes(app, REST, sshRoutes(hearth), opts);
  addRoutes(app, REST, serviceRoutes(hearth), opts);
  addRoutes(app, REST, systemRoutes(hearth), opts);
}
