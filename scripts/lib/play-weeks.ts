import type { HistorySample } from '../../lib/history/sample.ts';
import { sampleOf } from '../../lib/history/sample.ts';
import { createApsClient } from '../../lib/huawei/aps-client.ts';
import { createHttpCore } from '../../lib/huawei/http.ts';
import { createRequestLimiter } from '../../lib/huawei/request-limiter.ts';
import { silentLog } from '../../lib/logger.ts';
import type { EvaluationLimits } from '../../lib/scaling/types.ts';
import { runSweep } from '../../lib/sweep/sweep.ts';
import { startSimulator } from '../../sim/server.ts';
import {
  applyWeeklyStep,
  type WeeklyGroup,
  weeklyFleet,
  weeklyGroups,
} from '../../sim/weekly-fleet.ts';
import { asRemovalServices, getOnly, readOnlyAps } from './plan-services.ts';

const STEP_MS = 15 * 60_000;
const WEEK_MS = 7 * 86_400_000;

export interface PlayWeeksOptions {
  weeks: number;
  groups: number;
  seed: number;
  /** The Monday 00:00 UTC the first week starts on. */
  start: number;
  /** UTC dates played as holidays. */
  holidays?: readonly string[];
}

/** What the played weeks left: the fleet's groups and what every sweep recorded. */
export interface PlayedWeeks {
  projectId: string;
  groups: WeeklyGroup[];
  samples: HistorySample[];
  sweeps: number;
  requests: number;
  durationMs: number;
}

/**
 * Plays `weeks` weeks of the simulator's weekly fleet (sim/weekly-fleet.ts):
 * at every 15-minute step the virtual clock moves, the fleet takes its
 * sessions, and a dry-run sweep over real HTTP evaluates every group and
 * records it as the sweep's history would (lib/history/sample.ts). Read
 * only: the sweep's services refuse anything but GET.
 */
export async function playWeeks(options: PlayWeeksOptions): Promise<PlayedWeeks> {
  const started = performance.now();
  const holidays = options.holidays ?? [];
  const groups = weeklyGroups(options);
  let now = options.start;
  const sim = await startSimulator({
    fleet: weeklyFleet(groups, options.seed, now),
    clock: { frozen: true },
  });
  try {
    const http = getOnly(
      createHttpCore({
        credentials: sim.credentials,
        projectId: sim.projectId,
        limiter: createRequestLimiter({ maxConcurrency: 8, rateLimitRps: 0 }),
        timeoutMs: 10_000,
        now: () => now,
      }),
    );
    const aps = createApsClient({ http, endpoint: sim.url, projectId: sim.projectId });
    const services = asRemovalServices({ aps: readOnlyAps(aps), log: silentLog }, (what) => {
      throw new Error(`play-weeks: ${what} reached a read-only sweep`);
    });
    const limits: EvaluationLimits = {
      minServersPerGroup: 1,
      maxRemovalsPerGroup: 10,
      protectTagKey: 'aps-autoscaler:protect',
    };
    const samples: HistorySample[] = [];
    let sweeps = 0;
    for (let at = options.start; at < options.start + options.weeks * WEEK_MS; at += STEP_MS) {
      now = at;
      sim.clock.set(at);
      applyWeeklyStep(sim.state, groups, at, options.seed, holidays);
      await runSweep({
        projects: [{ projectId: sim.projectId, services }],
        mode: 'inline',
        settings: {
          dryRun: true,
          removalMode: 'remove-member',
          limits,
          sessionLookbackHours: 1,
          now: () => at,
          sleep: async () => {},
        },
        maxRemovalsPerSweep: 1_000_000,
        concurrency: 8,
        stats: () => ({ requests: 0, retries: 0, throttled: 0 }),
        onEvaluated: (_projectId, evaluation) => {
          const sample = sampleOf(evaluation, at);
          if (sample !== undefined) samples.push(sample);
        },
      });
      sweeps++;
    }
    return {
      projectId: sim.projectId,
      groups,
      samples,
      sweeps,
      requests: http.stats.requests,
      durationMs: performance.now() - started,
    };
  } finally {
    await sim.close();
  }
}
