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
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { EnvironmentConfig, RuntimeTargets } from '../stacks/config';
import { KubeApiStandIn } from './kube-api-server';

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
}

/** Static credentials for the simulated account: the Kubernetes steps presign STS URLs with them. */
export const WORLD_CREDENTIALS = { accessKeyId: 'AKIDLOCALDRILL', secretAccessKey: 'local-drill-secret-key' };

interface Replica {
  status: string;
  source: string | null;
  /** Describe calls left before a requested promotion moves to its next status. */
  stepsLeft: number;
  promotionPhases: string[];
}

interface Distribution {
  config: DistributionConfig;
  etag: number;
  status: 'Deployed' | 'InProgress';
  pollsLeft: number;
}

/** How many polls each asynchronous operation takes to finish. */
export interface WorldTiming {
  /** Describe calls while the status still lags the promote call, then per phase. */
  promotionPollsPerPhase: number;
  distributionPolls: number;
  dnsPolls: number;
}

const DEFAULT_TIMING: WorldTiming = { promotionPollsPerPhase: 1, distributionPolls: 1, dnsPolls: 1 };

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
  readonly records = new Map<string, ResourceRecordSet>();
  readonly changes = new Map<string, { pollsLeft: number }>();
  readonly replica: Replica;
  readonly distribution: Distribution;
  readonly tables = new Map<string, { status: string; replicas: Array<{ region: string; status: string }> }>();
  replicaLagSeconds = 0;
  clusterStatus = 'ACTIVE';
  certificateStatus = 'ISSUED';
  /** Called before each AWS command is answered: tests use it to check invariants at that moment. */
  beforeCall: ((command: string, input: unknown) => void) | undefined;
  /** Faults: command name → errors to throw on its next calls. */
  private readonly faults = new Map<string, Error[]>();
  private readonly stubs: Stub[] = [];
  private kubeEndpoint: { endpoint: string; caData: string } | undefined;
  private nextChange = 1;

  constructor(
    readonly config: EnvironmentConfig,
    readonly targets: RuntimeTargets,
    readonly timing: WorldTiming = DEFAULT_TIMING,
  ) {
    this.replica = { status: 'available', source: config.rds.primaryInstanceId, stepsLeft: 0, promotionPhases: [] };
    for (const table of config.dynamodb.tables) {
      this.tables.set(table, {
        status: 'ACTIVE',
        replicas: [
          { region: config.primaryRegion, status: 'ACTIVE' },
          { region: config.standbyRegion, status: 'ACTIVE' },
        ],
      });
    }
    this.distribution = { config: initialDistributionConfig(config), etag: 1, status: 'Deployed', pollsLeft: 0 };
    for (const record of targets.records) {
      this.records.set(recordKey(record.name, record.type), {
        Name: `${record.name}.`,
        Type: record.type,
        AliasTarget: { DNSName: 'portforge-alb-seoul.ap-northeast-2.elb.amazonaws.com.', HostedZoneId: 'ZWKZPGTI48KDX', EvaluateTargetHealth: true },
      });
    }
    this.kube = new KubeApiStandIn({ rolloutDelayMs: 30 });
    this.kube.seedConfigMap(config.eks.namespace, config.eks.configMapName, {
      AWS_REGION: config.primaryRegion,
      COGNITO_REGION: config.primaryRegion,
      COGNITO_USER_POOL_ID: `${config.primaryRegion}_PrimaryPool`,
      COGNITO_APP_CLIENT_ID: 'primary-client',
      LOG_LEVEL: 'info',
    });
    this.kube.seedDeployment(config.eks.namespace, config.eks.deploymentName, { replicas: 2 });
  }

  /** Starts the Kubernetes stand-in and installs the AWS command handlers. */
  async start(): Promise<void> {
    this.kubeEndpoint = await this.kube.start();
    process.env.AWS_ACCESS_KEY_ID = WORLD_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = WORLD_CREDENTIALS.secretAccessKey;
    this.install();
  }

  async stop(): Promise<void> {
    for (const stub of this.stubs) stub.restore();
    this.stubs.length = 0;
    await this.kube.stop();
  }

  /** The next `count` calls of `command` throw `error` (e.g. throttling, PreconditionFailed). */
  failNext(command: string, count: number, error: () => Error): void {
    const queue = this.faults.get(command) ?? [];
    for (let i = 0; i < count; i++) queue.push(error());
    this.faults.set(command, queue);
  }

  mutatingCalls(): AwsCall[] {
    return this.calls.filter((c) => MUTATING_COMMANDS.has(c.command));
  }

  callsOf(command: string): AwsCall[] {
    return this.calls.filter((c) => c.command === command);
  }

  /** Where each configured record points now. */
  dnsTargets(): Record<string, string | undefined> {
    return Object.fromEntries(
      this.targets.records.map((r) => [r.name, this.records.get(recordKey(r.name, r.type))?.AliasTarget?.DNSName]),
    );
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
    const handle = <I = any>(stub: Stub, command: { name: string }, fn: (input: I) => unknown) => {
      const name = command.name;
      stub.on(command as never).callsFake(
        async (input: I) => {
          await Promise.resolve();
          this.calls.push({ command: name, input: structuredClone(input) });
          this.beforeCall?.(name, input);
          const fault = this.faults.get(name)?.shift();
          if (fault) throw fault;
          return fn(input);
        },
      );
    };

    const rds = on(RDSClient);
    handle(rds, DescribeDBInstancesCommand, (input: { DBInstanceIdentifier?: string }) => {
      if (input.DBInstanceIdentifier !== this.config.rds.replicaInstanceId) {
        throw new DBInstanceNotFoundFault({ message: `DBInstance ${input.DBInstanceIdentifier} not found`, $metadata: {} });
      }
      this.advancePromotion();
      const r = this.replica;
      return {
        DBInstances: [
          {
            DBInstanceIdentifier: this.config.rds.replicaInstanceId,
            DBInstanceStatus: r.status,
            ReadReplicaSourceDBInstanceIdentifier: r.source ?? undefined,
            StatusInfos: r.source ? [{ StatusType: 'read replication', Status: 'replicating', Normal: true }] : [],
          },
        ],
      };
    });
    handle(rds, PromoteReadReplicaCommand, () => {
      const r = this.replica;
      if (r.status === 'backing-up' || r.promotionPhases.length > 0 || r.source === null) {
        throw new InvalidDBInstanceStateFault({ message: `DB instance is not in a state that allows promotion (${r.status})`, $metadata: {} });
      }
      // The status lags the call, then goes through modifying and rebooting to a standalone instance.
      r.promotionPhases = ['available', 'modifying', 'rebooting', 'standalone'];
      r.stepsLeft = this.timing.promotionPollsPerPhase;
      return { DBInstance: { DBInstanceIdentifier: this.config.rds.replicaInstanceId } };
    });

    const cw = on(CloudWatchClient);
    handle(cw, GetMetricDataCommand, (input: { MetricDataQueries?: Array<{ Id?: string; MetricStat?: { Metric?: { MetricName?: string } } }> }) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
        Id: q.Id,
        Timestamps: [new Date()],
        Values: [q.MetricStat?.Metric?.MetricName === 'ReplicaLag' ? this.replicaLagSeconds : 250],
      })),
    }));

    const ddb = on(DynamoDBClient);
    handle(ddb, DescribeTableCommand, (input: { TableName?: string }) => {
      const table = this.tables.get(input.TableName ?? '');
      if (!table) throw Object.assign(new Error(`Table ${input.TableName} not found`), { name: 'ResourceNotFoundException', $metadata: {} });
      return {
        Table: {
          TableName: input.TableName,
          TableStatus: table.status,
          Replicas: table.replicas.map((r) => ({ RegionName: r.region, ReplicaStatus: r.status })),
        },
      };
    });
    handle(ddb, GetItemCommand, (input: { Key?: Record<string, AttributeValue> }) => ({ Item: this.lock.get(input.Key?.lockId?.S ?? '') }));
    handle(ddb, PutItemCommand, (input: { Item?: Record<string, AttributeValue>; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
      const item = input.Item ?? {};
      const id = item.lockId?.S ?? '';
      const current = this.lock.get(id);
      const now = Number(input.ExpressionAttributeValues?.[':now']?.N ?? 0);
      const me = input.ExpressionAttributeValues?.[':me']?.S;
      if (current && Number(current.expiresAt?.N ?? 0) >= now && current.executionId?.S !== me) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: current });
      }
      this.lock.set(id, item);
      return {};
    });
    handle(ddb, DeleteItemCommand, (input: { Key?: Record<string, AttributeValue>; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
      const id = input.Key?.lockId?.S ?? '';
      if (this.lock.get(id)?.executionId?.S !== input.ExpressionAttributeValues?.[':me']?.S) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      }
      this.lock.delete(id);
      return {};
    });

    const eks = on(EKSClient);
    handle(eks, DescribeClusterCommand, (input: { name?: string }) => ({
      cluster: {
        name: input.name,
        status: this.clusterStatus,
        endpoint: this.kubeEndpoint?.endpoint,
        certificateAuthority: { data: this.kubeEndpoint?.caData },
      },
    }));

    const acm = on(ACMClient);
    handle(acm, DescribeCertificateCommand, (input: { CertificateArn?: string }) => ({
      Certificate: { CertificateArn: input.CertificateArn, Status: this.certificateStatus, DomainName: '*.portforge.org' },
    }));

    const cognito = on(CognitoIdentityProviderClient);
    handle(cognito, DescribeUserPoolCommand, (input: { UserPoolId?: string }) => ({ UserPool: { Id: input.UserPoolId, Name: 'portforge-dr-user-pool' } }));
    handle(cognito, DescribeUserPoolClientCommand, (input: { UserPoolId?: string; ClientId?: string }) => ({
      UserPoolClient: { UserPoolId: input.UserPoolId, ClientId: input.ClientId, ClientName: 'portforge-dr-client' },
    }));

    const cf = on(CloudFrontClient);
    handle(cf, GetDistributionConfigCommand, () => ({
      DistributionConfig: structuredClone(this.distribution.config),
      ETag: `E${this.distribution.etag}`,
    }));
    handle(cf, UpdateDistributionCommand, (input: { IfMatch?: string; DistributionConfig?: DistributionConfig }) => {
      if (input.IfMatch !== `E${this.distribution.etag}`) {
        throw new PreconditionFailed({ message: 'The request failed because it didn\'t meet the preconditions', $metadata: { httpStatusCode: 412 } });
      }
      this.distribution.config = structuredClone(input.DistributionConfig ?? this.distribution.config);
      this.distribution.etag += 1;
      this.distribution.status = 'InProgress';
      this.distribution.pollsLeft = this.timing.distributionPolls;
      return { ETag: `E${this.distribution.etag}`, Distribution: { Id: this.config.cloudfront.distributionId, Status: 'InProgress' } };
    });
    handle(cf, GetDistributionCommand, () => {
      if (this.distribution.status === 'InProgress' && --this.distribution.pollsLeft < 0) this.distribution.status = 'Deployed';
      return { Distribution: { Id: this.config.cloudfront.distributionId, Status: this.distribution.status }, ETag: `E${this.distribution.etag}` };
    });

    const r53 = on(Route53Client);
    handle(r53, ListResourceRecordSetsCommand, (input: { StartRecordName?: string; StartRecordType?: string }) => {
      const record = this.records.get(recordKey(input.StartRecordName ?? '', input.StartRecordType ?? ''));
      return { ResourceRecordSets: record ? [structuredClone(record)] : [], IsTruncated: false, MaxItems: 1 };
    });
    handle(r53, ChangeResourceRecordSetsCommand, (input: { ChangeBatch?: { Changes?: Array<{ Action?: string; ResourceRecordSet?: ResourceRecordSet }> } }) => {
      for (const change of input.ChangeBatch?.Changes ?? []) {
        const set = change.ResourceRecordSet;
        if (change.Action === 'UPSERT' && set?.Name && set.Type) this.records.set(recordKey(set.Name, set.Type), structuredClone(set));
      }
      const id = `/change/C${String(this.nextChange++).padStart(6, '0')}`;
      this.changes.set(id.replace('/change/', ''), { pollsLeft: this.timing.dnsPolls });
      return { ChangeInfo: { Id: id, Status: 'PENDING', SubmittedAt: new Date() } };
    });
    handle(r53, GetChangeCommand, (input: { Id?: string }) => {
      const key = (input.Id ?? '').replace('/change/', '');
      const change = this.changes.get(key);
      if (!change) throw Object.assign(new Error(`No change ${key}`), { name: 'NoSuchChange', $metadata: {} });
      const status = --change.pollsLeft < 0 ? 'INSYNC' : 'PENDING';
      return { ChangeInfo: { Id: input.Id, Status: status, SubmittedAt: new Date() } };
    });

    const sns = on(SNSClient);
    handle(sns, PublishCommand, (input: { Subject?: string; Message?: string }) => {
      this.published.push({ subject: input.Subject, message: JSON.parse(input.Message ?? 'null') as unknown });
      return { MessageId: `msg-${this.published.length}` };
    });
  }

  private advancePromotion(): void {
    const r = this.replica;
    if (r.promotionPhases.length === 0) return;
    if (r.stepsLeft > 0) {
      r.stepsLeft -= 1;
      return;
    }
    const phase = r.promotionPhases.shift();
    r.stepsLeft = this.timing.promotionPollsPerPhase;
    if (phase === 'standalone') {
      r.status = 'available';
      r.source = null;
    } else if (phase) {
      r.status = phase;
    }
  }
}

function recordKey(name: string, type: string): string {
  return `${name.toLowerCase().replace(/\.$/, '')}|${type}`;
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
