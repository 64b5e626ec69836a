/** The CLI on a real terminal, for the tests of its password prompts. */
import { spawn, spawnSync } from 'node:child_process';
import { CLI_MAIN } from './helpers.js';

/**
 * Runs the CLI on a real terminal (a pty, which node cannot make by itself): answers each prompt
 * (output ending in ": ") with the next answer, as typed keys, and passes the CLI's exit code on.
 * The output comes back without the terminal's cursor-control sequences.
 */
export const PTY_DRIVER = `
import json, os, pty, re, sys
answers = json.loads(sys.stdin.readline())
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
since = b''  # output since the last answer: the next prompt
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    since += chunk
    if answers and re.sub(rb'\\x1b\\[[0-9;]*[A-Za-z]', b'', since).endswith(b': '):
        os.write(fd, answers.pop(0).encode() + b'\\r')
        since = b''
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
export const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
if (!hasPython) console.log('# NOTICE: python3 with its pty module not found: the terminal prompt tests are skipped');

export function runOnTerminal(args: string[], env: Record<string, string>, answers: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn('python3', ['-c', PTY_DRIVER, process.execPath, CLI_MAIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
    proc.stdin.end(`${JSON.stringify(answers)}\n`);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      // Terminal escape sequences (ESC [ … letter) are stripped: the test reads the text.
      // eslint-disable-next-line no-control-regex
      resolve({ code, output: output.replace(/\r\n/g, '\n').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') });
    });
  });
}

/**
 * Runs hearthd on a real terminal until its output contains `until` (or `seconds` pass), then
 * stops it with SIGTERM; answers everything it wrote, without the terminal's colour sequences.
 */
const DAEMON_ON_TTY = `
import os, pty, signal, sys, time
until, seconds = sys.argv[1].encode(), float(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[3], sys.argv[3:])
out = b''
deadline = time.time() + seconds
stopped = False
while True:
    if not stopped and (until in out or time.time() > deadline):
        os.kill(pid, signal.SIGTERM)
        stopped = True
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
`;

export function daemonOnTerminal(daemonMain: string, env: Record<string, string>, until: string, seconds = 15): Promise<string> {
  return new Promise((resolve) => {
    const proc = spawn('python3', ['-c', DAEMON_ON_TTY, until, String(seconds), process.execPath, daemonMain], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), (seconds + 15) * 1000);
    proc.once('exit', () => {
      clearTimeout(timer);
      // eslint-disable-next-line no-control-regex
      resolve(output.replace(/\r\n/g, '\n').replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''));
    });
  });
}
