import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../shared/clock';
import type { CutoverMode, StepResult, TableTarget } from '../shared/contracts';
import { DynamoReplicaNotActiveError } from '../shared/errors';
import { latestMetricValueOrNull } from '../shared/metrics';

export const STEP_NAME = 'Verify DynamoDB replica';

export interface DynamoDeps {
  ddb: DynamoDBClient;
  cw: CloudWatchClient;
  clock: Clock;
}

export interface VerifyTableInput {
  dryRun: boolean;
  mode: CutoverMode;
  target: TableTarget;
}

export interface ReplicaState {
  region: string;
  status: string;
}

export type VerifyTableResult = StepResult & {
  tableName: string;
  /** Emergency mode: replicas outside the standby Region that are not ACTIVE (the failing Region's, usually). */
  warnings: string[];
  /** ReplicationLatency (ms, average over the last minute with data); null when CloudWatch has none here. */
  replicationLatencyMs: number | null;
  replicas: ReplicaState[];
};

export interface TableAssessment {
  replicas: ReplicaState[];
  /** Why the table is not ready; empty when it is. */
  problems: string[];
  /** What is wrong but does not block this mode. */
  warnings: string[];
}

/** Reads the table in the standby Region; null when it does not exist there. */
export async function describeTable(ddb: DynamoDBClient, tableName: string): Promise<TableDescription | null> {
  try {
    const out = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table ?? null;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return null;
    throw error;
  }
}

/**
 * A standby table is ready when it is ACTIVE, is a global table (it has replicas, including the
 * primary Region when that is known) and every replica is ACTIVE. In emergency mode a replica
 * outside the standby Region that is not ACTIVE is only a warning: the failing Region's replica
 * is expected to look unhealthy, and it must not block the failover away from it.
 */
export function assessTable(
  table: TableDescription,
  primaryRegion?: string,
  options: { mode?: CutoverMode; standbyRegion?: string } = {},
): TableAssessment {
  const replicas: ReplicaState[] = (table.Replicas ?? []).map((r) => ({
    region: r.RegionName ?? 'unknown',
    status: r.ReplicaStatus ?? 'UNKNOWN',
  }));
  const problems: string[] = [];
  if (table.TableStatus !== 'ACTIVE') problems.push(`table is ${table.TableStatus ?? 'UNKNOWN'}`);
  if (replicas.length === 0) {
    problems.push('not a global table (no replicas)');
  } else if (primaryRegion !== undefined && !replicas.some((r) => r.region === primaryRegion)) {
    problems.push(`no replica in the primary Region ${primaryRegion}`);
  }
  const inactive = replicas.filter((r) => r.status !== 'ACTIVE');
  const tolerated = options.mode === 'emergency' ? inactive.filter((r) => r.region !== options.standbyRegion) : [];
  const blocking = inactive.filter((r) => !tolerated.includes(r));
  const describe = (list: ReplicaState[]) => `replicas not ACTIVE: ${list.map((r) => `${r.region} ${r.status}`).join(', ')}`;
  if (blocking.length > 0) problems.push(describe(blocking));
  const warnings = tolerated.length > 0 ? [`${describe(tolerated)} (tolerated in emergency mode)`] : [];
  return { replicas, problems, warnings };
}

/** Query for ReplicationLatency into the standby Region (published in the source Region; null here is normal). */
export function replicationLatencyQuery(tableName: string, receivingRegion: string, now: Date) {
  return {
    namespace: 'AWS/DynamoDB',
    metricName: 'ReplicationLatency',
    dimensions: { TableName: tableName, ReceivingRegion: receivingRegion },
    now,
    lookbackMinutes: 5,
    stat: 'Average' as const,
  };
}

/**
 * Read-only check of one global-table replica in the standby Region (the state machine Maps over tables).
 * A dry run does the same reads: outcome is 'verified' either way.
 */
export async function verifyTable(deps: DynamoDeps, input: VerifyTableInput): Promise<VerifyTableResult> {
  const { tableName, primaryRegion, standbyRegion } = input.target;
  const table = await describeTable(deps.ddb, tableName);
  if (table === null) {
    throw new DynamoReplicaNotActiveError(`DynamoDB table ${tableName} does not exist in ${standbyRegion}`);
  }
  const { replicas, problems, warnings } = assessTable(table, primaryRegion, { mode: input.mode, standbyRegion });
  if (problems.length > 0) {
    throw new DynamoReplicaNotActiveError(`DynamoDB table ${tableName} in ${standbyRegion}: ${problems.join('; ')}`);
  }
  // Informational only: the metric lives in the source Region, and we never call it.
  const replicationLatencyMs = await latestMetricValueOrNull(
    deps.cw,
    replicationLatencyQuery(tableName, standbyRegion, deps.clock.now()),
  );
  return { step: STEP_NAME, outcome: 'verified', changes: [], tableName, warnings, replicationLatencyMs, replicas };
}
