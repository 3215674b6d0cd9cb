import { env } from "cloudflare:workers";
import type { FakeQueueControls } from "@workers/testing/fake-queue";
import type { ScheduledJob } from "../src/env";

export const fakeQueue = env.QUEUE as unknown as FakeQueueControls<ScheduledJob>;
