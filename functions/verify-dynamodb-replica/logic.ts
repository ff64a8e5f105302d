import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import type { CutoverMode, StepResult, TableTarget } from '../shared/contracts';
import { DynamoReplicaNotActiveError } from '../shared/errors';

export const STEP_NAME = 'Verify DynamoDB replica';

export interface DynamoDeps {
  ddb: DynamoDBClient;
}

export interface VerifyTableInput {
  dryRun: boolean;
  mode: CutoverMode;
  target: TableTarget;
}

export interface ReplicaState {
  region: string;
  status: string;
  /** ReplicaInaccessibleDateTime, when DynamoDB reports one. */
  inaccessibleSince?: string;
}

export type VerifyTableResult = StepResult & {
  tableName: string;
  /** Emergency mode: what is wrong with the primary Region's replica (inaccessible, or removed) but does not block. */
  warnings: string[];
  /**
   * DynamoDB publishes ReplicationLatency in the source Region only, and the cutover never calls the
   * primary Region, so the standby Region has no measurement to report. Always this sentence.
   */
  replicationLatency: typeof REPLICATION_LATENCY_NOT_AVAILABLE;
  replicas: ReplicaState[];
};

export const REPLICATION_LATENCY_NOT_AVAILABLE =
  'not available in the standby Region (DynamoDB publishes ReplicationLatency in the source Region only)';

export interface TableAssessment {
  replicas: ReplicaState[];
  /** Why the table is not ready; empty when it is. */
  problems: string[];
  /** What is wrong but does not block this mode. */
  warnings: string[];
}

/** Where the table is checked from and what the run is: the one context preflight and the verify step share. */
export interface TableContext {
  mode: CutoverMode;
  primaryRegion: string;
  standbyRegion: string;
}

/** DynamoDB API reference, ReplicaDescription: the statuses of a replica that cannot be reached. */
const INACCESSIBLE = new Set(['REGION_DISABLED', 'INACCESSIBLE_ENCRYPTION_CREDENTIALS']);

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
 * Is the standby table ready for this mode? The one assessment preflight and the verify step share.
 * - The table must be ACTIVE, and every replica outside the primary Region ACTIVE, in both modes.
 * - The primary Region's replica: planned mode needs it present and ACTIVE (writes still flow from it).
 *   In emergency mode it is expected to be unhealthy and must not block the failover away from it:
 *   inaccessible (REGION_DISABLED, INACCESSIBLE_ENCRYPTION_CREDENTIALS), another status, or missing
 *   from Replicas[] (DynamoDB removes a replica inaccessible for more than 20 hours) is a warning.
 * Pure.
 */
export function assessTable(table: TableDescription, context: TableContext): TableAssessment {
  const { mode, primaryRegion } = context;
  const replicas: ReplicaState[] = (table.Replicas ?? []).map((r) => ({
    region: r.RegionName ?? 'unknown',
    status: r.ReplicaStatus ?? 'UNKNOWN',
    ...(r.ReplicaInaccessibleDateTime ? { inaccessibleSince: r.ReplicaInaccessibleDateTime.toISOString() } : {}),
  }));
  const problems: string[] = [];
  const warnings: string[] = [];
  const primaryIssue = (issue: string) => {
    if (mode === 'emergency') warnings.push(`${issue} (tolerated in emergency mode)`);
    else problems.push(`${issue}; a planned cutover needs the primary replica ACTIVE; an emergency cutover does not`);
  };
  if (table.TableStatus !== 'ACTIVE') problems.push(`table is ${table.TableStatus ?? 'UNKNOWN'}`);

  const primary = replicas.find((r) => r.region === primaryRegion);
  if (primary === undefined) {
    primaryIssue(
      `no replica in the primary Region ${primaryRegion} (${replicas.length === 0 ? 'not a global table, or ' : ''}` +
        'DynamoDB removed it after 20 hours inaccessible)',
    );
  } else if (primary.status !== 'ACTIVE') {
    const since =
      primary.inaccessibleSince && INACCESSIBLE.has(primary.status)
        ? ` since ${primary.inaccessibleSince}; DynamoDB removes it from the replication group 20 hours after that`
        : '';
    primaryIssue(`replicas not ACTIVE: ${primaryRegion} ${primary.status}${since}`);
  }
  const others = replicas.filter((r) => r.region !== primaryRegion && r.status !== 'ACTIVE');
  if (others.length > 0) problems.push(`replicas not ACTIVE: ${others.map((r) => `${r.region} ${r.status}`).join(', ')}`);
  return { replicas, problems, warnings };
}

/** Describes the table in the standby Region and assesses it; a missing table is a problem. */
export async function assessStandbyTable(ddb: DynamoDBClient, tableName: string, context: TableContext): Promise<TableAssessment> {
  const table = await describeTable(ddb, tableName);
  if (table === null) return { replicas: [], problems: [`${tableName} does not exist in ${context.standbyRegion}`], warnings: [] };
  return assessTable(table, context);
}

/**
 * Read-only check of one global-table replica in the standby Region (the state machine Maps over tables).
 * A dry run does the same reads: outcome is 'verified' either way.
 */
export async function verifyTable(deps: DynamoDeps, input: VerifyTableInput): Promise<VerifyTableResult> {
  const { tableName, primaryRegion, standbyRegion } = input.target;
  const { replicas, problems, warnings } = await assessStandbyTable(deps.ddb, tableName, { mode: input.mode, primaryRegion, standbyRegion });
  if (problems.length > 0) {
    throw new DynamoReplicaNotActiveError(`DynamoDB table ${tableName} in ${standbyRegion}: ${problems.join('; ')}`);
  }
  return {
    step: STEP_NAME,
    outcome: 'verified',
    changes: [],
    tableName,
    warnings,
    replicationLatency: REPLICATION_LATENCY_NOT_AVAILABLE,
    replicas,
  };
}
