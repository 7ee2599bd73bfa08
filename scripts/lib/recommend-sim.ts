import { learnNeeds } from '../../lib/history/learn.ts';
import { renderHistoryHtml } from '../../lib/history/page.ts';
import { type Recommendation, recommendFloors } from '../../lib/history/recommend.ts';
import { type GroupReplay, replayFloors } from '../../lib/history/replay.ts';
import { WeekCharts } from '../../lib/history/week-chart.ts';
import { type PlayedWeeks, playWeeks } from './play-weeks.ts';

const WEEK_MS = 7 * 86_400_000;
/** The first Monday the simulator plays (UTC), so a seed always gives the same weeks. */
export const SIM_START = Date.parse('2026-11-02T00:00:00Z');

export interface SimRecommendOptions {
  weeks: number;
  groups?: number;
  seed?: number;
}

/** The played weeks, the recommendation from them, its replay and the history page. */
export interface SimRecommendation {
  played: PlayedWeeks;
  /** The Monday of the last week, played as a holiday. */
  holiday: string;
  recommendation: Recommendation;
  replay: GroupReplay[];
  page: string;
}

/**
 * `npm run recommend -- --sim`: plays `weeks` weeks of the weekly fleet (the
 * last week's Monday a holiday), recommends from what the sweeps recorded
 * (global floor 1, hours in UTC), and replays the same weeks with the
 * recommendation applied.
 */
export async function recommendOnSimulator(
  options: SimRecommendOptions,
): Promise<SimRecommendation> {
  const holiday = new Date(SIM_START + (options.weeks - 1) * WEEK_MS).toISOString().slice(0, 10);
  const played = await playWeeks({
    weeks: options.weeks,
    groups: options.groups ?? 4,
    seed: options.seed ?? 1,
    start: SIM_START,
    holidays: [holiday],
  });
  const base = {
    minServersPerGroup: 1,
    schedules: { schedules: {}, defaultSchedule: undefined },
    timeZone: 'UTC',
    holidays: [holiday],
  };
  const learned = learnNeeds(played.samples, {
    timeZoneOf: () => 'UTC',
    holidaysOf: () => new Set([holiday]),
  });
  const now = SIM_START + options.weeks * WEEK_MS;
  const groups = played.groups.map((g) => ({
    projectId: played.projectId,
    group: g.id,
    name: g.name,
    tags: [],
  }));
  const recommendation = recommendFloors(learned, groups, base, now);
  const tagsOf = new Map(recommendation.tags.map((t) => [t.serverGroupId, t.tags]));
  const replay = replayFloors(played.samples, (group) => tagsOf.get(group) ?? [], {
    minServersPerGroup: 1,
    maxRemovalsPerGroup: 10,
    schedules: { schedules: recommendation.schedules },
  });
  const charts = new WeekCharts(now);
  charts.add(played.samples);
  const page = renderHistoryHtml(
    learned.map((l) => charts.chartOf(l.group, l.name, { needs: l.needs, timeZone: 'UTC' })),
    'aps-autoscaler demand history (simulator)',
  );
  return { played, holiday, recommendation, replay, page };
}
