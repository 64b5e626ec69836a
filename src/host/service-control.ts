/**
 * Stops and starts a unit with the configured commands (`systemctl stop {unit}` and
 * `systemctl start {unit}` by default): argv only, `{unit}` replaced as a whole argument by a
 * checked unit name. Restores stop the affected services first and start them after.
 */
import { spawn } from 'node:child_process';
import { badRequest } from '../kernel/errors.js';

const UNIT = /^[a-zA-Z0-9@._:-]{1,128}$/;

export function checkUnit(unit: string): string {
  if (!UNIT.test(unit) || unit.startsWith('-') || unit.includes('..')) throw badRequest(`${JSON.stringify(unit.slice(0, 80))} is not a unit name`);
  return unit;
}

export interface UnitControl {
  stop(unit: string): Promise<void>;
  start(unit: string): Promise<void>;
}

function run(argv: readonly string[], unit: string, timeoutMs: number): Promise<void> {
  const args = argv.map((a) => (a === '{unit}' ? checkUnit(unit) : a));
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), {
      shell: false,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
      env: { ...process.env, LC_ALL: 'C' },
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', (e) => reject(new Error(`${args[0]}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${args.join(' ')}: ${err.trim().split('\n').at(-1) || (signal ? `stopped by ${signal}` : `exit code ${code}`)}`));
    });
  });
}

export class UnitCommands implements UnitControl {
  constructor(
    private readonly stopArgv: readonly string[],
    private readonly startArgv: readonly string[],
    private readonly timeoutMs: number,
  ) {}
  stop(unit: string): Promise<void> {
    return run(this.stopArgv, unit, this.timeoutMs);
  }
  start(unit: string): Promise<void> {
    return run(this.startArgv, unit, this.timeoutMs);
  }
}
