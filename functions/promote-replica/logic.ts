import {
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../shared/clock';
import type { Change, CutoverMode, RdsTarget, StepResult } from '../shared/contracts';
import { arnAccount, provePermissions, type PermissionDeps } from '../shared/permissions';
import {
  PromotionFailedError,
  ReplicaBackingUpError,
  ReplicaLagTooHighError,
  ReplicaNotPromotableError,
} from '../shared/errors';
import { freshest, metricDatapoints, metricDatapointsOrNull, type Datapoint, type MetricQuery } from '../shared/metrics';

export const STEP_NAME = 'Promote RDS replica';

export interface RdsDeps {
  rds: RDSClient;
  cw: CloudWatchClient;
  clock: Clock;
  /** Dry run only: proves the role may promote the replica (iam:SimulatePrincipalPolicy). */
  permissions: PermissionDeps;
}

export interface PromoteInput {
  dryRun: boolean;
  mode: CutoverMode;
  target: RdsTarget;
}

export type PromoteResult = StepResult & {
  /**
   * The replica's apply lag (ReplicaLag, MySQL's Seconds_Behind_Master) when promotion was decided,
   * while replication was running. Null when replication had stopped, no current datapoint
   * existed, or the instance was standalone already. It is not an RPO: writes that never left
   * the primary are invisible to it.
   */
  replicaLagSeconds: number | null;
  /** What replication looked like when promotion was decided; null when the instance was standalone already. */
  replication: ReplicationAssessment | null;
  /** When this run sent PromoteReadReplica; null when it sent none. */
  promotionRequestedAt: string | null;
};

// ---- RDS facts shared by promote, check-promotion and preflight ------------

const FAILED_STATUSES = new Set(['failed', 'storage-full', 'deleting']);

/** Statuses from which the instance will not become a usable standalone primary on its own. */
export function isFailedStatus(status: string | undefined): boolean {
  if (status === undefined) return false;
  return (
    FAILED_STATUSES.has(status) ||
    status.startsWith('incompatible-') ||
    status.startsWith('inaccessible-encryption-credentials')
  );
}

/**
 * Statuses a replica passes through for reasons of its own and leaves by itself: RDS refuses
 * PromoteReadReplica meanwhile (InvalidDBInstanceState), so promotion waits for `available`.
 */
const TRANSIENT_STATUSES = new Set([
  'modifying',
  'rebooting',
  'storage-optimization',
  'backing-up',
  'maintenance',
  'upgrading',
  'renaming',
  'starting',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'resetting-master-credentials',
  'converting-to-vpc',
  'moving-to-vpc',
]);

/** True when the status is one the instance leaves on its own (RDS user guide, "Viewing DB instance status"). */
export function isTransientStatus(status: string | undefined): boolean {
  return status !== undefined && TRANSIENT_STATUSES.has(status);
}

/**
 * The source a replica replicates from (an identifier, or an ARN for a cross-Region replica),
 * or undefined when the instance is standalone.
 */
export function replicaSource(instance: DBInstance): string | undefined {
  const source = instance.ReadReplicaSourceDBInstanceIdentifier;
  return source === undefined || source === '' ? undefined : source;
}

/** Reads one instance; null when it does not exist. Other errors propagate (toStepError maps transient ones). */
export async function describeInstance(rds: RDSClient, instanceId: string): Promise<DBInstance | null> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
    return out.DBInstances?.[0] ?? null;
  } catch (error) {
    if (error instanceof Error && error.name === 'DBInstanceNotFoundFault') return null;
    throw error;
  }
}

/**
 * Query for the replica's `ReplicaLag` (seconds, worst over each minute). It looks back 3 hours,
 * so that when replication has stopped the last healthy datapoint is still in the window, and
 * takes a reading as current only when its period started at most 5 minutes ago: CloudWatch
 * stamps datapoints with their period's start and publishes them 1 to 3 minutes late.
 */
export function replicaLagQuery(instanceId: string, now: Date): MetricQuery {
  return {
    namespace: 'AWS/RDS',
    metricName: 'ReplicaLag',
    dimensions: { DBInstanceIdentifier: instanceId },
    now,
    lookbackMinutes: REPLICA_LAG_LOOKBACK_MINUTES,
    maxAgeMinutes: 5,
    stat: 'Maximum' as const,
  };
}

export const REPLICA_LAG_LOOKBACK_MINUTES = 180;

/**
 * Replication as seen from the standby Region when promotion is decided.
 * - `running`: StatusInfos normal and a current ReplicaLag datapoint of 0 or more;
 * - `stopped`: StatusInfos show an error (or `stopped`), or ReplicaLag is -1 (not running);
 * - `unknown`: StatusInfos normal but no current datapoint.
 */
export interface ReplicationAssessment {
  state: 'running' | 'stopped' | 'unknown';
  /** The current apply lag; only when running. */
  applyLagSeconds: number | null;
  /** The newest datapoint taken while replication ran (its period's start), and its value. */
  lastHealthyAt: string | null;
  lastKnownApplyLagSeconds: number | null;
  /** The replica's StatusInfos as RDS gives them, e.g. "read replication error: …". */
  statusInfo: string;
}

const BROKEN_REPLICATION = new Set(['error', 'stopped', 'terminated']);

/** The replica's StatusInfos in one line: "read replication error (not normal): message". */
export function describeStatusInfos(instance: DBInstance): string {
  const infos = instance.StatusInfos ?? [];
  if (infos.length === 0) return 'none';
  return infos
    .map((i) => `${i.StatusType ?? '?'} ${i.Status ?? '?'}${i.Normal === false ? ' (not normal)' : ''}${i.Message ? `: ${i.Message}` : ''}`)
    .join('; ');
}

/** Pure: replication's state from the replica's StatusInfos and its ReplicaLag datapoints (newest first; null: unreadable). */
export function assessReplication(
  instance: DBInstance,
  points: Datapoint[] | null,
  query: Pick<MetricQuery, 'now' | 'maxAgeMinutes'>,
): ReplicationAssessment {
  const broken = (instance.StatusInfos ?? []).some(
    (i) => i.StatusType === 'read replication' && (i.Normal === false || BROKEN_REPLICATION.has(i.Status ?? '')),
  );
  const healthy = (points ?? []).find((p) => p.value >= 0);
  const current = freshest(points ?? [], query);
  const base = {
    lastHealthyAt: healthy ? healthy.at.toISOString() : null,
    lastKnownApplyLagSeconds: healthy ? healthy.value : null,
    statusInfo: describeStatusInfos(instance),
  };
  // ReplicaLag -1 means replication is not active (RDS user guide, monitoring read replica lag).
  if (broken || (current !== null && current.value < 0)) return { state: 'stopped', applyLagSeconds: null, ...base };
  if (current === null) return { state: 'unknown', applyLagSeconds: null, ...base };
  return { state: 'running', applyLagSeconds: current.value, ...base };
}

/** The lag in words for messages: never "-1" or a stale figure presented as current. */
export function describeLag(r: ReplicationAssessment): string {
  if (r.state === 'running') return `${r.applyLagSeconds ?? 0} s`;
  const last =
    r.lastHealthyAt === null
      ? `no healthy ReplicaLag datapoint in the last ${REPLICA_LAG_LOOKBACK_MINUTES / 60} hours`
      : `last healthy datapoint ${r.lastHealthyAt}: ${r.lastKnownApplyLagSeconds ?? 0} s`;
  if (r.state === 'stopped') return `unknown (replication is not running); status info: ${r.statusInfo}; ${last}`;
  return `unknown (no ReplicaLag datapoint in the last 5 minutes); ${last}`;
}

// ---- the step --------------------------------------------------------------

function result(
  outcome: StepResult['outcome'],
  changes: Change[],
  replication: ReplicationAssessment | null,
  promotionRequestedAt: string | null,
): PromoteResult {
  const replicaLagSeconds = replication?.state === 'running' ? replication.applyLagSeconds : null;
  return { step: STEP_NAME, outcome, changes, replicaLagSeconds, replication, promotionRequestedAt };
}

/** The message RDS gave with its refusal, for the report. */
/** How many attempts the SDK made before it threw (its retry middleware sets `$metadata.attempts`); 1 if unknown. */
function sdkAttempts(error: unknown): number {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | null)?.$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : 1;
}

function refusal(error: unknown): string {
  return error instanceof Error && error.message !== '' ? error.message : 'no message';
}

/**
 * Promotes the standby read replica to a standalone instance, once.
 * - Standalone already (an earlier run, or by hand): 'already-done', nothing sent.
 * - Busy for its own reasons (modifying, rebooting, storage optimization…) or backing-up: RDS
 *   refuses promotion, so the step throws a retried error and promotes once it is available.
 * - RDS refuses with InvalidDBInstanceState on an `available` replica (a promotion from an
 *   earlier run is starting): "not now", retried; the next attempt sees that promotion through
 *   to standalone and reports 'already-done'. It is never sent twice, never read as success.
 */
export async function promoteReplica(deps: RdsDeps, input: PromoteInput): Promise<PromoteResult> {
  const { replicaInstanceId: id, maxReplicaLagSeconds: budget, backupRetentionDays } = input.target;

  const instance = await describeInstance(deps.rds, id);
  if (instance === null) {
    throw new PromotionFailedError(`RDS instance ${id} does not exist in the standby Region`);
  }
  const source = replicaSource(instance);
  const status = instance.DBInstanceStatus ?? 'unknown';
  if (source === undefined) {
    // Standalone already: the promotion happened (an earlier run, or by hand).
    return result('already-done', [], null, null);
  }
  if (isFailedStatus(status)) {
    throw new PromotionFailedError(`RDS replica ${id} is ${status} and cannot be promoted`);
  }

  const change: Change = {
    resource: `rds/${id}`,
    action: 'promote read replica',
    before: { role: 'replica', source, backupRetentionPeriod: instance.BackupRetentionPeriod ?? null },
    after: { role: 'standalone', backupRetentionPeriod: backupRetentionDays },
  };

  const query = replicaLagQuery(id, deps.clock.now());
  // Planned mode gates on the lag, so a failed read is retried; emergency mode must not be
  // blocked by a CloudWatch outage, so there a failed read is "unknown".
  const points = input.mode === 'planned' && !input.dryRun ? await metricDatapoints(deps.cw, query) : await metricDatapointsOrNull(deps.cw, query);
  const replication = assessReplication(instance, points, query);
  if (input.dryRun) {
    // The replica's own ARN, as DescribeDBInstances returns it; else built as RDS writes it
    // (arn:aws:rds:<region>:<account>:db:<id>), in the client's Region and the role's account.
    const replicaArn = instance.DBInstanceArn ?? `arn:aws:rds:${await deps.rds.config.region()}:${arnAccount(deps.permissions.roleArn)}:db:${id}`;
    await provePermissions(deps.permissions, [{ action: 'rds:PromoteReadReplica', resourceArns: [replicaArn] }]);
    // A dry run reports the change and the replication state; it never waits (no retry loop).
    return result('would-change', [change], replication, null);
  }

  if (status === 'backing-up') {
    throw new ReplicaBackingUpError(`RDS replica ${id} is backing-up; RDS refuses promotion until the backup ends`);
  }
  if (status !== 'available') {
    throw new ReplicaNotPromotableError(
      `RDS replica ${id} is ${status}; RDS refuses promotion until it is available again, so promotion waits` +
        (isTransientStatus(status) ? '' : ` (${status} is not a status RDS leaves on its own: check the instance in the RDS console)`),
    );
  }

  if (input.mode === 'planned') {
    // I7: nothing may be lost in a planned cutover, so promotion waits for the lag to be within budget.
    const lag = replication.applyLagSeconds;
    if (replication.state !== 'running' || lag === null || lag > budget) {
      throw new ReplicaLagTooHighError(
        `RDS replica ${id} apply lag is ${describeLag(replication)}, above the planned-mode RPO budget of ${budget} s; promotion waits`,
      );
    }
  }

  const requestedAt = deps.clock.now().toISOString();
  try {
    // The retention is explicit: the API's default (1 day) is not the primary's, and a replica
    // with backups off would otherwise come out of promotion without the primary's recovery window.
    await deps.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: id, BackupRetentionPeriod: backupRetentionDays }));
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'InvalidDBInstanceStateFault') throw error;
    // The SDK resends a request whose connection broke after it was sent. A resend refused because a
    // promotion is in progress means the first attempt was accepted: this run's promotion, reported as such.
    if (sdkAttempts(error) > 1) return result('changed', [change], replication, requestedAt);
    // InvalidDBInstanceState means "not now": find out why, and never take it for success.
    const again = await describeInstance(deps.rds, id);
    if (again === null) {
      throw new PromotionFailedError(`RDS instance ${id} disappeared while being promoted`, { cause: error });
    }
    if (replicaSource(again) === undefined) {
      // The instance became standalone in the meantime (an earlier run's promotion finished).
      return result('already-done', [], replication, null);
    }
    const now = again.DBInstanceStatus ?? 'unknown';
    if (isFailedStatus(now)) {
      throw new PromotionFailedError(`RDS replica ${id} is ${now}; RDS refused the promotion: ${refusal(error)}`, { cause: error });
    }
    if (now === 'backing-up') {
      throw new ReplicaBackingUpError(`RDS replica ${id} is backing-up; RDS refused the promotion: ${refusal(error)}`, { cause: error });
    }
    throw new ReplicaNotPromotableError(
      `RDS refused to promote ${id} (status ${now}): ${refusal(error)}. A promotion from an earlier run may be starting; promotion waits and checks again`,
      { cause: error },
    );
  }
  return result('changed', [change], replication, requestedAt);
}
