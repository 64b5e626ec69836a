/**
 * Fuzz: requests generated for every route the server registers (read from the server itself, so
 * a route added later is covered without touching this file), from the route's own schemas, and
 * hostile variants of them: malformed JSON, wrong types, missing and extra fields, huge strings
 * and arrays, 10,000 levels of nesting, lone surrogates, bidi and zero-width characters, NUL,
 * duplicate, huge and invalid headers, odd content types, bad paths and query strings — each with
 * every kind of credential (global token, login session, device token, role token, console cookie
 * with its CSRF token, vault access token), a broken one, or none. No answer may be a 5xx, and
 * the daemon (a real hearthd process, its [host] commands harmless scripts) must answer /health
 * throughout and still be running at the end.
 *
 * HEARTH_FUZZ_SEED sets the seed (fixed by default, so CI runs the same requests each time);
 * HEARTH_FUZZ_RUNS sets the number of requests on SQLite (PostgreSQL runs a quarter of them).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { pino } from 'pino';
import { makeRegistration, registerFinishBody, type Registration } from '../../src/vault-client/crypto.js';
import { loadConfig } from '../../src/kernel/config.js';
import { systemClock } from '../../src/kernel/clock.js';
import { Hearth } from '../../src/kernel/hearth.js';
import { buildServer, type RegisteredRoute } from '../../src/http/server.js';
import { call, tempHome, waitFor, type RunningDaemon } from '../support/helpers.js';
import { fakeHost } from '../support/fake-host.js';
import { forEachStore } from '../support/stores.js';
import { FAST_KDF } from '../support/vault-harness.js';

const SEED = Number(process.env.HEARTH_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.HEARTH_FUZZ_RUNS ?? 1000);
const DOMAIN = 'home.example';
const PASS = 'fuzzing is a kind of testing';
/** Requests that set up and check the credentials come from here (through the trusted proxy), so the fuzzer's failed logins do not lock them out. */
const SETUP_ADDRESS = '192.0.2.10';
/** Stopping the daemon is what core/stop is for, not a crash: it is called only with credentials that may not. */
const STOPS = new Set(['POST /API/core/stop']);

// ---- the routes, from the server as it registers them ------------------------------------------

interface FuzzRoute {
  method: string;
  url: string;
  body?: Schema;
  querystring?: Schema;
}

type Schema = Record<string, any>;

async function registeredRoutes(toml: string): Promise<FuzzRoute[]> {
  const { config, home } = loadConfig({ HEARTH_HOME: tempHome(toml), HEARTH_SERVER_DOMAIN: DOMAIN });
  const hearth = new Hearth({ config, home, clock: systemClock, requestStop: () => {} });
  const app = await buildServer({ hearth, logger: pino({ level: 'silent' }), resolvers: new Map() });
  await app.ready();
  const routes = app.hearthRoutes.flatMap((r: RegisteredRoute) =>
    r.method
      .split(',')
      .map((method) => ({ method, url: r.url, body: r.schema.body as Schema | undefined, querystring: r.schema.querystring as Schema | undefined })),
  );
  await app.close();
  return routes;
}

// ---- values: from a schema, and hostile ones ---------------------------------------------------

/** Strings that mean something here, so generated requests also get past the first checks. */
const MEANINGFUL = [
  'victim',
  `victim@${DOMAIN}`,
  'fuzzowner',
  'gitea',
  'mailserver',
  'UTC',
  'Europe/Berlin',
  'consumer',
  'maintainer',
  'password',
  'refresh_token',
  DOMAIN,
  '/tmp/hearth-fuzz-repository',
  'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
  '2.AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl fuzz',
  '00000000-0000-4000-8000-000000000000',
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
];

/** Lone surrogates, bidi overrides, zero-width and other edge cases of Unicode, NUL and control characters. */
const ODD_TEXT = [
  '\uD800',
  '\uDFFF',
  'a\uDC00b',
  '\u202Eevil\u202C',
  '\u200B',
  '\u200D\u200C',
  '\uFEFF',
  '\u0000',
  'a\u0000b',
  '\n',
  '\r\n',
  '\t',
  '\u0085',
  '\u2028\u2029',
  '\uFFFF',
  '\uFFFE',
  '\u{1F600}',
  'A\u0301\u0301\u0301',
  '%00',
  '../../etc/passwd',
  '$(reboot)',
  '`id`',
  '; rm -rf /',
  '{{7*7}}',
  '__proto__',
  'constructor',
  "' OR 1=1 --",
];

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.constantFrom(...MEANINGFUL) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_TEXT) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
);

const anyJson = fc.jsonValue({ maxDepth: 3 });

function fromSchema(s: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!s || typeof s !== 'object' || depth > 6) return anyJson;
  if (Array.isArray(s.anyOf)) return fc.oneof(...s.anyOf.map((x: Schema) => fromSchema(x, depth + 1)));
  if (Array.isArray(s.oneOf)) return fc.oneof(...s.oneOf.map((x: Schema) => fromSchema(x, depth + 1)));
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((t: string) => fromSchema({ ...s, type: t }, depth)));
  switch (s.type) {
    case 'string': {
      const sized = fc.string({ minLength: s.minLength ?? 0, maxLength: Math.max(s.minLength ?? 0, Math.min(s.maxLength ?? 40, 40)) });
      return fc.oneof({ weight: 2, arbitrary: sized }, { weight: 3, arbitrary: text });
    }
    case 'integer':
      return fc.oneof(
        fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 }),
        fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2),
      );
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(s.items, depth + 1), { maxLength: Math.min(s.maxItems ?? 4, 4) });
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const keys = Object.keys(props);
      if (!keys.length) return fc.constant({});
      const required = ((s.required ?? []) as string[]).filter((k) => keys.includes(k));
      return fc.record(Object.fromEntries(keys.map((k) => [k, fromSchema(props[k], depth + 1)])), { requiredKeys: required });
    }
    default:
      return anyJson;
  }
}

/** Hostile values to put in a field (raw JSON text: nesting and huge values are not built as objects). */
const hostileField = fc.oneof(
  anyJson.map((v) => JSON.stringify(v)),
  fc.constantFrom(...ODD_TEXT).map((v) => JSON.stringify(v)),
  fc.constantFrom(1, 5_000, 70_000, 1_100_000).map((n) => JSON.stringify('A'.repeat(n))),
  fc.constantFrom(10, 1_000, 100_000).map((n) => `[${Array<string>(n).fill('0').join(',')}]`),
  fc.constantFrom(65, 10_000).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.constantFrom(10_000).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.constantFrom('1e999', '-0', '0.1e-400', '123456789012345678901234567890', 'true', 'null', '{}', '[]', '""'),
);

/** Whole bodies that are not what any route takes. */
const MALFORMED = [
  '{',
  '[1,]',
  '{"a":1}}',
  "{'a':1}",
  'nul',
  '\u0000',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"a":"\\ud800"}',
  '"\\u0000"',
  '1e999999',
  '\uFEFF{}',
  '[]',
  '0',
  'true',
  '""',
  'grant_type=password&username=%ZZ&deviceIdentifier=x',
  'a=1&a=2&__proto__=x&constructor=y',
  '<?xml version="1.0"?><a/>',
];

type Body = { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Buffer };

function bodyFor(route: FuzzRoute): fc.Arbitrary<Body> {
  const valid = fromSchema(route.body);
  const asText = (v: unknown): Body => ({ kind: 'text', text: JSON.stringify(v) ?? 'null' });
  // A valid body with one field changed: a wrong type or hostile value, left out, or one more.
  const mutated = fc.tuple(valid, hostileField, fc.nat(), fc.string({ maxLength: 12 })).map(([v, bad, pick, extra]): Body => {
    const obj = v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
    const keys = Object.keys(obj).concat(Object.keys((route.body?.properties ?? {}) as object));
    const key = keys.length ? keys[pick % keys.length]! : extra || 'x';
    if (pick % 5 === 0) {
      delete obj[key];
      return asText(obj);
    }
    if (pick % 5 === 1) obj[`${extra}_extra`] = bad.length < 200 ? JSON.parse(bad) : 1;
    const fields = Object.entries(obj)
      .filter(([k]) => k !== key)
      .map(([k, x]) => `${JSON.stringify(k)}:${JSON.stringify(x) ?? 'null'}`);
    return { kind: 'text', text: `{${[...fields, `${JSON.stringify(key)}:${bad}`].join(',')}}` };
  });
  return fc.oneof(
    { weight: 4, arbitrary: valid.map(asText) },
    { weight: 4, arbitrary: mutated },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED).map((t): Body => ({ kind: 'text', text: t })) },
    { weight: 1, arbitrary: fc.constantFrom(10_000, 100_000).map((n): Body => ({ kind: 'text', text: '['.repeat(n) + ']'.repeat(n) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b): Body => ({ kind: 'bytes', bytes: Buffer.from(b) })) },
    { weight: 1, arbitrary: anyJson.map(asText) },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/json; charset=utf-16',
  'multipart/form-data',
  'multipart/form-data; boundary=x',
  'application/xml',
  'a/b/c',
  ';;;',
  'application/json, text/plain',
  '',
];

const pathPart = fc.oneof(
  { weight: 3, arbitrary: text.map((s) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')) },
  { weight: 1, arbitrary: fc.constantFrom('%00', '%ZZ', '%ED%A0%80', '%', '..%2F..%2Fetc', '%2e%2e', 'a'.repeat(3000), '%F0%9F', '%C0%AF', '~', '.', '..') },
);

const queryFor = (route: FuzzRoute) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    {
      weight: 2,
      arbitrary: fromSchema(route.querystring).map((q) =>
        q && typeof q === 'object'
          ? `?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')])).toString()}`
          : '',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('?a=%ZZ', '?withMainUser=true&withMainUser=false', '?__proto__[x]=1', `?q=${'a'.repeat(5000)}`, '?=&=&', '?%00=%00'),
    },
  );

type CredKind = 'none' | 'global' | 'session' | 'device' | 'role' | 'console' | 'vault' | 'broken';
const CRED_KINDS: CredKind[] = ['none', 'global', 'session', 'device', 'role', 'console', 'vault', 'broken'];

/** Headers besides the credential: duplicates, huge, odd values, other sites, forwarding. */
const extraHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.constant<[string, string][]>([]) },
  {
    weight: 4,
    arbitrary: fc.array(
      fc.constantFrom<[string, string]>(
        ['authorization', 'Bearer hd_' + 'x'.repeat(40)],
        ['authorization', 'Basic !!!'],
        ['authorization', 'Token ' + Buffer.from('fuzzer:').toString('base64')],
        ['authorization', 'Bearer'],
        ['authorization', 'Bearer ' + 'a.'.repeat(2000)],
        ['x-hearth-auth', ''],
        ['x-hearth-csrf', 'x'],
        ['cookie', 'hearth_session=x; hearth_session=y'],
        ['cookie', '%ZZ=%ZZ; ;;='],
        ['x-huge', 'a'.repeat(12_000)],
        ['origin', 'https://evil.example'],
        ['origin', 'null'],
        ['origin', 'not a url'],
        ['sec-fetch-site', 'cross-site'],
        ['x-forwarded-for', 'not-an-ip, ::ffff:1.2.3.4, 999.1.1.1'],
        ['x-forwarded-for', '203.0.113.7'],
        ['x-forwarded-proto', 'gopher'],
        ['x-forwarded-host', 'evil.example'],
        ['x-request-email', '%%%'],
        ['x-device-identifier', '\u00ff'.repeat(10)],
        ['device-type', '-1'],
        ['accept', '*/*;q=x'],
        ['content-encoding', 'gzip'],
        ['transfer-encoding', 'gzip'],
        ['expect', '100-continue'],
        ['host', 'evil.example'],
      ),
      { maxLength: 3 },
    ),
  },
);

interface FuzzRequest {
  method: string;
  path: string;
  cred: CredKind;
  contentType: string | null;
  body: Body;
  headers: [string, string][];
}

function requestFor(routes: FuzzRoute[]): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
      ),
      path: fc
        .tuple(fc.array(pathPart, { minLength: 4, maxLength: 4 }), queryFor(route))
        .map(([parts, q]) => route.url.replace(/:[A-Za-z_]+|\*/g, () => parts.shift() ?? 'x') + q),
      cred: fc.constantFrom(...CRED_KINDS),
      contentType: fc.oneof(
        { weight: 5, arbitrary: fc.constant('application/json') },
        { weight: 3, arbitrary: fc.constantFrom<string | null>(null, ...CONTENT_TYPES) },
      ),
      body: bodyFor(route),
      headers: extraHeaders,
    }),
  );
}

// ---- sending ------------------------------------------------------------------------------------

interface Answer {
  status: number;
  text: string;
}

/** One request as written (duplicate headers kept), through node:http; a refused connection is status 0. */
function send(base: string, r: { method: string; path: string; headers: [string, string][]; body?: Buffer }): Promise<Answer> {
  const u = new URL(base);
  const flat = r.headers.flat();
  if (!r.headers.some(([k]) => k === 'host')) flat.unshift('host', u.host);
  if (r.body) flat.push('content-length', String(r.body.length));
  return new Promise((resolve) => {
    const req = request(
      { host: u.hostname, port: u.port, method: r.method, path: r.path, headers: flat, setHost: false, agent: false, timeout: 60_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => resolve({ status: 0, text: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', (e) => resolve({ status: 0, text: e.message }));
    req.end(r.body);
  });
}

/**
 * The same request written by hand, for when Node's client cannot read the answer (Node's
 * parser refuses bad framing with a 400 or 431 that carries a body even for HEAD): the status line.
 */
function sendRaw(base: string, r: { method: string; path: string; headers: [string, string][]; body?: Buffer }): Promise<Answer> {
  const u = new URL(base);
  const headers = r.headers.some(([k]) => k === 'host') ? r.headers : [['host', u.host] as [string, string], ...r.headers];
  const head = `${r.method} ${r.path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}content-length: ${r.body?.length ?? 0}\r\nconnection: close\r\n\r\n`;
  return new Promise((resolve) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.end(Buffer.concat([Buffer.from(head, 'latin1'), r.body ?? Buffer.alloc(0)])));
    let out = '';
    socket.setTimeout(60_000, () => socket.destroy());
    socket.on('data', (c: Buffer) => (out += c.toString('latin1')));
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0), text: out.slice(0, 300) }));
    socket.on('error', () => {});
  });
}

// ---- credentials ---------------------------------------------------------------------------------

interface Creds {
  global: [string, string][];
  session: [string, string][];
  device: [string, string][];
  role: [string, string][];
  console: [string, string][];
  vault: [string, string][];
  broken: [string, string][];
}

const setupHeaders = (d: RunningDaemon, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': SETUP_ADDRESS, ...extra });

/** Makes (again) the fuzzer's account and one credential of each kind for it. */
async function mint(d: RunningDaemon, reg: { current: Registration | null }): Promise<Creds> {
  const g = { 'x-hearth-auth': d.token };
  const as = (headers: Record<string, string>) => ({ headers: setupHeaders(d, headers) });
  // The account may have been changed by a generated request: put it back as it was.
  await call({ url: d.url }, 'bonafide/user/create', { username: 'fuzzer', pass: PASS, role: 'maintainer' }, as(g));
  await call({ url: d.url }, 'bonafide/user/reset', { username: 'fuzzer', newpass: PASS }, as(g));
  await call({ url: d.url }, 'bonafide/user/role', { username: 'fuzzer', role: 'maintainer' }, as(g));
  const login = await call({ url: d.url }, 'bonafide/user/authenticate', { username: 'fuzzer', pass: PASS }, as({}));
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const session = login.body.result.authorization as string;
  const pair = await call({ url: d.url }, 'device/pair', {}, as({ authorization: session }));
  const device = await call({ url: d.url }, 'device/authorize', { token: pair.body.result.token, device: 'fuzz' }, as({}));
  assert.equal(device.status, 200, JSON.stringify(device.body));
  const role = await call({ url: d.url }, 'token/create', { role: 'maintainer', expiry: 86_400, label: 'fuzz' }, as(g));
  const prep = await call({ url: d.url }, 'web/loginprep', undefined, as({}));
  const loginCookie = (prep.headers.get('set-cookie') ?? '').split(';')[0]!;
  const web = await call(
    { url: d.url },
    'web/login',
    { loginToken: prep.body.result.loginToken, username: 'fuzzer', password: PASS },
    as({ cookie: loginCookie }),
  );
  assert.equal(web.status, 200, JSON.stringify(web.body));
  const sessionCookie = web.headers
    .getSetCookie()
    .find((c) => c.includes('hearth_session='))!
    .split(';')[0]!;
  // The vault: registered once; again if a generated request deleted it.
  const email = `fuzzer@${DOMAIN}`;
  const tokenLogin = () =>
    call({ url: d.url }, '/bitwarden/identity/connect/token', undefined, {
      raw: new URLSearchParams({
        grant_type: 'password',
        username: email,
        password: reg.current!.masterPasswordHash,
        scope: 'api offline_access',
        client_id: 'cli',
        deviceType: '14',
        deviceIdentifier: 'fuzz-device',
        deviceName: 'fuzz',
      }).toString(),
      headers: setupHeaders(d, { 'content-type': 'application/x-www-form-urlencoded' }),
    });
  let vault = reg.current ? await tokenLogin() : null;
  if (vault?.status !== 200) {
    await call({ url: d.url }, 'vault/delete', { username: 'fuzzer' }, as(g));
    const t = await call({ url: d.url }, 'vault/registration_token', { username: 'fuzzer' }, as(g));
    reg.current = await makeRegistration(email, PASS, FAST_KDF);
    const r = await call(
      { url: d.url },
      '/bitwarden/identity/accounts/register/finish',
      registerFinishBody(reg.current, t.body.result.token, 'fuzzer'),
      as({}),
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    vault = await tokenLogin();
  }
  assert.equal(vault.status, 200, JSON.stringify(vault.body));
  return {
    global: [['x-hearth-auth', d.token]],
    session: [['authorization', session]],
    device: [['authorization', `Bearer ${device.body.result.token}`]],
    role: [['authorization', `Bearer ${role.body.result.key}`]],
    console: [
      ['cookie', sessionCookie],
      ['x-hearth-csrf', web.body.result.csrf],
    ],
    vault: [['authorization', `Bearer ${vault.body.access_token}`]],
    broken: [['authorization', `Bearer ${vault.body.access_token.slice(0, -4)}AAAA`]],
  };
}

/** Whether every credential still works (a generated request may have logged one out, as it may). */
async function credsWork(d: RunningDaemon, c: Creds): Promise<boolean> {
  for (const kind of ['global', 'session', 'device', 'role', 'console'] as const) {
    const headers: [string, string][] = [...c[kind], ['x-forwarded-for', SETUP_ADDRESS], ['content-type', 'application/json']];
    const r = await send(d.url, { method: 'POST', path: '/API/core/whoami', headers, body: Buffer.from('{}') });
    if (r.status !== 200) {
      if (process.env.HEARTH_FUZZ_DEBUG) console.log('credential lost:', kind, r.status, r.text.slice(0, 200));
      return false;
    }
  }
  const v = await send(d.url, { method: 'GET', path: '/bitwarden/api/accounts/revision-date', headers: [...c.vault, ['x-forwarded-for', SETUP_ADDRESS]] });
  return v.status === 200;
}

// ---- the run ------------------------------------------------------------------------------------

forEachStore('fuzz: every route, generated and hostile requests', (store) => {
  store.it(`no 5xx and /health answers throughout (seed ${SEED})`, async (t) => {
    const f = fakeHost();
    const restic = f.script('restic', { out: '[]' });
    const toml = `[server]\ndomain = "${DOMAIN}"\ntrusted_proxies = ["127.0.0.1"]\n[security]\nfailure_delay = 0\n[backup]\nrestic = ${JSON.stringify(restic)}\nservice_stop = [${JSON.stringify(f.script('systemctl-stop'))}, "{unit}"]\nservice_start = [${JSON.stringify(f.script('systemctl-start'))}, "{unit}"]\n${f.toml()}`;
    const routes = await registeredRoutes(toml);
    assert.ok(routes.length > 100, `the server's routes are walked (${routes.length})`);
    const d = await store.startDaemon({ toml });
    await waitFor('readiness', async () => (await fetch(`${d.url}/readiness`)).status === 200, 30_000);
    // The owner, a victim account with a vault, and the fuzzer's own credentials.
    const g = { headers: setupHeaders(d, { 'x-hearth-auth': d.token }) };
    assert.equal((await call({ url: d.url }, 'bonafide/user/create', { username: 'fuzzowner', pass: PASS }, g)).status, 200);
    assert.equal((await call({ url: d.url }, 'bonafide/user/create', { username: 'victim', pass: PASS }, g)).status, 200);
    const reg = { current: null as Registration | null };
    let creds = await mint(d, reg);

    const runs = store.kind === 'postgres' ? Math.ceil(RUNS / 4) : RUNS;
    const samples = fc.sample(requestFor(routes), { seed: SEED, numRuns: runs });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let remints = 0;
    const started = Date.now();
    for (const [i, q] of samples.entries()) {
      const cred = STOPS.has(`${q.method} ${q.path.split('?')[0]}`) && !['none', 'broken', 'vault'].includes(q.cred) ? 'none' : q.cred;
      const headers: [string, string][] = [...(cred === 'none' ? [] : creds[cred]), ...q.headers];
      let body: Buffer | undefined;
      if (q.body.kind !== 'none') {
        body = q.body.kind === 'bytes' ? q.body.bytes : Buffer.from(q.body.text, 'utf8');
        if (q.contentType !== null) headers.push(['content-type', q.contentType]);
      }
      let a = await send(d.url, { method: q.method, path: q.path, headers, body });
      if (a.status === 0 && a.text.startsWith('Parse Error')) a = await sendRaw(d.url, { method: q.method, path: q.path, headers, body });
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      if (a.status >= 500 || a.status === 0) {
        const shown = q.body.kind === 'text' ? q.body.text.slice(0, 300) : q.body.kind;
        failures.push(
          `#${i} ${q.method} ${q.path.slice(0, 200)} [${cred}] ${q.contentType} ${JSON.stringify(q.headers.map(([k, v]) => [k, v.slice(0, 40)]))} body=${shown} → ${a.status} ${a.text.slice(0, 300)}`,
        );
      }
      if (i % 25 === 24) {
        const health = await send(d.url, { method: 'GET', path: '/health', headers: [] });
        assert.equal(health.status, 200, `/health after request #${i}: ${health.text}`);
        assert.equal(d.proc.exitCode, null, 'the daemon is running');
        if (!(await credsWork(d, creds))) {
          creds = await mint(d, reg);
          remints++;
        }
      }
    }
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(
      `${store.kind}: ${samples.length} requests over ${routes.length} routes in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((x, y) => x[0] - y[0])))}; credentials made again ${remints} times`,
    );
    assert.equal((await send(d.url, { method: 'GET', path: '/health', headers: [] })).status, 200, '/health at the end');
    assert.equal(d.proc.exitCode, null, 'the daemon did not crash');
    assert.deepEqual(failures, [], `answers of 5xx or none (seed ${SEED}):\n${failures.join('\n')}`);
  });
});
