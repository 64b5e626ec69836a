/**
 * Jobs over real HTTP on SQLite and PostgreSQL: a job's life (queued → running → succeeded or
 * failed) with progress and a bounded log, one job of a kind at a time (also against another
 * replica's row), jobs a dead daemon left running marked failed at start, maintainer only, and
 * `hearth job list|watch` (plain lines, JSON lines, and a progress bar on a terminal). Then
 * daemons on one PostgreSQL store: a starting replica leaves a live one's job alone, and fails a
 * killed one's once its heartbeat is stale.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { startDaemon, startInProcess, call, runCli, waitFor, type RunningDaemon } from '../support/helpers.js';
import { fakeHost } from '../support/fake-host.js';
import { pgSchema, pgSkip } from '../support/pg.js';
import { forEachStore } from '../support/stores.js';
import { hasPython, runOnTerminal } from '../support/pty.js';
import { HearthError } from '../../src/kernel/errors.js';
import { getJob, jobFinished, startJob, LOG_LINES, LOG_LINE_LENGTH, type JobContext } from '../../src/jobs/service.js';
import type { InProcessDaemon } from '../support/helpers.js';

/** A job whose steps the test drives: `step()` lets the work take its next step. */
function gate() {
  let open: () => void = () => {};
  let ctx!: JobContext;
  const next = () => new Promise<void>((r) => (open = r));
  return {
    work: async (c: JobContext, steps: ((c: JobContext) => void)[]) => {
      ctx = c;
      for (const s of steps) {
        await next();
        s(ctx);
      }
    },
    step: () => open(),
  };
}

const until = async (what: string, f: () => Promise<boolean>) => {
  for (let i = 0; i < 800; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

forEachStore('jobs', (store) => {
  let d: InProcessDaemon & { store: { env: Record<string, string>; home: string } };
  store.before(async () => (d = await store.startInProcess()));
  // The daemons a test restarts are this suite's to stop (stopping twice is harmless).
  after(async () => d?.stop());

  store.it('a job runs: queued at once, then running with progress and log over job/show, then succeeded with its result', async () => {
    const g = gate();
    const job = await startJob(d.daemon.hearth, 'test-life', (c) =>
      g
        .work(c, [
          (x) => {
            x.progress(10);
            x.log('first line');
          },
          (x) => {
            x.progress(55.4);
            x.log('second\nthird');
            x.progress(20); // never backwards
          },
          () => {},
        ])
        .then(() => ({ made: 'thing' })),
    );
    assert.equal(job.status, 'queued');
    assert.equal(job.progress, null);
    assert.match(job.id, /^[0-9a-f-]{36}$/);
    await until('running', async () => (await call(d, 'job/show', { id: job.id })).body.result?.status === 'running');
    g.step();
    await until('progress 10', async () => (await call(d, 'job/show', { id: job.id })).body.result.progress === 10);
    g.step();
    await until('progress 55', async () => (await call(d, 'job/show', { id: job.id })).body.result.progress === 55);
    const mid = (await call(d, 'job/show', { id: job.id })).body.result;
    assert.deepEqual(mid.log, ['first line', 'second', 'third']);
    assert.equal(mid.finished_at, null);
    assert.ok(mid.started_at);
    g.step();
    const end = await jobFinished(d.daemon.hearth, job.id);
    assert.equal(end.status, 'succeeded');
    assert.equal(end.progress, 100);
    assert.deepEqual(end.result, { made: 'thing' });
    // And from the store, as another replica (or this daemon after a restart) reads it.
    const row = await d.daemon.hearth.store.db.selectFrom('jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'succeeded');
    assert.deepEqual(JSON.parse(row.log), ['first line', 'second', 'third']);
    assert.ok(row.finished_at! >= row.started_at!);
    const list = (await call(d, 'job/list', { kind: 'test-life' })).body.result;
    assert.equal(list.length, 1);
    assert.equal(list[0].id, job.id);
  });

  store.it('one job of a kind at a time: 409 naming the running job; another kind runs alongside; after the end a new one starts', async () => {
    const h = d.daemon.hearth;
    const g = gate();
    const first = await startJob(h, 'test-one', (c) => g.work(c, [() => {}]));
    await assert.rejects(
      startJob(h, 'test-one', async () => {}),
      (err: HearthError) => err.status === 409 && err.message.includes(first.id),
    );
    const other = await startJob(h, 'test-other', async () => {});
    assert.equal((await jobFinished(h, other.id)).status, 'succeeded');
    g.step();
    await jobFinished(h, first.id);
    const again = await startJob(h, 'test-one', async () => {});
    assert.equal((await jobFinished(h, again.id)).status, 'succeeded');
  });

  store.it(
    "another replica's running job (a row in the shared store) also blocks the kind while its heartbeat is fresh; a stale one is failed and the kind freed",
    async () => {
      const h = d.daemon.hearth;
      const id = '00000000-0000-4000-8000-000000000001';
      await h.store.db
        .insertInto('jobs')
        .values({
          id,
          kind: 'test-replica',
          title: 't',
          status: 'running',
          progress: 5,
          created_at: 1,
          started_at: 1,
          finished_at: null,
          log: '[]',
          error: null,
          result: null,
          replica: 'another-replica',
          heartbeat_at: h.clock.now(),
        })
        .execute();
      await assert.rejects(
        startJob(h, 'test-replica', async () => {}),
        (err: HearthError) => err.status === 409 && err.message.includes(id),
      );
      // Three intervals (the default 10 s) without a heartbeat: that replica is gone.
      await h.store.db
        .updateTable('jobs')
        .set({ heartbeat_at: h.clock.now() - 30_001 })
        .where('id', '=', id)
        .execute();
      const next = await startJob(h, 'test-replica', async () => {});
      assert.equal((await jobFinished(h, next.id)).status, 'succeeded');
      const orphan = await getJob(h, id);
      assert.equal(orphan.status, 'failed');
      assert.equal(orphan.error, 'hearthd stopped while the job ran');
    },
  );

  store.it('a failing job: failed, with the error and a last log line; the log keeps only its last lines, each cut to length', async () => {
    const h = d.daemon.hearth;
    const job = await startJob(h, 'test-fail', async (c) => {
      for (let i = 0; i < LOG_LINES + 50; i++) c.log(`line ${i}`);
      c.log('x'.repeat(LOG_LINE_LENGTH * 3));
      c.log('bell\u0007 and escape\u001b[31m');
      throw new HearthError('badRequest', 'the disk is full');
    });
    const end = await jobFinished(h, job.id);
    assert.equal(end.status, 'failed');
    assert.equal(end.error, 'the disk is full');
    assert.equal(end.log.length, LOG_LINES);
    assert.equal(end.log.at(-1), 'failed: the disk is full');
    assert.equal(end.log.at(-2), 'bell and escape[31m', 'control characters removed');
    assert.equal(end.log.at(-3)!.length, LOG_LINE_LENGTH);
    assert.equal((await getJob(h, job.id)).log.length, LOG_LINES);
  });

  store.it('unknown job → 404; bad params → 400; only a maintainer may list or show jobs (an auditor → 403)', async () => {
    const missing = await call(d, 'job/show', { id: '00000000-0000-4000-8000-00000000dead' });
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /no job/);
    assert.equal((await call(d, 'job/show', { id: "'; drop table jobs; --" })).status, 404);
    assert.equal((await call(d, 'job/list', { limit: 0 })).status, 400);
    const auditor = (await call(d, 'token/create', { role: 'auditor', expiry: 600 })).body.result.key;
    for (const [path, body] of [
      ['job/list', {}],
      ['job/show', { id: '00000000-0000-4000-8000-00000000dead' }],
    ] as const) {
      const r = await call({ url: d.url }, path, body, { headers: { authorization: `Bearer ${auditor}` } });
      assert.equal(r.status, 403, path);
    }
    assert.equal((await call({ url: d.url }, 'job/list', {})).status, 401);
  });

  store.it('hearth job list and job watch: plain lines to the end, JSON lines with --json, exit 1 when the job fails', async () => {
    const h = d.daemon.hearth;
    const env = { HEARTH_HOME: d.home, ...d.store.env };
    const slow = await startJob(h, 'test-watch', async (c) => {
      for (let i = 1; i <= 4; i++) {
        await new Promise((r) => setTimeout(r, 150));
        c.progress(i * 25);
        c.log(`step ${i}`);
      }
    });
    const plain = await runCli(['job', 'watch', slow.id], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, / {2}step 4\n/);
    assert.match(plain.stdout, /100% succeeded test-watch\n$/);
    assert.ok(plain.stdout.indexOf('step 1') < plain.stdout.indexOf('step 4'));
    // Each line once, however many polls saw it.
    assert.equal(plain.stdout.split('step 2').length, 2);
    const json = await runCli(['--json', 'job', 'watch', slow.id], env);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.at(-1).status, 'succeeded');
    const failing = await startJob(h, 'test-watch', async () => {
      throw new Error('restic: repository is locked');
    });
    const failed = await runCli(['job', 'watch', failing.id], env);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /job .* failed: restic: repository is locked/);
    const list = await runCli(['job', 'list', '--kind', 'test-watch'], env);
    assert.match(list.stdout, /^ID +KIND +STATUS +PROGRESS +STARTED +ENDED\n/);
    assert.match(list.stdout, new RegExp(`${failing.id} +test-watch +failed`));
    const unknown = await runCli(['job', 'watch', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /notFound: no job nope/);
  });

  store.it('on a terminal, job watch draws a progress bar', async (t) => {
    if (!hasPython) return t.skip('python3 with pty is not installed');
    const h = d.daemon.hearth;
    let release: () => void = () => {};
    const job = await startJob(h, 'test-bar', async (c) => {
      c.progress(50);
      c.log('halfway');
      await new Promise<void>((r) => (release = r));
    });
    // The job ends only once the CLI has asked twice: it has drawn the bar at 50% by then.
    const answered = () => Object.values(h.requests.snapshot()).reduce((a, b) => a + b, 0);
    const before = answered();
    const running = runOnTerminal(['job', 'watch', job.id], { HEARTH_HOME: d.home, ...d.store.env }, []);
    await until('two polls', async () => answered() >= before + 2);
    release();
    const r = await running;
    assert.equal(r.code, 0, r.output);
    // The bar at 50%, then redrawn in place (carriage return) at 100%.
    assert.match(r.output, /\[#{15}-{15}\] {2}50% {2}running {2}test-bar\r/);
    assert.match(r.output, /\r\[#{30}\] 100% {2}succeeded {2}test-bar\n$/);
    assert.match(r.output, / {2}halfway/);
  });

  store.it('a job left running by a daemon that died is marked failed when the next daemon starts', async () => {
    const h = d.daemon.hearth;
    const id = '00000000-0000-4000-8000-0000000000aa';
    await h.store.db
      .insertInto('jobs')
      .values({
        id,
        kind: 'test-orphan',
        title: 't',
        status: 'running',
        progress: 40,
        created_at: 1,
        started_at: 1,
        finished_at: null,
        log: '["halfway"]',
        error: null,
        result: null,
      })
      .execute();
    await d.stop();
    d = Object.assign(await startInProcess({ home: d.home, env: d.store.env }), { store: d.store });
    const job = (await call(d, 'job/show', { id })).body.result;
    assert.equal(job.status, 'failed');
    assert.equal(job.error, 'hearthd stopped while the job ran');
    assert.deepEqual(job.log, ['halfway']);
    assert.ok(job.finished_at);
    // The kind is free again.
    const next = await startJob(d.daemon.hearth, 'test-orphan', async () => {});
    assert.equal((await jobFinished(d.daemon.hearth, next.id)).status, 'succeeded');
  });

  store.it('stopping the daemon aborts a running job (its signal) and records it failed', async () => {
    const h = d.daemon.hearth;
    const job = await startJob(h, 'test-abort', (c) => new Promise((_, reject) => c.signal.addEventListener('abort', () => reject(new Error('aborted')))));
    await until('running', async () => (await getJob(h, job.id)).status === 'running');
    const home = d.home;
    await d.stop();
    d = Object.assign(await startInProcess({ home, env: d.store.env }), { store: d.store });
    const end = (await call(d, 'job/show', { id: job.id })).body.result;
    assert.equal(end.status, 'failed');
    assert.equal(end.error, 'hearthd stopped while the job ran');
  });
});

describe('replicas sharing one PostgreSQL store', async () => {
  const skip = await pgSkip();
  const daemons: RunningDaemon[] = [];
  let drop: (() => Promise<void>) | null = null;
  after(async () => {
    for (const x of daemons) await x.stop();
    await drop?.();
  });

  it(
    "a replica starting leaves another live replica's running job alone; a killed replica's job is failed by the next start once its heartbeat is stale",
    { skip, timeout: 120_000 },
    async () => {
      const schema = await pgSchema();
      drop = schema.drop;
      const f = fakeHost();
      const slow = f.script('slow-rebuild', { sleepMs: 30_000 });
      const toml = f.toml(`apply = [${JSON.stringify(slow)}, "switch"]`).replace(/^apply = .*\n/m, '');
      const env = { HEARTH_STORE_URL: schema.url, HEARTH_JOBS_HEARTBEAT_INTERVAL: '1' };
      const start = async () => {
        const x = await startDaemon({ toml, env });
        daemons.push(x);
        await waitFor('readiness', async () => (await fetch(`${x.url}/readiness`)).status === 200, 30_000);
        return x;
      };
      const pgc = new pg.Client({ connectionString: schema.url });
      await pgc.connect();
      const row = async (id: string) =>
        (
          await pgc.query<{ status: string; error: string | null; replica: string; heartbeat_at: string }>(
            'select status, error, replica, heartbeat_at from jobs where id = $1',
            [id],
          )
        ).rows[0]!;
      try {
        const a = await start();
        const started = await call(a, 'system/apply', {});
        assert.equal(started.status, 200, JSON.stringify(started.body));
        const id: string = started.body.result.job.id;
        await waitFor('the job running', async () => (await row(id)).status === 'running', 20_000);
        const before = await row(id);
        assert.match(before.replica, /^[0-9a-f]{16}$/);

        const b = await start();
        const seen = (await call(b, 'job/show', { id })).body.result;
        assert.equal(seen.status, 'running', "B's start left A's job alone");
        // A keeps beating: the heartbeat moves on, past what B would have taken for stale.
        await new Promise((r) => setTimeout(r, 4000));
        const later = await row(id);
        assert.equal(later.status, 'running');
        assert.ok(Number(later.heartbeat_at) > Number(before.heartbeat_at), 'the heartbeat moved');
        assert.equal((await call(b, 'system/apply', {})).status, 409, 'the kind is still taken on every replica');

        a.proc.kill('SIGKILL');
        await a.exited;
        const last = Number((await row(id)).heartbeat_at);
        await waitFor('the heartbeat to go stale', async () => Date.now() - last > 3500, 20_000);
        assert.equal((await row(id)).status, 'running', 'nothing fails it before a daemon starts');
        const c = await start();
        const end = (await call(c, 'job/show', { id })).body.result;
        assert.equal(end.status, 'failed');
        assert.equal(end.error, 'hearthd stopped while the job ran');
      } finally {
        await pgc.end();
      }
    },
  );
});
