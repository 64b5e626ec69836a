/**
 * `/openapi.json`, generated from the same schemas that validate requests, and an offline docs
 * page at `/docs` (seed 002's `enableSwagger`, here `[services] docs`). Registered on the root
 * instance before any other route, so that it sees them all.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { PUBLIC } from '../../auth/policy.js';
import { API_VERSION, VERSION_CORE } from '../../version.js';
import type { HearthRouteConfig } from '../route-config.js';

export async function registerDocs(app: FastifyInstance): Promise<void> {
  const { default: swagger } = await import('@fastify/swagger');
  // Each route's OpenAPI security follows its auth declaration.
  app.addHook('onRoute', (route: RouteOptions) => {
    const auth = (route.config as Partial<HearthRouteConfig> | undefined)?.auth;
    if (!auth || !route.schema) return;
    route.schema = { ...route.schema, security: 'public' in auth ? [] : [{ hearthAuth: [] }] } as typeof route.schema;
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hearth',
        version: VERSION_CORE,
        description: `hearthd native API version ${API_VERSION}. Every native command is POST /API/<group>/<command> with JSON params (an object, or a positional array in the documented order) and answers {"result": …, "error": null} or {"result": null, "error": {"code", "message"}}.`,
      },
      components: {
        securitySchemes: {
          hearthAuth: { type: 'apiKey', in: 'header', name: 'X-Hearth-Auth', description: 'The global API token from $HEARTH_HOME/authtoken' },
        },
      },
    },
  });
  app.get('/openapi.json', { config: { auth: PUBLIC, surface: 'docs' }, schema: { hide: true } }, async () => app.swagger());

  const { default: swaggerUi } = await import('@fastify/swagger-ui');
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route: RouteOptions) => {
      route.config = { auth: PUBLIC, surface: 'docs', ...(route.config ?? {}) };
    });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { validatorUrl: null, deepLinking: false },
    });
  });
}
