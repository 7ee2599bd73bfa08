import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseScheduleEvent } from '../lib/events.ts';
import { type FinishedSweepReport, finishSweep } from '../lib/finish-sweep.ts';
import { SweepHistory } from '../lib/history/sweep-history.ts';
import { sendMessages } from '../lib/queue/producer.ts';
import { TABLE_SERVICES } from '../lib/removal/lifecycle.ts';
import { runSweep } from '../lib/sweep/sweep.ts';
import { beginInvocation, defaultDeps, type HandlerDeps } from './runtime.ts';

/** The scheduled sweep: every group of every project, inline or fanned out; then lib/finish-sweep.ts. */
export function createSweepHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<FinishedSweepReport> => {
    const detail = parseScheduleEvent(event);
    const { config, log, invocation } = await beginInvocation(deps, context, TABLE_SERVICES);
    const projects = detail.projects ?? [{ projectId: config.projectId, region: config.region }];
    const queueUrl = config.remediationQueueUrl;
    const settings = invocation.settingsFor(config.projectId, { dryRun: detail.dryRun });
    const history = await SweepHistory.start(
      projects.map((p) => p.projectId),
      { ...config, bucket: config.reportBucket, s3: deps.s3, log, now: settings.now },
    );
    const report = await runSweep({
      projects: projects.map((p) => ({
        projectId: p.projectId,
        services: invocation.servicesFor(p.projectId, p.region),
      })),
      mode: config.sweepMode,
      scope: {
        region: [...new Set(projects.map((p) => p.region ?? config.region))].join(', '),
        enterpriseProjectId: config.enterpriseProjectId,
      },
      settings: { ...settings, limits: history.limits(settings.limits) },
      onEvaluated: (projectId, evaluation) =>
        history.observe(projectId, evaluation, settings.limits),
      onEnqueue: (projectId, group) => history.enqueued(projectId, group, settings.limits),
      maxRemovalsPerSweep: config.maxRemovalsPerSweep,
      concurrency: config.maxConcurrency,
      stats: invocation.stats,
      ...(config.drainSeconds > 0 ? { drain: { owner: `sweep:${randomUUID()}` } } : {}),
      ...(queueUrl
        ? {
            enqueue: async (messages) =>
              sendMessages(messages, { sqs: await deps.sqs(), queueUrl, log }),
          }
        : {}),
    });
    return finishSweep(await history.finish(report, context.awsRequestId), {
      settings: config,
      sweepId: context.awsRequestId,
      log,
      metrics: deps.metrics?.(),
      s3: deps.s3,
      notice: { topicArn: config.notifyTopicArn, sns: deps.sns, dir: deps.noticeDir },
    });
  };
}

const deps = defaultDeps();
export const handler = middy(createSweepHandler(deps)).use(injectLambdaContext(deps.logger));
