import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import type { HandlerDeps } from '../../functions/runtime.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import { fakeContext } from '../../scripts/lib/lambda.ts';
import type { FaultConfig } from '../../sim/faults.ts';
import type { CallLogEntry, Simulator, StartSimulatorOptions } from '../../sim/server.ts';
import { capturingLogger, depsFor, startFrozenSimulator } from '../helpers/stack.ts';

/** Keys unlike the simulator's defaults, with a security token, so every secret is exercised. */
export const CREDENTIALS = {
  ak: 'FAULTSUITEACCESSKEY7',
  sk: 'fault-suite-secret-key-7f3a9c1e5b',
  securityToken: 'fault-suite-security-token-2d8e6b4a0c9f',
} as const;

/**
 * Handler settings of the fault runs: a short per-attempt timeout so a hang
 * costs 250 ms, no client-side rate limit (the simulator throttles instead).
 */
export const FAULT_ENV: Record<string, string> = {
  HUAWEICLOUD_SDK_SECURITY_TOKEN: CREDENTIALS.securityToken,
  HTTP_TIMEOUT_MS: '250',
  RATE_LIMIT_RPS: '0',
  DRY_RUN: 'false',
};

/**
 * 15% of the requests of every route fail, spread over every fault the
 * simulator knows, and a token bucket per route answers bursts with 429 and
 * `Retry-After` (whole seconds, so kept rare: each one costs a real second).
 */
export function faultsFor(seed: number): FaultConfig {
  return {
    seed,
    routes: {
      '*': {
        error500: 0.03,
        error503: 0.03,
        hang: 0.02,
        reset: 0.03,
        malformed: 0.02,
        schemaViolation: 0.02,
        rateLimit: { requestsPerSecond: 100, burst: 6 },
      },
    },
  };
}

export type FleetSource = Pick<StartSimulatorOptions, 'fleet' | 'generate'>;

/** The demo fleet, or a generated one of `groups` × `serversPerGroup` from `seed`. */
export function fleetOf(
  kind: 'demo' | 'generated',
  seed: number,
  size = { groups: 30, serversPerGroup: 8 },
): FleetSource {
  return kind === 'demo' ? {} : { generate: { ...size, seed } };
}

/** A frozen-clock simulator on the fault suite's keys; `seed` seeds its faults and request ids. */
export function startFaultSimulator(source: FleetSource, seed: number): Promise<Simulator> {
  return startFrozenSimulator({ ...source, credentials: { ...CREDENTIALS }, seed });
}

/** Group id → sorted member server ids, for every group of the fleet. */
export function membership(sim: Simulator): Record<string, string[]> {
  return Object.fromEntries(
    sim.state.groups.map((g) => [
      g.id,
      sim.state
        .membersOf(g.id)
        .map((s) => s.id)
        .sort(),
    ]),
  );
}

const LIVE_STATES = new Set(['Active', 'Disconnected', 'AppcInit']);

/** Servers that must never be removed: a session count or an Active/Disconnected/AppcInit session. */
export function serversWithSessions(sim: Simulator): Set<string> {
  return new Set(
    sim.state.servers
      .filter(
        (s) =>
          (s.session_count ?? 0) > 0 ||
          sim.state
            .sessionsOf(s.machine_name ?? '')
            .some((x) => LIVE_STATES.has(x.session_state ?? '')),
      )
      .map((s) => s.id),
  );
}

/**
 * Records every removal that changed the simulator's state (an ECS
 * remove_member that detached a member, an APS delete of a server that
 * existed), as server ids in order. The call log has no request bodies, so
 * the instance a remove_member named is taken where the simulator applies it.
 */
export function recordRemovals(sim: Simulator): string[] {
  const removed: string[] = [];
  const state = sim.state;
  const removeMember = state.removeMember.bind(state);
  state.removeMember = (groupId, instanceId) => {
    const server = state.getServerByInstance(instanceId);
    const result = removeMember(groupId, instanceId);
    if (result === 'removed' && server !== undefined) removed.push(server.id);
    return result;
  };
  const deleteServers = state.deleteServers.bind(state);
  state.deleteServers = (ids, jobType, nowMs) => {
    const existing = ids.filter((id) => state.getServer(id) !== undefined);
    const job = deleteServers(ids, jobType, nowMs);
    removed.push(...existing);
    return job;
  };
  return removed;
}

const REMOVAL_ROUTES = new Set(['ecsAction', 'deleteAppServer', 'batchDeleteAppServers']);

/** Removal calls the simulator answered 200 without a fault: the ones it applied. */
export function successfulRemovalCalls(sim: Simulator): CallLogEntry[] {
  return sim.calls.filter(
    (c) => c.route !== null && REMOVAL_ROUTES.has(c.route) && c.status === 200 && c.fault === null,
  );
}

/** Which of the suite's secrets occur anywhere in `texts`. */
export function leakedSecrets(texts: readonly string[]): string[] {
  const all = texts.join('\n');
  return Object.entries(CREDENTIALS)
    .filter(([, secret]) => all.includes(secret))
    .map(([name]) => name);
}

/** A failure an operator can trace: a request id, or the network cause of a call that got no answer. */
export const TRACEABLE =
  /request id [0-9a-f]{32}|timed out after \d+ ms|network error|before the invocation deadline/;

/** Every failure a sweep report names (group errors, failed removals, listing errors). */
export function failuresOf(report: SweepReport): string[] {
  return [
    ...report.groups.flatMap((g) => (g.error === undefined ? [] : [g.error])),
    ...report.groups.flatMap((g) =>
      g.removals.filter((r) => r.outcome === 'failed').map((r) => r.detail ?? '(no detail)'),
    ),
    ...report.errors.map((e) => e.error),
  ];
}

/** Server ids a report says it removed. */
export function reportedRemovals(report: SweepReport): string[] {
  return report.groups
    .flatMap((g) => g.removals)
    .filter((r) => r.outcome === 'removed')
    .map((r) => r.serverId);
}

/** Collects unhandled rejections while installed; `stop()` removes the listener. */
export function watchUnhandledRejections(): { reasons: unknown[]; stop: () => void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { reasons, stop: () => process.off('unhandledRejection', listener) };
}

/** Handler deps on `sim` with the suite's keys and settings, logging into memory. */
export function faultDeps(
  sim: Simulator,
  options: {
    env?: Record<string, string>;
    logger?: Logger;
    sqs?: SQSClient;
    fetch?: typeof globalThis.fetch;
  } = {},
): HandlerDeps {
  return depsFor(sim, {
    ...options,
    env: { ...FAULT_ENV, ...options.env },
    logger: options.logger ?? capturingLogger().logger,
  });
}

/** A Lambda context on the simulator's (frozen) virtual clock. */
export function contextFor(sim: Simulator): Context {
  return fakeContext({ remainingMs: 600_000, now: () => sim.now().getTime() });
}

/** Requests {@link loopbackFetch} refused, by host. */
export const blockedHosts: string[] = [];

/**
 * A fetch that only reaches loopback: an event may name another region,
 * whose real endpoint must never be called from a test. Anything else gets a
 * 403 at once (not a network error, which would be retried with real sleeps).
 */
export const loopbackFetch: typeof globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== '127.0.0.1') {
    blockedHosts.push(url.host);
    return new Response(
      JSON.stringify({ error_code: 'TEST.0403', error_msg: 'non-loopback request blocked' }),
      { status: 403, headers: { 'content-type': 'application/json' } },
    );
  }
  return globalThis.fetch(input, init);
};
