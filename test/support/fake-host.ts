/**
 * Real, harmless executables standing in for the host's commands (nixos-rebuild, systemctl…):
 * scripts in a temporary directory that record the argv they received, one JSON line per call,
 * and answer as told. Tests configure `[host]` with them and check what they got.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateProblem } from '../../src/host/state-file.js';
import { call, type CallResult } from './helpers.js';

export interface FakeHost {
  dir: string;
  /** A script that records its argv, prints `out`, and exits with `code` (after `sleepMs`). */
  script(name: string, opts?: { out?: string; code?: number; sleepMs?: number; bytes?: number }): string;
  /** `systemctl is-active`: answers the state set in `states` for the last argument, `inactive` otherwise. */
  statusScript(): string;
  states: Record<string, string>;
  /** The argv arrays each script received, in order. */
  calls(name?: string): string[][];
  stateFile: string;
  keysDir: string;
  dkimDir: string;
  /** A `[host]` section using these scripts for every action. */
  toml(extra?: string): string;
}

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function fakeHost(): FakeHost {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-host-'));
  made.push(dir);
  const log = join(dir, 'calls.jsonl');
  const statesFile = join(dir, 'states.json');
  const states: Record<string, string> = {};
  const write = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!${process.execPath}\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const record = (name: string) =>
    `require('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify({ name: ${JSON.stringify(name)}, argv: process.argv.slice(2) }) + '\\n');`;
  const host: FakeHost = {
    dir,
    states,
    stateFile: join(dir, 'state', 'hearth.json'),
    keysDir: join(dir, 'authorized_keys.d'),
    dkimDir: join(dir, 'dkim'),
    script(name, opts = {}) {
      const out = opts.bytes ? `process.stdout.write('x'.repeat(${opts.bytes}));` : `process.stdout.write(${JSON.stringify(opts.out ?? `${name} done\n`)});`;
      const finish = `${out} process.exitCode = ${opts.code ?? 0};`;
      return write(name, `${record(name)}\n${opts.sleepMs ? `setTimeout(() => { ${finish} }, ${opts.sleepMs});` : finish}`);
    },
    statusScript() {
      return write(
        'systemctl',
        `${record('systemctl')}
const fs = require('fs');
const states = fs.existsSync(${JSON.stringify(statesFile)}) ? JSON.parse(fs.readFileSync(${JSON.stringify(statesFile)}, 'utf8')) : {};
const unit = process.argv.at(-1);
const s = Object.hasOwn(states, unit) ? states[unit] : 'inactive';
process.stdout.write(s + '\\n');
process.exitCode = s === 'active' ? 0 : 3;`,
      );
    },
    calls(name) {
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { name: string; argv: string[] })
        .filter((c) => !name || c.name === name)
        .map((c) => c.argv);
    },
    toml(extra = '') {
      const q = JSON.stringify;
      return `[host]
apply = [${q(host.script('nixos-rebuild'))}, "switch"]
upgrade = [${q(host.script('nixos-rebuild'))}, "switch", "--upgrade"]
rollback = [${q(host.script('nixos-rebuild'))}, "switch", "--rollback"]
reboot = [${q(host.script('reboot'))}]
pull = [${q(host.script('git'))}, "-C", "/etc/nixos", "pull"]
service_status = [${q(host.statusScript())}, "is-active", "{unit}"]
state_file = ${q(host.stateFile)}
authorized_keys_dir = ${q(host.keysDir)}
dkim_dir = ${q(host.dkimDir)}
${extra}
`;
    },
  };
  // States are read by the status script at each call.
  const setState = () => writeFileSync(statesFile, JSON.stringify(states));
  host.states = new Proxy(states, {
    set(t, k, v) {
      t[k as string] = v as string;
      setState();
      return true;
    },
  });
  mkdirSync(join(dir, 'state'), { recursive: true });
  return host;
}

/** A request as a SelfPrivacy client sends it: `method` on a REST `path`, with `auth`'s headers. */
export function rest(d: { url: string }, auth: Record<string, string>, method: string, path: string, body?: unknown): Promise<CallResult> {
  return call({ url: d.url }, path, body, { method, headers: auth });
}

/** The state file as written, after checking it against its schema and that only its owner reads it. */
export function readState(f: FakeHost): any {
  const s = JSON.parse(readFileSync(f.stateFile, 'utf8'));
  assert.equal(stateProblem(s), null);
  assert.equal(statSync(f.stateFile).mode & 0o777, 0o600);
  return s;
}
