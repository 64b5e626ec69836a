/**
 * Secrets (params whose schema says `writeOnly`: passwords) never have to be on the command line,
 * where every local user can read them in /proc/<pid>/cmdline. On a terminal they are asked for
 * without echo; otherwise each one is read as one line of stdin, so scripts can pipe them in.
 */
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import type { TObject, TSchema } from '@sinclair/typebox';
import { paramNames, type Command } from '../api/command.js';
import { CliError } from './client.js';

/**
 * Reads secrets one after another: on a terminal, asked for without echo (one readline for all
 * of them, so the terminal never leaves raw mode between two prompts and typed-ahead keys are not
 * echoed); otherwise as lines of stdin. Prompts go to stderr: stdout stays for the result.
 */
export class SecretReader {
  private rl: Interface | null = null;
  private lines: AsyncIterator<string> | null = null;
  private muted = false;

  /** `what` names the secret in errors; `confirm` asks twice on a terminal (a new password). */
  async read(what: string, prompt: string, confirm = false): Promise<string> {
    if (process.stdin.isTTY) {
      const first = await this.ask(prompt);
      if (confirm && (await this.ask('Repeat it: ')) !== first) {
        throw new CliError('cli:mismatch', `the two entries of ${what} differ; nothing was done`);
      }
      return first;
    }
    if (!this.lines) {
      this.rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
      this.lines = this.rl[Symbol.asyncIterator]();
    }
    const line = await this.lines.next();
    if (line.done) throw new CliError('cli:noInput', `${what} was not given: stdin is not a terminal and has no line left to read it from`);
    return line.value;
  }

  private ask(prompt: string): Promise<string> {
    if (!this.rl) {
      // readline echoes (and redraws) the line through its output: swallow that after the prompt.
      const sink = new Writable({
        write: (chunk, _enc, done) => {
          if (!this.muted) process.stderr.write(chunk);
          done();
        },
      });
      this.rl = createInterface({ input: process.stdin, output: sink, terminal: true });
      // Without a listener, Ctrl-C would only pause readline; with one, it ends the prompt.
      this.rl.on('SIGINT', () => this.rl!.close());
    }
    const rl = this.rl;
    return new Promise((resolve, reject) => {
      const closed = () => {
        process.stderr.write('\n');
        reject(new CliError('cli:cancelled', 'no password was entered'));
      };
      rl.once('close', closed);
      this.muted = false;
      rl.question(prompt, (answer) => {
        rl.off('close', closed);
        process.stderr.write('\n');
        resolve(answer);
      });
      this.muted = true;
    });
  }

  /** Gives the terminal back, or stops reading stdin (an open pipe would keep the CLI running). */
  close(): void {
    this.rl?.close();
  }
}

/** Whether a param of `cmd` is a new password (asked twice on a terminal). */
const isNewPassword = (cmd: Command, name: string) => name === 'newpass' || (cmd.path === 'bonafide/user/create' && name === 'pass');

/** Fills each secret param the command line did not give, in param order. */
export async function fillSecrets(cmd: Command, params: Record<string, unknown>): Promise<void> {
  const props = (cmd.params as TObject).properties as Record<string, TSchema>;
  // A secret with `x-ask-when` is needed only when that param is true (keys/export's password, for a private key).
  const needed = (n: string) => {
    const when = props[n]?.['x-ask-when'] as unknown;
    return typeof when !== 'string' || params[when] === true;
  };
  const missing = paramNames(cmd).filter((n) => props[n]?.writeOnly && params[n] === undefined && needed(n));
  if (missing.length === 0) return;
  const who = typeof params.username === 'string' ? ` for ${params.username}` : '';
  const reader = new SecretReader();
  try {
    for (const name of missing) {
      const isNew = isNewPassword(cmd, name);
      const label = name === 'oldpass' ? 'Current password' : isNew ? 'New password' : 'Password';
      params[name] = await reader.read(name, `${label}${who}: `, isNew);
    }
  } finally {
    reader.close();
  }
}

/** How the help describes a secret param. */
export const SECRET_HELP = 'asked for without echo when not given (read as one line of stdin when it is not a terminal)';
