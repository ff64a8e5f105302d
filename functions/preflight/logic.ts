import { DescribeCertificateCommand, type ACMClient } from '@aws-sdk/client-acm';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { Clock } from '../shared/clock';
import type { CutoverMode, DnsZoneTarget, PreflightTarget, StepResult } from '../shared/contracts';
import { PreflightBlockedError, ReplicaLagTooHighError } from '../shared/errors';
import { latestMetricValueOrNull } from '../shared/metrics';
import { describeInstance, isFailedStatus, replicaLagQuery, replicaSource } from '../promote-replica/logic';
import { assessTable, describeTable } from '../verify-dynamodb-replica/logic';
import { formProblem, pointsAt, readZoneRecords } from '../switch-dns-record/logic';

/** The lag check's name: in planned mode it gates the run. */
export const LAG_CHECK = 'RDS replica lag';

export const STEP_NAME = 'Preflight';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface PreflightDeps {
  rds: RDSClient;
  cw: CloudWatchClient;
  ddb: DynamoDBClient;
  eks: EKSClient;
  acm: ACMClient;
  cognito: CognitoIdentityProviderClient;
  route53: Route53Client;
  clock: Clock;
}

export interface PreflightInput {
  dryRun: boolean;
  mode: CutoverMode;
  target: PreflightTarget;
}

export type PreflightResult = StepResult & { checks: Check[] };

const pass = (name: string, detail: string): Check => ({ name, status: 'pass', detail });
const warn = (name: string, detail: string): Check => ({ name, status: 'warn', detail });
const fail = (name: string, detail: string): Check => ({ name, status: 'fail', detail });

/** Error names that mean "the configured resource is not there" (a blocker), as opposed to a transient fault. */
const NOT_FOUND_NAMES = new Set(['ResourceNotFoundException', 'NotFoundException', 'InvalidArnException']);

/**
 * Runs a read; a not-found error becomes a 'fail' check. Anything else (throttling, 5xx, access denied)
 * propagates: the handler maps transient faults to AwsTransientError, which the state machine retries.
 */
async function orNotFound(name: string, what: string, read: () => Promise<Check>): Promise<Check> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof Error && NOT_FOUND_NAMES.has(error.name)) return fail(name, `${what} not found`);
    throw error;
  }
}

/**
 * The replica must exist and be promotable (available or backing-up), or be standalone already
 * (a re-run after a partial cutover). Lag above budget is a warning in both modes: planned-mode
 * promotion waits for it (I7), emergency mode promotes anyway.
 */
export async function checkRdsReplica(
  rds: RDSClient,
  cw: CloudWatchClient,
  clock: Clock,
  target: Pick<PreflightTarget, 'replicaInstanceId' | 'maxReplicaLagSeconds'>,
  mode: CutoverMode,
): Promise<Check[]> {
  const name = 'RDS replica';
  const id = target.replicaInstanceId;
  const instance = await describeInstance(rds, id);
  if (instance === null) return [fail(name, `${id} not found`)];
  const status = instance.DBInstanceStatus ?? 'unknown';
  if (isFailedStatus(status)) return [fail(name, `${id} is ${status}`)];
  const source = replicaSource(instance);
  if (source === undefined) {
    return [pass(name, status === 'available' ? 'already promoted' : `already promoted (status ${status})`)];
  }

  const checks: Check[] = [];
  if (status === 'available') {
    checks.push(pass(name, `${id} is available, replica of ${source}`));
  } else if (status === 'backing-up') {
    checks.push(pass(name, `${id} is backing-up, replica of ${source}; promotion waits for the backup to end`));
  } else if (status === 'modifying' || status === 'rebooting') {
    checks.push(warn(name, `${id} is ${status}, replica of ${source}; a promotion may already be in progress`));
  } else {
    return [fail(name, `${id} is ${status}; promotion needs it available`)];
  }

  const lagName = LAG_CHECK;
  const budget = target.maxReplicaLagSeconds;
  const lag = await latestMetricValueOrNull(cw, replicaLagQuery(id, clock.now()));
  const consequence =
    mode === 'planned'
      ? 'planned mode: promotion waits until it is within budget'
      : 'emergency mode: promotion goes ahead, writes in that window may be lost';
  if (lag === null || lag < 0) {
    const why = lag === null ? 'no ReplicaLag datapoint in the last 2 minutes' : 'replication is not running';
    checks.push(warn(lagName, `unknown (${why}); ${consequence}`));
  } else if (lag > budget) {
    checks.push(warn(lagName, `${lag} s, above the budget of ${budget} s; ${consequence}`));
  } else {
    checks.push(pass(lagName, `${lag} s, within the budget of ${budget} s`));
  }
  return checks;
}

export async function checkDynamoTable(
  ddb: DynamoDBClient,
  tableName: string,
  context: { mode: CutoverMode; standbyRegion: string },
): Promise<Check> {
  const name = `DynamoDB table ${tableName}`;
  const table = await describeTable(ddb, tableName);
  if (table === null) return fail(name, `${tableName} not found`);
  const { replicas, problems, warnings } = assessTable(table, undefined, context);
  if (problems.length > 0) return fail(name, problems.join('; '));
  if (warnings.length > 0) return warn(name, warnings.join('; '));
  return pass(name, `ACTIVE; replicas ${replicas.map((r) => `${r.region} ${r.status}`).join(', ')}`);
}

export async function checkEksCluster(eks: EKSClient, clusterName: string): Promise<Check> {
  const name = 'EKS cluster';
  return orNotFound(name, clusterName, async () => {
    const out = await eks.send(new DescribeClusterCommand({ name: clusterName }));
    const status = out.cluster?.status ?? 'UNKNOWN';
    return status === 'ACTIVE' ? pass(name, `${clusterName} ACTIVE`) : fail(name, `${clusterName} is ${status}`);
  });
}

export async function checkCertificate(acm: ACMClient, certificateArn: string): Promise<Check> {
  const name = 'ACM certificate';
  return orNotFound(name, certificateArn, async () => {
    const out = await acm.send(new DescribeCertificateCommand({ CertificateArn: certificateArn }));
    const status = out.Certificate?.Status ?? 'UNKNOWN';
    const domain = out.Certificate?.DomainName ?? certificateArn;
    return status === 'ISSUED' ? pass(name, `${domain} ISSUED`) : fail(name, `${domain} is ${status}`);
  });
}

export async function checkUserPool(cognito: CognitoIdentityProviderClient, userPoolId: string): Promise<Check> {
  const name = 'Cognito user pool';
  return orNotFound(name, userPoolId, async () => {
    const out = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
    if (out.UserPool === undefined) return fail(name, `${userPoolId} not found`);
    return pass(name, `${userPoolId} (${out.UserPool.Name ?? 'unnamed'}) exists`);
  });
}

export async function checkAppClient(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  appClientId: string,
): Promise<Check> {
  const name = 'Cognito app client';
  return orNotFound(name, `${appClientId} in ${userPoolId}`, async () => {
    const out = await cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: appClientId }),
    );
    // Only the name is read: the response may carry the client secret, which never leaves this function.
    if (out.UserPoolClient === undefined) return fail(name, `${appClientId} in ${userPoolId} not found`);
    return pass(name, `${appClientId} (${out.UserPoolClient.ClientName ?? 'unnamed'}) exists`);
  });
}

/**
 * Every record the cutover will switch is in the zone in its configured form: that exact record set (name,
 * type, set identifier, failover role or weight), and no CNAME of the same name, which Route 53 would refuse
 * the alias beside (InvalidChangeBatch). One check per hosted zone, naming every record that is not.
 */
export async function checkDnsRecords(route53: Route53Client, zone: DnsZoneTarget): Promise<Check> {
  const name = `Route 53 records in ${zone.hostedZoneId}`;
  const problems: string[] = [];
  let onTarget = 0;
  const found = await readZoneRecords(route53, zone.hostedZoneId, zone.records);
  zone.records.forEach((record, i) => {
    const sets = found[i] ?? { exact: undefined, all: [] };
    const problem = formProblem(record, sets);
    if (problem) problems.push(problem);
    else if (pointsAt(sets.exact, zone.aliasTarget)) onTarget += 1;
  });
  if (problems.length > 0) return fail(name, problems.join('; '));
  const count = zone.records.length;
  return pass(name, `${count} record${count === 1 ? '' : 's'} in the configured form${onTarget > 0 ? ` (${onTarget} already on the DR target)` : ''}`);
}

/**
 * Is the standby side ready? Runs every check at once and blocks the run, before any change,
 * listing every failing check so the report shows all blockers together. Read-only in both modes.
 */
export async function preflight(deps: PreflightDeps, input: PreflightInput): Promise<PreflightResult> {
  const t = input.target;
  const groups = await Promise.all([
    checkRdsReplica(deps.rds, deps.cw, deps.clock, t, input.mode),
    ...t.tables.map((table) => checkDynamoTable(deps.ddb, table, { mode: input.mode, standbyRegion: t.standbyRegion }).then((c) => [c])),
    checkEksCluster(deps.eks, t.clusterName).then((c) => [c]),
    checkCertificate(deps.acm, t.certificateArn).then((c) => [c]),
    checkUserPool(deps.cognito, t.userPoolId).then((c) => [c]),
    checkAppClient(deps.cognito, t.userPoolId, t.appClientId).then((c) => [c]),
    ...t.dnsZones.map((zone) => checkDnsRecords(deps.route53, zone).then((c) => [c])),
  ]);
  const checks = groups.flat();
  const failing = checks.filter((c) => c.status === 'fail');
  if (failing.length > 0) {
    throw new PreflightBlockedError(
      `standby ${t.standbyRegion} is not ready (${failing.length} blocker${failing.length === 1 ? '' : 's'}): ` +
        failing.map((c) => `${c.name}: ${c.detail}`).join('; '),
    );
  }
  // I7: a planned cutover waits here, before any change, until the lag is within the RPO budget
  // (the state machine retries this error). The promote step checks it again at promotion.
  const lagging = checks.find((c) => c.name === LAG_CHECK && c.status !== 'pass');
  if (input.mode === 'planned' && !input.dryRun && lagging) {
    throw new ReplicaLagTooHighError(`planned cutover waits for replica lag: ${lagging.detail}`);
  }
  return { step: STEP_NAME, outcome: 'verified', changes: [], checks };
}
