import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  PromoteReadReplicaCommand,
  RDSClient,
  type DescribeDBInstancesCommandInput,
  type DescribeDBInstancesCommandOutput,
  type PromoteReadReplicaCommandInput,
  type PromoteReadReplicaCommandOutput,
} from '@aws-sdk/client-rds';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

/** The cross-Region read replica the cutover promotes. */
export interface Replica {
  /** Fault: the replica is `backing-up` (promotion refused) until this simulated ms (Infinity: stuck). */
  backingUpUntil: number;
  /**
   * The source as DescribeDBInstances reports it. A cross-Region replica's source is the source
   * instance's ARN, not its identifier (RDS user guide, "Creating a read replica in a different
   * AWS Region": the source is named by its ARN; DescribeDBInstances echoes it in
   * ReadReplicaSourceDBInstanceIdentifier).
   */
  source: string | null;
  /** Simulated ms when promotion was accepted. */
  promotedAt: number | null;
  /** Fault: a promotion that never gets past `modifying`. */
  neverFinishes: boolean;
  /**
   * Fault: the replica is busy for reasons of its own (a modification, a reboot, storage
   * optimization) until `until` simulated ms. RDS refuses PromoteReadReplica meanwhile with
   * InvalidDBInstanceState (RDS API reference, PromoteReadReplica errors; DB instance statuses
   * in the RDS user guide).
   */
  busy: { status: 'modifying' | 'rebooting' | 'storage-optimization'; until: number } | null;
  /** The replica's own automated-backup retention (DescribeDBInstances BackupRetentionPeriod; 0 = off). */
  backupRetentionPeriod: number;
  /** The retention PromoteReadReplica set (its BackupRetentionPeriod, API default 1). */
  promotedRetention: number | null;
}


export function installRds(world: SimulatedWorld): void {
  const on = stubClient(world, RDSClient);
  on(DescribeDBInstancesCommand, (input: DescribeDBInstancesCommandInput): Answer<DescribeDBInstancesCommandOutput> => {
    if (input.DBInstanceIdentifier !== world.config.rds.replicaInstanceId) {
      throw new DBInstanceNotFoundFault({ message: `DBInstance ${input.DBInstanceIdentifier} not found`, $metadata: {} });
    }
    const { status, source } = replicaStatus(world);
    const r = world.replica;
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: world.config.rds.replicaInstanceId,
          DBInstanceStatus: status,
          ReadReplicaSourceDBInstanceIdentifier: source ?? undefined,
          StatusInfos: replicaStatusInfos(world),
          BackupRetentionPeriod: r.promotedAt !== null && source === null ? (r.promotedRetention ?? r.backupRetentionPeriod) : r.backupRetentionPeriod,
        },
      ],
    };
  });
  on(PromoteReadReplicaCommand, (input: PromoteReadReplicaCommandInput): Answer<PromoteReadReplicaCommandOutput> => {
    const { status, source } = replicaStatus(world);
    // RDS API reference, PromoteReadReplica: InvalidDBInstanceState when the instance is not
    // in a state that allows it: not `available` (backing-up, modifying, rebooting, storage
    // optimization…), already being promoted, or not a read replica.
    if (source === null) {
      throw new InvalidDBInstanceStateFault({ message: `DB Instance ${world.config.rds.replicaInstanceId} is not a read replica.`, $metadata: {} });
    }
    if (world.replica.promotedAt !== null || status !== 'available') {
      throw new InvalidDBInstanceStateFault({ message: `DB Instance is not in a state that allows promotion: ${world.replica.promotedAt !== null ? 'a promotion is already in progress' : status}`, $metadata: {} });
    }
    world.replica.promotedAt = world.now();
    // BackupRetentionPeriod defaults to 1 (RDS API reference, PromoteReadReplica).
    world.replica.promotedRetention = input.BackupRetentionPeriod ?? 1;
    world.effects.push({ kind: 'promote', detail: world.config.rds.replicaInstanceId });
    return { DBInstance: { DBInstanceIdentifier: world.config.rds.replicaInstanceId } };
  });
}

/** The replica's status as RDS reports it at this simulated moment. */
export function replicaStatus(world: SimulatedWorld): { status: string; source: string | null } {
  const r = world.replica;
  if (r.promotedAt === null) {
    if (r.busy && world.now() < r.busy.until) return { status: r.busy.status, source: r.source };
    return { status: world.now() < r.backingUpUntil ? 'backing-up' : 'available', source: r.source };
  }
  const elapsed = (world.now() - r.promotedAt) / 1000;
  const t = world.timing;
  if (elapsed < t.promotionStatusLagSeconds) return { status: 'available', source: r.source };
  if (r.neverFinishes || elapsed < t.promotionStatusLagSeconds + t.promotionModifyingSeconds) return { status: 'modifying', source: r.source };
  const rebooted = t.promotionStatusLagSeconds + t.promotionModifyingSeconds + t.promotionRebootingSeconds;
  if (elapsed < rebooted) return { status: 'rebooting', source: r.source };
  // RDS API reference, PromoteReadReplica (BackupRetentionPeriod: a positive number enables
  // backups) and the RDS user guide on promoting a read replica: a replica without backups that
  // is promoted with backups on takes its first backup after the promotion, `backing-up`, a
  // standalone and writable instance meanwhile. A large database takes long.
  const backupsTurnedOn = r.backupRetentionPeriod === 0 && (r.promotedRetention ?? 0) > 0;
  if (backupsTurnedOn && elapsed < rebooted + t.firstBackupSeconds) return { status: 'backing-up', source: null };
  return { status: 'available', source: null };
}

/**
 * Standalone and writable: no longer a replica, and `available` or taking its first backup
 * (an instance accepts writes while `backing-up`; RDS user guide, DB instance statuses).
 */
export function databaseRole(world: SimulatedWorld): string {
  const { status, source } = replicaStatus(world);
  return source === null && (status === 'available' || status === 'backing-up') ? 'standalone (writable)' : `read replica of ${source ?? '?'} (${status})`;
}

/** When replication from the primary stopped: 5 minutes before the world was first looked at in an outage. */
export function replicationStoppedAt(world: SimulatedWorld): number | null {
  if (!world.primaryOutage) return null;
  world.replicationStopped ??= world.now() - 300_000;
  return world.replicationStopped;
}

/**
 * The replica's StatusInfos (RDS API reference, DBInstanceStatusInfo: StatusType
 * "read replication"; Status replicating | error | stopped | …; Normal false in an error
 * state). Empty once the instance is standalone. Seen from Tokyo in a Seoul outage,
 * replication is in error.
 */
export function replicaStatusInfos(world: SimulatedWorld): Array<{ StatusType: string; Status: string; Normal: boolean; Message?: string }> {
  if (replicaStatus(world).source === null) return [];
  if (world.primaryOutage) {
    return [{ StatusType: 'read replication', Status: 'error', Normal: false, Message: 'Error reconnecting to source: connection timed out' }];
  }
  return [{ StatusType: 'read replication', Status: 'replicating', Normal: true }];
}

/** The timestamp (period start) of the last ReplicaLag datapoint taken while replication ran; null if it never stopped. */
export function lastHealthyReplicaLagAt(world: SimulatedWorld): number | null {
  const stopped = replicationStoppedAt(world);
  if (stopped === null) return null;
  return Math.ceil(stopped / 60_000) * 60_000 - 60_000;
}

/** The replica's apply lag at simulated ms `at`: -1 once replication has stopped (not active). */
export function applyLagAt(world: SimulatedWorld, at: number): number {
  const stopped = replicationStoppedAt(world);
  if (stopped !== null && at >= stopped) return -1;
  return at < world.replicaLagUntil ? world.replicaLagSeconds : 0;
}
