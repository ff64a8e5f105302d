import 'aws-sdk-client-mock-jest';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { setClock, type Clock } from '../../functions/shared/clock';
import { checkDynamoTable } from '../../functions/preflight/logic';
import type { TableTarget } from '../../functions/shared/contracts';
import { verifyTable } from '../../functions/verify-dynamodb-replica/logic';
import { handler } from '../../functions/verify-dynamodb-replica/index';
import { lambdaContext } from '../support/lambda';

const ddbMock = mockClient(DynamoDBClient);
const fixedNow = new Date('2025-03-01T12:00:00Z');
const clock: Clock = { now: () => fixedNow };
const deps = { ddb: new DynamoDBClient({}) };

const target: TableTarget = { tableName: 'team_chats_ddb', primaryRegion: 'ap-northeast-2', standbyRegion: 'ap-northeast-1' };
const input = (over: Partial<{ dryRun: boolean; mode: 'planned' | 'emergency' }> = {}) => ({
  dryRun: false,
  mode: 'emergency' as const,
  target,
  ...over,
});

const globalTable = (replicaStatus = 'ACTIVE', tableStatus = 'ACTIVE'): TableDescription => ({
  TableName: target.tableName,
  TableStatus: tableStatus as TableDescription['TableStatus'],
  Replicas: [{ RegionName: 'ap-northeast-2', ReplicaStatus: replicaStatus as 'ACTIVE' }],
});

beforeEach(() => {
  ddbMock.reset();
  setClock(undefined);
});

describe('Verify DynamoDB replica', () => {
  it('verifies an ACTIVE global table and reports its replicas, without presenting ReplicationLatency as a measurement', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable() });

    const result = await verifyTable(deps, input());

    expect(result).toEqual({
      step: 'Verify DynamoDB replica',
      outcome: 'verified',
      changes: [],
      tableName: 'team_chats_ddb',
      warnings: [],
      replicationLatency: 'not available in the standby Region (DynamoDB publishes ReplicationLatency in the source Region only)',
      replicas: [{ region: 'ap-northeast-2', status: 'ACTIVE' }],
    });
    expect(ddbMock).toHaveReceivedCommandTimes(DescribeTableCommand, 1);
    expect(ddbMock).toHaveReceivedCommandWith(DescribeTableCommand, { TableName: 'team_chats_ddb' });
  });

  it('does not read ReplicationLatency in the standby Region, where DynamoDB does not publish it', async () => {
    const cw = mockClient(CloudWatchClient);
    try {
      ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable() });
      await verifyTable(deps, input());
      expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 0);
    } finally {
      cw.restore();
    }
  });

  it('fails a planned cutover with DynamoReplicaNotActiveError naming the table and the replica that is not ACTIVE', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable('UPDATING') });

    const run = verifyTable(deps, input({ mode: 'planned' }));

    await expect(run).rejects.toMatchObject({ name: 'DynamoReplicaNotActiveError' });
    await expect(run).rejects.toThrow(/team_chats_ddb.*ap-northeast-2 UPDATING/);
  });

  it('does not let the failing primary Region\'s replica block an emergency cutover, but reports it', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable('INACCESSIBLE_ENCRYPTION_CREDENTIALS') });

    const result = await verifyTable(deps, input({ mode: 'emergency' }));

    expect(result.outcome).toBe('verified');
    expect(result.warnings).toEqual([
      'replicas not ACTIVE: ap-northeast-2 INACCESSIBLE_ENCRYPTION_CREDENTIALS (tolerated in emergency mode)',
    ]);
  });

  it('fails with DynamoReplicaNotActiveError when the standby table itself is not ACTIVE', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable('ACTIVE', 'UPDATING') });

    const run = verifyTable(deps, input());

    await expect(run).rejects.toMatchObject({ name: 'DynamoReplicaNotActiveError' });
    await expect(run).rejects.toThrow('table is UPDATING');
  });

  it('fails a planned cutover with DynamoReplicaNotActiveError when the table is not a global table with the primary', async () => {
    ddbMock.on(DescribeTableCommand).resolves({
      Table: { TableName: target.tableName, TableStatus: 'ACTIVE', Replicas: [] },
    });

    const notGlobal = verifyTable(deps, input({ mode: 'planned' }));
    await expect(notGlobal).rejects.toMatchObject({ name: 'DynamoReplicaNotActiveError' });
    await expect(notGlobal).rejects.toThrow('not a global table');

    ddbMock.on(DescribeTableCommand).resolves({
      Table: {
        TableName: target.tableName,
        TableStatus: 'ACTIVE',
        Replicas: [{ RegionName: 'us-west-2', ReplicaStatus: 'ACTIVE' }],
      },
    });
    const withoutPrimary = verifyTable(deps, input({ mode: 'planned' }));
    await expect(withoutPrimary).rejects.toMatchObject({ name: 'DynamoReplicaNotActiveError' });
    await expect(withoutPrimary).rejects.toThrow('no replica in the primary Region ap-northeast-2');
  });

  it('warns, in emergency mode, when DynamoDB has removed the inaccessible primary replica from Replicas[]', async () => {
    ddbMock.on(DescribeTableCommand).resolves({
      Table: { TableName: target.tableName, TableStatus: 'ACTIVE', Replicas: [{ RegionName: 'ap-northeast-1', ReplicaStatus: 'ACTIVE' }] },
    });

    const result = await verifyTable(deps, input({ mode: 'emergency' }));

    expect(result.outcome).toBe('verified');
    expect(result.warnings).toEqual([
      'no replica in the primary Region ap-northeast-2 (DynamoDB removed it after 20 hours inaccessible) (tolerated in emergency mode)',
    ]);
  });

  it('names when the primary replica became inaccessible and when DynamoDB will remove it', async () => {
    ddbMock.on(DescribeTableCommand).resolves({
      Table: {
        TableName: target.tableName,
        TableStatus: 'ACTIVE',
        Replicas: [{ RegionName: 'ap-northeast-2', ReplicaStatus: 'REGION_DISABLED', ReplicaInaccessibleDateTime: new Date('2025-03-01T10:00:00Z') }],
      },
    });

    const result = await verifyTable(deps, input({ mode: 'emergency' }));

    expect(result.warnings).toEqual([
      'replicas not ACTIVE: ap-northeast-2 REGION_DISABLED since 2025-03-01T10:00:00.000Z; DynamoDB removes it from the replication group 20 hours after that (tolerated in emergency mode)',
    ]);
  });

  it('judges the table exactly as preflight does, in both modes', async () => {
    const removed: TableDescription = { TableName: target.tableName, TableStatus: 'ACTIVE', Replicas: [{ RegionName: 'ap-northeast-1', ReplicaStatus: 'ACTIVE' }] };
    ddbMock.on(DescribeTableCommand).resolves({ Table: removed });
    for (const mode of ['emergency', 'planned'] as const) {
      const check = await checkDynamoTable(deps.ddb, target.tableName, { mode, primaryRegion: 'ap-northeast-2', standbyRegion: 'ap-northeast-1' });
      const verified = await verifyTable(deps, input({ mode })).then(() => 'verified', () => 'blocked');
      expect([mode, check.status === 'fail' ? 'blocked' : 'verified']).toEqual([mode, verified]);
    }
  });

  it('fails with DynamoReplicaNotActiveError when the table is missing in the standby Region', async () => {
    ddbMock
      .on(DescribeTableCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));

    const run = verifyTable(deps, input());

    await expect(run).rejects.toMatchObject({ name: 'DynamoReplicaNotActiveError' });
    await expect(run).rejects.toThrow('does not exist in ap-northeast-1');
  });

  it('dry run does the same reads and reports verified', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable() });

    await expect(verifyTable(deps, input({ dryRun: true }))).resolves.toMatchObject({
      outcome: 'verified',
      changes: [],
    });
    expect(ddbMock).toHaveReceivedCommandTimes(DescribeTableCommand, 1);
  });

  describe('through the real handler', () => {
    it('validates the payload and stamps the timings', async () => {
      setClock(clock);
      ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable() });
  
      await expect(handler(input({ mode: 'planned' }), lambdaContext())).resolves.toMatchObject({
        step: 'Verify DynamoDB replica',
        outcome: 'verified',
        tableName: 'team_chats_ddb',
        startedAt: fixedNow.toISOString(),
        finishedAt: fixedNow.toISOString(),
      });
    });

    it('maps a throttled DescribeTable to AwsTransientError', async () => {
      ddbMock
        .on(DescribeTableCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));

      await expect(handler(input(), lambdaContext())).rejects.toMatchObject({ name: 'AwsTransientError' });
    });
  });
});
