/** Known providers (Bitmask's `bonafide/provider`): `list|create|read|delete`. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { command, type Command } from '../../api/command.js';
import { Line, NoParams, NullableString, Params, Time } from '../../api/schemas.js';
import { need } from '../../auth/policy.js';

const providers = lazy(() => import('./service.js'));

/** A provider document (seed 000's fields); a remote one may lack some, and may carry more. */
export const ProviderDocumentSchema = Type.Object(
  {
    api_uri: Type.Optional(Type.String()),
    api_version: Type.Optional(Type.String()),
    ca_cert_fingerprint: Type.Optional(NullableString),
    ca_cert_uri: Type.Optional(NullableString),
    default_language: Type.Optional(Type.String()),
    description: Type.Optional(Type.Record(Type.String(), Type.String())),
    domain: Type.String(),
    enrollment_policy: Type.Optional(Type.String()),
    languages: Type.Optional(Type.Array(Type.String())),
    name: Type.Optional(Type.Record(Type.String(), Type.String())),
    service: Type.Optional(Type.Unknown()),
    services: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);

const ProviderView = Type.Object({
  domain: Type.String(),
  url: Type.String({ description: 'where it is fetched from' }),
  ca_cert_fingerprint: Type.String({ description: 'the pinned CA, `SHA256: <hex>`' }),
  created_at: Time,
  refreshed_at: Time,
});

const Name = Line({ description: 'the provider: its domain, or the https:// URL it was added with', minLength: 1, maxLength: 300 });

export const COMMANDS: readonly Command[] = [
  command({
    path: 'bonafide/provider/list',
    summary: 'Known providers: domain, URL, pinned CA fingerprint',
    params: NoParams,
    result: Type.Array(ProviderView),
    auth: need('consumer'),
    run: ({ hearth }) => providers.listProviders(hearth),
  }),
  command({
    path: 'bonafide/provider/create',
    summary: "Add (or refresh) a provider: its document fetched over HTTPS, its CA checked against the document's fingerprint and pinned",
    params: Params({
      domain: Line({
        description: 'a domain name (fetched from https://DOMAIN/provider.json), or an https:// URL with a port',
        minLength: 1,
        maxLength: 300,
      }),
      fingerprint: Type.Optional(
        Type.String({
          description:
            "the SHA-256 of the provider's CA as its core/status shows it: needed when no public CA signs its certificate, or to accept a changed CA",
          maxLength: 200,
        }),
      ),
    }),
    result: Type.Intersect([ProviderView, Type.Object({ document: ProviderDocumentSchema })]),
    auth: need('maintainer'),
    run: ({ hearth }, p) => providers.createProvider(hearth, p),
  }),
  command({
    path: 'bonafide/provider/read',
    summary: "A known provider's document, as stored",
    params: Params({ domain: Name }),
    result: ProviderDocumentSchema,
    auth: need('consumer'),
    run: ({ hearth }, p) => providers.readProvider(hearth, p.domain),
  }),
  command({
    path: 'bonafide/provider/delete',
    summary: 'Forget a known provider and its pinned CA',
    params: Params({ domain: Name }),
    result: Type.Object({ deleted: Type.String() }),
    auth: need('maintainer'),
    run: async ({ hearth }, p) => ({ deleted: await providers.deleteProvider(hearth, p.domain) }),
  }),
  command({
    path: 'bonafide/provider/session',
    summary:
      "The caller's session at a known provider (from bonafide/user/authenticate as user@provider), with its API URL and pinned CA: how `hearth --provider DOMAIN` reaches it",
    params: Params({ domain: Name }),
    result: Type.Object({
      provider: Type.String(),
      url: Type.String({ description: "the provider's API (its document's api_uri)" }),
      ca_cert: Type.String({ description: 'the pinned CA (PEM): trust only it' }),
      ca_cert_fingerprint: Type.String(),
      username: Type.String({ description: 'the user at the provider' }),
      authorization: Type.String({ description: 'the Authorization header value to send to the provider', writeOnly: true }),
      expires_at: NullableString,
    }),
    auth: need('consumer'),
    run: ({ hearth, principal }, p) => providers.providerSession(hearth, principal, p.domain),
  }),
];
