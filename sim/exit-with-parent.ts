import { readFileSync } from 'node:fs';

/** The current parent pid: read live from /proc where there is one (`process.ppid` is fixed at start). */
function liveParentPid(): number | undefined {
  try {
    // Field 4 of /proc/self/stat, after the parenthesised command name.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function parentGone(parent: number): boolean {
  const live = liveParentPid();
  if (live !== undefined) return live !== parent;
  try {
    process.kill(parent, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Calls `stop` once the process that started this one is gone. `npm run sim`
 * runs node under npm and a shell; a signal to npm ends those
 * but not node, which would stay listening on its port, orphaned.
 */
export function exitWithParent(stop: () => void, intervalMs = 500): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (!parentGone(parent)) return;
    clearInterval(timer);
    stop();
  }, intervalMs);
  timer.unref();
}
