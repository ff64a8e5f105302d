/**
 * Runs one chaos schedule on the synthesized definition and records what the world saw, for the
 * invariant checks (chaos-checks.ts): every AWS call with the world's state at that moment, every
 * Kubernetes request, each execution's history and messages, and the end state. A failed run is
 * healed and run again (I3); its end state is compared with a fault-free run of the same configuration.
 */
import { toPlainText, type SlackMessage } from '../functions/slack-notifier/logic';
import type { EnvironmentConfig } from '../stacks/config';
import { checkAll, type CallRecord, type ChaosRecord, type EndState, type ExecutionRecord, type Violation } from './chaos-checks';
import { Drill, type DrillRun } from './drill';
import type { FaultSchedule } from './fault-schedule';
import { currentInvocation } from './invocation';
import { withTopology } from './scenarios';
import { loadEnvironment } from '../stacks/environments';
import { applyFaultSchedule, healWorld, lastingConditions, WORLD_SLACK, type SimulatedWorld } from './world';

/** The environment config a schedule drills: its topology's size, and a routing-policy first record. */
export function scheduleConfig(env: string, schedule: FaultSchedule): EnvironmentConfig {
  return withTopology(loadEnvironment(env), schedule.topology ?? {});
}

/** The execution input a schedule starts (the same for a re-run). */
export function scheduleInput(schedule: FaultSchedule): Record<string, unknown> {
  const alarm = schedule.trigger === 'alarm';
  return {
    mode: schedule.mode ?? 'emergency',
    dryRun: schedule.dryRun ?? false,
    reason: alarm ? 'Threshold Crossed: 3 datapoints were less than the threshold (1.0).' : `chaos ${schedule.name ?? 'schedule'}`,
    ...(alarm ? { trigger: { type: 'alarm', alarmName: 'dr-cutover-primary-unhealthy', time: new Date(Date.now() - 180_000).toISOString() } } : { requestedBy: 'chaos-runner' }),
  };
}

async function endStateOf(world: SimulatedWorld): Promise<EndState> {
  const { config } = world;
  return {
    dns: world.dnsTargets(),
    // A read replica's passing status (backing-up, modifying…) is not part of where the run left it.
    database: world.databaseRole().replace(/^(read replica of \S+) \(.*\)$/, '$1'),
    configMap: world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data,
    behaviours: world.behaviorOrigins(),
    lockHolder: (await world.lockItem())?.executionId?.S,
  };
}

/** The execution ARN the local run gives its n-th execution. */
const executionArn = (n: number) => `arn:aws:states:local:000000000000:execution:dr-cutover:drill-${n}`;

/** Records each call with the world's state as it arrives, and each ConfigMap version the world held. */
function record(world: SimulatedWorld, calls: CallRecord[], versions: Set<string>, initial: string): void {
  const { namespace, configMapName } = world.config.eks;
  const noteVersion = () => {
    const data = JSON.stringify(world.kube.configMap(namespace, configMapName)?.data ?? {});
    if (data !== initial) versions.add(data);
  };
  const before = world.beforeCall;
  world.beforeCall = (command, input) => {
    const invocation = currentInvocation();
    noteVersion();
    calls.push({
      command,
      region: world.calls.at(-1)?.region ?? '',
      input: structuredClone(input),
      executionId: invocation?.executionId ?? null,
      step: invocation?.step ?? null,
      at: world.now(),
      world: { databaseWritable: world.databaseRole() === 'standalone (writable)', authReady: world.authPatchedAndRolled(), replicaLagSeconds: world.currentReplicaLag() },
    });
    before?.(command, input);
  };
  (world as SimulatedWorld & { noteVersion?: () => void }).noteVersion = noteVersion;
}

export interface ScheduleOutcome {
  violations: Violation[];
  /** Executions run, re-runs included. */
  runs: number;
  /** Error names the first runs failed with. */
  errors: string[];
  /** Simulated seconds of the run that completed the cutover (null: none did, or a dry run). */
  rtoSeconds: number | null;
  record: ChaosRecord;
}

/** Fault-free end states by configuration: each distinct configuration runs once. */
export type BaselineCache = Map<string, EndState>;

async function baseline(env: string, schedule: FaultSchedule, cache: BaselineCache): Promise<EndState> {
  const key = JSON.stringify({ env, topology: schedule.topology ?? {}, mode: schedule.mode ?? 'emergency', dryRun: schedule.dryRun ?? false });
  const cached = cache.get(key);
  if (cached) return cached;
  const input = scheduleInput({ ...schedule, trigger: 'manual', faults: [] });
  const drill = await Drill.create({ config: scheduleConfig(env, schedule), timing: schedule.timing, primaryOutage: input.mode === 'emergency' });
  try {
    const run = await drill.run(input);
    if (run.result.status !== 'SUCCEEDED') throw new Error(`the fault-free run of ${key} ended ${run.result.status}: ${run.result.error ?? ''} ${run.result.cause ?? ''}`);
    const end = await endStateOf(drill.world);
    cache.set(key, end);
    return end;
  } finally {
    await drill.close();
  }
}

/** Deployment patches the stand-in accepted (2xx): a refused one, or a hung one (status 0), changed nothing. */
export function acceptedRestarts(requests: ReadonlyArray<{ method: string; path: string; status: number }>): number {
  return requests.filter((r) => r.method === 'PATCH' && r.path.includes('/deployments/') && r.status >= 200 && r.status < 300).length;
}

/**
 * The operator's re-run: the same input, except that a planned cutover the primary Region's lasting
 * history blocks (its DynamoDB replicas inaccessible or removed) is re-run as an emergency cutover,
 * as the blocker says.
 */
export function rerunInput(input: Record<string, unknown>, schedule: FaultSchedule): Record<string, unknown> {
  return input.mode === 'planned' && lastingConditions(schedule).includes('primary-replicas-inaccessible') ? { ...input, mode: 'emergency' } : input;
}

export async function runSchedule(schedule: FaultSchedule, options: { env: string; baselines: BaselineCache }): Promise<ScheduleOutcome> {
  const config = scheduleConfig(options.env, schedule);
  const input = scheduleInput(schedule);
  const calls: CallRecord[] = [];
  const versions = new Set<string>();
  const drill = await Drill.create({
    config,
    timing: schedule.timing,
    primaryOutage: input.mode === 'emergency',
    arrange: (world) => {
      const initial = JSON.stringify(world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data ?? {});
      record(world, calls, versions, initial);
      applyFaultSchedule(world, schedule);
    },
  });
  const world = drill.world;
  const executions: ExecutionRecord[] = [];
  let started = 0;
  const runPhase = async (phase: 'first' | 'rerun', concurrent: number, input: Record<string, unknown>): Promise<DrillRun[]> => {
    const from = { calls: calls.length, kube: world.kube.requests.length, slack: world.slackPosts.length, published: world.published.length };
    const runs = concurrent > 1 ? await drill.runConcurrently(Array.from({ length: concurrent }, () => input)) : [await drill.run(input)];
    (world as SimulatedWorld & { noteVersion?: () => void }).noteVersion?.();
    const slackPosts = world.slackPosts.slice(from.slack);
    const lockHolderAfter = (await world.lockItem())?.executionId?.S;
    runs.forEach((run, i) => {
      started += 1;
      executions.push({
        executionId: executionArn(started),
        mode: input.mode === 'planned' ? 'planned' : 'emergency',
        dryRun: input.dryRun === true,
        status: run.result.status,
        error: run.result.error,
        cause: run.result.cause,
        output: run.result.output,
        events: run.result.events.map((e) => ({ type: e.type, state: e.state, error: e.error, cause: e.cause })),
        slackTexts: slackPosts.map((p) => toPlainText(p as SlackMessage)),
        slackPosts,
        published: world.published.slice(from.published).map((p) => p.message),
        callRange: [from.calls, calls.length],
        kubeRange: [from.kube, world.kube.requests.length],
        lockHolderAfter,
        phase: phase === 'rerun' ? 'rerun' : i === 0 ? 'first' : 'concurrent',
      });
    });
    return runs;
  };
  try {
    const first = await runPhase('first', schedule.concurrent ?? 1, input);
    let rto = first.find((r) => r.result.status === 'SUCCEEDED');
    if (!rto) {
      // What an operator does before running again: remove the causes, and approve this time.
      healWorld(world);
      // A lock a failed run could not release (its delete broken for good) is removed by the operator, as the failure note says.
      const holder = (await world.lockItem())?.executionId?.S;
      if (holder !== undefined && executions.some((e) => e.executionId === holder)) await world.clearLock();
      if (schedule.trigger === 'alarm' && world.approver?.decision !== 'approve') world.approver = { decision: 'approve', afterSeconds: 30 };
      const [rerun] = await runPhase('rerun', 1, rerunInput(input, schedule));
      if (rerun?.result.status === 'SUCCEEDED') rto = rerun;
    }
    const chaos: ChaosRecord = {
      schedule,
      config: {
        maxReplicaLagSeconds: config.rds.maxReplicaLagSeconds,
        aliasDnsName: config.route53.aliasTarget.dnsName,
        apiDrOrigins: config.cloudfront.behaviors.filter((b) => b.dependsOnApi).map((b) => b.drOriginId),
        apiPathPatterns: config.cloudfront.behaviors.filter((b) => b.dependsOnApi).map((b) => b.pathPattern),
      },
      secrets: [WORLD_SLACK.webhookUrl, WORLD_SLACK.signingSecret],
      calls,
      kube: world.kube.requests.map((r) => ({ method: r.method, path: r.path, status: r.status })),
      executions,
      promotes: world.effects.filter((e) => e.kind === 'promote').length,
      configVersions: versions.size,
      restarts: acceptedRestarts(world.kube.requests),
      endState: await endStateOf(world),
      baseline: null,
    };
    await drill.close();
    chaos.baseline = await baseline(options.env, schedule, options.baselines);
    return {
      violations: checkAll(chaos),
      runs: executions.length,
      errors: executions.filter((e) => e.phase !== 'rerun' && e.status === 'FAILED' && e.error).map((e) => e.error ?? ''),
      rtoSeconds: rto && !(input.dryRun === true) ? Math.round(rto.simulatedMs / 1000) : null,
      record: chaos,
    };
  } finally {
    await drill.close().catch(() => undefined);
  }
}
