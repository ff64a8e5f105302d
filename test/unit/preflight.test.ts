import 'aws-sdk-client-mock-jest';
import { ACMClient, DescribeCertificateCommand, ResourceNotFoundException as AcmNotFound } from '@aws-sdk/client-acm';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ResourceNotFoundException as CognitoNotFound,
} from '@aws-sdk/client-cognito-identity-provider';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, EKSClient, type Cluster } from '@aws-sdk/client-eks';
import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RDSServiceException,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { SimulatedHostedZone } from '../../drill/world/route53-zone';
import { preflight, type PreflightInput } from '../../functions/preflight/logic';
import { handler } from '../../functions/preflight/index';
import { setClock, type Clock } from '../../functions/shared/clock';
import type { PreflightTarget } from '../../functions/shared/contracts';
import { lambdaContext } from '../support/lambda';

const rdsMock = mockClient(RDSClient);
const cwMock = mockClient(CloudWatchClient);
const ddbMock = mockClient(DynamoDBClient);
const eksMock = mockClient(EKSClient);
const acmMock = mockClient(ACMClient);
const cognitoMock = mockClient(CognitoIdentityProviderClient);
const r53Mock = mockClient(Route53Client);
const allMocks = [rdsMock, cwMock, ddbMock, eksMock, acmMock, cognitoMock];

const fixedNow = new Date('2025-03-01T12:00:00Z');
const clock: Clock = { now: () => fixedNow };
const deps = {
  rds: new RDSClient({}),
  cw: new CloudWatchClient({}),
  ddb: new DynamoDBClient({}),
  eks: new EKSClient({}),
  acm: new ACMClient({}),
  cognito: new CognitoIdentityProviderClient({}),
  route53: new Route53Client({ region: 'us-east-1' }),
  clock,
};

const CERT = 'arn:aws:acm:ap-northeast-1:111122223333:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012';
const SOURCE = 'arn:aws:rds:ap-northeast-2:111122223333:db:portforge-test-rds';
const CLIENT_SECRET = 'super-secret-client-secret-value';
const target: PreflightTarget = {
  recordNames: ['api.portforge.org', 'auth.portforge.org'],
  eksAccess: { mode: 'public' },
  primaryRegion: 'ap-northeast-2',
  standbyRegion: 'ap-northeast-1',
  replicaInstanceId: 'portforge-dr-rds-replica',
  tables: ['team_chats_ddb', 'chat_rooms_ddb'],
  clusterName: 'portforge-dr-cluster',
  certificateArn: CERT,
  userPoolId: 'ap-northeast-1_AbCdEfGhI',
  appClientId: 'portforge-dr-client-id',
  maxReplicaLagSeconds: 0,
  dnsZones: [],
};
const input = (over: Partial<PreflightInput> = {}): PreflightInput => ({ dryRun: false, mode: 'planned', target, ...over });

const replica: DBInstance = {
  DBInstanceIdentifier: target.replicaInstanceId,
  DBInstanceStatus: 'available',
  ReadReplicaSourceDBInstanceIdentifier: SOURCE,
  BackupRetentionPeriod: 7,
  StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
};

const readyCluster: Cluster = {
  name: target.clusterName,
  status: 'ACTIVE',
  accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
  resourcesVpcConfig: { vpcId: 'vpc-0tokyo', endpointPublicAccess: true, endpointPrivateAccess: false, publicAccessCidrs: ['0.0.0.0/0'] },
};

/** A standby that is ready for a cutover. */
function givenReadyStandby(): void {
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
  cwMock.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'm0', Values: [0], Timestamps: [new Date('2025-03-01T11:59:00Z')] }],
  });
  ddbMock.on(DescribeTableCommand).callsFake((cmd: { TableName?: string }) => ({
    Table: {
      TableName: cmd.TableName,
      TableStatus: 'ACTIVE',
      Replicas: [{ RegionName: 'ap-northeast-2', ReplicaStatus: 'ACTIVE' }],
    },
  }));
  eksMock.on(DescribeClusterCommand).resolves({ cluster: readyCluster });
  acmMock.on(DescribeCertificateCommand).resolves({
    Certificate: { CertificateArn: CERT, DomainName: '*.portforge.org', SubjectAlternativeNames: ['*.portforge.org', 'portforge.org'], Status: 'ISSUED' },
  });
  cognitoMock
    .on(DescribeUserPoolCommand)
    .resolves({ UserPool: { Id: target.userPoolId, Name: 'portforge-dr-user-pool' } });
  cognitoMock.on(DescribeUserPoolClientCommand).resolves({
    UserPoolClient: { ClientId: target.appClientId, ClientName: 'portforge-dr-client', ClientSecret: CLIENT_SECRET },
  });
}

function givenLag(seconds: number): void {
  cwMock.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'm0', Values: [seconds], Timestamps: [new Date('2025-03-01T11:59:00Z')] }],
  });
}

beforeEach(() => {
  for (const m of allMocks) m.reset();
  r53Mock.reset();
  setClock(undefined);
});

describe('Preflight', () => {
  it('passes on a ready standby, sending only the expected reads', async () => {
    givenReadyStandby();

    const result = await preflight(deps, input());

    expect(result.step).toBe('Preflight');
    expect(result.outcome).toBe('verified');
    expect(result.changes).toEqual([]);
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['RDS replica', 'pass'],
      ['RDS replica backups', 'pass'],
      ['RDS replication status', 'pass'],
      ['RDS replica lag', 'pass'],
      ['DynamoDB table team_chats_ddb', 'pass'],
      ['DynamoDB table chat_rooms_ddb', 'pass'],
      ['EKS cluster', 'pass'],
      ['EKS authentication mode', 'pass'],
      ['EKS endpoint access', 'pass'],
      ['ACM certificate', 'pass'],
      ['Cognito user pool', 'pass'],
      ['Cognito app client', 'pass'],
    ]);
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: target.replicaInstanceId });
    expect(ddbMock).toHaveReceivedCommandTimes(DescribeTableCommand, 2);
    expect(ddbMock).toHaveReceivedCommandWith(DescribeTableCommand, { TableName: 'team_chats_ddb' });
    expect(ddbMock).toHaveReceivedCommandWith(DescribeTableCommand, { TableName: 'chat_rooms_ddb' });
    expect(eksMock).toHaveReceivedCommandWith(DescribeClusterCommand, { name: 'portforge-dr-cluster' });
    expect(acmMock).toHaveReceivedCommandWith(DescribeCertificateCommand, { CertificateArn: CERT });
    expect(cognitoMock).toHaveReceivedCommandWith(DescribeUserPoolCommand, { UserPoolId: target.userPoolId });
    expect(cognitoMock).toHaveReceivedCommandWith(DescribeUserPoolClientCommand, {
      UserPoolId: target.userPoolId,
      ClientId: target.appClientId,
    });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
    expect(allMocks.map((m) => m.calls().length)).toEqual([1, 1, 2, 1, 1, 2]);
  });

  it('never puts the app client secret in its output', async () => {
    givenReadyStandby();

    const result = await preflight(deps, input());

    expect(JSON.stringify(result)).not.toContain(CLIENT_SECRET);
  });

  it('passes when the replica is already promoted (re-run after a partial cutover)', async () => {
    givenReadyStandby();
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceIdentifier: target.replicaInstanceId, DBInstanceStatus: 'available' }] });

    const result = await preflight(deps, input());

    expect(result.checks).toContainEqual({ name: 'RDS replica', status: 'pass', detail: 'already promoted' });
    expect(result.checks.some((c) => c.name === 'RDS replica lag')).toBe(false);
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 0);
  });

  it('warns, without blocking, about a replica busy for its own reasons: promotion waits for it', async () => {
    givenReadyStandby();
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'modifying' }] });

    const result = await preflight(deps, input());

    const check = result.checks.find((c) => c.name === 'RDS replica');
    expect(check?.status).toBe('warn');
    expect(check?.detail).toContain('RDS refuses promotion until it is available, so promotion waits');
  });

  it('warns about storage-optimization too, rather than blocking the cutover', async () => {
    givenReadyStandby();
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'storage-optimization' }] });

    const result = await preflight(deps, input({ mode: 'emergency' }));

    expect(result.checks.find((c) => c.name === 'RDS replica')).toMatchObject({ status: 'warn', detail: expect.stringContaining('storage-optimization') });
  });

  it('reports the replica\'s backup retention, and warns when backups are off', async () => {
    givenReadyStandby();
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, BackupRetentionPeriod: 0 }] });
    const off = await preflight(deps, input({ mode: 'emergency' }));
    expect(off.checks.find((c) => c.name === 'RDS replica backups')).toMatchObject({ status: 'warn', detail: expect.stringContaining('backups off (retention 0)') });

    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, BackupRetentionPeriod: 7 }] });
    const on = await preflight(deps, input({ mode: 'emergency' }));
    expect(on.checks.find((c) => c.name === 'RDS replica backups')).toEqual({ name: 'RDS replica backups', status: 'pass', detail: 'portforge-dr-rds-replica keeps automated backups for 7 days' });
  });

  it('reports the replica\'s StatusInfos, and an error there as replication not running (lag unknown, not 0)', async () => {
    givenReadyStandby();
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ ...replica, StatusInfos: [{ StatusType: 'read replication', Status: 'error', Normal: false, Message: 'connection timed out' }] }],
    });

    const result = await preflight(deps, input({ mode: 'emergency' }));

    expect(result.checks.find((c) => c.name === 'RDS replication status')).toEqual({
      name: 'RDS replication status',
      status: 'warn',
      detail: 'replication is not running; status info: read replication error (not normal): connection timed out',
    });
    const lag = result.checks.find((c) => c.name === 'RDS replica lag');
    expect(lag?.status).toBe('warn');
    expect(lag?.detail).toContain('unknown (replication is not running');
    expect(lag?.detail).not.toContain('apply lag 0 s');
  });

  it('takes a datapoint older than 5 minutes as no current reading', async () => {
    givenReadyStandby();
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [0], Timestamps: [new Date('2025-03-01T11:54:00Z')] }] });

    await expect(preflight(deps, input({ mode: 'planned' }))).rejects.toMatchObject({ name: 'ReplicaLagTooHighError', message: expect.stringContaining('no ReplicaLag datapoint in the last 5 minutes') });
  });

  it('holds a planned cutover here, before any change, while lag is above budget (retried by the state machine)', async () => {
    givenReadyStandby();
    givenLag(9);

    await expect(preflight(deps, input({ mode: 'planned' }))).rejects.toMatchObject({
      name: 'ReplicaLagTooHighError',
      message: 'planned cutover waits for replica lag: apply lag 9 s, above the budget of 0 s; planned mode: promotion waits until it is within budget',
    });
  });

  it('holds a planned cutover while RDS reports lag -1 (replication not running)', async () => {
    givenReadyStandby();
    givenLag(-1);

    await expect(preflight(deps, input({ mode: 'planned' }))).rejects.toMatchObject({ name: 'ReplicaLagTooHighError', message: expect.stringContaining('replication is not running') });
  });

  it('only reports lag above budget in a planned dry run, which never waits', async () => {
    givenReadyStandby();
    givenLag(9);

    const result = await preflight(deps, input({ mode: 'planned', dryRun: true }));

    expect(result.checks).toContainEqual({
      name: 'RDS replica lag',
      status: 'warn',
      detail: 'apply lag 9 s, above the budget of 0 s; planned mode: promotion waits until it is within budget',
    });
  });

  it('warns about lag above budget in emergency mode and says writes may be lost', async () => {
    givenReadyStandby();
    givenLag(30);

    const result = await preflight(deps, input({ mode: 'emergency' }));

    const check = result.checks.find((c) => c.name === 'RDS replica lag');
    expect(check?.status).toBe('warn');
    expect(check?.detail).toBe('apply lag 30 s, above the budget of 0 s; emergency mode: promotion goes ahead, writes in that window may be lost');
  });

  it('throws PreflightBlockedError listing every blocker at once', async () => {
    givenReadyStandby();
    eksMock.on(DescribeClusterCommand).resolves({ cluster: { name: target.clusterName, status: 'CREATING' } });
    acmMock.on(DescribeCertificateCommand).resolves({
      Certificate: { CertificateArn: CERT, DomainName: '*.portforge.org', Status: 'PENDING_VALIDATION' },
    });

    const run = preflight(deps, input());

    await expect(run).rejects.toMatchObject({ name: 'PreflightBlockedError' });
    const message = await run.catch((e: Error) => e.message);
    expect(message).toContain('2 blockers');
    expect(message).toContain('EKS cluster: portforge-dr-cluster is CREATING');
    expect(message).toContain('ACM certificate: *.portforge.org is PENDING_VALIDATION');
    expect(message).not.toContain('Cognito');
  });

  it('blocks on missing resources instead of erroring: replica, table, certificate, app client', async () => {
    givenReadyStandby();
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));
    ddbMock.on(DescribeTableCommand, { TableName: 'chat_rooms_ddb' }).resolves({
      Table: {
        TableName: 'chat_rooms_ddb',
        TableStatus: 'ACTIVE',
        Replicas: [{ RegionName: 'ap-northeast-2', ReplicaStatus: 'CREATING' }],
      },
    });
    acmMock.on(DescribeCertificateCommand).rejects(new AcmNotFound({ message: 'not found', $metadata: {} }));
    cognitoMock.on(DescribeUserPoolClientCommand).rejects(new CognitoNotFound({ message: 'not found', $metadata: {} }));

    const message = await preflight(deps, input()).then(
      () => 'resolved',
      (e: Error) => `${e.name}: ${e.message}`,
    );

    expect(message).toMatch(/^PreflightBlockedError: /);
    expect(message).toContain('RDS replica: portforge-dr-rds-replica not found');
    expect(message).toContain('DynamoDB table chat_rooms_ddb: replicas not ACTIVE: ap-northeast-2 CREATING');
    expect(message).toContain(`ACM certificate: ${CERT} not found`);
    expect(message).toContain('Cognito app client: portforge-dr-client-id in ap-northeast-1_AbCdEfGhI not found');
    expect(message).not.toContain('team_chats_ddb');
  });

  it('blocks a planned cutover when a table has no replica in the primary Region, and only warns in an emergency', async () => {
    givenReadyStandby();
    ddbMock.on(DescribeTableCommand, { TableName: 'chat_rooms_ddb' }).resolves({
      Table: { TableName: 'chat_rooms_ddb', TableStatus: 'ACTIVE', Replicas: [{ RegionName: 'ap-northeast-1', ReplicaStatus: 'ACTIVE' }] },
    });

    await expect(preflight(deps, input({ mode: 'planned' }))).rejects.toThrow(
      'DynamoDB table chat_rooms_ddb: no replica in the primary Region ap-northeast-2',
    );
    const emergency = await preflight(deps, input({ mode: 'emergency' }));
    expect(emergency.checks.find((c) => c.name === 'DynamoDB table chat_rooms_ddb')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('no replica in the primary Region ap-northeast-2') as string,
    });
  });

  it('blocks when the cluster ignores access entries (authentication mode CONFIG_MAP), saying how to fix it', async () => {
    givenReadyStandby();
    eksMock.on(DescribeClusterCommand).resolves({ cluster: { ...readyCluster, accessConfig: { authenticationMode: 'CONFIG_MAP' } } });

    await expect(preflight(deps, input())).rejects.toThrow(
      /EKS authentication mode: portforge-dr-cluster authenticates with CONFIG_MAP only, so it ignores the cutover role's access entry; switch it to API_AND_CONFIG_MAP/,
    );
    eksMock.on(DescribeClusterCommand).resolves({ cluster: { ...readyCluster, accessConfig: { authenticationMode: 'API' } } });
    await expect(preflight(deps, input())).resolves.toMatchObject({ outcome: 'verified' });
  });

  it('blocks when the Lambdas cannot reach the cluster endpoint from where config says they run', async () => {
    givenReadyStandby();
    const withVpc = (vpc: Cluster['resourcesVpcConfig']) =>
      eksMock.on(DescribeClusterCommand).resolves({ cluster: { ...readyCluster, resourcesVpcConfig: { ...readyCluster.resourcesVpcConfig, ...vpc } } });
    const run = (eksAccess: PreflightTarget['eksAccess']) =>
      preflight(deps, input({ target: { ...target, eksAccess } })).then(() => 'passed', (e: Error) => e.message);

    withVpc({ publicAccessCidrs: ['198.51.100.0/24'] });
    expect(await run({ mode: 'public' })).toContain('EKS endpoint access: the public endpoint admits only 198.51.100.0/24, not the Lambdas\' 0.0.0.0/0');
    expect(await run({ mode: 'public', egressCidrs: ['198.51.100.7/32'] })).toBe('passed');
    expect(await run({ mode: 'public', egressCidrs: ['203.0.113.9/32'] })).toContain('not the Lambdas\' 203.0.113.9/32');
    withVpc({ endpointPublicAccess: false, endpointPrivateAccess: true });
    expect(await run({ mode: 'public' })).toContain('EKS endpoint access: the public endpoint is off');
    expect(await run({ mode: 'vpc' })).toBe('passed');
    withVpc({ endpointPublicAccess: true, endpointPrivateAccess: false });
    expect(await run({ mode: 'vpc' })).toContain('private endpoint access is off');
  });

  it('blocks when the certificate does not cover every switched record: a wildcard covers one label only', async () => {
    givenReadyStandby();
    const withNames = (domain: string, sans: string[]) =>
      acmMock.on(DescribeCertificateCommand).resolves({ Certificate: { CertificateArn: CERT, DomainName: domain, SubjectAlternativeNames: sans, Status: 'ISSUED' } });
    const run = (recordNames: string[]) =>
      preflight(deps, input({ target: { ...target, recordNames } })).then(() => 'passed', (e: Error) => e.message);

    withNames('*.portforge.org', ['*.portforge.org']);
    expect(await run(['api.portforge.org', 'AUTH.portforge.org.'])).toBe('passed');
    expect(await run(['api.staging.portforge.org'])).toContain('ACM certificate: *.portforge.org ISSUED but does not cover api.staging.portforge.org');
    expect(await run(['portforge.org'])).toContain('does not cover portforge.org');
    withNames('api.portforge.org', ['api.portforge.org']);
    expect(await run(['api.portforge.org', 'auth.portforge.org'])).toContain('does not cover auth.portforge.org');
    withNames('portforge.org', ['portforge.org', '*.staging.portforge.org']);
    expect(await run(['portforge.org', 'api.staging.portforge.org'])).toBe('passed');
  });

  it('blocks when the configured user pool is not in the standby Region', async () => {
    givenReadyStandby();

    const message = await preflight(deps, input({ target: { ...target, userPoolId: 'ap-northeast-2_SeoulPool' } })).then(
      () => 'passed',
      (e: Error) => e.message,
    );
    expect(message).toContain('Cognito user pool: ap-northeast-2_SeoulPool is a pool in ap-northeast-2, not the standby Region ap-northeast-1');
  });

  it('blocks when the replica is in a failed state', async () => {
    givenReadyStandby();
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'storage-full' }] });

    const run = preflight(deps, input({ mode: 'emergency' }));

    await expect(run).rejects.toMatchObject({ name: 'PreflightBlockedError' });
    await expect(run).rejects.toThrow('RDS replica: portforge-dr-rds-replica is storage-full');
  });

  it('makes the same reads and no change in a dry run', async () => {
    givenReadyStandby();

    const result = await preflight(deps, input({ dryRun: true }));

    expect(result).toMatchObject({ outcome: 'verified', changes: [] });
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  describe('through the real handler', () => {
    it('validates the payload and returns the checks with timings', async () => {
      setClock(clock);
      givenReadyStandby();

      const result = await handler({ dryRun: false, mode: 'emergency', target }, lambdaContext());

      expect(result).toMatchObject({
        step: 'Preflight',
        outcome: 'verified',
        startedAt: fixedNow.toISOString(),
        finishedAt: fixedNow.toISOString(),
      });
      expect(result.checks).toHaveLength(12);
      expect(JSON.stringify(result)).not.toContain(CLIENT_SECRET);
    });

    it('maps a throttled DescribeDBInstances to AwsTransientError so the state machine retries', async () => {
      givenReadyStandby();
      rdsMock.on(DescribeDBInstancesCommand).rejects(
        new RDSServiceException({
          name: 'Throttling',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      );

      const run = handler({ dryRun: false, mode: 'planned', target }, lambdaContext());

      await expect(run).rejects.toMatchObject({ name: 'AwsTransientError' });
      await expect(run).rejects.toThrow('Throttling: Rate exceeded');
    });

    it('rejects a payload with an unknown target field as StepContractError', async () => {
      await expect(
        handler({ dryRun: false, mode: 'planned', target: { ...target, replicaRegion: 'ap-northeast-2' } }, lambdaContext()),
      ).rejects.toMatchObject({ name: 'StepContractError' });
      expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 0);
    });
  });
});

describe('Preflight: the DNS records the cutover will switch', () => {
  const TOKYO = { dnsName: 'portforge-dr-alb.ap-northeast-1.elb.amazonaws.com', hostedZoneId: 'Z14GRHDCWA56QT', evaluateTargetHealth: true };
  const SEOUL = { DNSName: 'portforge-alb.ap-northeast-2.elb.amazonaws.com.', HostedZoneId: 'ZWKZPGTI48KDX', EvaluateTargetHealth: true };
  const zoneTarget = (records: PreflightTarget['dnsZones'][number]['records']) => ({ ...target, dnsZones: [{ hostedZoneId: 'Z0PORTFORGE', aliasTarget: TOKYO, records }] });
  /** A Route 53 zone answering ListResourceRecordSets as Route 53 does (sorted, paged from the start name). */
  function givenZone(sets: ResourceRecordSet[]): void {
    const zone = new SimulatedHostedZone('Z0PORTFORGE', 'portforge.org');
    for (const set of sets) zone.seed(set);
    r53Mock.on(ListResourceRecordSetsCommand).callsFake((i: object) => zone.list(i));
  }
  const checkOf = (checks: Array<{ name: string; status: string; detail: string }>) => checks.find((c) => c.name === 'Route 53 records in Z0PORTFORGE');

  it('blocks, naming the zone, when the configured hosted zone does not exist (NoSuchHostedZone)', async () => {
    givenReadyStandby();
    r53Mock.on(ListResourceRecordSetsCommand).rejects(Object.assign(new Error('No hosted zone found with ID: Z0PORTFORGE'), { name: 'NoSuchHostedZone', $metadata: { httpStatusCode: 404 } }));
    const error = await preflight(deps, input({ target: zoneTarget([{ name: 'api.portforge.org', type: 'A' }]) })).then(() => undefined, (e: Error) => e);
    expect(error?.name).toBe('PreflightBlockedError');
    expect(error?.message).toContain('Route 53 records in Z0PORTFORGE: hosted zone Z0PORTFORGE not found');
  });

  it('passes when each record set exists in its configured form, failover variant included', async () => {
    givenReadyStandby();
    givenZone([
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'seoul', Failover: 'PRIMARY', HealthCheckId: 'hc-1', AliasTarget: SEOUL },
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'secondary', Failover: 'SECONDARY', AliasTarget: { ...SEOUL, DNSName: `${TOKYO.dnsName}.` } },
      { Name: 'auth.portforge.org', Type: 'A', AliasTarget: SEOUL },
    ]);

    const result = await preflight(deps, input({ mode: 'emergency', target: zoneTarget([{ name: 'api.portforge.org', type: 'A', setIdentifier: 'seoul', failover: 'PRIMARY' }, { name: 'auth.portforge.org', type: 'A' }]) }));

    expect(checkOf(result.checks)).toEqual({ name: 'Route 53 records in Z0PORTFORGE', status: 'pass', detail: '2 records in the configured form' });
    // One sweep of the zone from the first configured name reads both.
    expect(r53Mock.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input.StartRecordName)).toEqual(['api.portforge.org']);
  });

  it('blocks on a CNAME where an A record is configured, before any change, and says what to do', async () => {
    givenReadyStandby();
    givenZone([{ Name: 'auth.portforge.org', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'seoul.portforge.org' }] }]);

    const run = preflight(deps, input({ mode: 'emergency', target: zoneTarget([{ name: 'auth.portforge.org', type: 'A' }]) }));

    await expect(run).rejects.toMatchObject({ name: 'PreflightBlockedError' });
    await expect(run).rejects.toThrow(/auth\.portforge\.org is a CNAME in the zone: Route 53 refuses an A record beside a CNAME of the same name/);
  });

  it('blocks on a record that is missing, or exists only as another variant or routing policy', async () => {
    givenReadyStandby();
    givenZone([
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'secondary', Failover: 'SECONDARY', AliasTarget: SEOUL },
      { Name: 'auth.portforge.org', Type: 'A', AliasTarget: SEOUL },
      { Name: 'www.portforge.org', Type: 'A', SetIdentifier: 'seoul', Weight: 10, AliasTarget: SEOUL },
    ]);

    const run = preflight(
      deps,
      input({
        mode: 'emergency',
        target: zoneTarget([
          { name: 'api.portforge.org', type: 'A', setIdentifier: 'seoul', failover: 'PRIMARY' },
          { name: 'auth.portforge.org', type: 'A', setIdentifier: 'seoul', weight: 10 },
          { name: 'www.portforge.org', type: 'A', setIdentifier: 'seoul', failover: 'PRIMARY' },
          { name: 'gone.portforge.org', type: 'A' },
        ]),
      }),
    );

    await expect(run).rejects.toMatchObject({ name: 'PreflightBlockedError' });
    const message = await run.catch((e: Error) => e.message);
    expect(message).toContain('api.portforge.org A (set seoul) does not exist; the zone has api.portforge.org A as secondary');
    expect(message).toContain('auth.portforge.org A (set seoul) does not exist; the zone has auth.portforge.org A as (simple)');
    expect(message).toContain('www.portforge.org A (set seoul) is not a failover record, not PRIMARY as configured');
    expect(message).toContain('gone.portforge.org A does not exist in the zone');
  });
});
