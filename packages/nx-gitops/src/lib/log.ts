/** The part of a logger nx-gitops writes to; the devkit `logger` and `console` both fit. */
export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger whose lines start with `[project/environment]`, and whose `verbose` lines need `--verbose`. */
export interface GitopsLogger extends LogSink {
  verbose(message: string): void;
}

/** Wraps `sink` so every line carries `prefix`; `verbose` lines are dropped unless `isVerbose`. */
export function createLogger(options: { sink: LogSink; prefix?: string; isVerbose?: boolean }): GitopsLogger {
  const tag = options.prefix ? `[${options.prefix}] ` : '';
  const format = (message: string) =>
    message
      .split('\n')
      .map((line) => `${tag}${line}`)
      .join('\n');
  return {
    info: (message) => options.sink.info(format(message)),
    warn: (message) => options.sink.warn(format(message)),
    error: (message) => options.sink.error(format(message)),
    verbose: (message) => {
      if (options.isVerbose) options.sink.info(format(message));
    },
  };
}

/**
 * Prints to the console, which Nx captures as the task's output. Executors use it instead of the devkit
 * `logger`, whose import alone costs every executor process about a tenth of a second.
 */
export const consoleSink: LogSink = {
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

/** A logger that prints nothing, for tests and library callers that do not want output. */
export const silentLogger: GitopsLogger = { info() {}, warn() {}, error() {}, verbose() {} };

/** A sink that passes every line on to `sink` and keeps a copy in `lines` (a batch task's terminal output). */
export function recordingSink(lines: string[], sink: LogSink): LogSink {
  return {
    info: (message) => (lines.push(message), sink.info(message)),
    warn: (message) => (lines.push(message), sink.warn(message)),
    error: (message) => (lines.push(message), sink.error(message)),
  };
}
