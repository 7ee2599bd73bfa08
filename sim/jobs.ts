import type { JobStatus } from '../lib/huawei/schemas.ts';
import { deterministicUuid } from './prng.ts';

export interface JobRecord {
  id: string;
  job_type: string;
  entities: { server_ids: string[] };
  beginMs: number;
  finishMs: number;
}

/** The jobs the simulated cloud started (one per delete call), with seeded ids. */
export class JobBook {
  private readonly byId = new Map<string, JobRecord>();
  private counter = 0;

  /** Forgets every job and restarts the ids. */
  clear(): void {
    this.byId.clear();
    this.counter = 0;
  }

  /** Records a job over `serverIds` that runs `durationMs` from `nowMs`. */
  start(
    serverIds: readonly string[],
    jobType: string,
    nowMs: number,
    options: { seed: number; durationMs: number },
  ): JobRecord {
    this.counter += 1;
    const job: JobRecord = {
      id: deterministicUuid(options.seed, 'job', this.counter),
      job_type: jobType,
      entities: { server_ids: [...serverIds] },
      beginMs: nowMs,
      finishMs: nowMs + options.durationMs,
    };
    this.byId.set(job.id, job);
    return job;
  }

  get(id: string): JobRecord | undefined {
    return this.byId.get(id);
  }

  get all(): readonly JobRecord[] {
    return Array.from(this.byId.values());
  }
}

/** The API view of a job at `nowMs`: RUNNING until its duration has passed, then SUCCESS. */
export function jobView(job: JobRecord, nowMs: number): Record<string, unknown> {
  const status: JobStatus = nowMs >= job.finishMs ? 'SUCCESS' : 'RUNNING';
  return {
    id: job.id,
    job_type: job.job_type,
    status,
    begin_time: new Date(job.beginMs).toISOString(),
    end_time: status === 'SUCCESS' ? new Date(job.finishMs).toISOString() : null,
    entities: job.entities,
    // One sub-job per server, as ShowJobDetail lists them (docs/huawei-api.md).
    sub_jobs_total: job.entities.server_ids.length,
    sub_jobs: job.entities.server_ids.map((serverId, i) => ({
      id: `${job.id}-${i + 1}`,
      job_type: job.job_type,
      status,
      job_resource_info: { resource_id: serverId },
    })),
  };
}
