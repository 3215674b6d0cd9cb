import { SendEmail } from "@workers/email/schemas";
import * as z from "zod";
import { describeIssues } from "./describe-issues";
import type { Env } from "./env";

/** Arguments a tool's input schema refuses: the model can correct them and call again. */
export class InvalidArguments extends Error {
  override readonly name = "InvalidArguments";
}

export interface Tool {
  name: string;
  description: string;
  /** JSON Schema of the arguments, as tools/list advertises it. */
  inputSchema: { type: "object"; [key: string]: unknown };
  /** Validates raw arguments (InvalidArguments on failure), then calls the backing service. */
  call(env: Env, rawArgs: unknown): Promise<object>;
}

function defineTool<S extends z.ZodObject>(
  name: string,
  description: string,
  input: S,
  run: (env: Env, args: z.infer<S>) => Promise<object>,
): Tool {
  return {
    name,
    description,
    inputSchema: { ...z.toJSONSchema(input, { io: "input" }), type: "object" },
    async call(env, rawArgs) {
      const args = input.safeParse(rawArgs);
      if (!args.success) throw new InvalidArguments(describeIssues(args.error));
      return run(env, args.data);
    },
  };
}

const jsonObject = z.record(z.string(), z.unknown());

export const TOOLS: readonly Tool[] = [
  defineTool(
    "enqueue_job",
    "Enqueue a background job; returns its id. Poll it with get_job.",
    z.object({
      type: z.enum(["send_email", "process_webhook", "noop"]).describe("what the job does"),
      payload: jsonObject.default({}).describe("job input, passed to the job handler"),
    }),
    (env, args) => env.QUEUE.enqueue(args),
  ),
  defineTool(
    "send_email",
    "Render a template and send it now; the email is recorded in the outbox.",
    // email owns the message shape, so the advertised schema lists its real template names.
    SendEmail,
    (env, args) => env.EMAIL.send(args),
  ),
  defineTool(
    "get_job",
    "Look up a job's status, attempts, result and error by id.",
    z.object({ id: z.string().min(1).describe("job id returned by enqueue_job") }),
    async (env, { id }) => {
      const job = await env.DB.getJob(id);
      if (!job) throw new Error(`job "${id}" not found`);
      return job;
    },
  ),
];
