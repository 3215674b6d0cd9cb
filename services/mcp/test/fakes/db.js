// Stand-in for the db service's job lookup: tests seed the jobs it knows.
import { WorkerEntrypoint } from "cloudflare:workers";

let jobs = new Map();

export default class FakeDb extends WorkerEntrypoint {
  async getJob(id) {
    return jobs.get(id) ?? null;
  }

  async seedJob(job) {
    jobs.set(job.id, job);
  }

  async reset() {
    jobs = new Map();
  }
}
