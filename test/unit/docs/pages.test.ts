import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../../lib/config.ts';
import { defaultOf, PROXY_VARIABLES, STAGE_PARAMETERS } from '../../../lib/config-parameters.ts';
import { METRIC, REMOVAL_OUTCOMES, SWEEP_STATUSES } from '../../../lib/metric-names.ts';
import { docPages, fencedBlocks, pageSection, pageText } from '../../helpers/readme.ts';

const REPO = new URL('../../../', import.meta.url);

/** The cells of a page's table rows whose first cell starts with `first`. */
const tableRows = (text: string, first: RegExp) =>
  text
    .split('\n')
    .filter((line) => first.test(line))
    .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| |\|$/g, '').trim()));

describe('README.md', () => {
  it('fits on a screen or five: 300 lines at most, with a table of contents', () => {
    const readme = pageText('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
    expect(readme).toContain('\n## Contents\n');
  });

  it('links every docs/ page', () => {
    const readme = pageText('README.md');
    for (const page of docPages().filter((p) => p !== 'README.md')) {
      expect(readme, page).toContain(`](${page})`);
    }
  });
});

describe('docs/configuration.md', () => {
  const rows = tableRows(pageText('docs/configuration.md'), /^\| `[A-Z_]+` \|/);

  it('has one row per setting of the config schema, proxies included, in its order', () => {
    expect(rows.map((r) => r[0]?.replaceAll('`', ''))).toEqual([
      ...CONFIG_VARIABLES,
      ...PROXY_VARIABLES,
    ]);
  });

  it.each(rows.map((r) => [r[0]?.replaceAll('`', '') ?? '', r] as const))(
    "%s: the default and the stage parameter are the schema's",
    (variable, [, dflt = '', parameter = '']) => {
      const value = defaultOf(variable);
      if (value === undefined) expect(dflt).toMatch(/^—/);
      else expect(/^`([^`]*)`/.exec(dflt)?.[1]).toBe(String(value));
      const param = STAGE_PARAMETERS.find((p) => p.variable === variable)?.parameter;
      if (param === undefined) expect(parameter).toMatch(/^— \(/);
      else expect(parameter).toBe(`\`${param}\``);
    },
  );
});

describe('docs/operations.md', () => {
  it('says what to do for every alarm of serverless.yml', () => {
    const yml = readFileSync(new URL('serverless.yml', REPO), 'utf8');
    const alarms = [...yml.matchAll(/^ {4}(\w+):\n {6}Type: AWS::CloudWatch::Alarm$/gm)].map(
      (m) => m[1],
    );
    expect(alarms.length).toBeGreaterThan(5);
    const runbook = tableRows(pageSection('docs/operations.md', 'Alarms and what to do'), /^\| `/);
    expect(runbook.map((r) => r[0]?.replaceAll('`', '')).sort()).toEqual(alarms.sort());
    for (const row of runbook) expect(row[2]?.length ?? 0).toBeGreaterThan(20);
  });

  it('names every metric and removal outcome of lib/metric-names.ts in its metrics list', () => {
    const list = pageSection(
      'docs/operations.md',
      'Metrics, dashboard, kept reports and log levels',
    )
      .split('\n\n')
      .find((paragraph) => paragraph.startsWith('**Metrics**'));
    const named = new Set([...(list ?? '').matchAll(/`([A-Za-z-]+)`/g)].map((m) => m[1]));
    for (const name of [...Object.values(METRIC), ...REMOVAL_OUTCOMES, ...SWEEP_STATUSES]) {
      expect(named, name).toContain(name);
    }
  });
});

describe('docs/contributing.md, the project layout', () => {
  const layout = fencedBlocks(pageSection('docs/contributing.md', 'Project layout'), '').join('');

  it.each(['lib', 'sim', 'scripts'])('names every file of %s/', (folder) => {
    const files = readdirSync(new URL(`${folder}/`, REPO), { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile() && !f.name.endsWith('.md'))
      .map((f) => f.name);
    expect(files.length).toBeGreaterThan(3);
    const missing = files.filter(
      (name) => !new RegExp(`\\b${name.replace('.', '\\.')}\\b`).test(layout),
    );
    expect(missing).toEqual([]);
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('links between the pages', () => {
  it.each(docPages())('%s links only to files and headings that exist', (page) => {
    const base = new URL(page, REPO);
    const broken: string[] = [];
    for (const [, target = ''] of pageText(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? base : new URL(path, base);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        broken.push(target);
        continue;
      }
      const headings = [...text.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1] ?? ''));
      if (anchor !== undefined && !headings.includes(anchor)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });
});
