/**
 * The invariants I1–I7 (design §4), checked from what the world recorded: every AWS call with the
 * world's state at that moment, every Kubernetes request, the executions' histories, the Slack and
 * SNS messages, and the end state. Never from the cutover's own report.
 */
import type { FaultSchedule } from './fault-schedule';

export const INVARIANTS = ['I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'I7'] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  invariant: Invariant;
  message: string;
}

/** The world's state when a call reached it (before the call is answered). */
export interface WorldMoment {
  /** The Tokyo database is a standalone, writable instance. */
  databaseWritable: boolean;
  /** The Auth ConfigMap holds the standby values and the Deployment has rolled out with them. */
  authReady: boolean;
  /** The replica's apply lag in seconds (-1: replication not running). */
  replicaLagSeconds: number;
}

export interface CallRecord {
  command: string;
  region: string;
  input: unknown;
  /** The execution whose Lambda sent it; null for the Slack notifier and the approval callback. */
  executionId: string | null;
  step: string | null;
  /** Simulated ms. */
  at: number;
  world: WorldMoment;
}

export interface KubeRecord {
  method: string;
  path: string;
  status: number;
}

export interface ExecutionEventRecord {
  type: string;
  state?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionRecord {
  executionId: string;
  /** The run's input as started. */
  mode: 'emergency' | 'planned';
  dryRun: boolean;
  status: 'SUCCEEDED' | 'FAILED';
  error: string | null;
  cause: string | null;
  output: unknown;
  events: ExecutionEventRecord[];
  /** Slack messages posted while it ran (plain text), and SNS messages published. */
  slackTexts: string[];
  /** Raw Slack payloads and SNS messages, for the secret check. */
  slackPosts: unknown[];
  published: unknown[];
  /** Calls and Kubernetes requests made from its start to its end (indexes into the record's lists). */
  callRange: readonly [number, number];
  kubeRange: readonly [number, number];
  /** Who held the cutover lock when it (and any sibling started with it) ended; undefined: free. */
  lockHolderAfter?: string;
  /** 'first' run, the 'concurrent' sibling, or the 'rerun' after healing. */
  phase: 'first' | 'concurrent' | 'rerun';
}

/** The parts of the end state a re-run must converge on. */
export interface EndState {
  dns: Record<string, string | undefined>;
  database: string;
  configMap: Record<string, string> | undefined;
  behaviours: Record<string, string | undefined>;
  /** Who holds the cutover lock at the end (undefined: free). */
  lockHolder: string | undefined;
}

export interface ChaosRecord {
  schedule: FaultSchedule;
  /** What the checks need from the environment config. */
  config: {
    maxReplicaLagSeconds: number;
    aliasDnsName: string;
    /** TargetOriginId of each API behaviour's Tokyo origin. */
    apiDrOrigins: string[];
    apiPathPatterns: string[];
  };
  /** Values that must never leave the secret store. */
  secrets: string[];
  calls: CallRecord[];
  kube: KubeRecord[];
  executions: ExecutionRecord[];
  /** Promotions the world accepted (a lost response included). */
  promotes: number;
  /** Distinct ConfigMap contents the world held after the first patch, and the Deployment restarts it accepted. */
  configVersions: number;
  restarts: number;
  endState: EndState;
  /** A fault-free run of the same configuration and mode: its end state. */
  baseline: EndState | null;
}

const MUTATING_AWS = new Set(['PromoteReadReplicaCommand', 'UpdateDistributionCommand', 'ChangeResourceRecordSetsCommand', 'PutItemCommand', 'DeleteItemCommand', 'UpdateItemCommand']);
const LOCK_COMMANDS = new Set(['PutItemCommand', 'GetItemCommand', 'DeleteItemCommand', 'UpdateItemCommand']);
const MUTATING_KUBE = new Set(['PATCH', 'PUT', 'POST', 'DELETE']);

/** A Route 53 change batch that points a record at the standby alias, or a CloudFront update that sends an API behaviour to Tokyo. */
export function movesTraffic(call: Pick<CallRecord, 'command' | 'input'>, config: ChaosRecord['config']): boolean {
  if (call.command === 'ChangeResourceRecordSetsCommand') {
    const changes = (call.input as { ChangeBatch?: { Changes?: Array<{ ResourceRecordSet?: { AliasTarget?: { DNSName?: string } } }> } }).ChangeBatch?.Changes ?? [];
    const alias = config.aliasDnsName.replace(/\.$/, '').toLowerCase();
    return changes.some((c) => (c.ResourceRecordSet?.AliasTarget?.DNSName ?? '').replace(/\.$/, '').toLowerCase() === alias);
  }
  if (call.command === 'UpdateDistributionCommand') {
    const dc = (call.input as { DistributionConfig?: { DefaultCacheBehavior?: { TargetOriginId?: string }; CacheBehaviors?: { Items?: Array<{ PathPattern?: string; TargetOriginId?: string }> } } }).DistributionConfig;
    const behaviours = [{ PathPattern: '*', TargetOriginId: dc?.DefaultCacheBehavior?.TargetOriginId }, ...(dc?.CacheBehaviors?.Items ?? [])];
    return behaviours.some((b) => config.apiPathPatterns.includes(b.PathPattern ?? '') && config.apiDrOrigins.includes(b.TargetOriginId ?? ''));
  }
  return false;
}

/** I1: every traffic-moving call came after the database was writable and Auth was patched and rolled out. */
export function checkI1(r: ChaosRecord): Violation[] {
  return r.calls
    .filter((c) => movesTraffic(c, r.config) && (!c.world.databaseWritable || !c.world.authReady))
    .map((c) => ({
      invariant: 'I1' as const,
      message: `${c.command} from ${c.step ?? '?'} moved traffic to Tokyo while the database was ${c.world.databaseWritable ? 'writable' : 'not writable'} and Auth was ${c.world.authReady ? 'ready' : 'not ready'}`,
    }));
}

/** I2: a dry run sends no mutating AWS call and no mutating Kubernetes request. */
export function checkI2(r: ChaosRecord): Violation[] {
  return r.executions
    .filter((e) => e.dryRun)
    .flatMap((e) => {
      const calls = r.calls.slice(...e.callRange).filter((c) => MUTATING_AWS.has(c.command) && (c.executionId === e.executionId || c.executionId === null));
      const kube = r.kube.slice(...e.kubeRange).filter((k) => MUTATING_KUBE.has(k.method));
      return [
        ...calls.map((c) => ({ invariant: 'I2' as const, message: `dry run ${e.executionId} sent ${c.command} (${c.step ?? '?'})` })),
        ...kube.map((k) => ({ invariant: 'I2' as const, message: `dry run ${e.executionId} sent Kubernetes ${k.method} ${k.path}` })),
      ];
    });
}

/**
 * I3: after healing, the re-run succeeded; the replica was promoted at most once in total (once when
 * anything ran for real), Auth restarted at most once per ConfigMap version, and the end state is the
 * fault-free run's.
 */
export function checkI3(r: ChaosRecord): Violation[] {
  const v: Violation[] = [];
  const rerun = r.executions.find((e) => e.phase === 'rerun');
  const failed = r.executions.filter((e) => e.phase !== 'rerun' && e.status === 'FAILED');
  const real = r.executions.some((e) => !e.dryRun && e.status === 'SUCCEEDED');
  // Executions started together: if none of them completed, the run was re-run after healing.
  if (failed.length > 0 && failed.length === r.executions.filter((e) => e.phase !== 'rerun').length && !rerun) {
    v.push({ invariant: 'I3', message: 'a failed run was not re-run after healing' });
  }
  if (rerun && rerun.status !== 'SUCCEEDED') v.push({ invariant: 'I3', message: `the re-run after healing ended ${rerun.status}: ${rerun.error ?? ''} ${rerun.cause ?? ''}`.trim() });
  const promotes = r.promotes;
  if (promotes > 1) v.push({ invariant: 'I3', message: `the replica was promoted ${promotes} times` });
  if (real && promotes === 0) v.push({ invariant: 'I3', message: 'a cutover succeeded without promoting the replica' });
  if (r.restarts > Math.max(r.configVersions, 0)) v.push({ invariant: 'I3', message: `Auth restarted ${r.restarts} times for ${r.configVersions} ConfigMap version(s)` });
  if (r.baseline && r.executions.some((e) => e.status === 'SUCCEEDED')) {
    // A lock left to expire (I5 allows it, with a note) is the one difference a broken lock table may leave.
    const end = lockLeftToExpire(r) ? { ...r.endState, lockHolder: r.baseline.lockHolder } : r.endState;
    const diff = diffEndState(end, r.baseline);
    if (diff.length > 0) v.push({ invariant: 'I3', message: `the end state differs from a fault-free run: ${diff.join('; ')}` });
  }
  return v;
}

export function diffEndState(actual: EndState, expected: EndState): string[] {
  const keys: Array<keyof EndState> = ['dns', 'database', 'configMap', 'behaviours', 'lockHolder'];
  return keys.filter((k) => JSON.stringify(actual[k]) !== JSON.stringify(expected[k])).map((k) => `${k}: ${JSON.stringify(actual[k])} (fault-free: ${JSON.stringify(expected[k])})`);
}

/** I4: of executions started at once, at most one made a mutating call beyond the lock. */
export function checkI4(r: ChaosRecord): Violation[] {
  const together = r.executions.filter((e) => e.phase === 'first' || e.phase === 'concurrent');
  if (together.length < 2) return [];
  const movers = together.filter((e) => r.calls.some((c) => c.executionId === e.executionId && MUTATING_AWS.has(c.command) && !LOCK_COMMANDS.has(c.command)));
  return movers.length > 1 ? [{ invariant: 'I4', message: `${movers.length} concurrent executions changed the world: ${movers.map((e) => e.executionId).join(', ')}` }] : [];
}

/**
 * The Task state where a failed execution's error arose: the first state that failed with the
 * execution's error and was not retried (a Retry that absorbed an earlier attempt does not count).
 */
export function failedState(e: Pick<ExecutionRecord, 'events' | 'error'>): string | undefined {
  const events = e.events;
  for (const [i, ev] of events.entries()) {
    if (ev.type !== 'StateFailed' || !ev.state || (e.error !== null && ev.error !== e.error)) continue;
    const next = events.slice(i + 1).find((x) => x.state === ev.state);
    if (next?.type !== 'StateRetried') return ev.state;
  }
  return undefined;
}

/**
 * The states the failure passed through on its way out: the failed state, then each enclosing
 * Parallel or stage that failed with the same error (a poll that ran out fails in a branch's Fail
 * state, and the report may name the stage). The execution's own terminal Fail state is not one.
 */
export function failurePath(e: Pick<ExecutionRecord, 'events' | 'error'>): string[] {
  const first = failedState(e);
  if (first === undefined) return [];
  const failed = e.events.filter((ev) => ev.type === 'StateFailed' && ev.state && (e.error === null || ev.error === e.error)).map((ev) => ev.state ?? '');
  const terminal = failed.at(-1);
  const from = failed.indexOf(first);
  const path = failed.slice(from);
  return [...new Set(path.length > 1 && terminal !== first ? path.slice(0, -1) : path)];
}

/** Words that name a kind of step rather than which one. */
const GENERIC = new Set(['check', 'switch', 'verify', 'request', 'the', 'and', 'after', 'failed', 'static', 'api']);
const words = (s: string) => s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0 && !GENERIC.has(w));

/** The step named in a message matches a state when they share a specific word (the message may use a shorter, operator-facing name). */
export function namesState(stepLine: string, state: string): boolean {
  const stateWords = new Set(words(state));
  return words(stepLine).some((w) => stateWords.has(w));
}

/**
 * I5: every failed execution posted a Slack message naming the failed step (its name, or a shorter
 * name made of the state's words) and the error, and the lock is free at the end — held only by an
 * execution outside the drill (a lock-held fault), or left to expire where the schedule broke the
 * lock table's delete for good (and the Slack messages say so).
 */
export function checkI5(r: ChaosRecord): Violation[] {
  const v: Violation[] = [];
  const publishBroken = r.schedule.faults.some((f) => (f.target === 'aws:Publish' && f.count === 'always' && (f.kind === 'error' || f.kind === 'hang')));
  for (const e of r.executions.filter((x) => x.status === 'FAILED')) {
    const state = failedState(e);
    const failure = e.slackTexts.find((t) => /fail/i.test(t) && e.error !== null && t.includes(e.error));
    if (!failure) {
      if (!publishBroken) v.push({ invariant: 'I5', message: `failed execution ${e.executionId} (${e.error ?? '?'} at ${state ?? '?'}) posted no Slack message naming the error` });
      continue;
    }
    const stepLine = /Failed step: (.+)/.exec(failure)?.[1]?.trim();
    if (!stepLine || !failurePath(e).some((s) => namesState(stepLine, s))) {
      v.push({ invariant: 'I5', message: `failed execution ${e.executionId}: the Slack message names step '${stepLine ?? '(none)'}', not the failed state '${state ?? '?'}'` });
    }
    if (!/Cause: \S/.test(failure)) v.push({ invariant: 'I5', message: `failed execution ${e.executionId}: the Slack message gives no cause` });
  }
  const ours = r.executions.map((e) => e.executionId);
  const holders = new Set([...r.executions.filter((e) => e.status === 'FAILED').map((e) => e.lockHolderAfter), r.endState.lockHolder]);
  for (const holder of holders) {
    if (holder === undefined || !ours.includes(holder) || lockLeftToExpire(r)) continue;
    v.push({ invariant: 'I5', message: `the cutover lock was left held by ${holder}${lockDeleteBroken(r) ? ' and no message says it is left to expire' : ''}` });
  }
  return v;
}

/** The schedule broke the lock table's delete for the rest of the run. */
function lockDeleteBroken(r: ChaosRecord): boolean {
  return r.schedule.faults.some((f) => f.target === 'aws:DeleteItem' && f.count === 'always' && f.kind !== 'delay');
}

/** A lock the run could not release, with a Slack message saying it is left to expire: the one held lock allowed. */
export function lockLeftToExpire(r: ChaosRecord): boolean {
  return lockDeleteBroken(r) && r.executions.some((e) => e.slackTexts.some((t) => /expire/i.test(t)));
}

/** I6: no secret value appears in an execution's history, output, a Slack message, an SNS message, or a call's input. */
export function checkI6(r: ChaosRecord): Violation[] {
  const v: Violation[] = [];
  const places: Array<[string, unknown]> = [
    ...r.executions.flatMap((e): Array<[string, unknown]> => [
      [`execution history of ${e.executionId}`, e.events],
      [`output of ${e.executionId}`, e.output],
      [`error cause of ${e.executionId}`, e.cause],
      [`Slack messages of ${e.executionId}`, e.slackPosts],
      [`SNS messages of ${e.executionId}`, e.published],
    ]),
    ...r.calls.map((c, i): [string, unknown] => [`input of call ${i} (${c.command} from ${c.step ?? '?'})`, c.input]),
  ];
  for (const [where, value] of places) {
    const text = JSON.stringify(value) ?? '';
    for (const secret of r.secrets) if (secret.length > 0 && text.includes(secret)) v.push({ invariant: 'I6', message: `a secret appears in the ${where}` });
  }
  return v;
}

/** I7: in planned mode, PromoteReadReplica was sent only with the replica's lag within the RPO budget. */
export function checkI7(r: ChaosRecord): Violation[] {
  const planned = new Set(r.executions.filter((e) => e.mode === 'planned').map((e) => e.executionId));
  return r.calls
    .filter((c) => c.command === 'PromoteReadReplicaCommand' && c.executionId !== null && planned.has(c.executionId))
    .filter((c) => c.world.replicaLagSeconds < 0 || c.world.replicaLagSeconds > r.config.maxReplicaLagSeconds)
    .map((c) => ({ invariant: 'I7' as const, message: `planned promotion sent with replica lag ${c.world.replicaLagSeconds} s (budget ${r.config.maxReplicaLagSeconds} s)` }));
}

export function checkAll(r: ChaosRecord): Violation[] {
  return [...checkI1(r), ...checkI2(r), ...checkI3(r), ...checkI4(r), ...checkI5(r), ...checkI6(r), ...checkI7(r)];
}
