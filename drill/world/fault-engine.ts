/**
 * The fault engine: installs a fault schedule (drill/fault-schedule.ts) into a simulated world,
 * and heals the world again. AWS faults answer at the world's single dispatch point, Kubernetes
 * faults at the stand-in's request hook, and conditions set the state of a simulated resource.
 */
import { PreconditionFailed } from '@aws-sdk/client-cloudfront';
import { PriorRequestNotComplete } from '@aws-sdk/client-route-53';
import { FaultScheduleError, type Condition, type Fault, type FaultSchedule } from '../fault-schedule';
import type { KubeFaultKind } from '../kube';
import { restoreDrOrigin } from './cloudfront';
import { certificateNamesFor } from './fixtures';
import type { SimulatedWorld } from './simulated-world';

/** The execution that holds the lock in a `lock-held` condition without a value. */
export const EARLIER_EXECUTION_ARN = 'arn:aws:states:local:000000000000:execution:dr-cutover:earlier-run';

/**
 * HTTP statuses of the usual AWS error names (AWS API references, "Common Errors": Throttling,
 * ThrottlingException 400; InternalFailure 500; ServiceUnavailable 503; CloudFront API reference,
 * UpdateDistribution: PreconditionFailed 412; Route 53 API reference, ChangeResourceRecordSets:
 * PriorRequestNotComplete 400; AccessDenied 403). Any other name: 400.
 */
const ERROR_STATUS: Record<string, number> = {
  ThrottlingException: 400,
  Throttling: 400,
  TooManyRequestsException: 400,
  InternalFailure: 500,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  PreconditionFailed: 412,
  PriorRequestNotComplete: 400,
  AccessDenied: 403,
  AccessDeniedException: 403,
};

const DEFAULT_MESSAGES: Record<string, string> = {
  ThrottlingException: 'Rate exceeded',
  Throttling: 'Rate exceeded',
  InternalFailure: 'We encountered an internal error. Please try again.',
  PreconditionFailed: 'The If-Match version is missing or not valid',
  PriorRequestNotComplete: 'The request was rejected because Route 53 was still processing a prior request.',
};

/** An SDK-shaped service error: the service's own exception class where the SDK has one. */
export function sdkError(name: string, status?: number, message?: string): Error {
  const httpStatusCode = status ?? ERROR_STATUS[name] ?? 400;
  const text = message ?? DEFAULT_MESSAGES[name] ?? name;
  const $metadata = { httpStatusCode };
  if (name === 'PreconditionFailed') return new PreconditionFailed({ message: text, $metadata });
  if (name === 'PriorRequestNotComplete') return new PriorRequestNotComplete({ message: text, $metadata });
  return Object.assign(new Error(text), { name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata });
}

/** A fault's window in simulated time and calls: when it starts, ends, and how many calls it takes. */
function windowOf(world: SimulatedWorld, fault: Fault, startedAt: number) {
  const from = startedAt + (fault.at ?? 0) * 1000;
  const until = fault.for === undefined ? Number.POSITIVE_INFINITY : from + fault.for * 1000;
  // With a duration and no count, every call within the window is affected.
  const count = fault.count === 'always' || (fault.count === undefined && fault.for !== undefined) ? Number.POSITIVE_INFINITY : (fault.count ?? 1);
  return { from, until, count, active: () => world.now() >= from && world.now() < until };
}

/** `aws:PromoteReadReplica` → `PromoteReadReplicaCommand` (the SDK command class the world answers). */
function commandOf(target: string): string {
  return `${target.slice('aws:'.length)}Command`;
}

/** Installs one AWS fault at the dispatch point. */
function applyAwsFault(world: SimulatedWorld, fault: Fault, startedAt: number): void {
  const { count, active } = windowOf(world, fault, startedAt);
  const base = { remaining: count, after: fault.after ?? 0, active };
  const command = commandOf(fault.target);
  if (!world.commands.has(command)) {
    const known = [...world.commands].map((c) => `aws:${c.replace(/Command$/, '')}`).sort();
    throw new FaultScheduleError(`${fault.target}: the simulated world answers no such call, so the fault would never fire; use one of: ${known.join(', ')}`);
  }
  switch (fault.kind) {
    case 'error':
      world.faults.add(command, { ...base, answer: () => { throw sdkError(fault.error, fault.status, fault.message); } });
      return;
    case 'lost-response':
      world.faults.add(command, { ...base, lost: true, answer: (_input, proceed) => proceed() });
      return;
    case 'delay':
      world.faults.add(command, {
        ...base,
        answer: async (_input, proceed) => {
          await world.idle(new Promise((resolve) => setTimeout(resolve, fault.seconds * 1000)));
          return proceed();
        },
      });
      return;
    case 'hang':
      world.faults.add(command, { ...base, answer: () => world.idle(new Promise<never>(() => undefined)) });
      return;
    default:
      throw new Error(`'${fault.kind}' does not apply to ${fault.target}`);
  }
}

/** `kubernetes:PATCH configmap` → the method and the resource's path pattern. */
function kubernetesFilter(target: string): { method?: string; path?: RegExp } {
  const [method = '*', resource = '*'] = target.slice('kubernetes:'.length).split(' ');
  return {
    ...(method === '*' ? {} : { method }),
    ...(resource === '*' ? {} : { path: new RegExp(`/${resource}s(/|$)`) }),
  };
}

/** Installs one Kubernetes fault at the stand-in's request hook. */
function applyKubernetesFault(world: SimulatedWorld, fault: Fault, startedAt: number): void {
  const { count, active } = windowOf(world, fault, startedAt);
  let effect: KubeFaultKind;
  switch (fault.kind) {
    case 'status':
      effect = { kind: 'status', status: fault.status };
      break;
    case 'lost-response':
      effect = { kind: 'lost-response' };
      break;
    case 'delay':
      // The stand-in answers over real HTTPS, so its delay is real time.
      effect = { kind: 'delay', delayMs: fault.seconds * 1000 };
      break;
    case 'hang':
      effect = { kind: 'hang' };
      break;
    default:
      throw new Error(`'${fault.kind}' does not apply to ${fault.target}`);
  }
  world.kube.addFault({ ...kubernetesFilter(fault.target), remaining: count, active, effect });
}

/** The configured record at `index` (clamped to the configured records). */
function recordAt(world: SimulatedWorld, index: number) {
  const records = world.config.route53.records;
  return records[Math.min(Math.max(0, index), records.length - 1)];
}

/** What each condition sets, and how it returns to healthy. */
interface ConditionState {
  /** Sets the condition; `until`: simulated ms at which it ends by itself (Infinity: it holds). */
  set: (world: SimulatedWorld, fault: Fault, until: number) => void;
  /** The healthy value it returns to. */
  heal: (world: SimulatedWorld) => void;
  /** The condition models its own end (`until`); otherwise a `for` ends it with `heal`. */
  ownsEnd?: boolean;
  /** Past events no operator can undo: heal leaves them, and a re-run meets them again. */
  lasting?: boolean;
}

const text = (fault: Fault, fallback: string): string => (fault.kind === 'stuck' && fault.value !== undefined ? String(fault.value) : fallback);
const number = (fault: Fault, fallback: number): number => (fault.kind === 'stuck' && fault.value !== undefined ? Number(fault.value) : fallback);

/** Records replaced or removed by a DNS condition, to put back on heal. */
const displacedRecords = new WeakMap<SimulatedWorld, Array<() => void>>();

function displaceRecord(world: SimulatedWorld, index: number, replacement: 'cname' | 'none'): void {
  const record = recordAt(world, index);
  if (!record) return;
  const zone = world.zoneOf(record);
  const original = zone.get(record.name, record.type, record.setIdentifier);
  zone.remove(record.name, record.type, record.setIdentifier);
  if (replacement === 'cname') {
    zone.seed({ Name: record.name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'portforge-alb-seoul.ap-northeast-2.elb.amazonaws.com' }] });
  }
  const undo = () => {
    if (replacement === 'cname') zone.remove(record.name, 'CNAME');
    if (original) zone.seed(original);
  };
  displacedRecords.set(world, [...(displacedRecords.get(world) ?? []), undo]);
}

const defaultCnameIndex = (world: SimulatedWorld) => (world.config.route53.records.length > 1 ? 1 : 0);

export const CONDITION_STATES: Record<Condition, ConditionState> = {
  // RDS user guide, "Working with read replicas": a replica cannot be promoted while a backup is in progress.
  'replica-backing-up': { ownsEnd: true, set: (w, _f, until) => void (w.replica.backingUpUntil = until), heal: (w) => void (w.replica.backingUpUntil = 0) },
  'replica-busy': {
    ownsEnd: true,
    set: (w, f, until) => void (w.replica.busy = { status: text(f, 'modifying') as 'modifying', until }),
    heal: (w) => void (w.replica.busy = null),
  },
  'replica-backups-off': {
    set: (w) => void (w.replica.backupRetentionPeriod = 0),
    // Once promoted, the instance's retention is what the promotion set: nothing to return.
    heal: (w) => {
      if (w.replica.promotedAt === null) w.replica.backupRetentionPeriod = 1;
    },
  },
  'promotion-never-finishes': { set: (w) => void (w.replica.neverFinishes = true), heal: (w) => void (w.replica.neverFinishes = false) },
  'replica-lag': {
    ownsEnd: true,
    set: (w, f, until) => {
      w.replicaLagSeconds = number(f, 3);
      w.replicaLagUntil = until;
    },
    heal: (w) => {
      w.replicaLagSeconds = 0;
      w.replicaLagUntil = Number.POSITIVE_INFINITY;
    },
  },
  'cluster-status': { set: (w, f) => void (w.clusterStatus = text(f, 'CREATING')), heal: (w) => void (w.clusterStatus = 'ACTIVE') },
  'cluster-authentication-mode': {
    set: (w, f) => w.setClusterAuthenticationMode(text(f, 'CONFIG_MAP') as 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP'),
    heal: (w) => w.setClusterAuthenticationMode('API_AND_CONFIG_MAP'),
  },
  'certificate-status': { set: (w, f) => void (w.certificateStatus = text(f, 'PENDING_VALIDATION')), heal: (w) => void (w.certificateStatus = 'ISSUED') },
  'certificate-first-record-only': {
    set: (w) => {
      const first = w.config.route53.records[0]?.name ?? 'api.example.org';
      w.certificateNames = { domainName: first, subjectAlternativeNames: [first] };
    },
    heal: (w) => void (w.certificateNames = certificateNamesFor(w.targets)),
  },
  'cognito-missing': { set: (w, f) => void (w.cognitoMissing = text(f, 'app-client') as 'user-pool' | 'app-client'), heal: (w) => void (w.cognitoMissing = undefined) },
  'table-status': {
    // The standby tables read `value` from the condition's start: after `after` DescribeTable calls, or from `at` on.
    set: (w, f) => {
      w.faults.add('DescribeTableCommand', {
        remaining: Number.POSITIVE_INFINITY,
        after: f.after ?? 0,
        answer: (_input, proceed) => {
          const output = proceed() as { Table?: { TableStatus?: string } };
          return { ...output, Table: { ...output.Table, TableStatus: text(f, 'UPDATING') } };
        },
      });
    },
    heal: () => undefined, // the DescribeTable fault goes with the other faults
  },
  'primary-replicas-inaccessible': {
    lasting: true,
    set: (w, f) => w.primaryReplicasInaccessibleSince(w.now() - number(f, 21) * 3600_000),
    // The primary Region's history, not a fault: nothing to heal.
    heal: () => undefined,
  },
  'rollout-progress-deadline-exceeded': { set: (w) => w.kube.setRolloutOutcome('progress-deadline-exceeded'), heal: (w) => w.kube.unblockRollouts() },
  'stale-rollout-condition': {
    set: (w, f) => {
      w.kube.leaveStuckRollout(w.config.eks.namespace, w.config.eks.deploymentName);
      w.kube.observeDelayMs = number(f, 25) * 1000;
    },
    heal: (w) => void (w.kube.observeDelayMs = 1000),
  },
  'cloudfront-origin-missing': {
    set: (w) => w.removeDrOrigin(),
    heal: (w) => {
      if (!w.distribution.removedOrigins) return;
      restoreDrOrigin(w);
      w.distribution.removedOrigins = undefined;
    },
  },
  'cloudfront-never-deploys': { set: (w) => void (w.cloudfrontNeverDeploys = true), heal: (w) => void (w.cloudfrontNeverDeploys = false) },
  'dns-record-cname': { set: (w, f) => displaceRecord(w, number(f, defaultCnameIndex(w)), 'cname'), heal: healDisplacedRecords },
  'dns-record-missing': { set: (w, f) => displaceRecord(w, number(f, 0), 'none'), heal: healDisplacedRecords },
  'dns-never-insync': { set: (w) => void (w.dnsNeverInsync = true), heal: (w) => void (w.dnsNeverInsync = false) },
  'endpoint-unhealthy': {
    set: (w, f) => void (w.endpointFailuresLeft = f.count === 'always' ? Number.POSITIVE_INFINITY : (f.count ?? 1)),
    heal: (w) => void (w.endpointFailuresLeft = 0),
  },
  'lock-held': { set: (w, f) => void w.holdLock(text(f, EARLIER_EXECUTION_ARN)), heal: (w) => void w.clearLock() },
};

function healDisplacedRecords(world: SimulatedWorld): void {
  for (const undo of (displacedRecords.get(world) ?? []).reverse()) undo();
  displacedRecords.delete(world);
}

/** Installs one condition: at once, or at `at`; a `for` ends it (the condition's own end, or heal). */
function applyCondition(world: SimulatedWorld, fault: Fault, startedAt: number): void {
  const condition = fault.target.slice('condition:'.length) as Condition;
  const state = CONDITION_STATES[condition];
  const { from, until } = windowOf(world, fault, startedAt);
  const set = () => state.set(world, fault, until);
  if (from > world.now()) later(world, set, from - world.now());
  else set();
  if (!state.ownsEnd && Number.isFinite(until)) later(world, () => state.heal(world), until - world.now());
}

/** Conditions still to start or end on the world's clock: heal cancels them, so none fires into a re-run. */
const pendingTimers = new WeakMap<SimulatedWorld, Set<ReturnType<typeof setTimeout>>>();

function later(world: SimulatedWorld, action: () => void, delayMs: number): void {
  const timers = pendingTimers.get(world) ?? new Set();
  pendingTimers.set(world, timers);
  const timer = setTimeout(() => {
    timers.delete(timer);
    action();
  }, delayMs);
  timers.add(timer);
}

/** Installs every fault of a schedule into the world (simulated times count from now), plus its approver and timing. */
export function applyFaultSchedule(world: SimulatedWorld, schedule: FaultSchedule): void {
  const startedAt = world.now();
  if (schedule.approver) world.approver = { ...schedule.approver };
  if (schedule.timing) Object.assign(world.timing, schedule.timing);
  // Conditions first: one (the cluster's authentication mode) resets the stand-in's faults.
  for (const fault of schedule.faults) if (fault.target.startsWith('condition:')) applyCondition(world, fault, startedAt);
  for (const fault of schedule.faults) {
    if (fault.target.startsWith('aws:')) applyAwsFault(world, fault, startedAt);
    else if (fault.target.startsWith('kubernetes:')) applyKubernetesFault(world, fault, startedAt);
  }
}

/** The conditions of a schedule that heal leaves in place (see ConditionState.lasting). */
export function lastingConditions(schedule: FaultSchedule): Condition[] {
  return schedule.faults
    .map((f) => f.target.slice('condition:'.length) as Condition)
    .filter((c) => CONDITION_STATES[c]?.lasting === true);
}

/**
 * Removes every fault and returns every condition to its healthy value, so a re-run shows the
 * cutover converges. The approver (if any) approves: a healthy approval gate is one that is answered.
 */
export function healWorld(world: SimulatedWorld): void {
  for (const timer of pendingTimers.get(world) ?? []) clearTimeout(timer);
  pendingTimers.delete(world);
  world.clearFaults();
  for (const state of Object.values(CONDITION_STATES)) state.heal(world);
  world.approver = { decision: 'approve', afterSeconds: 60, ...(world.approver?.slackUserId ? { slackUserId: world.approver.slackUserId } : {}) };
}
