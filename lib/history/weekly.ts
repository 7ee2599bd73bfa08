import type { ServerGroup } from '../huawei/schemas.ts';
import { PeakTable } from './learn.ts';
import { needsKeyOf } from './needs-file.ts';
import { renderHistoryHtml } from './page.ts';
import { HISTORY_PAGE } from './page-link.ts';
import {
  type GroupNow,
  type Recommendation,
  type RecommendBase,
  recommendFloors,
  scheduleOf,
} from './recommend.ts';
import { type HistoryStoreOptions, putHistoryObject, readHistory } from './store.ts';
import { WeekCharts } from './week-chart.ts';

const WEEK_MS = 7 * 86_400_000;

/** Where recommend keeps its result, under the history prefix. */
export const RECOMMENDATION_KEYS = {
  schedules: 'recommendation/schedules.json',
  tags: 'recommendation/tags.json',
  lines: 'recommendation/evidence.txt',
  page: HISTORY_PAGE,
} as const;

export interface WeeklyRecommendOptions {
  projects: readonly string[];
  /** The project's groups as the APS listing gives them (tags included). */
  listGroups: (projectId: string) => AsyncIterable<ServerGroup>;
  base: RecommendBase;
  /** HISTORY_WEEKS: weeks read back. */
  weeks: number;
  store: HistoryStoreOptions;
  now: number;
}

/** The recommendation and the history page made from the kept history. */
export interface WeeklyRecommendation {
  recommendation: Recommendation;
  page: string;
  objectsRead: number;
  badLines: number;
}

/**
 * Reads the last `weeks` weeks of each project's history (folded as it is
 * read: memory grows with groups, not with samples), the groups' tags from
 * the listing, and recommends (lib/history/recommend.ts). The last week of
 * every group is charted, hour by hour (lib/history/week-chart.ts).
 */
export async function recommendFromStore(
  options: WeeklyRecommendOptions,
): Promise<WeeklyRecommendation> {
  const groups: GroupNow[] = [];
  const learned = [];
  const charts = new WeekCharts(options.now);
  let objectsRead = 0;
  let badLines = 0;
  for (const projectId of options.projects) {
    const mine: GroupNow[] = [];
    for await (const group of options.listGroups(projectId)) {
      mine.push({ projectId, group: group.id, name: group.name, tags: group.tags ?? [] });
    }
    mine.sort((a, b) => a.name.localeCompare(b.name));
    const tagsOf = new Map(mine.map((g) => [g.group, g.tags]));
    const scheduleFor = (group: string) =>
      scheduleOf(tagsOf.get(group) ?? [], options.base.schedules)?.schedule;
    const table = new PeakTable({
      timeZoneOf: (group) => scheduleFor(group)?.timeZone ?? options.base.timeZone,
      holidaysOf: (group) => new Set(scheduleFor(group)?.holidays ?? options.base.holidays ?? []),
    });
    const read = await readHistory(
      projectId,
      { from: options.now - options.weeks * WEEK_MS, to: options.now },
      (samples) => {
        table.add(samples);
        charts.add(samples);
      },
      options.store,
    );
    objectsRead += read.objects;
    badLines += read.bad;
    groups.push(...mine);
    learned.push(...table.learn());
  }
  const recommendation = recommendFloors(learned, groups, options.base, options.now);
  const needsOf = new Map(
    [...recommendation.needs.values()].flatMap((file) => Object.entries(file.groups)),
  );
  const page = renderHistoryHtml(
    groups.map((g) => charts.chartOf(g.group, g.name, needsOf.get(g.group))),
    'aps-autoscaler demand history',
  );
  return { recommendation, page, objectsRead, badLines };
}

/**
 * Keeps a recommendation beside the reports: each project's learned needs
 * (read by every sweep), the SCHEDULES file, the tags, the evidence and the
 * history page, all under the history prefix.
 */
export async function keepRecommendation(
  result: WeeklyRecommendation,
  store: HistoryStoreOptions,
): Promise<string[]> {
  const { recommendation } = result;
  const written: [string, string, string][] = [
    ...[...recommendation.needs].map(([projectId, file]): [string, string, string] => [
      needsKeyOf(projectId),
      JSON.stringify(file),
      'application/json',
    ]),
    [
      RECOMMENDATION_KEYS.schedules,
      JSON.stringify(recommendation.schedules, null, 2),
      'application/json',
    ],
    [RECOMMENDATION_KEYS.tags, JSON.stringify(recommendation.tags, null, 2), 'application/json'],
    [
      RECOMMENDATION_KEYS.lines,
      `${recommendation.lines.join('\n')}\n`,
      'text/plain; charset=utf-8',
    ],
    [RECOMMENDATION_KEYS.page, result.page, 'text/html; charset=utf-8'],
  ];
  for (const [key, body, type] of written) await putHistoryObject(key, body, type, store);
  return written.map(([key]) => `history/${key}`);
}
