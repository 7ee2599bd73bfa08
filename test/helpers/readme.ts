import { readFileSync } from 'node:fs';

const README = new URL('../../README.md', import.meta.url);

/** The text of the README's `## title` section, up to the next `## ` heading. */
export function readmeSection(title: string): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README.md has no section "## ${title}"`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

/** The contents of every ```lang fenced block in `text`, in order. */
export function fencedBlocks(text: string, lang: string): string[] {
  const blocks: string[] = [];
  const fence = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  for (const match of text.matchAll(fence)) blocks.push(match[1] ?? '');
  return blocks;
}

/** The shell commands of a section's ```bash blocks, in order, without trailing `# comments`. */
export function readmeCommands(title: string): string[] {
  return fencedBlocks(readmeSection(title), 'bash')
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
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
