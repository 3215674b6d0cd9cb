// Stand-in for the queue service's RPC contract: records what it is asked to enqueue so tests can
// assert on it, and can be told to reject a job type to exercise failure paths.
import { WorkerEntrypoint } from "cloudflare:workers";

const JOB_TYPES = ["send_email", "process_webhook", "noop"];
const state = { jobs: [], failingType: null };

export default class FakeQueue extends WorkerEntrypoint {
  async enqueue(job) {
    if (!JOB_TYPES.includes(job?.type)) {
      throw new Error(
        `invalid job type ${JSON.stringify(job?.type)}; valid: ${JOB_TYPES.join(", ")}`,
      );
    }
    if (job.type === state.failingType) throw new Error(`queue unavailable for ${job.type}`);
    state.jobs.push(job);
    return { id: `job-${state.jobs.length}` };
  }

  async recorded() {
    return state.jobs;
  }

  async failOn(type) {
    state.failingType = type;
  }

  async reset() {
    state.jobs = [];
    state.failingType = null;
  }
}
