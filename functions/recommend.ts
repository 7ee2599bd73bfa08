import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import {
  keepRecommendation,
  recommendFromStore,
  type WeeklyRecommendation,
} from '../lib/history/weekly.ts';
import { beginInvocation, defaultDeps, type HandlerDeps } from './runtime.ts';

/** What a recommendation run returns: its evidence lines and the keys it wrote. */
export interface RecommendResult extends WeeklyRecommendation {
  kept: string[];
}

/**
 * Recommends floors from the history the sweeps kept in REPORT_BUCKET
 * (lib/history/weekly.ts), reading the groups' tags through the same
 * endpoints and key pair as the sweep; with `keep`, writes the result
 * beside the reports (the sweep then reads the learned needs).
 */
export async function recommendNow(
  deps: HandlerDeps,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  options: { keep: boolean },
): Promise<RecommendResult> {
  const { config, log, invocation } = await beginInvocation(deps, context);
  const bucket = config.reportBucket;
  if (bucket === undefined || deps.s3 === undefined) {
    throw new Error('REPORT_BUCKET is not set: recommend reads the history the sweeps kept there');
  }
  const store = { bucket, s3: deps.s3, log };
  const defaultZone = config.schedules.defaultSchedule;
  const result = await recommendFromStore({
    projects: [config.projectId],
    listGroups: (projectId) => invocation.servicesFor(projectId).aps.listServerGroups(),
    base: {
      minServersPerGroup: config.minServersPerGroup,
      schedules: config.schedules,
      timeZone:
        (defaultZone === undefined
          ? undefined
          : config.schedules.schedules[defaultZone]?.timeZone) ?? 'UTC',
    },
    weeks: Math.max(2, config.historyWeeks),
    store,
    now: (deps.now ?? Date.now)(),
  });
  const kept = options.keep ? await keepRecommendation(result, store) : [];
  log.info('recommendation made', {
    schedules: Object.keys(result.recommendation.schedules).length,
    objectsRead: result.objectsRead,
    badLines: result.badLines,
    kept,
  });
  return { ...result, kept };
}

/** The weekly run: recommends and keeps the result beside the reports. */
export function createRecommendHandler(deps: HandlerDeps) {
  return async (_event: unknown, context: Context) => {
    const result = await recommendNow(deps, context, { keep: true });
    return { lines: result.recommendation.lines, kept: result.kept };
  };
}

const deps = defaultDeps();
export const handler = middy(createRecommendHandler(deps)).use(injectLambdaContext(deps.logger));
