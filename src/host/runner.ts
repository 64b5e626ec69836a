/**
 * Runs a host command: a configured argv array, started with `spawn` (never a shell). A
 * `{name}` argument (the whole argument, nothing around it) is replaced by a value that passed
 * `checkArgValue`; braces inside a longer argument are left as they are. Output is kept bounded
 * (the last `maxOutput` bytes of each stream) and the command is stopped at its timeout.
 */
import { spawn } from 'node:child_process';
import { badRequest } from '../kernel/errors.js';

export interface RunOptions {
  /** Values of the `{placeholder}` arguments. */
  values?: Record<string, string>;
  timeoutMs: number;
  /** Bytes kept of each of stdout and stderr (the last ones). Default 64 KiB. */
  maxOutput?: number;
  /** Each chunk of output as it comes (progress, log tails). */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Signal to stop it early. */
  signal?: AbortSignal;
}

export interface RunResult {
  argv: string[];
  /** Exit code; null when it did not exit by itself (killed, or it never started). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Some output was dropped (only the last `maxOutput` bytes are kept). */
  truncated: boolean;
  /** Why it could not start (no such executable, say). */
  error: string | null;
}

const PLACEHOLDER = /^\{([a-z_]+)\}$/;
const SAFE_VALUE = /^[A-Za-z0-9@._:+-]+$/;
export const MAX_ARG_VALUE = 256;

/**
 * A value for a placeholder: 1–256 characters of letters, digits and `@ . _ : + -`, not starting
 * with `-` (it would read as an option), no `..`. Else 400 naming the placeholder.
 */
export function checkArgValue(name: string, value: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_ARG_VALUE ||
    !SAFE_VALUE.test(value) ||
    value.startsWith('-') ||
    value.includes('..')
  ) {
    throw badRequest(
      `${name}: ${JSON.stringify(String(value).slice(0, 80))} is not allowed here (1–${MAX_ARG_VALUE} characters of a-z, A-Z, 0-9, @ . _ : + -, not starting with -)`,
    );
  }
  return value;
}

/** The argv with each `{name}` argument replaced by its checked value; an unknown placeholder is an error. */
export function substitute(argv: readonly string[], values: Record<string, string> = {}): string[] {
  return argv.map((arg) => {
    const m = PLACEHOLDER.exec(arg);
    if (!m) return arg;
    const name = m[1]!;
    if (!Object.hasOwn(values, name)) throw badRequest(`the command ${JSON.stringify(argv[0])} has a {${name}} argument that this action does not fill`);
    return checkArgValue(name, values[name]!);
  });
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max && this.chunks.length) {
      const over = this.size - this.max;
      const first = this.chunks[0]!;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
      }
      this.truncated = true;
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export async function runCommand(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
  const args = substitute(argv, opts.values);
  const max = opts.maxOutput ?? 65536;
  const out = new Tail(max);
  const err = new Tail(max);
  return new Promise((resolvePromise) => {
    let timedOut = false;
    let startError: string | null = null;
    const child = spawn(args[0]!, args.slice(1), {
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
      windowsHide: true,
    });
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = () => stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      opts.onOutput?.(b.toString('utf8'), 'stdout');
    });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      opts.onOutput?.(b.toString('utf8'), 'stderr');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      startError = e.code === 'ENOENT' ? `${args[0]}: no such executable` : e.code === 'EACCES' ? `${args[0]}: not executable` : e.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolvePromise({
        argv: args,
        code: startError ? null : code,
        signal: signal ?? null,
        stdout: out.text(),
        stderr: err.text(),
        timedOut,
        truncated: out.truncated || err.truncated,
        error: startError,
      });
    });
  });
}

/** One line saying how a run ended, for a job's log or an error message. */
export function describeRun(r: RunResult): string {
  if (r.error) return r.error;
  if (r.timedOut) return `${r.argv[0]} was stopped after its timeout`;
  if (r.signal) return `${r.argv[0]} was stopped by ${r.signal}`;
  return `${r.argv[0]} exited with ${r.code}`;
}
