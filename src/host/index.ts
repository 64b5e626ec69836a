/**
 * The host: what Hearth changes and reads on the server it runs on, one small module per
 * facility, each behind an interface the features call. Built from `[host]` in the config.
 */
import type { HostAction } from './actions.js';
import type { Config } from '../kernel/config.js';
import { inHome } from '../kernel/config.js';
import { AuthorizedKeysDir, type AuthorizedKeysWriter } from './authorized-keys.js';
import { disks, type DiskReader } from './disk.js';
import { DkimDir, type DkimKeys } from './dkim.js';
import { runCommand, type RunOptions, type RunResult } from './runner.js';
import { StateFile, type StateFileWriter } from './state-file.js';
import { StatusCommand, type ServiceStatusReader } from './systemd.js';

export type { HostState, StateUser } from './state-schema.js';
export type { RunResult } from './runner.js';
export type { UnitState } from './systemd.js';
export type { VolumeUsage } from './disk.js';
export { describeRun, checkArgValue } from './runner.js';
export { SSH_KEY_TYPES } from './state-schema.js';

export { HOST_ACTIONS, type HostAction } from './actions.js';

export interface HostCommands {
  run(action: HostAction, opts?: Omit<RunOptions, 'timeoutMs' | 'values'>): Promise<RunResult>;
}

export interface Host {
  commands: HostCommands;
  stateFile: StateFileWriter;
  authorizedKeys: AuthorizedKeysWriter;
  services: ServiceStatusReader;
  disks: DiskReader;
  dkim: DkimKeys;
}

export function hostFrom(config: Config, home: string): Host {
  const c = config.host;
  return {
    commands: {
      run: (action, opts = {}) => runCommand(c[action], { ...opts, timeoutMs: c.command_timeout * 1000 }),
    },
    stateFile: new StateFile(inHome(home, c.state_file)),
    authorizedKeys: new AuthorizedKeysDir(inHome(home, c.authorized_keys_dir)),
    services: new StatusCommand(c.service_status, Math.min(10, c.command_timeout) * 1000),
    disks,
    dkim: new DkimDir(inHome(home, c.dkim_dir)),
  };
}

const cache = new WeakMap<object, Host>();

/** The host of a running Hearth (one per Hearth, built on first use). */
export function hostOf(h: { config: Config; options: { home: string } }): Host {
  let host = cache.get(h);
  if (!host) {
    host = hostFrom(h.config, h.options.home);
    cache.set(h, host);
  }
  return host;
}
