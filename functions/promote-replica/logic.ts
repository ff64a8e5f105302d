import {
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../shared/clock';
import type { Change, CutoverMode, RdsTarget, StepResult } from '../shared/contracts';
import { PromotionFailedError, ReplicaBackingUpError, ReplicaLagTooHighError } from '../shared/errors';
import { latestMetricValue, latestMetricValueOrNull } from '../shared/metrics';

export const STEP_NAME = 'Promote RDS replica';

export interface RdsDeps {
  rds: RDSClient;
  cw: CloudWatchClient;
  clock: Clock;
}

export interface PromoteInput {
  dryRun: boolean;
  mode: CutoverMode;
  target: RdsTarget;
}

export type PromoteResult = StepResult & {
  /** Replica lag when promotion was decided: the RPO estimate. Null when unknown or not a replica any more. */
  replicaLagSeconds: number | null;
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

/** The source a replica replicates from, or undefined when the instance is standalone. */
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

/** Query for the replica's `ReplicaLag` (seconds, worst over each minute, last 5 minutes). */
export function replicaLagQuery(instanceId: string, now: Date) {
  return {
    namespace: 'AWS/RDS',
    metricName: 'ReplicaLag',
    dimensions: { DBInstanceIdentifier: instanceId },
    now,
    // A planned cutover must judge the lag from a recent datapoint, not one from minutes ago.
    lookbackMinutes: 2,
    stat: 'Maximum' as const,
  };
}

// ---- the step --------------------------------------------------------------

function result(
  outcome: StepResult['outcome'],
  changes: Change[],
  replicaLagSeconds: number | null,
  promotionRequestedAt: string | null,
): PromoteResult {
  return { step: STEP_NAME, outcome, changes, replicaLagSeconds, promotionRequestedAt };
}

/**
 * Promotes the standby read replica to a standalone instance, once.
 * Re-runs converge: a standalone instance, or a replica already on its way to standalone,
 * is 'already-done' and gets no second PromoteReadReplica (RDS would refuse it).
 */
export async function promoteReplica(deps: RdsDeps, input: PromoteInput): Promise<PromoteResult> {
  const { replicaInstanceId: id, maxReplicaLagSeconds: budget } = input.target;

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
  if (status !== 'available' && status !== 'backing-up') {
    // modifying/rebooting while still a replica: a promotion was already requested and is under way.
    return result('already-done', [], null, null);
  }

  const change: Change = {
    resource: `rds/${id}`,
    action: 'promote read replica',
    before: { role: 'replica', source },
    after: { role: 'standalone' },
  };

  const query = replicaLagQuery(id, deps.clock.now());
  if (input.dryRun) {
    // A dry run reports the change and the current lag; it never waits (no lag/backup retry loop).
    const lag = await latestMetricValueOrNull(deps.cw, query);
    return result('would-change', [change], lag, null);
  }

  if (status === 'backing-up') {
    throw new ReplicaBackingUpError(`RDS replica ${id} is backing-up; RDS refuses promotion until the backup ends`);
  }

  let lag: number | null;
  if (input.mode === 'planned') {
    // I7: nothing may be lost in a planned cutover, so promotion waits for the lag to be within budget.
    lag = await latestMetricValue(deps.cw, query);
    // RDS reports -1 when replication is not running: that is unknown, not "no lag".
    if (lag === null || lag < 0 || lag > budget) {
      const shown = lag === null ? 'unknown (no ReplicaLag datapoint in the last 2 minutes)' : lag < 0 ? 'unknown (replication is not running)' : `${lag} s`;
      throw new ReplicaLagTooHighError(
        `RDS replica ${id} lag is ${shown}, above the planned-mode RPO budget of ${budget} s; promotion waits`,
      );
    }
  } else {
    // Emergency: promote regardless; the lag is recorded as the RPO estimate, and a CloudWatch
    // outage must not block the failover.
    lag = await latestMetricValueOrNull(deps.cw, query);
  }

  const requestedAt = deps.clock.now().toISOString();
  try {
    // Only the identifier: BackupRetentionPeriod and the backup window stay as they are.
    await deps.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: id }));
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'InvalidDBInstanceStateFault') throw error;
    // RDS refuses a second promote and any promote during a backup. Find out which.
    const again = await describeInstance(deps.rds, id);
    if (again === null) {
      throw new PromotionFailedError(`RDS instance ${id} disappeared while being promoted`, { cause: error });
    }
    if (again.DBInstanceStatus === 'backing-up' && replicaSource(again) !== undefined) {
      throw new ReplicaBackingUpError(`RDS replica ${id} is backing-up; RDS refused the promotion`, {
        cause: error,
      });
    }
    if (isFailedStatus(again.DBInstanceStatus)) {
      throw new PromotionFailedError(`RDS replica ${id} is ${again.DBInstanceStatus}; RDS refused the promotion`, {
        cause: error,
      });
    }
    // A promotion is already in progress (or finished): nothing more to send.
    return result('already-done', [], lag, null);
  }
  return result('changed', [change], lag, requestedAt);
}
