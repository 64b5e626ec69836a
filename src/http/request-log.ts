/**
 * The one log line every request writes, made cheaply: the JSON text is put together directly,
 * in the shape pino gives every other line (level, time, the logger's bindings, the fields, msg),
 * and handed to the logger's own destination — no object per request for pino to walk and
 * serialise. The destination stays the logger's: asynchronous for the daemon, pretty on a terminal.
 */
import { pino, type Logger } from 'pino';

export interface RequestFacts {
  reqId: string;
  surface: string;
  method: string;
  route: string | null;
  status: number;
  ms: number;
  principal: string;
}

type Destination = { write(line: string): unknown } & Record<symbol, unknown>;

/** A function that logs one request at `info`, as `logger.info(facts, 'request')` would. */
export function requestLogger(logger: Logger): (facts: RequestFacts) => void {
  const { streamSym, timeSym, chindingsSym, needsMetadataGsym } = pino.symbols;
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[streamSym] as Destination | undefined;
  const time = internals[timeSym] as (() => string) | undefined;
  const bindings = internals[chindingsSym];
  // A destination that reads pino's per-line metadata (multistream), or a logger set up unlike
  // the daemon's: pino itself writes the line.
  if (!stream || typeof stream.write !== 'function' || stream[needsMetadataGsym] || typeof time !== 'function' || typeof bindings !== 'string') {
    return (facts) => logger.info(facts, 'request');
  }
  const level = logger.levels.values.info!;
  return (f) => {
    if (!logger.isLevelEnabled('info')) return;
    stream.write(
      `{"level":${level}${time()}${bindings},"reqId":${JSON.stringify(f.reqId)},"surface":"${f.surface}","method":${JSON.stringify(f.method)},` +
        `"route":${f.route === null ? 'null' : JSON.stringify(f.route)},"status":${f.status},"ms":${f.ms},"principal":"${f.principal}","msg":"request"}\n`,
    );
  };
}
