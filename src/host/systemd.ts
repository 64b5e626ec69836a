/** A unit's state from the configured status command (`systemctl is-active {unit}` by default). */
import { checkArgValue, runCommand } from './runner.js';

export const UNIT_STATES = ['active', 'reloading', 'inactive', 'failed', 'activating', 'deactivating', 'unknown'] as const;
export type UnitState = (typeof UNIT_STATES)[number];

export interface ServiceStatusReader {
  status(unit: string): Promise<UnitState>;
}

export class StatusCommand implements ServiceStatusReader {
  constructor(
    private readonly argv: readonly string[],
    private readonly timeoutMs = 10000,
  ) {}

  /** The first word the command prints, when it is a state systemd knows; `unknown` when it cannot tell. */
  async status(unit: string): Promise<UnitState> {
    checkArgValue('unit', unit);
    const r = await runCommand(this.argv, { values: { unit }, timeoutMs: this.timeoutMs, maxOutput: 4096 });
    if (r.error || r.timedOut) return 'unknown';
    const word = r.stdout.trim().split(/\s+/)[0] ?? '';
    return (UNIT_STATES as readonly string[]).includes(word) ? (word as UnitState) : 'unknown';
  }
}
