import { PreconditionFailed } from '@aws-sdk/client-cloudfront';
import type { CutoverMode } from '../functions/shared/contracts';
import { parseConfig, type EnvironmentConfig } from '../stacks/config';
import type { SimulatedWorld } from './world';

/** What a scenario's run must end in. */
export interface ScenarioExpectation {
  status: 'SUCCEEDED' | 'FAILED';
  /** The error the execution fails with. */
  error?: string;
  /** The step the failure report names. */
  failedStep?: string;
  /** A state whose Retry absorbs the fault. */
  retried?: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** The step the fault targets (for the scenario list). */
  step: string;
  mode?: CutoverMode;
  /** The run is started by the primary-health alarm (so it waits at the approval gate). */
  alarm?: boolean;
  /** The environment config the scenario runs with, when it differs from the drilled one (e.g. routing-policy records). */
  configure?: (config: EnvironmentConfig) => EnvironmentConfig;
  /** Injects the fault into a fresh world. */
  arrange?: (world: SimulatedWorld) => void | Promise<void>;
  /** Removes the fault's cause, so a re-run can show it converges. */
  heal?: (world: SimulatedWorld) => void | Promise<void>;
  expect: ScenarioExpectation;
}

const sdkError = (name: string, status: number, message: string) => () =>
  Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
const throttling = sdkError('ThrottlingException', 400, 'Rate exceeded');
const serverError = sdkError('InternalFailure', 500, 'We encountered an internal error. Please try again.');

/** The Auth ConfigMap's and Deployment's API paths in the world's cluster. */
const configMapPath = (w: SimulatedWorld) => `/api/v1/namespaces/${w.config.eks.namespace}/configmaps/${w.config.eks.configMapName}`;
const deploymentPath = (w: SimulatedWorld) => `/apis/apps/v1/namespaces/${w.config.eks.namespace}/deployments/${w.config.eks.deploymentName}`;

/** The config with its first record made a routing-policy record (failover or weighted), named 'seoul'. */
const routedFirstRecord = (routing: { failover: 'PRIMARY' } | { weight: number }) => (config: EnvironmentConfig) => {
  const [first, ...rest] = config.route53.records;
  if (!first) return config;
  return parseConfig(config.name, { ...config, route53: { ...config.route53, records: [{ ...first, setIdentifier: 'seoul', ...routing }, ...rest] } });
};

/** The zone holds a CNAME where the config names an A record (the A record is not there). */
const cnameInsteadOfRecord = (w: SimulatedWorld) => {
  const record = w.config.route53.records[1] ?? w.config.route53.records[0];
  if (!record) return;
  const zone = w.zoneOf(record);
  zone.remove(record.name, record.type, record.setIdentifier);
  zone.seed({ Name: record.name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'portforge-alb-seoul.ap-northeast-2.elb.amazonaws.com' }] });
};
const restoreRecordAt = (w: SimulatedWorld, index: number) => {
  const record = w.config.route53.records[index];
  if (!record) return;
  const zone = w.zoneOf(record);
  zone.remove(record.name, 'CNAME');
  zone.seed({ Name: record.name, Type: record.type, AliasTarget: { DNSName: 'portforge-alb-seoul.ap-northeast-2.elb.amazonaws.com.', HostedZoneId: 'ZWKZPGTI48KDX', EvaluateTargetHealth: true } });
};
const restoreRecord = (w: SimulatedWorld) => restoreRecordAt(w, w.config.route53.records.length > 1 ? 1 : 0);

/** Runs `fn` at a simulated moment `ms` after the drill starts (the drill's timers are simulated). */
const after = (ms: number, fn: () => void) => {
  setTimeout(fn, ms);
};

export const SCENARIOS: Scenario[] = [
  {
    name: 'happy-path',
    description: 'Seoul is down; every standby resource is ready.',
    step: 'all',
    expect: { status: 'SUCCEEDED' },
  },
  {
    name: 'planned',
    description: 'A planned cutover: it waits at preflight, changing nothing, until replica lag drains to the RPO budget (I7).',
    step: 'Preflight',
    mode: 'planned',
    arrange: (w) => {
      // 3 s of lag that drains 90 simulated seconds into the run.
      w.replicaLagSeconds = 3;
      w.replicaLagUntil = w.now() + 90_000;
    },
    expect: { status: 'SUCCEEDED', retried: 'Preflight' },
  },
  // ---- alarm-triggered runs and the approval gate ------------------------------------------
  {
    name: 'alarm-approved',
    description: 'The primary-health alarm starts the cutover; an approver clicks Approve in Slack after 2 minutes.',
    step: 'Request approval',
    alarm: true,
    arrange: (w) => {
      w.approver = { decision: 'approve', afterSeconds: 120 };
    },
    expect: { status: 'SUCCEEDED' },
  },
  {
    name: 'approval-request-throttled',
    description: 'The approvals table throttles the request twice; an approver then approves.',
    step: 'Request approval',
    alarm: true,
    arrange: (w) => {
      w.approver = { decision: 'approve', afterSeconds: 60 };
      // The lock's write comes first.
      w.failNext('PutItemCommand', 2, throttling, { after: 1 });
    },
    expect: { status: 'SUCCEEDED', retried: 'Request approval' },
  },
  {
    name: 'alarm-denied',
    description: 'The alarm starts the cutover; the approver clicks Deny: nothing changes.',
    step: 'Request approval',
    alarm: true,
    arrange: (w) => {
      w.approver = { decision: 'deny', afterSeconds: 60 };
    },
    heal: (w) => {
      w.approver = { decision: 'approve', afterSeconds: 60 };
    },
    expect: { status: 'FAILED', error: 'ApprovalDenied', failedStep: 'Approval gate' },
  },
  {
    name: 'approval-timeout',
    description: 'The alarm starts the cutover; nobody answers before the gate times out.',
    step: 'Request approval',
    alarm: true,
    heal: (w) => {
      w.approver = { decision: 'approve', afterSeconds: 60 };
    },
    expect: { status: 'FAILED', error: 'States.Timeout', failedStep: 'Approval gate' },
  },
  // ---- lock ---------------------------------------------------------------------------
  {
    name: 'lock-throttled',
    description: 'The lock table throttles the first two writes.',
    step: 'Acquire cutover lock',
    arrange: (w) => w.failNext('PutItemCommand', 2, throttling),
    expect: { status: 'SUCCEEDED', retried: 'Acquire cutover lock' },
  },
  {
    name: 'lock-held',
    description: 'Another cutover already holds the lock.',
    step: 'Acquire cutover lock',
    arrange: (w) => w.holdLock('arn:aws:states:local:000000000000:execution:dr-cutover:earlier-run'),
    heal: (w) => w.clearLock(),
    expect: { status: 'FAILED', error: 'CutoverLockHeldError', failedStep: 'Cutover lock' },
  },
  // ---- preflight ------------------------------------------------------------------------
  {
    name: 'preflight-5xx',
    description: 'RDS answers 5xx to the first two describes.',
    step: 'Preflight',
    arrange: (w) => w.failNext('DescribeDBInstancesCommand', 2, serverError),
    expect: { status: 'SUCCEEDED', retried: 'Preflight' },
  },
  {
    name: 'standby-not-ready',
    description: 'The Tokyo EKS cluster is still CREATING and its certificate is not issued.',
    step: 'Preflight',
    arrange: (w) => {
      w.clusterStatus = 'CREATING';
      w.certificateStatus = 'PENDING_VALIDATION';
    },
    heal: (w) => {
      w.clusterStatus = 'ACTIVE';
      w.certificateStatus = 'ISSUED';
    },
    expect: { status: 'FAILED', error: 'PreflightBlockedError', failedStep: 'Preflight' },
  },
  {
    name: 'eks-config-map-auth',
    description: 'The Tokyo cluster authenticates with CONFIG_MAP only, so it ignores the cutover role\'s access entry (every token gets 401).',
    step: 'Preflight',
    arrange: (w) => w.setClusterAuthenticationMode('CONFIG_MAP'),
    heal: (w) => w.setClusterAuthenticationMode('API_AND_CONFIG_MAP'),
    expect: { status: 'FAILED', error: 'PreflightBlockedError', failedStep: 'Preflight' },
  },
  {
    name: 'certificate-not-covering',
    description: 'The Tokyo certificate names only the first record; the other switched records are not on it.',
    step: 'Preflight',
    arrange: (w) => {
      const first = w.config.route53.records[0]?.name ?? 'api.example.org';
      w.certificateNames = { domainName: first, subjectAlternativeNames: [first] };
    },
    heal: (w) => {
      const parent = (w.config.route53.records[0]?.name ?? 'api.example.org').split('.').slice(1).join('.');
      w.certificateNames = { domainName: `*.${parent}`, subjectAlternativeNames: [`*.${parent}`, parent] };
    },
    expect: { status: 'FAILED', error: 'PreflightBlockedError', failedStep: 'Preflight' },
  },
  {
    name: 'cognito-client-missing',
    description: 'The Tokyo user pool has no app client with the configured id (the Auth ConfigMap would name a client that does not exist).',
    step: 'Preflight',
    arrange: (w) => {
      w.cognitoMissing = 'app-client';
    },
    heal: (w) => {
      w.cognitoMissing = undefined;
    },
    expect: { status: 'FAILED', error: 'PreflightBlockedError', failedStep: 'Preflight' },
  },
  // ---- RDS ------------------------------------------------------------------------------
  {
    name: 'rds-throttled',
    description: 'PromoteReadReplica is throttled twice.',
    step: 'Promote RDS replica',
    arrange: (w) => w.failNext('PromoteReadReplicaCommand', 2, throttling),
    expect: { status: 'SUCCEEDED', retried: 'Promote RDS replica' },
  },
  {
    name: 'replica-backing-up',
    description: 'The replica is backing-up for 150 s; RDS refuses promotion until it ends.',
    step: 'Promote RDS replica',
    arrange: (w) => {
      w.replica.backingUpUntil = w.now() + 150_000;
    },
    expect: { status: 'SUCCEEDED', retried: 'Promote RDS replica' },
  },
  {
    name: 'replica-stuck-backing-up',
    description: 'The replica stays backing-up; promotion is never possible.',
    step: 'Promote RDS replica',
    arrange: (w) => {
      w.replica.backingUpUntil = Number.POSITIVE_INFINITY;
    },
    heal: (w) => {
      w.replica.backingUpUntil = 0;
    },
    expect: { status: 'FAILED', error: 'ReplicaBackingUpError', failedStep: 'Promote RDS replica' },
  },
  {
    name: 'replica-busy',
    description: 'The replica is modifying for 3 minutes for a reason of its own; promotion waits, then promotes once.',
    step: 'Promote RDS replica',
    arrange: (w) => {
      w.replica.busy = { status: 'modifying', until: w.now() + 180_000 };
    },
    expect: { status: 'SUCCEEDED', retried: 'Promote RDS replica' },
  },
  {
    name: 'replica-no-backups',
    description: 'The replica has backups off; promotion turns them on and the first backup of a large database takes 30 minutes (standalone and writable meanwhile).',
    step: 'Check RDS promotion',
    arrange: (w) => {
      w.replica.backupRetentionPeriod = 0;
    },
    expect: { status: 'SUCCEEDED' },
  },
  {
    name: 'promotion-check-throttled',
    description: 'RDS throttles two describes while the promotion is polled.',
    step: 'Check RDS promotion',
    // Preflight and the promote step describe the replica first.
    arrange: (w) => w.failNext('DescribeDBInstancesCommand', 2, throttling, { after: 2 }),
    expect: { status: 'SUCCEEDED', retried: 'Check RDS promotion' },
  },
  {
    name: 'promotion-never-finishes',
    description: 'The promotion stays modifying; the polling bound stops the run.',
    step: 'Check RDS promotion',
    arrange: (w) => {
      w.replica.neverFinishes = true;
    },
    heal: (w) => {
      w.replica.neverFinishes = false;
    },
    expect: { status: 'FAILED', error: 'PromotionTimeoutError', failedStep: 'Recover' },
  },
  // ---- DynamoDB -------------------------------------------------------------------------
  {
    name: 'dynamodb-throttled',
    description: 'DescribeTable is throttled during the replica check.',
    step: 'Verify DynamoDB replica',
    arrange: (w) => w.failNext('DescribeTableCommand', 2, throttling, { after: w.config.dynamodb.tables.length }),
    expect: { status: 'SUCCEEDED', retried: 'Verify DynamoDB replica' },
  },
  {
    name: 'dynamodb-replica-not-active',
    description: 'A standby table goes UPDATING right after preflight and stays so.',
    step: 'Verify DynamoDB replica',
    arrange: (w) => w.degradeTableAfterPreflight(),
    heal: (w) => w.clearFaults(),
    expect: { status: 'FAILED', error: 'DynamoReplicaNotActiveError', failedStep: 'Verify DynamoDB replica' },
  },
  {
    name: 'dynamodb-primary-replica-removed',
    description: 'Seoul has been down for 21 hours: DynamoDB has removed its replica from every table\'s replication group.',
    step: 'Verify DynamoDB replica',
    arrange: (w) => w.primaryReplicasInaccessibleSince(w.now() - 21 * 3600_000),
    expect: { status: 'SUCCEEDED' },
  },
  {
    name: 'lambda-timeout',
    description: 'One DescribeTable call never answers: the replica check runs into its Lambda timeout once, and is retried.',
    step: 'Verify DynamoDB replica',
    arrange: (w) => w.hangNext('DescribeTableCommand', 1, { after: w.config.dynamodb.tables.length }),
    expect: { status: 'SUCCEEDED', retried: 'Verify DynamoDB replica' },
  },
  // ---- Kubernetes -----------------------------------------------------------------------
  {
    name: 'kubernetes-401',
    description: 'The Kubernetes API refuses the first token once.',
    step: 'Patch Auth config',
    arrange: (w) => w.kube.failNext(1, 401),
    expect: { status: 'SUCCEEDED', retried: 'Patch Auth config' },
  },
  {
    name: 'kubernetes-409',
    description: 'The ConfigMap changes under the patch once (409 Conflict).',
    step: 'Patch Auth config',
    arrange: (w) => w.kube.failNext(1, 409, { method: 'PATCH', path: configMapPath(w) }),
    expect: { status: 'SUCCEEDED', retried: 'Patch Auth config' },
  },
  {
    name: 'kubernetes-5xx',
    description: 'The Kubernetes API answers 503 twice.',
    step: 'Patch Auth config',
    arrange: (w) => w.kube.failNext(2, 503),
    expect: { status: 'SUCCEEDED', retried: 'Patch Auth config' },
  },
  {
    name: 'configmap-missing',
    description: 'The Auth ConfigMap does not exist (404).',
    step: 'Patch Auth config',
    arrange: (w) => w.kube.failNext(10_000, 404, { path: configMapPath(w) }),
    heal: (w) => w.clearFaults(),
    expect: { status: 'FAILED', error: 'KubernetesNotFoundError', failedStep: 'Patch Auth config' },
  },
  {
    name: 'restart-conflict',
    description: 'The Deployment changes under the restart patch once (409 Conflict).',
    step: 'Restart Auth deployment',
    arrange: (w) => w.kube.failNext(1, 409, { method: 'PATCH', path: deploymentPath(w) }),
    expect: { status: 'SUCCEEDED', retried: 'Restart Auth deployment' },
  },
  {
    name: 'deployment-missing',
    description: 'The Auth Deployment does not exist (404).',
    step: 'Restart Auth deployment',
    arrange: (w) => w.kube.failNext(10_000, 404, { path: deploymentPath(w) }),
    heal: (w) => w.clearFaults(),
    expect: { status: 'FAILED', error: 'KubernetesNotFoundError', failedStep: 'Restart Auth deployment' },
  },
  {
    name: 'rollout-check-5xx',
    description: 'The Kubernetes API answers 503 twice while the rollout is polled.',
    step: 'Check Auth rollout',
    arrange: (w) => after(5_000, () => w.kube.failNext(2, 503, { method: 'GET', path: deploymentPath(w) })),
    expect: { status: 'SUCCEEDED', retried: 'Check Auth rollout' },
  },
  {
    name: 'rollout-fails',
    description: 'The Auth rollout exceeds its progress deadline.',
    step: 'Check Auth rollout',
    arrange: (w) => w.kube.setRolloutOutcome('progress-deadline-exceeded'),
    heal: (w) => w.kube.unblockRollouts(),
    expect: { status: 'FAILED', error: 'RolloutFailedError', failedStep: 'Check Auth rollout' },
  },
  {
    name: 'stale-rollout-condition',
    description:
      'An earlier Auth rollout got stuck (ProgressDeadlineExceeded) and its condition is still there; the controller takes 25 s to observe the restart.',
    step: 'Check Auth rollout',
    arrange: (w) => {
      w.kube.leaveStuckRollout(w.config.eks.namespace, w.config.eks.deploymentName);
      // A busy controller-manager: the leftover condition outlives the first poll after the restart.
      w.kube.observeDelayMs = 25_000;
    },
    expect: { status: 'SUCCEEDED' },
  },
  {
    name: 'kubernetes-403',
    description: 'RBAC forbids patching the Auth ConfigMap (403): permanent, so the run fails at once without retries.',
    step: 'Patch Auth config',
    arrange: (w) => w.kube.failNext(Number.POSITIVE_INFINITY, 403, { method: 'PATCH', path: configMapPath(w) }),
    heal: (w) => w.clearFaults(),
    expect: { status: 'FAILED', error: 'KubernetesForbiddenError', failedStep: 'Patch Auth config' },
  },
  // ---- CloudFront -----------------------------------------------------------------------
  {
    name: 'cloudfront-precondition-failed',
    description: 'The distribution config changes under the update twice (stale ETag).',
    step: 'Switch CloudFront static origins',
    arrange: (w) =>
      w.failNext('UpdateDistributionCommand', 2, () => new PreconditionFailed({ message: 'The If-Match version is missing or not valid', $metadata: { httpStatusCode: 412 } })),
    expect: { status: 'SUCCEEDED' },
  },
  {
    name: 'cloudfront-throttled',
    description: 'GetDistributionConfig is throttled three times.',
    step: 'Switch CloudFront static origins',
    arrange: (w) => w.failNext('GetDistributionConfigCommand', 3, throttling),
    expect: { status: 'SUCCEEDED', retried: 'Switch CloudFront static origins' },
  },
  {
    name: 'cloudfront-origin-missing',
    description: 'The distribution has no Tokyo origin for a configured behaviour.',
    step: 'Switch CloudFront static origins',
    arrange: (w) => w.removeDrOrigin(),
    heal: (w) => w.restoreDrOrigin(),
    expect: { status: 'FAILED', error: 'DistributionMisconfiguredError', failedStep: 'Switch CloudFront origins' },
  },
  {
    name: 'cloudfront-check-throttled',
    description: 'GetDistribution is throttled twice while the deployment is polled.',
    step: 'Check CloudFront static deployed',
    arrange: (w) => w.failNext('GetDistributionCommand', 2, throttling),
    expect: { status: 'SUCCEEDED', retried: 'Check CloudFront static deployed' },
  },
  {
    name: 'cloudfront-never-deploys',
    description: 'The distribution stays InProgress; the polling bound stops the run.',
    step: 'Check CloudFront static deployed',
    arrange: (w) => {
      w.cloudfrontNeverDeploys = true;
    },
    heal: (w) => {
      w.cloudfrontNeverDeploys = false;
    },
    expect: { status: 'FAILED', error: 'DistributionDeployTimeoutError', failedStep: 'Recover' },
  },
  // ---- Route 53 -------------------------------------------------------------------------
  {
    name: 'dns-prior-request',
    description: 'Route 53 answers PriorRequestNotComplete twice.',
    step: 'Switch DNS zone',
    arrange: (w) => w.failNext('ChangeResourceRecordSetsCommand', 2, sdkError('PriorRequestNotComplete', 400, 'The request was rejected because Route 53 was still processing a prior request.')),
    expect: { status: 'SUCCEEDED', retried: 'Switch DNS zone' },
  },
  {
    name: 'dns-access-denied',
    description: 'Route 53 refuses the record change (AccessDenied: the IAM policy does not allow it).',
    step: 'Switch DNS zone',
    arrange: (w) => w.failNext('ChangeResourceRecordSetsCommand', Number.POSITIVE_INFINITY, sdkError('AccessDenied', 403, 'User is not authorized to perform: route53:ChangeResourceRecordSets')),
    heal: (w) => w.clearFaults(),
    expect: { status: 'FAILED', error: 'AccessDenied', failedStep: 'Switch DNS zone' },
  },
  {
    name: 'dns-failover-record',
    description: 'The API record is the PRIMARY of a failover pair (SetIdentifier seoul, with a health check); its SECONDARY already aliases Tokyo.',
    step: 'Switch DNS zone',
    configure: routedFirstRecord({ failover: 'PRIMARY' }),
    expect: { status: 'SUCCEEDED' },
  },
  {
    name: 'dns-weighted-record',
    description: 'The API record is one of two weighted record sets (SetIdentifier seoul); the other already aliases Tokyo.',
    step: 'Switch DNS zone',
    configure: routedFirstRecord({ weight: 100 }),
    expect: { status: 'SUCCEEDED' },
  },
  {
    name: 'dns-cname-conflict',
    description: 'A configured A record is a CNAME in the zone: Route 53 would refuse the alias (InvalidChangeBatch), so preflight blocks before any change.',
    step: 'Preflight',
    arrange: cnameInsteadOfRecord,
    heal: restoreRecord,
    expect: { status: 'FAILED', error: 'PreflightBlockedError', failedStep: 'Preflight' },
  },
  {
    name: 'dns-cname-after-preflight',
    description: 'A configured record is replaced by a CNAME after preflight passed: the zone switch refuses it and changes none of the zone\'s records.',
    step: 'Switch DNS zone',
    arrange: (w) => after(60_000, () => cnameInsteadOfRecord(w)),
    heal: restoreRecord,
    expect: { status: 'FAILED', error: 'DnsRecordMismatchError', failedStep: 'Switch DNS zone' },
  },
  {
    name: 'dns-record-missing',
    description: 'A configured record does not exist in the zone; preflight blocks instead of creating it.',
    step: 'Preflight',
    arrange: (w) => {
      const record = w.config.route53.records[0];
      if (record) w.zoneOf(record).remove(record.name, record.type, record.setIdentifier);
    },
    heal: (w) => restoreRecordAt(w, 0),
    expect: { status: 'FAILED', error: 'PreflightBlockedError', failedStep: 'Preflight' },
  },
  {
    name: 'dns-check-throttled',
    description: 'GetChange is throttled twice while the change is polled.',
    step: 'Check DNS change',
    arrange: (w) => w.failNext('GetChangeCommand', 2, throttling),
    expect: { status: 'SUCCEEDED', retried: 'Check DNS change' },
  },
  {
    name: 'dns-never-insync',
    description: 'Route 53 changes stay PENDING; the polling bound stops the run.',
    step: 'Check DNS change',
    arrange: (w) => {
      w.dnsNeverInsync = true;
    },
    heal: (w) => {
      w.dnsNeverInsync = false;
    },
    expect: { status: 'FAILED', error: 'DnsSyncTimeoutError', failedStep: 'Switch traffic' },
  },
  // ---- announcements and lock release ------------------------------------------------------
  {
    name: 'sns-outage',
    description: 'The events topic is down for the whole run: announcements are lost, the cutover is not.',
    step: 'Announce cutover',
    arrange: (w) => w.failNext('PublishCommand', Number.POSITIVE_INFINITY, serverError),
    expect: { status: 'SUCCEEDED', retried: 'Announce cutover' },
  },
  {
    name: 'lock-release-throttled',
    description: 'The lock table throttles the release twice.',
    step: 'Release cutover lock',
    arrange: (w) => w.failNext('DeleteItemCommand', 2, throttling),
    expect: { status: 'SUCCEEDED', retried: 'Release cutover lock' },
  },
  {
    name: 'lock-release-outage',
    description: 'The lock table throttles the release 7 times, after DNS and CloudFront were switched: the cutover still succeeds.',
    step: 'Release cutover lock',
    arrange: (w) => w.failNext('DeleteItemCommand', 7, throttling),
    expect: { status: 'SUCCEEDED', retried: 'Release cutover lock' },
  },
  {
    name: 'failure-report-sns-blip',
    description: 'Preflight is blocked (standby not ready), then SNS throttles the failure announcement 3 times: the report still reaches Slack.',
    step: 'Announce failure',
    arrange: (w) => {
      w.clusterStatus = 'CREATING';
      // The start announcement is the first publish; the failure announcement's first three tries are throttled.
      w.failNext('PublishCommand', 3, throttling, { after: 1 });
    },
    heal: (w) => {
      w.clusterStatus = 'ACTIVE';
    },
    expect: { status: 'FAILED', error: 'PreflightBlockedError', failedStep: 'Preflight', retried: 'Announce failure' },
  },
  // ---- endpoint -------------------------------------------------------------------------
  {
    name: 'endpoint-slow',
    description: 'The DR endpoint fails its first health check after the switch.',
    step: 'Verify DR endpoint',
    arrange: (w) => {
      w.endpointFailuresLeft = 1;
    },
    expect: { status: 'SUCCEEDED', retried: 'Verify DR endpoint' },
  },
  {
    name: 'endpoint-resolver-cache',
    description:
      'Planned cutover, CloudFront deploys in 40 s: the first checks reach Seoul through cached DNS answers (200 from ap-northeast-2) and are retried until Tokyo answers.',
    step: 'Verify DR endpoint',
    mode: 'planned',
    arrange: (w) => {
      w.timing.cloudfrontDeploySeconds = 40;
    },
    expect: { status: 'SUCCEEDED', retried: 'Verify DR endpoint' },
  },
  {
    name: 'endpoint-seoul-still-answers',
    description:
      'Planned cutover, CloudFront deploys in 40 s: verify runs within the 60 s DNS TTL, so resolvers still send it to Seoul (200), while Tokyo answers 503.',
    step: 'Verify DR endpoint',
    mode: 'planned',
    arrange: (w) => {
      w.timing.cloudfrontDeploySeconds = 40;
      w.endpointFailuresLeft = Number.POSITIVE_INFINITY;
    },
    heal: (w) => {
      w.endpointFailuresLeft = 0;
    },
    expect: { status: 'FAILED', error: 'EndpointUnhealthyError', failedStep: 'Verify DR endpoint' },
  },
  {
    name: 'endpoint-unhealthy',
    description: 'The DR endpoint stays unhealthy after the switch.',
    step: 'Verify DR endpoint',
    arrange: (w) => {
      w.endpointFailuresLeft = Number.POSITIVE_INFINITY;
    },
    heal: (w) => {
      w.endpointFailuresLeft = 0;
    },
    expect: { status: 'FAILED', error: 'EndpointUnhealthyError', failedStep: 'Verify DR endpoint' },
  },
];

/** The config a scenario runs with: the drilled config, or the scenario's own variant of it. */
export function scenarioConfig(scenario: Scenario, config: EnvironmentConfig): EnvironmentConfig {
  return scenario.configure ? scenario.configure(config) : config;
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** The execution input a scenario's run starts with. */
export function scenarioInput(scenario: Scenario, options: { dryRun?: boolean; mode?: CutoverMode } = {}) {
  return {
    mode: options.mode ?? scenario.mode ?? 'emergency',
    dryRun: options.dryRun ?? false,
    reason: scenario.alarm ? 'Threshold Crossed: 3 datapoints were less than the threshold (1.0).' : `local drill: ${scenario.name}`,
    ...(scenario.alarm
      ? { trigger: { type: 'alarm', alarmName: 'dr-cutover-primary-unhealthy', time: new Date(Date.now() - 180_000).toISOString() } }
      : { requestedBy: 'local-drill' }),
  };
}
