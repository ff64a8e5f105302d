import type { mockClient } from 'aws-sdk-client-mock';
import type { EnvironmentConfig, RuntimeTargets } from '../../stacks/config';
import { LocalDynamoDb, type Item } from '../dynamodb-local';
import { KubeApiStandIn, KubernetesRequestLog } from '../kube';
import { DEFAULT_TIMING, type TimingModel } from '../timing';
import { installAcm } from './acm';
import type { CallAuthorizer, IamDenial } from './authorization';
import { behaviorOrigins, distributionStatus, installCloudFront, removeDrOrigin, restoreDrOrigin, type Distribution } from './cloudfront';
import { installCloudWatch } from './cloudwatch';
import { installCognito } from './cognito';
import { degradeTableAfterPreflight, installDynamoDb, lockItemHeldBy, primaryReplicasInaccessibleSince, type GlobalTable } from './dynamodb';
import { authPatchedAndRolled, installEks, kubernetesEffects, setClusterAuthenticationMode } from './eks';
import { installEndpoint, noteDnsAnswer, resolvedRegion } from './endpoint';
import { callsOf, FaultSchedule, mutatingCalls, type AwsCall } from './faults';
import { certificateNamesFor, initialDistributionConfig, kubernetesStepsIdentity, seedKube, seedZones, shippedRbac, WORLD_CREDENTIALS, WORLD_SLACK } from './fixtures';
import { applyLagAt, databaseRole, installRds, lastHealthyReplicaLagAt, replicaStatus, replicaStatusInfos, replicationStoppedAt, type Replica } from './rds';
import { dnsTargets, installRoute53, zoneOf } from './route53';
import { canonicalName, type SimulatedHostedZone } from './route53-zone';
import { installSecretsManager, secretArn } from './secrets-manager';
import { installSfn, type TaskTokenWaiter } from './sfn';
import { installSns } from './sns';

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
  readonly tables = new Map<string, GlobalTable>();
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
  replicationStopped: number | undefined;
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
  /**
   * The lock and approvals tables: a real DynamoDB implementation, in memory, one per world
   * (taken at start, emptied and given back at stop; never shared by two started worlds). Their physical names as the stack's Lambdas are given them.
   */
  private localDynamo: LocalDynamoDb | undefined;
  /** The world's requests to it, one at a time and in the order they were made. */
  private dynamoQueue: Promise<unknown> = Promise.resolve();
  lockTable = '';
  approvalsTable = '';
  /** Task tokens the state machine waits on, with how to settle them. */
  readonly taskTokens = new Map<string, TaskTokenWaiter>();
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
  readonly faults = new FaultSchedule();
  /** IAM: authorizes each call for the Lambda that sends it (the drill sets it; unset, every call is answered). */
  authorizer: CallAuthorizer | undefined;
  /** Every call and Task invocation IAM refused, in order. */
  readonly iamDenials: IamDenial[] = [];
  /** The stubbed SDK clients (restored by stop()). */
  readonly stubs: Stub[] = [];
  /** Every SDK command class the world answers (e.g. `PromoteReadReplicaCommand`). */
  readonly commands = new Set<string>();
  kubeEndpoint: { endpoint: string; caData: string } | undefined;
  /** Kubernetes API requests as their callers sent them, each attributed to its invocation (set by start()). */
  kubeRequests: KubernetesRequestLog | undefined;
  realFetch: typeof fetch | undefined;
  /** What the Slack incoming webhook received (the Block Kit payloads). */
  readonly slackPosts: unknown[] = [];
  /** Health checks of the endpoint URL: the status (0: no answer) and the Region that answered. */
  readonly endpointChecks: Array<{ at: number; status: number; region: string }> = [];
  /** The endpoint host's DNS answer: what Route 53 says now, what resolvers held before, and since when. */
  dnsAnswer: { answer: string; previous: string; changedAt: number | null };
  nextChange = 1;
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
    this.certificateNames = certificateNamesFor(targets);
    seedZones(this);
    // The cluster enforces the RBAC manifest the project ships, for the identity the stack's access
    // entry maps the Kubernetes steps' role to: a step needing more fails the drill.
    this.kube = new KubeApiStandIn({
      rolloutDelayMs: timing.rolloutSeconds * 1000,
      now: () => this.now(),
      rbac: shippedRbac(),
      identity: kubernetesStepsIdentity(config),
      // The Deployment controller reconciles a spec change asynchronously; about a second when idle.
      observeDelayMs: 1000,
    });
    seedKube(this.kube, config);
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
    // Before the drill's simulated clock is installed: dynalite makes a new table ACTIVE on a timer.
    const local = await LocalDynamoDb.acquireForConfig(this.config);
    this.localDynamo = local;
    const tableKeyed = (key: string) => local.tables.find((t) => t.keySchema.some((k) => k.KeyType === 'HASH' && k.AttributeName === key))?.tableName ?? '';
    this.lockTable = tableKeyed('lockId');
    this.approvalsTable = tableKeyed('approvalId');
    this.kubeEndpoint = await this.kube.start();
    this.kubeRequests = new KubernetesRequestLog(this.kubeEndpoint.endpoint, () => this.now());
    this.kubeRequests.start();
    installEndpoint(this);
    process.env.AWS_ACCESS_KEY_ID = WORLD_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = WORLD_CREDENTIALS.secretAccessKey;
    this.install();
  }

  async stop(): Promise<void> {
    for (const stub of this.stubs) stub.restore();
    this.stubs.length = 0;
    this.kubeRequests?.stop();
    await this.kube.stop();
    const local = this.localDynamo;
    this.localDynamo = undefined;
    if (local) {
      await this.dynamoQueue;
      await local.release();
    }
    if (this.realFetch) globalThis.fetch = this.realFetch;
    this.realFetch = undefined;
  }

  /** Installs every service's command handlers; each answers through dispatch.handle. */
  private install(): void {
    installRds(this);
    installCloudWatch(this);
    installDynamoDb(this);
    installEks(this);
    installAcm(this);
    installCognito(this);
    installCloudFront(this);
    installRoute53(this);
    installSns(this);
    installSecretsManager(this);
    installSfn(this);
  }

  // ---- the endpoint and its DNS answer (endpoint.ts) ----

  /** The Region a DNS resolver sends the endpoint's host to now. */
  resolvedRegion(): string {
    return resolvedRegion(this);
  }

  /** Records when the endpoint's authoritative answer changes (checked after every AWS call). */
  noteDnsAnswer(): void {
    noteDnsAnswer(this);
  }

  /** The DR side serves only once the database is writable, Auth reads the standby config and DNS points there. */
  drServing(): boolean {
    const dnsSwitched = Object.values(this.dnsTargets()).every((t) => t === canonicalName(this.config.route53.aliasTarget.dnsName));
    return this.databaseRole() === 'standalone (writable)' && this.authPatchedAndRolled() && dnsSwitched;
  }

  // ---- RDS (rds.ts) ----

  /** The replica's status as RDS reports it at this simulated moment. */
  replicaStatus(): { status: string; source: string | null } {
    return replicaStatus(this);
  }

  /** Standalone and writable, or a read replica (with its status). */
  databaseRole(): string {
    return databaseRole(this);
  }

  /** When replication from the primary stopped (null with a healthy primary). */
  replicationStoppedAt(): number | null {
    return replicationStoppedAt(this);
  }

  /** The replica's StatusInfos as DescribeDBInstances reports them. */
  replicaStatusInfos(): Array<{ StatusType: string; Status: string; Normal: boolean; Message?: string }> {
    return replicaStatusInfos(this);
  }

  /** The timestamp (period start) of the last ReplicaLag datapoint taken while replication ran; null if it never stopped. */
  lastHealthyReplicaLagAt(): number | null {
    return lastHealthyReplicaLagAt(this);
  }

  /** The replica's apply lag right now (-1: replication not running). */
  currentReplicaLag(): number {
    return applyLagAt(this, this.now());
  }

  // ---- EKS and the cluster (eks.ts) ----

  authPatchedAndRolled(): boolean {
    return authPatchedAndRolled(this);
  }

  /** Successful mutations the Kubernetes stand-in accepted. */
  kubernetesEffects(): Effect[] {
    return kubernetesEffects(this);
  }

  /** The cluster's authentication mode (CONFIG_MAP: the cutover role's access entry is ignored, 401). */
  setClusterAuthenticationMode(mode: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP'): void {
    setClusterAuthenticationMode(this, mode);
  }

  // ---- DynamoDB (dynamodb.ts) ----

  /**
   * Runs `work` against the lock and approvals tables after every earlier request to them, so a
   * change made without awaiting it (a scenario's arrangement) is in place before the next command.
   */
  dynamo<T>(work: (local: LocalDynamoDb) => Promise<T>): Promise<T> {
    const run = this.dynamoQueue.then(() => {
      if (!this.localDynamo) throw new Error('the world is not started: its DynamoDB tables are served between start() and stop()');
      return work(this.localDynamo);
    });
    this.dynamoQueue = run.catch(() => undefined);
    return run;
  }

  /** Another execution holds the environment's lock for the next hour (from now, simulated). */
  holdLock(executionId: string): Promise<void> {
    const item = lockItemHeldBy(this, executionId);
    return this.dynamo((local) => local.put(this.lockTable, item));
  }

  /** Nobody holds the lock (healing a scenario). */
  async clearLock(): Promise<void> {
    await this.dynamo((local) => local.clear(this.lockTable));
  }

  /** The environment's lock item (or another lock id's), as a strongly consistent read sees it. */
  lockItem(lockId: string = this.config.name): Promise<Item | undefined> {
    return this.dynamo((local) => local.get(this.lockTable, { lockId: { S: lockId } }));
  }

  /** Every item of the lock table. */
  lockItems(): Promise<Item[]> {
    return this.dynamo((local) => local.scan(this.lockTable));
  }

  /** Every item of the approvals table. */
  approvalItems(): Promise<Item[]> {
    return this.dynamo((local) => local.scan(this.approvalsTable));
  }

  /** Writes an item unconditionally (seeding a scenario): not a change the product made. */
  putItem(tableName: string, item: Item): Promise<void> {
    return this.dynamo((local) => local.put(tableName, item));
  }

  /** The primary Region's replicas have been inaccessible since `at` (simulated ms), with this status. */
  primaryReplicasInaccessibleSince(at: number, status: 'REGION_DISABLED' | 'INACCESSIBLE_ENCRYPTION_CREDENTIALS' = 'REGION_DISABLED'): void {
    primaryReplicasInaccessibleSince(this, at, status);
  }

  /** Every standby table reads UPDATING once preflight has read it (one describe per table). */
  degradeTableAfterPreflight(): void {
    degradeTableAfterPreflight(this);
  }

  // ---- CloudFront (cloudfront.ts) ----

  /** The distribution loses its Tokyo origins (a misconfiguration the switch must refuse). */
  removeDrOrigin(): void {
    removeDrOrigin(this);
  }

  restoreDrOrigin(): void {
    restoreDrOrigin(this);
  }

  behaviorOrigins(): Record<string, string | undefined> {
    return behaviorOrigins(this);
  }

  distributionStatus(): 'Deployed' | 'InProgress' {
    return distributionStatus(this);
  }

  // ---- Route 53 (route53.ts) ----

  /** The hosted zone a configured record lives in. */
  zoneOf(record: { hostedZoneId?: string | undefined }): SimulatedHostedZone {
    return zoneOf(this, record);
  }

  /** Where each configured record set (its exact name, type and set identifier) points now. */
  dnsTargets(): Record<string, string | undefined> {
    return dnsTargets(this);
  }

  // ---- Secrets Manager (secrets-manager.ts) ----

  /** A secret's complete ARN (the name, a hyphen and six characters). */
  secretArn(name: string): string {
    return secretArn(this, name);
  }

  // ---- effects, the call log and faults (faults.ts) ----

  /** Every accepted side effect so far, AWS and Kubernetes. */
  allEffects(): Effect[] {
    return [...this.effects, ...this.kubernetesEffects()];
  }

  /**
   * The next `count` calls of `command` (after the first `after` calls of it) throw `error`
   * (e.g. throttling, PreconditionFailed) instead of being answered.
   */
  failNext(command: string, count: number, error: () => Error, options: { after?: number } = {}): void {
    this.faults.add(command, { remaining: count, after: options.after ?? 0, answer: () => { throw error(); } });
  }

  /**
   * The next `count` calls of `command` (after the first `after`) never answer: a hung
   * connection, which only the caller's timeout (or its Lambda's) ends.
   */
  hangNext(command: string, count: number, options: { after?: number } = {}): void {
    this.faults.add(command, { remaining: count, after: options.after ?? 0, answer: () => this.idle(new Promise<never>(() => undefined)) });
  }

  /** The next `count` calls of `command` (after the first `after`) get `answer()` instead of the world's answer. */
  answerNext(command: string, count: number, answer: (input: unknown) => unknown, options: { after?: number } = {}): void {
    this.faults.add(command, { remaining: count, after: options.after ?? 0, answer });
  }

  clearFaults(): void {
    this.faults.clear();
    this.kube.clearFaults();
  }

  mutatingCalls(): AwsCall[] {
    return mutatingCalls(this.calls);
  }

  callsOf(command: string): AwsCall[] {
    return callsOf(this.calls, command);
  }
}
