/**
 * Keeps a run going when the reader of its output goes away (`pnpm run pipeline ci | head`, a CI
 * log viewer closed). Node ignores SIGPIPE and instead fails the write with EPIPE, an error
 * event that crashed the CLI with a stack trace. Exiting there instead, as SIGPIPE would, could
 * stop a deploy between two wrangler calls and skip its own rollback, so the output is dropped
 * and the command finishes its work and sets its exit code as it would have.
 */
export function dropOutputOnceClosed(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    // After EPIPE the stream is destroyed, and later writes fail with ERR_STREAM_DESTROYED.
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
    throw error;
  });
}
