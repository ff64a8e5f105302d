import { formatDuration, timestamp } from '../bin/format';
import { toPlainText, type SlackMessage } from '../functions/slack-notifier/logic';
import { rpoField } from '../functions/shared/rpo';
import type { Drill, DrillRun } from './drill';
import { DrillResultSchema, type AwsCallResult, type DrillResult, type KubernetesRequestResult, type RunResult, type WorldState } from './result-schema';
import { canonicalName, MUTATING_COMMANDS, type AwsCall, type SimulatedWorld } from './world';
import type { KubernetesRequestRecord } from './kube';

/**
 * Builds the drill's machine-readable result (`npm start -- --json`) from what the world recorded:
 * the calls it answered, the Kubernetes requests its cluster was sent, the Slack posts, and its
 * end state. The document is parsed with DrillResultSchema before it is printed.
 */

/** Where the world's logs stood when a run started: the run's own entries follow. */
export interface RunMarks {
  calls: number;
  kubernetes: number;
  messages: number;
}

export function runMarks(world: SimulatedWorld): RunMarks {
  return { calls: world.calls.length, kubernetes: world.kubeRequests?.requests.length ?? 0, messages: world.slackPosts.length };
}

const iso = (ms: number) => new Date(ms).toISOString();

function callResult(call: AwsCall): AwsCallResult {
  return {
    executionId: call.executionId,
    state: call.state,
    step: call.step,
    service: call.service,
    command: call.command.replace(/Command$/, ''),
    region: call.region,
    outcome: call.outcome,
    error: call.error,
    mutating: MUTATING_COMMANDS.has(call.command),
    at: iso(call.at),
  };
}

function kubernetesResult(request: KubernetesRequestRecord): KubernetesRequestResult {
  return { ...request, at: iso(request.at) };
}

/** The world's end state: what the text drill prints under "World after the run", as data. */
export async function worldState(world: SimulatedWorld): Promise<WorldState> {
  const { config } = world;
  const configMap = world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data ?? {};
  return {
    primaryRegion: config.primaryRegion,
    standbyRegion: config.standbyRegion,
    dns: config.route53.records.map((r) => {
      const target = world.zoneOf(r).get(r.name, r.type, r.setIdentifier)?.AliasTarget?.DNSName;
      return { name: r.name, type: r.type, setIdentifier: r.setIdentifier ?? null, target: target === undefined ? null : canonicalName(target) };
    }),
    database: { instanceId: config.rds.replicaInstanceId, role: world.databaseRole() },
    configMap: {
      namespace: config.eks.namespace,
      name: config.eks.configMapName,
      data: Object.fromEntries(Object.keys(config.eks.configMapData).map((key) => [key, configMap[key] ?? null])),
    },
    cloudFront: Object.entries(world.behaviorOrigins()).map(([pathPattern, origin]) => ({ pathPattern, origin: origin ?? null })),
    lock: { holder: await lockHolder(world) },
  };
}

/** The execution holding the environment's cutover lock, or null. */
async function lockHolder(world: SimulatedWorld): Promise<string | null> {
  return (await world.lockItem())?.executionId?.S ?? null;
}

/** One run's result: its outcome and report, and the calls, requests and messages made since `marks`. */
export async function runResult(drill: Drill, run: DrillRun, index: number, marks: RunMarks): Promise<RunResult> {
  const { world } = drill;
  const report = run.report;
  const rpo = report ? rpoField(report, { duration: formatDuration, time: timestamp }) : null;
  return {
    run: index,
    executionId: run.result.executionId,
    status: run.result.status,
    error: run.result.error,
    cause: run.result.cause,
    rtoSeconds: report?.rtoSeconds ?? null,
    rpo: report && rpo ? { label: rpo.label, value: rpo.value, rpoSeconds: report.rpoSeconds, detail: report.rpo ?? null } : null,
    report,
    simulatedSeconds: run.simulatedMs / 1000,
    stateTransitions: run.stateTransitions,
    calls: world.calls.slice(marks.calls).map(callResult),
    kubernetes: (world.kubeRequests?.requests ?? []).slice(marks.kubernetes).map(kubernetesResult),
    messages: world.slackPosts.slice(marks.messages).map((payload) => ({ text: toPlainText(payload as SlackMessage), payload })),
    world: await worldState(world),
  };
}

/** The whole document: the drill's settings, the last run's fields at the top level, and every run. */
export function drillResult(settings: Pick<DrillResult, 'scenario' | 'environment' | 'mode' | 'dryRun'>, runs: RunResult[]): DrillResult {
  const last = runs.at(-1);
  if (!last) throw new Error('a drill result needs at least one run');
  return DrillResultSchema.parse({ ...settings, ...last, runs });
}
