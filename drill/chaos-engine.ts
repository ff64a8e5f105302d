/**
 * Applies a fault schedule to a simulated world for the chaos runner, and heals it. This covers the
 * faults the chaos generator produces, with the world's own fault machinery (failNext, hangNext,
 * answerNext, the Kubernetes stand-in's failNext) and its documented conditions.
 *
 * A fault this cannot express throws ChaosEngineError: the runner reports it, never skips it.
 */
import type { Fault, FaultSchedule } from './fault-schedule';
import type { SimulatedWorld } from './world';

export class ChaosEngineError extends Error {
  override name = 'ChaosEngineError';
}

/** What one applied schedule left in the world: timers to cancel and faults to disarm when healing. */
interface Applied {
  timers: Array<ReturnType<typeof setTimeout>>;
  disarm: Array<() => void>;
}
const applied = new WeakMap<SimulatedWorld, Applied>();

const awsError = (name: string, status: number, message?: string) => () =>
  Object.assign(new Error(message ?? `${name} (injected)`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

/**
 * A lost response: the world applies the change, then the connection drops before the answer
 * arrives; the SDK reports a networking error (Node's ECONNRESET, "socket hang up").
 */
const lostResponse = () => Object.assign(new Error('socket hang up'), { name: 'ECONNRESET', code: 'ECONNRESET', $metadata: {} });

const countOf = (f: Fault): number => (f.count === 'always' ? Number.POSITIVE_INFINITY : (f.count ?? 1));

/** Arms `arm` at the fault's start (`at`), and disarms it `for` seconds later. */
function windowed(world: SimulatedWorld, state: Applied, f: Fault, arm: () => () => void): void {
  const start = () => {
    const disarm = arm();
    state.disarm.push(disarm);
    if (f.for !== undefined) state.timers.push(setTimeout(disarm, f.for * 1000));
  };
  if (f.at !== undefined && f.at > 0) state.timers.push(setTimeout(start, f.at * 1000));
  else start();
}

/** Installs the lost-response hook once: a change applied, then an error instead of its answer. */
function lostResponses(world: SimulatedWorld): Map<string, { remaining: number; after: number; seen: number }> {
  const key = world as SimulatedWorld & { chaosLost?: Map<string, { remaining: number; after: number; seen: number }> };
  if (key.chaosLost) return key.chaosLost;
  const lost = new Map<string, { remaining: number; after: number; seen: number }>();
  key.chaosLost = lost;
  let current: string | undefined;
  const before = world.beforeCall;
  world.beforeCall = (command, input) => {
    current = command;
    before?.(command, input);
  };
  // The world re-reads the endpoint's DNS answer right after a handler applied a call: the change is
  // in place, and the answer is what gets lost.
  const note = world.noteDnsAnswer.bind(world);
  world.noteDnsAnswer = () => {
    note();
    const armed = current === undefined ? undefined : lost.get(current);
    current = undefined;
    if (!armed) return;
    armed.seen += 1;
    if (armed.seen > armed.after && armed.remaining > 0) {
      armed.remaining -= 1;
      throw lostResponse();
    }
  };
  return lost;
}

function applyAws(world: SimulatedWorld, state: Applied, f: Fault): void {
  const command = `${f.target.slice('aws:'.length)}Command`;
  const after = f.after ?? 0;
  windowed(world, state, f, () => {
    const n = countOf(f);
    if (f.kind === 'lost-response') {
      const lost = lostResponses(world);
      lost.set(command, { remaining: n, after, seen: 0 });
      return () => lost.delete(command);
    }
    let answer: (input: unknown) => unknown;
    if (f.kind === 'error') {
      const error = awsError(f.error, f.status ?? 400, f.message);
      answer = () => {
        throw error();
      };
    } else if (f.kind === 'hang') {
      answer = () => world.idle(new Promise<never>(() => undefined));
    } else {
      throw new ChaosEngineError(`${f.target}: kind '${f.kind}' does not apply to an AWS command`);
    }
    const fault = { remaining: n, after, answer };
    world.faults.add(command, fault);
    return () => (fault.remaining = 0);
  });
}

function applyKubernetes(world: SimulatedWorld, state: Applied, f: Fault): void {
  const [method = '*', resource = '*'] = f.target.slice('kubernetes:'.length).split(' ');
  const { namespace, configMapName, deploymentName } = world.config.eks;
  const path =
    resource === 'configmap' ? `/api/v1/namespaces/${namespace}/configmaps/${configMapName}` : resource === 'deployment' ? `/apis/apps/v1/namespaces/${namespace}/deployments/${deploymentName}` : undefined;
  if (f.kind !== 'status') throw new ChaosEngineError(`${f.target}: kind '${f.kind}' is not supported on Kubernetes routes yet`);
  const status = f.status;
  windowed(world, state, f, () => {
    world.kube.failNext(countOf(f), status, { ...(method === '*' ? {} : { method }), ...(path ? { path } : {}) });
    return () => world.kube.clearFaults();
  });
}

function applyCondition(world: SimulatedWorld, state: Applied, f: Fault): void {
  if (f.kind !== 'stuck') throw new ChaosEngineError(`${f.target}: a condition takes kind 'stuck'`);
  const condition = f.target.slice('condition:'.length);
  const value = f.value;
  const untilEnd = (ms: number) => (f.for === undefined ? Number.POSITIVE_INFINITY : world.now() + ms);
  const arms: Record<string, () => () => void> = {
    'replica-backing-up': () => {
      world.replica.backingUpUntil = untilEnd((f.for ?? 0) * 1000);
      return () => (world.replica.backingUpUntil = 0);
    },
    'replica-busy': () => {
      world.replica.busy = { status: String(value ?? 'modifying'), until: untilEnd((f.for ?? 0) * 1000) } as typeof world.replica.busy;
      return () => (world.replica.busy = null);
    },
    'replica-backups-off': () => {
      world.replica.backupRetentionPeriod = 0;
      return () => (world.replica.backupRetentionPeriod = 1);
    },
    'promotion-never-finishes': () => {
      world.replica.neverFinishes = true;
      return () => (world.replica.neverFinishes = false);
    },
    'replica-lag': () => {
      world.replicaLagSeconds = Number(value ?? 5);
      world.replicaLagUntil = untilEnd((f.for ?? 0) * 1000);
      return () => {
        world.replicaLagSeconds = 0;
        world.replicaLagUntil = Number.POSITIVE_INFINITY;
      };
    },
    'cluster-status': () => {
      world.clusterStatus = String(value ?? 'CREATING');
      return () => (world.clusterStatus = 'ACTIVE');
    },
    'cluster-authentication-mode': () => {
      world.setClusterAuthenticationMode(value === 'API' ? 'API' : value === 'API_AND_CONFIG_MAP' ? 'API_AND_CONFIG_MAP' : 'CONFIG_MAP');
      return () => world.setClusterAuthenticationMode('API_AND_CONFIG_MAP');
    },
    'certificate-status': () => {
      world.certificateStatus = String(value ?? 'PENDING_VALIDATION');
      return () => (world.certificateStatus = 'ISSUED');
    },
    'cognito-missing': () => {
      world.cognitoMissing = value === 'user-pool' ? 'user-pool' : 'app-client';
      return () => (world.cognitoMissing = undefined);
    },
    'primary-replicas-inaccessible': () => {
      world.primaryReplicasInaccessibleSince(world.now() - Number(value ?? 1) * 3600_000);
      // Healed: the primary Region's replicas are as the world began (inaccessible from now in an outage, else ACTIVE).
      return () => {
        for (const table of world.tables.values()) {
          table.replicas = table.replicas.filter((r) => r.region !== world.config.primaryRegion);
          table.replicas.unshift(world.primaryOutage ? { region: world.config.primaryRegion, status: 'REGION_DISABLED', inaccessibleSince: world.now() } : { region: world.config.primaryRegion, status: 'ACTIVE' });
        }
      };
    },
    'rollout-progress-deadline-exceeded': () => {
      world.kube.setRolloutOutcome('progress-deadline-exceeded');
      return () => world.kube.unblockRollouts();
    },
    'cloudfront-origin-missing': () => {
      world.removeDrOrigin();
      return () => world.restoreDrOrigin();
    },
    'cloudfront-never-deploys': () => {
      world.cloudfrontNeverDeploys = true;
      return () => (world.cloudfrontNeverDeploys = false);
    },
    'dns-never-insync': () => {
      world.dnsNeverInsync = true;
      return () => (world.dnsNeverInsync = false);
    },
    'endpoint-unhealthy': () => {
      world.endpointFailuresLeft = countOf(f);
      return () => (world.endpointFailuresLeft = 0);
    },
    'lock-held': () => {
      world.holdLock(String(value ?? 'arn:aws:states:local:000000000000:execution:dr-cutover:earlier-run'));
      return () => world.lock.clear();
    },
  };
  const arm = arms[condition];
  if (!arm) throw new ChaosEngineError(`${f.target}: this condition is not supported yet`);
  windowed(world, state, f, arm);
}

/** Conditions this engine expresses (the chaos generator draws from these). */
export const SUPPORTED_CONDITIONS = [
  'replica-backing-up',
  'replica-busy',
  'replica-backups-off',
  'promotion-never-finishes',
  'replica-lag',
  'cluster-status',
  'cluster-authentication-mode',
  'certificate-status',
  'cognito-missing',
  'primary-replicas-inaccessible',
  'rollout-progress-deadline-exceeded',
  'cloudfront-origin-missing',
  'cloudfront-never-deploys',
  'dns-never-insync',
  'endpoint-unhealthy',
  'lock-held',
];

/** Puts the schedule's faults and approver into a fresh world. */
export function applyFaultSchedule(world: SimulatedWorld, schedule: FaultSchedule): void {
  const state: Applied = { timers: [], disarm: [] };
  applied.set(world, state);
  if (schedule.approver) world.approver = { ...schedule.approver };
  for (const f of schedule.faults) {
    const family = f.target.split(':')[0];
    if (family === 'aws') applyAws(world, state, f);
    else if (family === 'kubernetes') applyKubernetes(world, state, f);
    else applyCondition(world, state, f);
  }
}

/** Removes every fault's cause: what an operator fixes before running the cutover again. */
export function healWorld(world: SimulatedWorld): void {
  const state = applied.get(world);
  for (const timer of state?.timers ?? []) clearTimeout(timer);
  for (const disarm of state?.disarm ?? []) disarm();
  world.clearFaults();
  const lost = (world as SimulatedWorld & { chaosLost?: Map<string, unknown> }).chaosLost;
  lost?.clear();
  // A lock another (earlier) execution holds is cleared by the operator only if it is not ours.
  applied.delete(world);
}
