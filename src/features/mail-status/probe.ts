/**
 * Probes of a mail server's services over real sockets: SMTP (a connect and its `220` greeting),
 * IMAP (its `* OK` greeting, over TLS when configured) and, with a master user, an account's
 * unread count (IMAP `STATUS INBOX (UNSEEN)`, over TLS only). Each probe has one deadline.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface Endpoint {
  host: string;
  port: number;
  /** TLS from the start; `ca` (PEM) replaces the system's CAs when given. */
  tls?: { ca?: string };
  timeoutMs: number;
}

/** A line-at-a-time conversation on one socket, under one deadline. */
class Conversation {
  private buffer = '';
  private waiting: { test: (line: string) => boolean; resolve: (line: string) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    what: string,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.fail(new Error(`${what} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      if (this.buffer.length > 65536) return this.fail(new Error(`${what} sent an over-long line`));
      this.drain();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new Error(`${what}: ${err.code ?? err.message}`)));
    socket.on('close', () => this.fail(new Error(`${what} closed the connection`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.socket.destroy();
    clearTimeout(this.timer);
    const w = this.waiting;
    this.waiting = null;
    w?.reject(this.failure);
  }

  private drain(): void {
    while (this.waiting) {
      const end = this.buffer.indexOf('\n');
      if (end < 0) return;
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      if (this.waiting.test(line)) {
        const w = this.waiting;
        this.waiting = null;
        w.resolve(line);
      }
    }
  }

  /** The next line that passes `test` (lines before it are skipped). */
  line(test: (line: string) => boolean = () => true): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { test, resolve, reject };
      this.drain();
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  close(): void {
    clearTimeout(this.timer);
    this.failure ??= new Error('closed');
    this.socket.end();
    this.socket.destroy();
  }
}

function open(e: Endpoint, what: string): Conversation {
  const socket = e.tls ? tlsConnect({ host: e.host, port: e.port, servername: e.host, ca: e.tls.ca }) : tcpConnect({ host: e.host, port: e.port });
  return new Conversation(socket, what, e.timeoutMs);
}

/** Connects and reads the SMTP greeting; resolves when it is `220`, else rejects saying what came. */
export async function probeSmtp(e: Endpoint): Promise<void> {
  const c = open(e, `SMTP at ${e.host}:${e.port}`);
  try {
    // A multi-line greeting is `220-…` lines, then `220 …`.
    const line = await c.line((l) => !/^\d{3}-/.test(l));
    if (!line.startsWith('220')) throw new Error(`SMTP at ${e.host}:${e.port} greeted with ${JSON.stringify(line.slice(0, 100))}, not 220`);
    c.send('QUIT\r\n');
  } finally {
    c.close();
  }
}

/** Connects and reads the IMAP greeting; resolves on `* OK` (or `* PREAUTH`). */
export async function probeImap(e: Endpoint): Promise<void> {
  const c = open(e, `IMAP at ${e.host}:${e.port}`);
  try {
    await greeting(c, e);
    c.send('a1 LOGOUT\r\n');
  } finally {
    c.close();
  }
}

async function greeting(c: Conversation, e: Endpoint): Promise<void> {
  const line = await c.line();
  if (!/^\* (OK|PREAUTH)\b/i.test(line)) throw new Error(`IMAP at ${e.host}:${e.port} greeted with ${JSON.stringify(line.slice(0, 100))}, not * OK`);
}

/** An IMAP quoted string; a value with a line break or NUL cannot be one. */
function quoted(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error('an IMAP login name or password cannot hold a line break');
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/** Unseen messages in INBOX for `user`, asked over TLS (never over plain TCP). */
export async function imapUnseen(e: Endpoint & { tls: { ca?: string } }, user: string, password: string): Promise<number> {
  const c = open(e, `IMAP at ${e.host}:${e.port}`);
  try {
    await greeting(c, e);
    c.send(`a1 LOGIN ${quoted(user)} ${quoted(password)}\r\n`);
    const login = await c.line((l) => l.startsWith('a1 '));
    if (!/^a1 OK\b/i.test(login)) throw new Error(`the IMAP server refused the login: ${login.slice(3, 120)}`);
    c.send('a2 STATUS INBOX (UNSEEN)\r\n');
    let unseen: number | null = null;
    const done = await c.line((l) => {
      const m = /^\* STATUS .*\(.*UNSEEN (\d+).*\)/i.exec(l);
      if (m) unseen = Number(m[1]);
      return l.startsWith('a2 ');
    });
    if (!/^a2 OK\b/i.test(done) || unseen === null) throw new Error(`the IMAP server did not give the unread count: ${done.slice(3, 120)}`);
    c.send('a3 LOGOUT\r\n');
    return unseen;
  } finally {
    c.close();
  }
}
