import { describe, expect, it } from 'vitest';
import { countsOf } from '../../../lib/report/counts.ts';
import { renderReportHtml } from '../../../lib/report/html.ts';
import { escapeHtml, formatCount } from '../../../lib/report/html-text.ts';
import { parseWhatIf } from '../../../lib/what-if/overrides.ts';
import { compareWhatIf } from '../../../lib/what-if/what-if.ts';
import { generatePlan, PLAN_LIMITS } from '../../helpers/plan-report.ts';
import { groupReportFactory, sweepReportFactory } from '../../helpers/report-factory.ts';

const HOSTILE = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>&amp;`;

describe('escapeHtml', () => {
  it('escapes every character that can end text or an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('renderReportHtml', () => {
  it('escapes hostile group names, ids, details and removal names', () => {
    const plan = generatePlan({ groups: 30, serversPerGroup: 6, seed: 3, rename: () => HOSTILE });
    const group = plan.report.groups.find((g) => g.removals.length > 0);
    if (group === undefined) throw new Error('the fleet has no scale-in group');
    group.serverGroupId = HOSTILE;
    group.error = HOSTILE;
    group.memberReasons[HOSTILE] = 1;
    group.removals[0]!.machineName = HOSTILE;
    plan.report.projects = [HOSTILE, 'p2'];
    const html = renderReportHtml(plan.report, { title: HOSTILE });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).not.toContain(`"'>`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img');
    // Exactly the page's own script element.
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('says which floor and cap applied to a group and where each came from, escaped', () => {
    const group = groupReportFactory({
      settings: {
        floor: { value: 5, from: 'schedule <office> window Mon-Fri 08:00-19:00' },
        maxRemovals: { value: 0, from: 'tag aps-autoscaler:max-removals' },
      },
    });
    const html = renderReportHtml(sweepReportFactory([group]));
    expect(html).toContain(
      'floor 5 from schedule &lt;office&gt; window Mon-Fri 08:00-19:00; max-removals 0 from tag aps-autoscaler:max-removals',
    );
  });

  it("names a skipped group's servers with its skip, or says loudly that they could not be listed", () => {
    const named = groupReportFactory({
      serverGroupId: 'sg-off',
      decision: 'skip',
      reason: 'policy-disabled',
      members: [
        {
          serverId: 'srv-off-1',
          machineName: 'APS-OFF-1',
          instanceId: 'i-1',
          action: 'keep',
          reason: { kind: 'group-skipped', skip: 'policy-disabled' },
        },
      ],
      memberReasons: { 'group-skipped': 1 },
    });
    const unlisted = groupReportFactory({
      serverGroupId: 'sg-held',
      decision: 'skip',
      reason: 'held',
      memberReasons: {},
      membersNotListed: 'GET /v1/p/app-servers: 503 APS.0001 <request id r-9>',
    });
    const report = sweepReportFactory([named, unlisted]);
    const html = renderReportHtml(report);
    expect(html).toContain(
      '<li class="v-group-skipped"><b>APS-OFF-1</b> <code>srv-off-1</code> group skipped, policy-disabled</li>',
    );
    expect(html).toContain(
      '<li class="v-other bad">servers could not be listed: GET /v1/p/app-servers: 503 APS.0001 &lt;request id r-9&gt;</li>',
    );
    // Kept, by the one set of counts: never a removal.
    expect(countsOf(report).kept).toEqual({ 'group-skipped': 1 });
    expect(countsOf(report).planned).toBe(0);
  });

  it('refers to nothing outside the page and forbids requests', () => {
    const plan = generatePlan({ groups: 50, serversPerGroup: 4, seed: 4 });
    const html = renderReportHtml(plan.report);
    expect(html).not.toMatch(/\b(src|href)=|url\(|@import|https?:\/\//);
    expect(html).toContain(`content="default-src 'none';`);
  });

  it('lists one row per group with its verdict segments', () => {
    const plan = generatePlan({ groups: 40, serversPerGroup: 5, seed: 5 });
    const html = renderReportHtml(plan.report);
    expect(html.match(/<tr class="g (scale-in|scale-out|steady|skip)">/g)).toHaveLength(40);
    const segments = [...html.matchAll(/<i class="v-[a-z-]+" style="flex:(\d+)"/g)];
    const servers = plan.report.groups.reduce(
      (sum, g) => sum + Object.values(g.memberReasons).reduce((a, b) => a + b, 0),
      0,
    );
    expect(segments.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(servers);
  });

  it('shows server-hours, saving and the what-if sets side by side', () => {
    const plan = generatePlan({ groups: 60, serversPerGroup: 6, seed: 6 });
    const whatIf = compareWhatIf(plan.fetched, ['shrink=15', 'min=3'].map(parseWhatIf), {
      now: plan.now,
      limits: PLAN_LIMITS,
      maxRemovalsPerSweep: 1000,
      prices: { currency: 'CNY', perServerHour: {}, default: 1.25 },
    });
    const html = renderReportHtml(plan.report, { whatIf });
    expect(html).toContain(
      '<th scope="col" class="n">shrink=15</th><th scope="col" class="n">min=3</th>',
    );
    // The what-if baseline's cells carry the quantity the headline shows, and agree with it.
    const counts = countsOf(plan.report);
    expect(html).toContain(
      `<td class="n" data-count="server-hours">${formatCount(whatIf.baseline.serverHoursFreed)}</td>`,
    );
    expect(whatIf.baseline.serverHoursFreed).toBe(counts.serverHoursFreed);
    expect(html).toContain(
      `<td class="n" data-count="would-remove">${formatCount(counts.wouldRemove)}</td>`,
    );
    expect(html).toContain(
      `<td class="n" data-count="planned">${formatCount(counts.planned)}</td>`,
    );
    expect(html).toContain('<dt>Estimated saving</dt>');
  });

  it('stays compact and fast for 10,000 groups', () => {
    const plan = generatePlan({ groups: 10_000, serversPerGroup: 6, seed: 10 });
    const started = performance.now();
    const html = renderReportHtml(plan.report);
    const ms = performance.now() - started;
    const bytes = Buffer.byteLength(html);
    console.log(
      `10,000-group page: ${(bytes / 1e6).toFixed(2)} MB rendered in ${ms.toFixed(0)} ms`,
    );
    expect(bytes).toBeLessThan(8_000_000);
    expect(ms).toBeLessThan(5_000);
  });
});
