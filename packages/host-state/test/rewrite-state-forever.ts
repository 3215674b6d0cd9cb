// Child process of json-state-file.test.ts: rewrites one state file as fast as it can until it
// is killed, so a SIGKILL lands in the middle of some write.
//   node --import tsx rewrite-state-forever.ts <file>
import * as z from "zod";
import { writeJsonFile } from "../src/json-state-file.js";

const rewrittenSchema = z.object({ generation: z.number(), padding: z.string() });

const file = process.argv[2];
if (file === undefined) throw new Error("usage: rewrite-state-forever.ts <file>");
// Large enough that each write takes several system calls.
const padding = "x".repeat(512 * 1024);
for (let generation = 0; ; generation++) {
  await writeJsonFile(file, { generation, padding }, rewrittenSchema);
  // The parent times its kill from here: start-up time varies with the machine's load.
  if (generation === 0) process.stdout.write("written\n");
}
