// Entry of the watchdog a run starts beside itself (run-processes.ts), run by Node's own type
// stripping so that it starts in a fraction of tsx's time. Its stdin is a pipe from the run's
// process, and nothing else holds that pipe's other end: end of file comes when the run's
// process is gone, however it went (exit, crash, SIGKILL). Then every process carrying the
// run's mark is ended.
import { endMarkedProcesses } from "./marked-processes.ts";

const [mark, grace] = process.argv.slice(2);
if (mark === undefined || grace === undefined || !/^\d+$/.test(grace)) {
  process.stderr.write("usage: process-watchdog.ts <run mark> <grace in ms>\n");
  process.exit(2);
}

process.stdin.on("data", () => {
  // Nothing is ever written: reading only keeps the pipe flowing so that its end is seen.
});
let ending = false;
const end = () => {
  if (ending) return;
  ending = true;
  void endMarkedProcesses(mark, Number(grace)).then(() => process.exit(0));
};
process.stdin.on("end", end);
process.stdin.on("error", end);
