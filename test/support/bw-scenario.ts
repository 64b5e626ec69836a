/**
 * The official Bitwarden CLI (`@bitwarden/cli`, pinned) against a Hearth vault: each device is a
 * data directory of its own; bw runs as `node bw.js` with an argument vector (never a shell).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/kernel/paths.js';

export const BW_MAIN = join(PACKAGE_ROOT, 'node_modules', '@bitwarden', 'cli', 'build', 'bw.js');

export interface BwResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export class BwDevice {
  /** The device's data directory (bw's data.json), removed when the tests end. */
  readonly dir = mkdtempSync(join(tmpdir(), 'hearth-bw-'));
  session = '';
  /** Every command run, for the report. */
  readonly ran: string[] = [];
  constructor(
    readonly caPath: string,
    readonly password: string,
  ) {
    dirs.push(this.dir);
  }

  run(args: string[], opts: { session?: boolean } = {}): Promise<BwResult> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: this.dir,
      BITWARDENCLI_APPDATA_DIR: this.dir,
      NODE_EXTRA_CA_CERTS: this.caPath,
      BW_PASSWORD: this.password,
      BW_NOINTERACTION: 'true',
      NO_COLOR: '1',
    };
    if (opts.session !== false && this.session) env.BW_SESSION = this.session;
    this.ran.push(`bw ${args.map((a) => (a.length > 40 ? `${a.slice(0, 12)}…` : a)).join(' ')}`);
    return new Promise((resolve) => {
      const proc = spawn(process.execPath, [BW_MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Runs and expects exit 0; answers stdout. */
  async ok(args: string[], opts: { session?: boolean } = {}): Promise<string> {
    const r = await this.run(args, opts);
    assert.equal(r.code, 0, `bw ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout.trim();
  }

  async json(args: string[]): Promise<any> {
    return JSON.parse(await this.ok(args));
  }
}

/** `bw encode`, without a shell: base64 of the JSON text. */
export const encode = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64');

const base = {
  organizationId: null,
  collectionIds: null,
  folderId: null,
  notes: null,
  favorite: false,
  fields: [],
  login: null,
  secureNote: null,
  card: null,
  identity: null,
  sshKey: null,
  reprompt: 0,
};

export const ITEMS = {
  login: {
    ...base,
    type: 1,
    name: 'Mail',
    notes: 'my mail',
    login: { uris: [{ match: null, uri: 'https://mail.example.com' }], username: 'alice', password: 'hunter2', totp: null },
  },
  note: { ...base, type: 2, name: 'Note', notes: 'secret note', secureNote: { type: 0 } },
  card: {
    ...base,
    type: 3,
    name: 'Card',
    card: { cardholderName: 'Alice', brand: 'Visa', number: '4111111111111111', expMonth: '12', expYear: '2030', code: '123' },
  },
  identity: {
    ...base,
    type: 4,
    name: 'Me',
    identity: {
      title: 'Ms',
      firstName: 'Alice',
      middleName: null,
      lastName: 'Liddell',
      address1: null,
      address2: null,
      address3: null,
      city: 'Oxford',
      state: null,
      postalCode: null,
      country: 'GB',
      company: null,
      email: 'alice@example.com',
      phone: null,
      ssn: null,
      username: 'alice',
      passportNumber: null,
      licenseNumber: null,
    },
  },
  sshKey: {
    ...base,
    type: 5,
    name: 'Server key',
    sshKey: {
      privateKey:
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACCgYNjAFLH1uGLnwfU4g6d6GpN7jTwYJNvRw4R8y3f0+gAAAJCO1aB6jtWg\negAAAAtzc2gtZWQyNTUxOQAAACCgYNjAFLH1uGLnwfU4g6d6GpN7jTwYJNvRw4R8y3f0+g\nAAAEBb8Lf5y0Kz0c7GmVN7n9QeLk5P2Fv7P3bZz0jV2tCNtaBg2MAUsfW4YufB9TiDp3oa\nk3uNPBgk29HDhHzLd/T6AAAACWFsaWNlQGhvc3QBAgME\n-----END OPENSSH PRIVATE KEY-----\n',
      publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBg2MAUsfW4YufB9TiDp3oak3uNPBgk29HDhHzLd/T6 alice@host',
      keyFingerprint: 'SHA256:2XcZpnsqzE8uW0JxgbqH3l6QYc9q2S6zYH4W7fTq8mA',
    },
  },
} as const;

/**
 * The whole flow a person goes through with bw: config server, login, sync, folders, items of each
 * type (create, edit, trash, restore, delete for good), list, lock and unlock, a second device
 * seeing the first one's changes, logout. `baseUrl` is `https://…/bitwarden`.
 */
export async function bwScenario(baseUrl: string, caPath: string, email: string, password: string): Promise<string[]> {
  const one = new BwDevice(caPath, password);
  const two = new BwDevice(caPath, password);

  await one.ok(['config', 'server', baseUrl]);
  one.session = await one.ok(['login', email, '--passwordenv', 'BW_PASSWORD', '--raw']);
  assert.match(one.session, /^[A-Za-z0-9+/=]{40,}$/, 'login printed a session key');
  await one.ok(['sync', '--force']);
  assert.equal((await one.json(['status'])).status, 'unlocked');

  // Folders.
  const folder = await one.json(['create', 'folder', encode({ name: 'Work' })]);
  assert.equal(folder.name, 'Work');
  const renamed = await one.json(['edit', 'folder', folder.id, encode({ name: 'Work stuff' })]);
  assert.equal(renamed.name, 'Work stuff');
  const doomed = await one.json(['create', 'folder', encode({ name: 'Doomed' })]);
  await one.ok(['delete', 'folder', doomed.id]);
  const folders = (await one.json(['list', 'folders'])).map((f: any) => f.name);
  assert.ok(folders.includes('Work stuff') && !folders.includes('Doomed'), JSON.stringify(folders));

  // Items of each type: create, and edit.
  const ids: Record<string, string> = {};
  for (const [kind, item] of Object.entries(ITEMS)) {
    const created = await one.json(['create', 'item', encode({ ...item, folderId: kind === 'login' ? folder.id : null })]);
    assert.equal(created.name, item.name, kind);
    ids[kind] = created.id;
    const edited = await one.json(['edit', 'item', created.id, encode({ ...created, name: `${item.name} (edited)`, notes: `edited ${kind}` })]);
    assert.equal(edited.name, `${item.name} (edited)`);
  }
  const login = await one.json(['get', 'item', ids.login!]);
  assert.equal(login.login.password, 'hunter2');
  assert.equal(login.folderId, folder.id);
  assert.equal((await one.json(['get', 'item', ids.card!])).card.number, '4111111111111111');
  assert.equal((await one.json(['get', 'item', ids.sshKey!])).sshKey.publicKey, ITEMS.sshKey.sshKey.publicKey);

  // Trash, restore, delete for good.
  await one.ok(['delete', 'item', ids.note!]);
  const trashed = await one.json(['list', 'items', '--trash']);
  assert.deepEqual(
    trashed.map((i: any) => i.id),
    [ids.note],
  );
  await one.ok(['restore', 'item', ids.note!]);
  assert.deepEqual(await one.json(['list', 'items', '--trash']), []);
  await one.ok(['delete', 'item', ids.identity!, '--permanent']);
  const names = (await one.json(['list', 'items'])).map((i: any) => i.name).sort();
  assert.deepEqual(names, ['Card (edited)', 'Mail (edited)', 'Note (edited)', 'Server key (edited)']);

  // Lock and unlock.
  await one.ok(['lock']);
  assert.equal((await one.json(['status'])).status, 'locked');
  one.session = await one.ok(['unlock', '--passwordenv', 'BW_PASSWORD', '--raw']);
  assert.equal((await one.json(['get', 'item', ids.login!])).login.password, 'hunter2');

  // A second device sees it all; then a change made on the first after its sync.
  await two.ok(['config', 'server', baseUrl]);
  two.session = await two.ok(['login', email, '--passwordenv', 'BW_PASSWORD', '--raw']);
  assert.deepEqual((await two.json(['list', 'items'])).map((i: any) => i.name).sort(), names);
  assert.equal((await two.json(['get', 'item', ids.login!])).login.password, 'hunter2');
  const later = await one.json(['create', 'item', encode({ ...ITEMS.note, name: 'Written on device one' })]);
  await one.ok(['edit', 'folder', folder.id, encode({ name: 'Work (renamed on one)' })]);
  await two.ok(['sync']);
  assert.equal((await two.json(['get', 'item', later.id])).notes, 'secret note');
  assert.ok((await two.json(['list', 'folders'])).some((f: any) => f.name === 'Work (renamed on one)'));

  await one.ok(['logout']);
  await two.ok(['logout']);
  assert.equal((await one.json(['status'])).status, 'unauthenticated');
  return [...one.ran.map((c) => `device 1: ${c}`), ...two.ran.map((c) => `device 2: ${c}`)];
}
