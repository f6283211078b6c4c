import type { LogSink } from "./logger.ts";

/**
 * Log lines to standard output through the runtime's own file writer. process.stdout is the
 * same writer behind a Node stream, and building that stream on its first use costs a fresh
 * process 10 to 20 ms, paid by start-up's first log line; this costs about 0.5 ms. The
 * behaviour is the same: each line is written at once when the pipe takes it, buffered when
 * it is full, and an EPIPE throws.
 */
export function stdoutSink(): LogSink {
  // Made by the first line, not before listening: making it costs a fresh process ~0.5 ms.
  let writer: ReturnType<typeof Bun.stdout.writer> | undefined;
  return (line) => {
    if (writer === undefined) {
      writer = Bun.stdout.writer();
      // The writer does not keep the process alive; the server and the signal handlers decide that.
      writer.unref();
    }
    writer.write(line);
    writer.flush();
  };
}
