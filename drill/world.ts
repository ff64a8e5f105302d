import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  CloudFrontClient,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  PreconditionFailed,
  UpdateDistributionCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  PromoteReadReplicaCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53Client,
  type Change as Route53Change,
} from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { EnvironmentConfig, RuntimeTargets } from '../stacks/config';
import { KubeApiStandIn, type RbacRule } from './kube-api-server';
import { loadAllYaml } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_TIMING, promotionSeconds, type TimingModel } from './timing';
import { canonicalName, SimulatedHostedZone } from './route53-zone';

/** Route 53 FAQ: alias records that point to an ELB load balancer have a fixed TTL of 60 seconds. */
const ALIAS_TTL_SECONDS = 60;

/** Commands that change the world. A dry run must send none of them (I2). */
export const MUTATING_COMMANDS = new Set([
  'PromoteReadReplicaCommand',
  'UpdateDistributionCommand',
  'ChangeResourceRecordSetsCommand',
  'PutItemCommand',
  'DeleteItemCommand',
]);

export interface AwsCall {
  command: string;
  input: unknown;
  /** The Region of the client that sent it. */
  region: string;
}

/** The Slack side of the simulated world: the incoming webhook and the app's signing secret. */
export const WORLD_SLACK = {
  webhookUrl: 'https://hooks.slack.com/services/TDRILL000/BDRILL000/local-drill-webhook',
  /** Where the approval callback replaces the approval message after a click. */
  responseUrlPrefix: 'https://hooks.slack.com/actions/TDRILL000/',
  signingSecret: 'local-drill-slack-signing-secret',
};

/** The simulated account's id (the account the stack is synthesized for in the drill). */
export const WORLD_ACCOUNT = '123456789012';

/** Static credentials for the simulated account: the Kubernetes steps presign STS URLs with them. */
export const WORLD_CREDENTIALS = { accessKeyId: 'AKIDLOCALDRILL', secretAccessKey: 'local-drill-secret-key' };

interface Replica {
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

interface Distribution {
  config: DistributionConfig;
  etag: number;
  /** Simulated ms of the last update. */
  updatedAt: number | null;
}

interface UpdateInput {
  Key?: Record<string, AttributeValue>;
  ConditionExpression?: string;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

interface Fault {
  remaining: number;
  /** Applies only once the command has been called this many times. */
  after: number;
  answer: (input: unknown) => unknown;
}

/** A change the world accepted: what a re-run must not repeat. */
export interface Effect {
  kind: 'promote' | 'cloudfront-update' | 'dns-upsert' | 'lock' | 'kubernetes-patch' | 'approval';
  detail: string;
}

type Stub = ReturnType<typeof mockClient>;

/**
 * A simulated standby world for one environment config: the AWS APIs the steps call,
 * answered at the command level behind the real SDK clients (aws-sdk-client-mock),
 * plus a real HTTPS Kubernetes-API stand-in for the EKS cluster.
 */
export class SimulatedWorld {
  readonly calls: AwsCall[] = [];
  readonly published: Array<{ subject?: string; message: unknown }> = [];
  readonly kube: KubeApiStandIn;
  readonly lock = new Map<string, Record<string, AttributeValue>>();
  /** Route 53 hosted zones by id, seeded from the config's records. */
  readonly zones = new Map<string, SimulatedHostedZone>();
  readonly changes = new Map<string, { submittedAt: number; zoneId: string }>();
  readonly effects: Effect[] = [];
  readonly replica: Replica;
  readonly distribution: Distribution;
  /**
   * Global tables as DescribeTable in the standby Region sees them. `inaccessibleSince`: simulated ms
   * when the replica was first detected inaccessible (ReplicaInaccessibleDateTime).
   */
  readonly tables = new Map<string, { status: string; replicas: Array<{ region: string; status: string; inaccessibleSince?: number }> }>();
  replicaLagSeconds = 0;
  /** The lag above holds until this simulated ms, then drops to 0 (Infinity: it holds). */
  replicaLagUntil = Number.POSITIVE_INFINITY;
  /**
   * In an outage: the replica publishes ReplicaLag -1 once replication stops (RDS user guide,
   * "Monitoring MySQL read replica lag": -1 means replication is not active, Seconds_Behind_Master
   * NULL). True: it publishes no datapoint at all instead (the other way an outage looks).
   */
  replicaLagMissingInOutage = false;
  /** Simulated ms at which replication from the primary stopped (the outage began); fixed on first use. */
  private replicationStopped: number | undefined;
  clusterStatus = 'ACTIVE';
  /**
   * EKS API reference, DescribeCluster `accessConfig.authenticationMode`: API | API_AND_CONFIG_MAP |
   * CONFIG_MAP. Access entries (the cutover role's way in) apply only in the first two.
   */
  clusterAuthenticationMode: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP' = 'API_AND_CONFIG_MAP';
  /**
   * EKS API reference, VpcConfigResponse: whether the API server endpoint is public and/or private,
   * and the CIDR blocks allowed to reach the public endpoint (default 0.0.0.0/0).
   */
  readonly clusterEndpointAccess = { endpointPublicAccess: true, endpointPrivateAccess: false, publicAccessCidrs: ['0.0.0.0/0'], vpcId: 'vpc-0drtokyo0000000001' };
  certificateStatus = 'ISSUED';
  /** The Tokyo certificate's names (ACM DescribeCertificate DomainName and SubjectAlternativeNames). */
  certificateNames: { domainName: string; subjectAlternativeNames: string[] };
  /** Fault: the configured Cognito user pool (or only its app client) does not exist in the standby Region. */
  cognitoMissing: 'user-pool' | 'app-client' | undefined;
  /** Fault: distribution updates stay InProgress. */
  cloudfrontNeverDeploys = false;
  /** Fault: Route 53 changes stay PENDING. */
  dnsNeverInsync = false;
  /** Fault: the DR endpoint answers 503 to this many more checks (Infinity: always). */
  endpointFailuresLeft = 0;
  /** Secrets Manager: secret name or ARN → value. */
  readonly secrets = new Map<string, string>();
  /** Approvals table items by approvalId. */
  readonly approvals = new Map<string, Record<string, AttributeValue>>();
  /** Task tokens the state machine waits on, with how to settle them. */
  private readonly taskTokens = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void; settled: boolean }>();
  /** The person in Slack who answers approval requests (the drill plays them); none: nobody answers. */
  approver: { decision: 'approve' | 'deny'; afterSeconds: number; slackUserId?: string } | undefined;
  /** Called for each message published to SNS, after it is recorded (the drill wires Slack here). */
  onPublish: ((message: { subject?: string; message: unknown; raw: string }) => void) | undefined;
  /**
   * How a call that never answers waits. The drill lets simulated time run meanwhile
   * (SimClock.idle), so the caller's Lambda timeout can end it.
   */
  idle: <T>(pending: Promise<T>) => Promise<T> = (pending) => pending;
  /** Called before each AWS command is answered: tests use it to check invariants at that moment. */
  beforeCall: ((command: string, input: unknown) => void) | undefined;
  /** Faults: command name → what its next calls do instead of answering. */
  private readonly faults = new Map<string, Fault[]>();
  private readonly callCounts = new Map<string, number>();
  private readonly stubs: Stub[] = [];
  private kubeEndpoint: { endpoint: string; caData: string } | undefined;
  private realFetch: typeof fetch | undefined;
  /** What the Slack incoming webhook received (the Block Kit payloads). */
  readonly slackPosts: unknown[] = [];
  /** Health checks of the endpoint URL: the status (0: no answer) and the Region that answered. */
  readonly endpointChecks: Array<{ at: number; status: number; region: string }> = [];
  /** The endpoint host's DNS answer: what Route 53 says now, what resolvers held before, and since when. */
  private dnsAnswer: { answer: string; previous: string; changedAt: number | null };
  private nextChange = 1;
  /** Simulated time in ms: the drill installs a simulated clock, so Date.now() is simulated there. */
  readonly now: () => number = () => Date.now();

  constructor(
    readonly config: EnvironmentConfig,
    readonly targets: RuntimeTargets,
    readonly timing: TimingModel = DEFAULT_TIMING,
    /**
     * The primary Region is down, as an emergency cutover sees it from the standby Region:
     * replication broken, the primary's replicas inaccessible, its health URL unreachable.
     * False: a healthy primary (planned cutovers).
     */
    readonly primaryOutage = true,
  ) {
    const account = config.account ?? '123456789012';
    this.replica = {
      backingUpUntil: 0,
      source: `arn:aws:rds:${config.primaryRegion}:${account}:db:${config.rds.primaryInstanceId}`,
      promotedAt: null,
      neverFinishes: false,
      busy: null,
      backupRetentionPeriod: 1,
      promotedRetention: null,
    };
    for (const table of config.dynamodb.tables) {
      this.tables.set(table, {
        status: 'ACTIVE',
        replicas: [
          // DynamoDB API reference, ReplicaDescription: a replica in a Region that is inaccessible reads
          // REGION_DISABLED (INACCESSIBLE_ENCRYPTION_CREDENTIALS when its KMS key is), with the time
          // it was first detected inaccessible in ReplicaInaccessibleDateTime.
          this.primaryOutage
            ? { region: config.primaryRegion, status: 'REGION_DISABLED', inaccessibleSince: this.now() }
            : { region: config.primaryRegion, status: 'ACTIVE' },
          { region: config.standbyRegion, status: 'ACTIVE' },
        ],
      });
    }
    this.distribution = { config: initialDistributionConfig(config), etag: 1, updatedAt: null };
    this.dnsAnswer = { answer: config.primaryRegion, previous: config.primaryRegion, changedAt: null };
    // The team's Tokyo certificate: a wildcard for each parent domain of the switched records, plus the
    // parent itself (a wildcard covers exactly one label, so the apex is listed too).
    const recordNames = targets.dnsZones.flatMap((z) => z.records.map((r) => r.name));
    const parents = [...new Set(recordNames.map((n) => n.toLowerCase().replace(/\.$/, '').split('.').slice(1).join('.')))];
    const names = parents.flatMap((p) => [`*.${p}`, p]);
    this.certificateNames = { domainName: names[0] ?? '*.example.org', subjectAlternativeNames: names };
    this.seedZones();
    // The cluster enforces the RBAC manifest the project ships: a step needing more fails the drill.
    this.kube = new KubeApiStandIn({
      rolloutDelayMs: timing.rolloutSeconds * 1000,
      now: () => this.now(),
      rbac: shippedRbac(),
      // The Deployment controller reconciles a spec change asynchronously; about a second when idle.
      observeDelayMs: 1000,
    });
    this.kube.seedConfigMap(config.eks.namespace, config.eks.configMapName, {
      AWS_REGION: config.primaryRegion,
      COGNITO_REGION: config.primaryRegion,
      COGNITO_USER_POOL_ID: `${config.primaryRegion}_PrimaryPool`,
      COGNITO_APP_CLIENT_ID: 'primary-client',
      LOG_LEVEL: 'info',
    });
    this.kube.seedDeployment(config.eks.namespace, config.eks.deploymentName, { replicas: 2 });
    this.secrets.set(config.slack.webhookSecretName, WORLD_SLACK.webhookUrl);
    this.secrets.set(config.slack.signingSecretName, WORLD_SLACK.signingSecret);
  }

  /**
   * What a `.waitForTaskToken` task waits on: settles when SendTaskSuccess or SendTaskFailure
   * names the token (as Step Functions does), with the output or the named error.
   */
  awaitTaskToken(token: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.taskTokens.set(token, { resolve, reject, settled: false });
    });
  }

  /** Starts the Kubernetes stand-in and the DR endpoint, and installs the AWS command handlers. */
  async start(): Promise<void> {
    this.kubeEndpoint = await this.kube.start();
    this.installEndpoint();
    process.env.AWS_ACCESS_KEY_ID = WORLD_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = WORLD_CREDENTIALS.secretAccessKey;
    this.install();
  }

  async stop(): Promise<void> {
    for (const stub of this.stubs) stub.restore();
    this.stubs.length = 0;
    await this.kube.stop();
    if (this.realFetch) globalThis.fetch = this.realFetch;
    this.realFetch = undefined;
  }

  /**
   * The public endpoint (the config's URL) is answered by the world, like the AWS APIs: the Region
   * the resolver sends it to answers, naming itself with the configured signal. Seoul answers until
   * resolvers see the switched record (200 from a healthy primary, no answer in an outage); Tokyo
   * answers 200 once it serves, 503 before. The Slack webhook records what it is sent. Any other URL
   * goes to the real fetch.
   */
  private installEndpoint(): void {
    const realFetch = globalThis.fetch;
    this.realFetch = realFetch;
    globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url === WORLD_SLACK.webhookUrl || url.startsWith(WORLD_SLACK.responseUrlPrefix)) {
        this.slackPosts.push(JSON.parse(typeof init?.body === 'string' ? init.body : 'null') as unknown);
        return new Response('ok', { status: 200 });
      }
      if (url === this.config.alarms.primaryHealthUrl) {
        // An outage: the primary's load balancer does not answer, so the request times out
        // (undici surfaces that as TypeError 'fetch failed').
        if (this.primaryOutage) throw new TypeError('fetch failed', { cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) });
        return new Response('ok', { status: 200 });
      }
      if (url !== this.config.endpoint.url) return realFetch(input, init);
      await Promise.resolve();
      this.noteDnsAnswer();
      const served = this.resolvedRegion();
      if (served === this.config.primaryRegion) {
        // The resolver still sends the request to Seoul. In an outage its load balancer does not answer;
        // a healthy primary (planned mode) answers 200 itself, as it always has.
        if (this.primaryOutage) {
          this.endpointChecks.push({ at: this.now(), status: 0, region: served });
          throw new TypeError('fetch failed', { cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) });
        }
        this.endpointChecks.push({ at: this.now(), status: 200, region: served });
        return this.endpointResponse(200, served);
      }
      const serving = this.drServing();
      const healthy = serving && this.endpointFailuresLeft <= 0;
      if (serving && !healthy) this.endpointFailuresLeft -= 1;
      const status = healthy ? 200 : 503;
      this.endpointChecks.push({ at: this.now(), status, region: served });
      return this.endpointResponse(status, served);
    };
  }

  /**
   * The application's answer, with the Region-identifying signal it is deployed with: the configured
   * response header, or a field of a JSON body (the service names the Region that served the request).
   */
  private endpointResponse(status: number, region: string): Response {
    const signal = this.config.endpoint.regionSignal;
    if (signal.type === 'header') {
      return new Response(status === 200 ? 'ok' : 'not serving', { status, headers: { 'content-type': 'text/plain', [signal.name]: region } });
    }
    const body: Record<string, unknown> = { status: status === 200 ? 'ok' : 'not serving' };
    let node = body;
    const parts = signal.path.split('.');
    parts.slice(0, -1).forEach((part) => {
      const child: Record<string, unknown> = {};
      node[part] = child;
      node = child;
    });
    node[parts[parts.length - 1] ?? 'region'] = region;
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }

  /**
   * The Region a DNS resolver sends the endpoint's host to now. Route 53 answers with the record as
   * it is once the change is INSYNC, and resolvers keep the previous answer for its TTL: alias records
   * to an ELB load balancer have a fixed TTL of 60 s (Route 53 FAQ, DNS failover and TTLs).
   */
  resolvedRegion(): string {
    const { answer, previous, changedAt } = this.dnsAnswer;
    const visibleAfterMs = (this.timing.route53InsyncSeconds + ALIAS_TTL_SECONDS) * 1000;
    return changedAt === null || this.now() - changedAt >= visibleAfterMs ? answer : previous;
  }

  /** Where the endpoint's record points in Route 53 now (its host's record, else all of them). */
  private authoritativeRegion(): string {
    const host = new URL(this.config.endpoint.url).hostname.toLowerCase();
    const targets = this.dnsTargets();
    const own = Object.entries(targets).filter(([name]) => name.toLowerCase().replace(/\.$/, '') === host);
    const relevant = own.length > 0 ? own : Object.entries(targets);
    const standby = relevant.every(([, target]) => target === canonicalName(this.config.route53.aliasTarget.dnsName));
    return standby ? this.config.standbyRegion : this.config.primaryRegion;
  }

  /** Records when the endpoint's authoritative answer changes (checked after every AWS call). */
  private noteDnsAnswer(): void {
    const now = this.authoritativeRegion();
    if (now === this.dnsAnswer.answer) return;
    this.dnsAnswer = { answer: now, previous: this.resolvedRegion(), changedAt: this.now() };
  }

  /** The DR side serves only once the database is writable, Auth reads the standby config and DNS points there. */
  drServing(): boolean {
    const dnsSwitched = Object.values(this.dnsTargets()).every((t) => t === canonicalName(this.config.route53.aliasTarget.dnsName));
    return this.databaseRole() === 'standalone (writable)' && this.authPatchedAndRolled() && dnsSwitched;
  }

  /** The replica's status as RDS reports it at this simulated moment. */
  replicaStatus(): { status: string; source: string | null } {
    const r = this.replica;
    if (r.promotedAt === null) {
      if (r.busy && this.now() < r.busy.until) return { status: r.busy.status, source: r.source };
      return { status: this.now() < r.backingUpUntil ? 'backing-up' : 'available', source: r.source };
    }
    const elapsed = (this.now() - r.promotedAt) / 1000;
    const t = this.timing;
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
  databaseRole(): string {
    const { status, source } = this.replicaStatus();
    return source === null && (status === 'available' || status === 'backing-up') ? 'standalone (writable)' : `read replica of ${source ?? '?'} (${status})`;
  }

  /** When replication from the primary stopped: 5 minutes before the world was first looked at in an outage. */
  replicationStoppedAt(): number | null {
    if (!this.primaryOutage) return null;
    this.replicationStopped ??= this.now() - 300_000;
    return this.replicationStopped;
  }

  /**
   * The replica's StatusInfos (RDS API reference, DBInstanceStatusInfo: StatusType
   * "read replication"; Status replicating | error | stopped | …; Normal false in an error
   * state). Empty once the instance is standalone. Seen from Tokyo in a Seoul outage,
   * replication is in error.
   */
  replicaStatusInfos(): Array<{ StatusType: string; Status: string; Normal: boolean; Message?: string }> {
    if (this.replicaStatus().source === null) return [];
    if (this.primaryOutage) {
      return [{ StatusType: 'read replication', Status: 'error', Normal: false, Message: 'Error reconnecting to source: connection timed out' }];
    }
    return [{ StatusType: 'read replication', Status: 'replicating', Normal: true }];
  }

  /** The timestamp (period start) of the last ReplicaLag datapoint taken while replication ran; null if it never stopped. */
  lastHealthyReplicaLagAt(): number | null {
    const stopped = this.replicationStoppedAt();
    if (stopped === null) return null;
    return Math.ceil(stopped / 60_000) * 60_000 - 60_000;
  }

  /** The replica's apply lag at simulated ms `at`: -1 once replication has stopped (not active). */
  private applyLagAt(at: number): number {
    const stopped = this.replicationStoppedAt();
    if (stopped !== null && at >= stopped) return -1;
    return at < this.replicaLagUntil ? this.replicaLagSeconds : 0;
  }

  /** ReplicaLag as RDS samples it at simulated ms `at`: -1 (or nothing) once replication has stopped. */
  private replicaLagAt(at: number): number | null {
    const promotedAt = this.replica.promotedAt;
    // A promoted instance is no longer a replica: it publishes no ReplicaLag.
    if (promotedAt !== null && at >= promotedAt + promotionSeconds(this.timing) * 1000) return null;
    const lag = this.applyLagAt(at);
    return lag < 0 && this.replicaLagMissingInOutage ? null : lag;
  }

  /**
   * GetMetricData for one metric, as CloudWatch answers it: one datapoint per period, stamped
   * with the period's start (CloudWatch GetMetricData reference: StartTime inclusive and rounded
   * down to the minute, EndTime exclusive; TimestampDescending returns the newest first). A
   * datapoint becomes visible 1 to 3 minutes after its period starts (metrics are published
   * after the period, with delay), so the newest one is always 1 to 3 minutes old.
   */
  private metricSeries(
    query: { MetricStat?: { Metric?: { MetricName?: string; Dimensions?: Array<{ Name?: string; Value?: string }> }; Period?: number } },
    range: { start: number; end: number; ascending: boolean },
    clientRegion: string,
  ): { Timestamps: Date[]; Values: number[] } {
    const metric = query.MetricStat?.Metric;
    const periodMs = (query.MetricStat?.Period ?? 60) * 1000;
    const dimension = (name: string) => metric?.Dimensions?.find((d) => d.Name === name)?.Value;
    let valueAt: (at: number) => number | null;
    if (metric?.MetricName === 'ReplicaLag' && dimension('DBInstanceIdentifier') === this.config.rds.replicaInstanceId) {
      valueAt = (at) => this.replicaLagAt(at);
    } else if (metric?.MetricName === 'ReplicationLatency') {
      // DynamoDB metrics reference, ReplicationLatency: published in the source Region of the
      // replication, with ReceivingRegion as a dimension. Latency into this Region is in the
      // other Region's CloudWatch, so a client here gets no datapoints for it.
      const receiving = dimension('ReceivingRegion');
      valueAt = receiving === clientRegion || this.primaryOutage ? () => null : () => this.timing.dynamodbReplicationLatencyMs;
    } else {
      valueAt = () => null;
    }
    const timestamps: Date[] = [];
    const values: number[] = [];
    const now = this.now();
    const first = Math.floor(range.start / 60_000) * 60_000;
    for (let p = first; p < range.end && p <= now; p += periodMs) {
      if (now < p + metricDelayMs(p, this.timing)) continue;
      const value = valueAt(p);
      if (value === null) continue;
      timestamps.push(new Date(p));
      values.push(value);
    }
    if (!range.ascending) {
      timestamps.reverse();
      values.reverse();
    }
    return { Timestamps: timestamps, Values: values };
  }
  authPatchedAndRolled(): boolean {
    const { namespace, configMapName, deploymentName } = this.config.eks;
    const data = this.kube.configMap(namespace, configMapName)?.data ?? {};
    const patched = Object.entries(this.config.eks.configMapData).every(([k, v]) => data[k] === v);
    const d = this.kube.deployment(namespace, deploymentName);
    const want = d?.spec?.replicas ?? 1;
    const rolled =
      (d?.status?.observedGeneration ?? 0) >= (d?.metadata?.generation ?? 0) &&
      d?.status?.updatedReplicas === want &&
      d.status.readyReplicas === want;
    return patched && rolled;
  }

  /** Successful mutations the Kubernetes stand-in accepted. */
  kubernetesEffects(): Effect[] {
    return this.kube
      .mutatingRequests()
      .filter((r) => r.status < 300)
      .map((r) => ({ kind: 'kubernetes-patch', detail: `${r.method} ${r.path}` }));
  }

  /** The replica's apply lag right now (-1: replication not running). */
  currentReplicaLag(): number {
    return this.applyLagAt(this.now());
  }

  /** Another execution holds the environment's lock for the next hour. */
  holdLock(executionId: string): void {
    this.lock.set(this.config.name, {
      lockId: { S: this.config.name },
      executionId: { S: executionId },
      acquiredAt: { S: new Date(this.now()).toISOString() },
      expiresAt: { N: String(Math.floor(this.now() / 1000) + 3600) },
    });
  }

  /**
   * The primary Region's replicas have been inaccessible since `at` (simulated ms), with this status.
   * After 20 hours DynamoDB removes such a replica from the replication group (DynamoDB API reference,
   * ReplicaDescription: "If the AWS Region remains inaccessible for more than 20 hours, DynamoDB will
   * remove this replica from the replication group").
   */
  primaryReplicasInaccessibleSince(at: number, status: 'REGION_DISABLED' | 'INACCESSIBLE_ENCRYPTION_CREDENTIALS' = 'REGION_DISABLED'): void {
    for (const table of this.tables.values()) {
      for (const replica of table.replicas) {
        if (replica.region === this.config.primaryRegion) Object.assign(replica, { status, inaccessibleSince: at });
      }
    }
  }

  /** Every standby table reads UPDATING once preflight has read it (one describe per table). */
  degradeTableAfterPreflight(): void {
    this.answerNext(
      'DescribeTableCommand',
      Number.POSITIVE_INFINITY,
      (input) => ({ Table: { TableName: (input as { TableName?: string }).TableName, TableStatus: 'UPDATING', Replicas: [] } }),
      { after: this.config.dynamodb.tables.length },
    );
  }

  private putApproval(item: Record<string, AttributeValue>): object {
    const id = item.approvalId?.S ?? '';
    const existing = this.approvals.get(id);
    if (existing) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: existing });
    this.approvals.set(id, structuredClone(item));
    return {};
  }

  /** The approvals table's three updates: announced, claim (pending → decided), and undo of a claim. */
  private updateApproval(input: UpdateInput): object {
    const id = input.Key?.approvalId?.S ?? '';
    const item = this.approvals.get(id);
    const v = input.ExpressionAttributeValues ?? {};
    const fail = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item });
    const condition = input.ConditionExpression ?? '';
    if (condition === 'attribute_exists(approvalId)') {
      if (!item) throw fail();
      item.notifiedAt = v[':at'] ?? { S: '' };
      return {};
    }
    if (condition === '#status = :pending AND expiresAt > :now') {
      if (!item || item.status?.S !== v[':pending']?.S || Number(item.expiresAt?.N) <= Number(v[':now']?.N)) throw fail();
      Object.assign(item, { status: v[':decided'], decidedBy: v[':by'], decidedAt: v[':at'] }, v[':reason'] ? { reason: v[':reason'] } : {});
      this.effects.push({ kind: 'approval', detail: `${item.status?.S ?? '?'} ${id}` });
      return { Attributes: structuredClone(item) };
    }
    if (condition === '#status = :decided AND decidedBy = :by AND decidedAt = :at') {
      if (!item || item.status?.S !== v[':decided']?.S || item.decidedBy?.S !== v[':by']?.S || item.decidedAt?.S !== v[':at']?.S) throw fail();
      item.status = v[':pending'] ?? { S: 'pending' };
      delete item.decidedBy;
      delete item.decidedAt;
      delete item.reason;
      return {};
    }
    throw new Error(`the simulated approvals table does not know the update '${condition}'`);
  }

  private removedOrigins: NonNullable<DistributionConfig['Origins']> | undefined;

  /** The distribution loses its Tokyo origins (a misconfiguration the switch must refuse). */
  removeDrOrigin(): void {
    const drIds = new Set(this.config.cloudfront.behaviors.map((b) => b.drOriginId));
    const origins = this.distribution.config.Origins;
    this.removedOrigins = structuredClone(origins);
    const kept = (origins?.Items ?? []).filter((o) => !drIds.has(o.Id ?? ''));
    this.distribution.config.Origins = { Quantity: kept.length, Items: kept };
  }

  restoreDrOrigin(): void {
    if (this.removedOrigins) this.distribution.config.Origins = this.removedOrigins;
    this.distribution.etag += 1;
  }

  /**
   * The cluster's authentication mode. In CONFIG_MAP mode EKS ignores access entries, and the
   * cutover role (mapped only by an access entry, not in aws-auth) is not authenticated: the API
   * server answers its token with 401 (EKS User Guide, "Grant IAM users access to Kubernetes with
   * EKS access entries": access entries need API or API_AND_CONFIG_MAP).
   */
  setClusterAuthenticationMode(mode: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP'): void {
    this.clusterAuthenticationMode = mode;
    this.kube.clearFaults();
    if (mode === 'CONFIG_MAP') this.kube.failNext(Number.POSITIVE_INFINITY, 401);
  }

  /** Every accepted side effect so far, AWS and Kubernetes. */
  allEffects(): Effect[] {
    return [...this.effects, ...this.kubernetesEffects()];
  }

  /**
   * The next `count` calls of `command` (after the first `after` calls of it) throw `error`
   * (e.g. throttling, PreconditionFailed) instead of being answered.
   */
  failNext(command: string, count: number, error: () => Error, options: { after?: number } = {}): void {
    this.addFault(command, { remaining: count, after: options.after ?? 0, answer: () => { throw error(); } });
  }

  /**
   * The next `count` calls of `command` (after the first `after`) never answer: a hung
   * connection, which only the caller's timeout (or its Lambda's) ends.
   */
  hangNext(command: string, count: number, options: { after?: number } = {}): void {
    this.addFault(command, { remaining: count, after: options.after ?? 0, answer: () => this.idle(new Promise<never>(() => undefined)) });
  }

  /** The next `count` calls of `command` (after the first `after`) get `answer()` instead of the world's answer. */
  answerNext(command: string, count: number, answer: (input: unknown) => unknown, options: { after?: number } = {}): void {
    this.addFault(command, { remaining: count, after: options.after ?? 0, answer });
  }

  clearFaults(): void {
    this.faults.clear();
    this.kube.clearFaults();
  }

  private addFault(command: string, fault: Fault): void {
    this.faults.set(command, [...(this.faults.get(command) ?? []), fault]);
  }

  private takeFault(command: string): Fault | undefined {
    const seen = this.callCounts.get(command) ?? 0;
    this.callCounts.set(command, seen + 1);
    const fault = this.faults.get(command)?.find((f) => f.remaining > 0 && seen >= f.after);
    if (fault) fault.remaining -= 1;
    return fault;
  }

  mutatingCalls(): AwsCall[] {
    return this.calls.filter((c) => MUTATING_COMMANDS.has(c.command));
  }

  callsOf(command: string): AwsCall[] {
    return this.calls.filter((c) => c.command === command);
  }

  /** The hosted zone a configured record lives in. */
  zoneOf(record: { hostedZoneId?: string | undefined }): SimulatedHostedZone {
    const id = record.hostedZoneId ?? this.config.route53.hostedZoneId;
    const zone = this.zones.get(id);
    if (!zone) throw new Error(`no simulated hosted zone ${id}`);
    return zone;
  }

  /** Where each configured record set (its exact name, type and set identifier) points now. */
  dnsTargets(): Record<string, string | undefined> {
    return Object.fromEntries(
      this.config.route53.records.map((r) => {
        const target = this.zoneOf(r).get(r.name, r.type, r.setIdentifier)?.AliasTarget?.DNSName;
        return [r.name, target === undefined ? undefined : canonicalName(target)];
      }),
    );
  }

  /**
   * Each configured record as the zone's owner made it, an alias to the primary Region's ALB. A routing-policy
   * record comes with its sibling, already aliased to the DR target as a failover SECONDARY (or a second weight)
   * usually is: reading the record by name and type alone finds the sibling first (it sorts before 'seoul'-style
   * identifiers) and takes the switch for done.
   */
  private seedZones(): void {
    const primaryAlb = { DNSName: 'portforge-alb-seoul.ap-northeast-2.elb.amazonaws.com.', HostedZoneId: 'ZWKZPGTI48KDX', EvaluateTargetHealth: true };
    const drAlb = { DNSName: `${canonicalName(this.config.route53.aliasTarget.dnsName)}.`, HostedZoneId: this.config.route53.aliasTarget.hostedZoneId, EvaluateTargetHealth: true };
    const records = this.config.route53.records;
    for (const r of records) {
      const id = r.hostedZoneId ?? this.config.route53.hostedZoneId;
      if (!this.zones.has(id)) {
        const names = records.filter((o) => (o.hostedZoneId ?? this.config.route53.hostedZoneId) === id).map((o) => canonicalName(o.name));
        this.zones.set(id, new SimulatedHostedZone(id, commonDomain(names)));
      }
      const zone = this.zoneOf(r);
      const routing = r.failover ? { Failover: r.failover } : r.weight !== undefined ? { Weight: r.weight } : {};
      zone.seed({
        Name: r.name,
        Type: r.type,
        ...(r.setIdentifier ? { SetIdentifier: r.setIdentifier, HealthCheckId: `hc-${r.setIdentifier}` } : {}),
        ...routing,
        AliasTarget: primaryAlb,
      });
      if (r.setIdentifier === undefined) continue;
      const sibling = r.failover
        ? { SetIdentifier: r.failover === 'PRIMARY' ? 'secondary' : 'primary', Failover: r.failover === 'PRIMARY' ? ('SECONDARY' as const) : ('PRIMARY' as const) }
        : { SetIdentifier: 'other', Weight: 0 };
      if (zone.get(r.name, r.type, sibling.SetIdentifier) || records.some((o) => o.name === r.name && o.type === r.type && o.setIdentifier === sibling.SetIdentifier)) continue;
      zone.seed({ Name: r.name, Type: r.type, ...sibling, AliasTarget: drAlb });
    }
  }

  behaviorOrigins(): Record<string, string | undefined> {
    const cfg = this.distribution.config;
    const out: Record<string, string | undefined> = { '*': cfg.DefaultCacheBehavior?.TargetOriginId };
    for (const b of cfg.CacheBehaviors?.Items ?? []) if (b.PathPattern) out[b.PathPattern] = b.TargetOriginId;
    return out;
  }

  private install(): void {
    const on = (client: unknown): Stub => {
      const stub = mockClient(client as never);
      this.stubs.push(stub);
      return stub;
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are typed per handler below
    const handle = <I = any>(stub: Stub, command: { name: string }, fn: (input: I, region: string) => unknown) => {
      const name = command.name;
      stub.on(command as never).callsFake(
        async (input: I, getClient: () => { config: unknown }) => {
          const region = await (getClient().config as { region: () => Promise<string> }).region();
          this.calls.push({ command: name, input: structuredClone(input), region });
          this.beforeCall?.(name, input);
          const fault = this.takeFault(name);
          if (fault) return fault.answer(input);
          const output = fn(input, region);
          this.noteDnsAnswer();
          return output;
        },
      );
    };

    const rds = on(RDSClient);
    handle(rds, DescribeDBInstancesCommand, (input: { DBInstanceIdentifier?: string }) => {
      if (input.DBInstanceIdentifier !== this.config.rds.replicaInstanceId) {
        throw new DBInstanceNotFoundFault({ message: `DBInstance ${input.DBInstanceIdentifier} not found`, $metadata: {} });
      }
      const { status, source } = this.replicaStatus();
      const r = this.replica;
      return {
        DBInstances: [
          {
            DBInstanceIdentifier: this.config.rds.replicaInstanceId,
            DBInstanceStatus: status,
            ReadReplicaSourceDBInstanceIdentifier: source ?? undefined,
            StatusInfos: this.replicaStatusInfos(),
            BackupRetentionPeriod: r.promotedAt !== null && source === null ? (r.promotedRetention ?? r.backupRetentionPeriod) : r.backupRetentionPeriod,
          },
        ],
      };
    });
    handle(rds, PromoteReadReplicaCommand, (input: { BackupRetentionPeriod?: number }) => {
      const { status, source } = this.replicaStatus();
      // RDS API reference, PromoteReadReplica: InvalidDBInstanceState when the instance is not
      // in a state that allows it: not `available` (backing-up, modifying, rebooting, storage
      // optimization…), already being promoted, or not a read replica.
      if (source === null) {
        throw new InvalidDBInstanceStateFault({ message: `DB Instance ${this.config.rds.replicaInstanceId} is not a read replica.`, $metadata: {} });
      }
      if (this.replica.promotedAt !== null || status !== 'available') {
        throw new InvalidDBInstanceStateFault({ message: `DB Instance is not in a state that allows promotion: ${this.replica.promotedAt !== null ? 'a promotion is already in progress' : status}`, $metadata: {} });
      }
      this.replica.promotedAt = this.now();
      // BackupRetentionPeriod defaults to 1 (RDS API reference, PromoteReadReplica).
      this.replica.promotedRetention = input.BackupRetentionPeriod ?? 1;
      this.effects.push({ kind: 'promote', detail: this.config.rds.replicaInstanceId });
      return { DBInstance: { DBInstanceIdentifier: this.config.rds.replicaInstanceId } };
    });

    const cw = on(CloudWatchClient);
    handle(
      cw,
      GetMetricDataCommand,
      (input: { StartTime?: Date; EndTime?: Date; ScanBy?: string; MetricDataQueries?: Array<{ Id?: string; MetricStat?: { Metric?: { MetricName?: string; Dimensions?: Array<{ Name?: string; Value?: string }> }; Period?: number } }> }, region: string) => {
        const range = {
          start: new Date(input.StartTime ?? 0).getTime(),
          end: new Date(input.EndTime ?? this.now()).getTime(),
          ascending: input.ScanBy === 'TimestampAscending',
        };
        return {
          MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
            Id: q.Id,
            StatusCode: 'Complete',
            ...this.metricSeries(q, range, region),
          })),
        };
      },
    );

    const ddb = on(DynamoDBClient);
    handle(ddb, DescribeTableCommand, (input: { TableName?: string }) => {
      const table = this.tables.get(input.TableName ?? '');
      if (!table) throw Object.assign(new Error(`Table ${input.TableName} not found`), { name: 'ResourceNotFoundException', $metadata: {} });
      const removedAfterMs = 20 * 3600_000; // ReplicaDescription: removed after 20 hours inaccessible
      const replicas = table.replicas.filter((r) => r.inaccessibleSince === undefined || this.now() - r.inaccessibleSince < removedAfterMs);
      return {
        Table: {
          TableName: input.TableName,
          TableStatus: table.status,
          Replicas: replicas.map((r) => ({
            RegionName: r.region,
            ReplicaStatus: r.status,
            ...(r.inaccessibleSince === undefined ? {} : { ReplicaInaccessibleDateTime: new Date(r.inaccessibleSince) }),
          })),
        },
      };
    });
    handle(ddb, GetItemCommand, (input: { Key?: Record<string, AttributeValue> }) => ({ Item: this.lock.get(input.Key?.lockId?.S ?? '') }));
    handle(ddb, PutItemCommand, (input: { Item?: Record<string, AttributeValue>; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
      const item = input.Item ?? {};
      if (item.approvalId?.S) return this.putApproval(item);
      const id = item.lockId?.S ?? '';
      const current = this.lock.get(id);
      const now = Number(input.ExpressionAttributeValues?.[':now']?.N ?? 0);
      const me = input.ExpressionAttributeValues?.[':me']?.S;
      if (current && Number(current.expiresAt?.N ?? 0) >= now && current.executionId?.S !== me) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: current });
      }
      this.lock.set(id, item);
      this.effects.push({ kind: 'lock', detail: `acquire ${id}` });
      return {};
    });
    handle(ddb, UpdateItemCommand, (input: UpdateInput) => this.updateApproval(input));
    handle(ddb, DeleteItemCommand, (input: { Key?: Record<string, AttributeValue>; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
      const id = input.Key?.lockId?.S ?? '';
      if (this.lock.get(id)?.executionId?.S !== input.ExpressionAttributeValues?.[':me']?.S) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      }
      this.lock.delete(id);
      this.effects.push({ kind: 'lock', detail: `release ${id}` });
      return {};
    });

    const eks = on(EKSClient);
    handle(eks, DescribeClusterCommand, (input: { name?: string }) => {
      if (input.name !== this.config.eks.clusterName) {
        throw Object.assign(new Error(`No cluster found for name: ${input.name}.`), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
      }
      const access = this.clusterEndpointAccess;
      return {
        cluster: {
          name: input.name,
          status: this.clusterStatus,
          endpoint: this.kubeEndpoint?.endpoint,
          certificateAuthority: { data: this.kubeEndpoint?.caData },
          accessConfig: { authenticationMode: this.clusterAuthenticationMode },
          resourcesVpcConfig: {
            vpcId: access.vpcId,
            endpointPublicAccess: access.endpointPublicAccess,
            endpointPrivateAccess: access.endpointPrivateAccess,
            publicAccessCidrs: [...access.publicAccessCidrs],
          },
        },
      };
    });

    const acm = on(ACMClient);
    // ACM API reference, DescribeCertificate: the certificate's DomainName and every name it
    // covers in SubjectAlternativeNames (which repeats the DomainName).
    handle(acm, DescribeCertificateCommand, (input: { CertificateArn?: string }) => ({
      Certificate: {
        CertificateArn: input.CertificateArn,
        Status: this.certificateStatus,
        DomainName: this.certificateNames.domainName,
        SubjectAlternativeNames: [...this.certificateNames.subjectAlternativeNames],
        Type: 'AMAZON_ISSUED',
      },
    }));

    const cognito = on(CognitoIdentityProviderClient);
    // Cognito API reference: DescribeUserPool / DescribeUserPoolClient answer ResourceNotFoundException
    // for a pool or client that does not exist in the Region called.
    const cognitoNotFound = (what: string) =>
      Object.assign(new Error(`${what} does not exist.`), { name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    const poolId = this.config.cognito.userPoolId;
    handle(cognito, DescribeUserPoolCommand, (input: { UserPoolId?: string }) => {
      if (input.UserPoolId !== poolId || this.cognitoMissing === 'user-pool') throw cognitoNotFound(`User pool ${input.UserPoolId}`);
      return {
        UserPool: {
          Id: poolId,
          Name: 'portforge-dr-user-pool',
          Arn: `arn:aws:cognito-idp:${this.config.standbyRegion}:123456789012:userpool/${poolId}`,
          Status: 'Enabled',
        },
      };
    });
    handle(cognito, DescribeUserPoolClientCommand, (input: { UserPoolId?: string; ClientId?: string }) => {
      if (input.UserPoolId !== poolId || this.cognitoMissing === 'user-pool') throw cognitoNotFound(`User pool ${input.UserPoolId}`);
      if (input.ClientId !== this.config.cognito.appClientId || this.cognitoMissing === 'app-client') throw cognitoNotFound(`User pool client ${input.ClientId}`);
      return { UserPoolClient: { UserPoolId: poolId, ClientId: input.ClientId, ClientName: 'portforge-dr-client' } };
    });

    const cf = on(CloudFrontClient);
    handle(cf, GetDistributionConfigCommand, () => ({
      DistributionConfig: structuredClone(this.distribution.config),
      ETag: `E${this.distribution.etag}`,
    }));
    handle(cf, UpdateDistributionCommand, (input: { IfMatch?: string; DistributionConfig?: DistributionConfig }) => {
      if (input.IfMatch !== `E${this.distribution.etag}`) {
        throw new PreconditionFailed({ message: 'The request failed because it didn\'t meet the preconditions', $metadata: { httpStatusCode: 412 } });
      }
      const before = this.behaviorOrigins();
      this.distribution.config = structuredClone(input.DistributionConfig ?? this.distribution.config);
      this.distribution.etag += 1;
      this.distribution.updatedAt = this.now();
      const after = this.behaviorOrigins();
      const moved = Object.keys(after).filter((k) => after[k] !== before[k]);
      this.effects.push({ kind: 'cloudfront-update', detail: moved.sort().join(',') });
      return { ETag: `E${this.distribution.etag}`, Distribution: { Id: this.config.cloudfront.distributionId, Status: 'InProgress' } };
    });
    handle(cf, GetDistributionCommand, () => ({
      Distribution: { Id: this.config.cloudfront.distributionId, Status: this.distributionStatus() },
      ETag: `E${this.distribution.etag}`,
    }));

    const r53 = on(Route53Client);
    const zoneFor = (id: string | undefined) => {
      const zone = this.zones.get((id ?? '').replace(/^\/hostedzone\//, ''));
      if (!zone) throw new NoSuchHostedZone({ message: `No hosted zone found with ID: ${id ?? ''}`, $metadata: { httpStatusCode: 404 } });
      return zone;
    };
    handle(r53, ListResourceRecordSetsCommand, (input: { HostedZoneId?: string; StartRecordName?: string; StartRecordType?: string; StartRecordIdentifier?: string; MaxItems?: number }) =>
      zoneFor(input.HostedZoneId).list(input),
    );
    handle(r53, ChangeResourceRecordSetsCommand, (input: { HostedZoneId?: string; ChangeBatch?: { Changes?: Route53Change[] } }) => {
      const zone = zoneFor(input.HostedZoneId);
      // Route 53 API reference, PriorRequestNotComplete: while Route 53 is still processing a request for a
      // hosted zone it rejects the next request for the same zone. (It does not publish how long processing takes.)
      const busy = [...this.changes.values()].some((c) => c.zoneId === zone.id && this.now() - c.submittedAt < this.timing.route53ProcessingSeconds * 1000);
      if (busy) {
        throw new PriorRequestNotComplete({ message: 'The request was rejected because Route 53 was still processing a prior request.', $metadata: { httpStatusCode: 400 } });
      }
      // All or nothing: an InvalidChangeBatch leaves the zone as it was.
      const applied = zone.change(input.ChangeBatch?.Changes ?? []);
      for (const set of applied) {
        this.effects.push({ kind: 'dns-upsert', detail: `${set.Name ?? ''} ${set.Type ?? ''}${set.SetIdentifier ? ` ${set.SetIdentifier}` : ''}` });
      }
      const id = `/change/C${String(this.nextChange++).padStart(6, '0')}`;
      this.changes.set(id.replace('/change/', ''), { submittedAt: this.now(), zoneId: zone.id });
      return { ChangeInfo: { Id: id, Status: 'PENDING', SubmittedAt: new Date() } };
    });
    handle(r53, GetChangeCommand, (input: { Id?: string }) => {
      const key = (input.Id ?? '').replace('/change/', '');
      const change = this.changes.get(key);
      if (!change) throw Object.assign(new Error(`No change ${key}`), { name: 'NoSuchChange', $metadata: {} });
      const insync = !this.dnsNeverInsync && this.now() - change.submittedAt >= this.timing.route53InsyncSeconds * 1000;
      const status = insync ? 'INSYNC' : 'PENDING';
      return { ChangeInfo: { Id: input.Id, Status: status, SubmittedAt: new Date() } };
    });

    const sns = on(SNSClient);
    handle(sns, PublishCommand, (input: { Subject?: string; Message?: string }) => {
      const entry = { subject: input.Subject, message: JSON.parse(input.Message ?? 'null') as unknown };
      this.published.push(entry);
      this.onPublish?.({ ...entry, raw: input.Message ?? '' });
      return { MessageId: `msg-${this.published.length}` };
    });

    const secrets = on(SecretsManagerClient);
    handle(secrets, GetSecretValueCommand, (input: { SecretId?: string }) => {
      const name = this.resolveSecretId(input.SecretId ?? '');
      if (name === undefined) throw new ResourceNotFoundException({ message: `Secrets Manager can't find the specified secret.`, $metadata: {} });
      return { ARN: this.secretArn(name), Name: name, SecretString: this.secrets.get(name) };
    });

    const sfn = on(SFNClient);
    const settle = (token: string | undefined, how: (waiter: { resolve: (o: unknown) => void; reject: (e: Error) => void }) => void) => {
      const waiter = this.taskTokens.get(token ?? '');
      if (!waiter || waiter.settled) throw new TaskTimedOut({ message: 'Task Timed Out: the task token is no longer valid', $metadata: {} });
      waiter.settled = true;
      how(waiter);
      return {};
    };
    handle(sfn, SendTaskSuccessCommand, (input: { taskToken?: string; output?: string }) =>
      settle(input.taskToken, (w) => w.resolve(JSON.parse(input.output ?? 'null') as unknown)),
    );
    handle(sfn, SendTaskFailureCommand, (input: { taskToken?: string; error?: string; cause?: string }) =>
      settle(input.taskToken, (w) => w.reject(Object.assign(new Error(input.cause ?? ''), { name: input.error ?? 'TaskFailed' }))),
    );
  }

  /**
   * A secret's complete ARN: Secrets Manager appends a hyphen and six random characters to the
   * name (Secrets Manager user guide, "Finding a secret from a partial ARN"). The world derives
   * the six characters from the name, so they are stable across runs.
   */
  secretArn(name: string): string {
    const digest = createHash('sha256').update(name).digest('base64').replace(/[^A-Za-z0-9]/g, '');
    return `arn:aws:secretsmanager:${this.config.standbyRegion}:${WORLD_ACCOUNT}:secret:${name}-${digest.slice(0, 6)}`;
  }

  /**
   * The secret a `SecretId` names, as Secrets Manager resolves it (GetSecretValue API reference,
   * SecretId; user guide, "Finding a secret from a partial ARN"): a name matches exactly; an ARN
   * whose resource ends in a hyphen and six characters is taken as a complete ARN, suffix
   * included; any other ARN is a partial ARN and matches by name. So a secret whose own name ends
   * in a hyphen and six characters cannot be found by its partial ARN.
   */
  private resolveSecretId(id: string): string | undefined {
    const names = [...this.secrets.keys()];
    const arn = /^arn:aws:secretsmanager:([^:]+):(\d{12}):secret:(.+)$/.exec(id);
    if (!arn) return names.find((name) => name === id);
    const [, region, account, resource = ''] = arn;
    if (region !== this.config.standbyRegion || account !== WORLD_ACCOUNT) return undefined;
    if (/-[A-Za-z0-9]{6}$/.test(resource)) return names.find((name) => this.secretArn(name) === id);
    return names.find((name) => name === resource);
  }

  distributionStatus(): 'Deployed' | 'InProgress' {
    const { updatedAt } = this.distribution;
    if (updatedAt === null) return 'Deployed';
    return !this.cloudfrontNeverDeploys && this.now() - updatedAt >= this.timing.cloudfrontDeploySeconds * 1000 ? 'Deployed' : 'InProgress';
  }
}

/**
 * How late the datapoint of the period starting at `periodStart` becomes visible: 1 to 3
 * minutes, varying by period but the same on every run (deterministic, so RTOs repeat).
 */
function metricDelayMs(periodStart: number, t: TimingModel): number {
  const spread = t.metricDelayMaxSeconds - t.metricDelayMinSeconds;
  const step = Math.floor(periodStart / 60_000);
  return (t.metricDelayMinSeconds + (spread === 0 ? 0 : (step * 37) % (spread + 1))) * 1000;
}

/** The longest common parent domain of a zone's record names (at least two labels): the zone's name. */
function commonDomain(names: string[]): string {
  const split = names.map((n) => n.split('.').reverse());
  const first = split[0] ?? ['org', 'example'];
  let common = 0;
  while (common < first.length - 1 && split.every((labels) => labels[common] === first[common] && labels.length > common + 1)) common += 1;
  return first.slice(0, Math.max(common, 2)).reverse().join('.');
}

/** A realistic distribution: a Seoul origin and a Tokyo origin per configured behaviour. */
function initialDistributionConfig(config: EnvironmentConfig): DistributionConfig {
  const drOrigins = [...new Set(config.cloudfront.behaviors.map((b) => b.drOriginId))];
  const primaryOf = (dr: string) => `${dr}-primary`;
  const behavior = (pathPattern: string, origin: string) => ({
    PathPattern: pathPattern,
    TargetOriginId: origin,
    ViewerProtocolPolicy: 'redirect-to-https' as const,
    CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
    Compress: true,
  });
  const byPattern = new Map(config.cloudfront.behaviors.map((b) => [b.pathPattern, b.drOriginId]));
  const patterns = [...byPattern.keys()].filter((p) => p !== '*');
  return {
    CallerReference: 'portforge',
    Comment: 'portforge front',
    Enabled: true,
    Aliases: { Quantity: 1, Items: ['www.portforge.org'] },
    Origins: {
      Quantity: drOrigins.length * 2,
      Items: drOrigins.flatMap((id) => [
        { Id: primaryOf(id), DomainName: `${primaryOf(id)}.ap-northeast-2.example.com`, OriginPath: '', CustomHeaders: { Quantity: 0 } },
        { Id: id, DomainName: `${id}.ap-northeast-1.example.com`, OriginPath: '', CustomHeaders: { Quantity: 0 } },
      ]),
    },
    DefaultCacheBehavior: behavior('*', primaryOf(byPattern.get('*') ?? drOrigins[0] ?? 'origin')),
    CacheBehaviors: {
      Quantity: patterns.length,
      Items: patterns.map((p) => behavior(p, primaryOf(byPattern.get(p) ?? ''))),
    },
    ViewerCertificate: { ACMCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/edge', SSLSupportMethod: 'sni-only' },
    PriceClass: 'PriceClass_200',
  };
}

type RoleRule = { resources?: string[]; resourceNames?: string[]; verbs?: string[] };

/** The Role in k8s/auth-cutover-rbac.yaml, as the stand-in's RBAC rules. */
export function shippedRbac(): { configmaps?: RbacRule; deployments?: RbacRule } {
  const docs = loadAllYaml(fs.readFileSync(path.join(__dirname, '..', 'k8s', 'auth-cutover-rbac.yaml'), 'utf8')) as Array<{ kind?: string; rules?: RoleRule[] }>;
  const rules = docs.find((d) => d.kind === 'Role')?.rules ?? [];
  const rule = (resource: string): RbacRule | undefined => {
    const r = rules.find((x) => x.resources?.includes(resource));
    return r ? { verbs: (r.verbs ?? []) as RbacRule['verbs'], resourceNames: r.resourceNames ?? [] } : undefined;
  };
  return { configmaps: rule('configmaps'), deployments: rule('deployments') };
}
