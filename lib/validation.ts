import * as z from 'zod';

/** Renders one zod issue path as `items[3].scaling_policy.enable`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Renders zod issues as `path: message` lines joined by `; `, each path
 * prefixed with `prefix` (for example the record index of an SQS batch).
 * Values are never echoed, so secrets in the input cannot leak through here.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string {
  return issues
    .slice(0, 10)
    .map((issue) => `${formatPath(issue.path, prefix)}: ${issue.message}`)
    .concat(issues.length > 10 ? [`(+${issues.length - 10} more)`] : [])
    .join('; ');
}

/**
 * A string variable holding JSON: parsed, then checked by the schema that
 * follows in `.pipe(…)`; text that is not JSON is one issue, `expected JSON
 * such as <example>`, never echoing the value.
 */
export function jsonText(example: string) {
  return z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected JSON such as ${example}` });
      return z.NEVER;
    }
  });
}
