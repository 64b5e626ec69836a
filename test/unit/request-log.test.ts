import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pino } from 'pino';
import { requestLogger, type RequestFacts } from '../../src/http/request-log.js';

const facts: RequestFacts = {
  reqId: 'req-7',
  surface: 'native',
  method: 'POST',
  route: '/API/core/"odd"\\path',
  status: 401,
  ms: 0.37,
  principal: 'device',
};

function capture(level = 'info') {
  const lines: string[] = [];
  const logger = pino({ level, base: { pid: 42 }, timestamp: pino.stdTimeFunctions.isoTime }, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

it("the request line is the line pino writes for the same fields, one per call, and none below the logger's level", () => {
  const { logger, lines } = capture();
  requestLogger(logger)(facts);
  logger.info(facts, 'request');
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
  const [ours, theirs] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(typeof ours!.time, 'string');
  assert.deepEqual({ ...ours, time: 0 }, { ...theirs, time: 0 });
  assert.deepEqual(Object.keys(ours!), Object.keys(theirs!), 'the same fields in the same order');

  const quiet = capture('warn');
  requestLogger(quiet.logger)({ ...facts, route: null });
  assert.deepEqual(quiet.lines, []);
  quiet.logger.level = 'info';
  requestLogger(quiet.logger)({ ...facts, route: null });
  assert.equal((JSON.parse(quiet.lines[0]!) as { route: unknown }).route, null);
});

it('a destination that wants pino’s metadata (a multistream) gets the line from pino itself', () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, pino.multistream([{ stream: { write: (s: string) => void lines.push(s) } }]));
  requestLogger(logger)(facts);
  assert.equal(lines.length, 1);
  assert.equal((JSON.parse(lines[0]!) as { msg: string }).msg, 'request');
});
