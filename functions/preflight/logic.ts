import { DescribeCertificateCommand, type ACMClient } from '@aws-sdk/client-acm';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, type Cluster, type EKSClient } from '@aws-sdk/client-eks';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { Clock } from '../shared/clock';
import type { CutoverMode, DnsZoneTarget, PreflightTarget, StepResult } from '../shared/contracts';
import { PreflightBlockedError, ReplicaLagTooHighError } from '../shared/errors';
import { metricDatapointsOrNull } from '../shared/metrics';
import {
  assessReplication,
  describeInstance,
  describeLag,
  describeStatusInfos,
  isFailedStatus,
  isTransientStatus,
  replicaLagQuery,
  replicaSource,
} from '../promote-replica/logic';
import { assessStandbyTable, type TableContext } from '../verify-dynamodb-replica/logic';
import { formProblem, pointsAt, readZoneRecords } from '../switch-dns-record/logic';

/** The lag check's name: in planned mode it gates the run. */
export const LAG_CHECK = 'RDS replica lag';
/** The replica's replication StatusInfos and backup retention: reported, never a blocker. */
export const REPLICATION_CHECK = 'RDS replication status';
export const BACKUP_CHECK = 'RDS replica backups';

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
const NOT_FOUND_NAMES = new Set(['ResourceNotFoundException', 'NotFoundException', 'InvalidArnException', 'NoSuchHostedZone']);

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
 * The replica must exist and be promotable (available, or busy with something RDS finishes on
 * its own, which promotion waits for), or be standalone already (a re-run after a partial
 * cutover). Its replication StatusInfos and backup retention are reported. Lag above budget is a
 * warning in both modes: planned-mode promotion waits for it (I7), emergency mode promotes anyway.
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
  } else if (isTransientStatus(status)) {
    checks.push(warn(name, `${id} is ${status}, replica of ${source}; RDS refuses promotion until it is available, so promotion waits`));
  } else {
    return [fail(name, `${id} is ${status}; promotion needs it available`)];
  }

  // AWS recommends backups on, with one completed, before promotion (RDS API reference,
  // PromoteReadReplica): with retention 0 the promoted instance takes its first backup afterwards.
  const retention = instance.BackupRetentionPeriod;
  if (retention === 0) {
    checks.push(
      warn(BACKUP_CHECK, `${id} has automated backups off (retention 0): after promotion it takes a first full backup (backing-up), which can take long on a large database; turn backups on for the replica ahead of a cutover`),
    );
  } else if (retention !== undefined) {
    checks.push(pass(BACKUP_CHECK, `${id} keeps automated backups for ${retention} day${retention === 1 ? '' : 's'}`));
  }

  const query = replicaLagQuery(id, clock.now());
  const replication = assessReplication(instance, await metricDatapointsOrNull(cw, query), query);
  const statusInfo = `status info: ${describeStatusInfos(instance)}`;
  checks.push(replication.state === 'stopped' ? warn(REPLICATION_CHECK, `replication is not running; ${statusInfo}`) : pass(REPLICATION_CHECK, statusInfo));

  const lagName = LAG_CHECK;
  const budget = target.maxReplicaLagSeconds;
  const lag = replication.applyLagSeconds;
  const consequence =
    mode === 'planned'
      ? 'planned mode: promotion waits until it is within budget'
      : 'emergency mode: promotion goes ahead, writes in that window may be lost';
  if (replication.state !== 'running' || lag === null) {
    checks.push(warn(lagName, `apply lag ${describeLag(replication)}; ${consequence}`));
  } else if (lag > budget) {
    checks.push(warn(lagName, `apply lag ${lag} s, above the budget of ${budget} s; ${consequence}`));
  } else {
    checks.push(pass(lagName, `apply lag ${lag} s, within the budget of ${budget} s`));
  }
  return checks;
}

export async function checkDynamoTable(ddb: DynamoDBClient, tableName: string, context: TableContext): Promise<Check> {
  const name = `DynamoDB table ${tableName}`;
  // The same assessment the verify step applies, so preflight passes exactly what the run will accept.
  const { replicas, problems, warnings } = await assessStandbyTable(ddb, tableName, context);
  if (problems.length > 0) return fail(name, problems.join('; '));
  if (warnings.length > 0) return warn(name, warnings.join('; '));
  return pass(name, `ACTIVE; replicas ${replicas.map((r) => `${r.region} ${r.status}`).join(', ')}`);
}

/** An IPv4 CIDR as [network, prefix length], or undefined when it is not one. */
function parseCidr(cidr: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return [Math.floor(address / size) * size, bits];
}

/** True when every address of `inner` lies in `outer` (IPv4 CIDRs). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || i[1] < o[1]) return false;
  const size = 2 ** (32 - o[1]);
  return Math.floor(i[0] / size) * size === o[0];
}

/**
 * The cluster must be ACTIVE, let access entries in, and be reachable from where the Lambdas run
 * (EKS API reference, DescribeCluster: `accessConfig.authenticationMode`, `resourcesVpcConfig`):
 * - authentication mode API or API_AND_CONFIG_MAP: in CONFIG_MAP mode EKS ignores access entries, so
 *   the cutover role's token is refused;
 * - `public`: the public endpoint is on and its `publicAccessCidrs` admit every configured egress
 *   CIDR (0.0.0.0/0 when none is configured: a Lambda outside a VPC has no fixed address);
 * - `vpc`: private endpoint access is on (the Lambdas run in the cluster's VPC).
 */
export async function checkEksCluster(eks: EKSClient, clusterName: string, access: PreflightTarget['eksAccess']): Promise<Check[]> {
  const name = 'EKS cluster';
  let cluster: Cluster | undefined;
  try {
    cluster = (await eks.send(new DescribeClusterCommand({ name: clusterName }))).cluster;
  } catch (error) {
    if (error instanceof Error && NOT_FOUND_NAMES.has(error.name)) return [fail(name, `${clusterName} not found`)];
    throw error;
  }
  const status = cluster?.status ?? 'UNKNOWN';
  if (status !== 'ACTIVE') return [fail(name, `${clusterName} is ${status}`)];
  const checks = [pass(name, `${clusterName} ACTIVE`)];

  const authName = 'EKS authentication mode';
  const mode = cluster?.accessConfig?.authenticationMode ?? 'CONFIG_MAP';
  checks.push(
    mode === 'API' || mode === 'API_AND_CONFIG_MAP'
      ? pass(authName, `${mode}: access entries apply`)
      : fail(
          authName,
          `${clusterName} authenticates with ${mode} only, so it ignores the cutover role's access entry; ` +
            `switch it to API_AND_CONFIG_MAP (aws eks update-cluster-config --name ${clusterName} --access-config authenticationMode=API_AND_CONFIG_MAP)`,
        ),
  );

  const reachName = 'EKS endpoint access';
  const vpc = cluster?.resourcesVpcConfig;
  if (access.mode === 'vpc') {
    checks.push(
      vpc?.endpointPrivateAccess === true
        ? pass(reachName, `private endpoint on in ${vpc.vpcId ?? 'the cluster VPC'}, where the Lambdas run`)
        : fail(reachName, `the Lambdas run in the cluster's VPC (eks.lambdaAccess vpc) but the cluster's private endpoint access is off; turn it on`),
    );
    return checks;
  }
  if (vpc?.endpointPublicAccess !== true) {
    checks.push(fail(reachName, `the public endpoint is off, but the Lambdas reach the cluster over it (eks.lambdaAccess public); turn it on or run the Lambdas in the VPC`));
    return checks;
  }
  const allowed = vpc.publicAccessCidrs ?? ['0.0.0.0/0'];
  const needed = access.egressCidrs ?? ['0.0.0.0/0'];
  const refused = needed.filter((cidr) => !allowed.some((a) => cidrContains(a, cidr)));
  checks.push(
    refused.length === 0
      ? pass(reachName, `public endpoint admits ${needed.join(', ')}`)
      : fail(
          reachName,
          `the public endpoint admits only ${allowed.join(', ')}, not the Lambdas' ${refused.join(', ')}` +
            (access.egressCidrs ? '' : ' (no eks.lambdaEgressCidrs configured, so any address)') +
            '; add them to publicAccessCidrs or set eks.lambdaEgressCidrs',
        ),
  );
  return checks;
}

/**
 * True when a certificate name covers the host. A wildcard covers exactly one label in its place:
 * `*.example.com` covers `api.example.com`, not `example.com` nor `a.b.example.com` (ACM User Guide,
 * RequestCertificate DomainName; RFC 6125 §6.4.3). Case-insensitive, trailing dot ignored.
 */
export function certificateNameCovers(certName: string, host: string): boolean {
  const norm = (n: string) => n.trim().toLowerCase().replace(/\.$/, '');
  const [c, h] = [norm(certName), norm(host)];
  if (!c.startsWith('*.')) return c === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === c.slice(2);
}

export async function checkCertificate(acm: ACMClient, certificateArn: string, recordNames: string[]): Promise<Check> {
  const name = 'ACM certificate';
  return orNotFound(name, certificateArn, async () => {
    const out = await acm.send(new DescribeCertificateCommand({ CertificateArn: certificateArn }));
    const status = out.Certificate?.Status ?? 'UNKNOWN';
    const domain = out.Certificate?.DomainName ?? certificateArn;
    if (status !== 'ISSUED') return fail(name, `${domain} is ${status}`);
    const names = [...new Set([...(out.Certificate?.DomainName ? [out.Certificate.DomainName] : []), ...(out.Certificate?.SubjectAlternativeNames ?? [])])];
    const uncovered = recordNames.filter((host) => !names.some((n) => certificateNameCovers(n, host)));
    if (uncovered.length > 0) {
      return fail(
        name,
        `${domain} ISSUED but does not cover ${uncovered.join(', ')} (it names ${names.join(', ')}; a wildcard covers one label only); ` +
          'issue a Tokyo certificate that names them',
      );
    }
    return pass(name, `${domain} ISSUED, covers ${recordNames.join(', ')}`);
  });
}

/**
 * The user pool exists in the standby Region. A pool id starts with its Region (`ap-northeast-1_…`);
 * the Auth ConfigMap's COGNITO_REGION is derived from `standbyRegion`, so a pool elsewhere would
 * make Auth validate tokens against the wrong Region.
 */
export async function checkUserPool(cognito: CognitoIdentityProviderClient, userPoolId: string, standbyRegion: string): Promise<Check> {
  const name = 'Cognito user pool';
  const poolRegion = userPoolId.split('_')[0];
  if (poolRegion !== standbyRegion) {
    return fail(name, `${userPoolId} is a pool in ${poolRegion ?? 'an unknown Region'}, not the standby Region ${standbyRegion}; set cognito.userPoolId to the standby pool`);
  }
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
  // A wrong or deleted zone id answers NoSuchHostedZone: a blocker, like any missing resource.
  return orNotFound(name, `hosted zone ${zone.hostedZoneId}`, async () => {
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
  });
}

/**
 * Is the standby side ready? Runs every check at once and blocks the run, before any change,
 * listing every failing check so the report shows all blockers together. Read-only in both modes.
 */
export async function preflight(deps: PreflightDeps, input: PreflightInput): Promise<PreflightResult> {
  const t = input.target;
  const groups = await Promise.all([
    checkRdsReplica(deps.rds, deps.cw, deps.clock, t, input.mode),
    ...t.tables.map((table) =>
      checkDynamoTable(deps.ddb, table, { mode: input.mode, primaryRegion: t.primaryRegion, standbyRegion: t.standbyRegion }).then((c) => [c]),
    ),
    checkEksCluster(deps.eks, t.clusterName, t.eksAccess),
    checkCertificate(deps.acm, t.certificateArn, t.recordNames).then((c) => [c]),
    checkUserPool(deps.cognito, t.userPoolId, t.standbyRegion).then((c) => [c]),
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
