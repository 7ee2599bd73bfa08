import { readdirSync, readFileSync } from 'node:fs';

const REPO = new URL('../../', import.meta.url);

/** Every documentation page a person reads: README.md and docs/*.md, as repository paths. */
export function docPages(): string[] {
  const docs = readdirSync(new URL('docs/', REPO)).filter((name) => name.endsWith('.md'));
  return ['README.md', ...docs.sort().map((name) => `docs/${name}`)];
}

/** The text of a page (a repository path). */
export function pageText(page: string): string {
  return readFileSync(new URL(page, REPO), 'utf8');
}

/** The text of a page's `## title` section, up to the next `## ` heading. */
export function pageSection(page: string, title: string): string {
  const text = pageText(page);
  // '' is the page's top, before its first `## ` heading.
  if (title === '') return text.slice(0, text.indexOf('\n## ') + 1 || undefined);
  const start = text.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`${page} has no section "## ${title}"`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

/** The text of the README's `## title` section, up to the next `## ` heading. */
export function readmeSection(title: string): string {
  return pageSection('README.md', title);
}

/** The contents of every ```lang fenced block in `text`, in order. */
export function fencedBlocks(text: string, lang: string): string[] {
  const blocks: string[] = [];
  const fence = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  for (const match of text.matchAll(fence)) blocks.push(match[1] ?? '');
  return blocks;
}

/** The shell commands of some text's ```bash blocks, in order, without trailing `# comments`. */
export function commandsOf(text: string): string[] {
  return fencedBlocks(text, 'bash')
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The shell commands of a page section's ```bash blocks, in order. */
export function pageCommands(page: string, title: string): string[] {
  return commandsOf(pageSection(page, title));
}

/** The shell commands of a README section's ```bash blocks, in order. */
export function readmeCommands(title: string): string[] {
  return pageCommands('README.md', title);
}

/** Every ```bash command of every page, with the page and the `## ` section it is in. */
export function everyDocCommand(): { page: string; section: string; command: string }[] {
  return docPages().flatMap((page) =>
    pageText(page)
      .split('\n## ')
      .flatMap((part, i) => {
        // The part before the first `## ` heading is the page's top.
        const section = i === 0 ? '' : part.slice(0, part.indexOf('\n'));
        return commandsOf(part).map((command) => ({ page, section, command }));
      }),
  );
}

/**
 * A README example line as a pattern: ids (`5c8b4d53-….json`), dates and
 * byte counts vary from run to run, every other character must match.
 */
export function examplePattern(line: string): RegExp {
  const escaped = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${escaped
      .replace(/[0-9a-f]{8}-…/g, '[0-9a-f]{8}-[0-9a-f-]{27}')
      .replace(/\d{4}-\d{2}-\d{2}/g, '\\d{4}-\\d{2}-\\d{2}')
      .replace(/\\\(\d+ bytes\\\)/g, '\\(\\d+ bytes\\)')}$`,
  );
}
