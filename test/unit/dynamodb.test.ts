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
import type { TableTarget } from '../../functions/shared/contracts';
import { verifyTable } from '../../functions/verify-dynamodb-replica/logic';
import { handler } from '../../functions/verify-dynamodb-replica/index';
import { lambdaContext } from '../support/lambda';

const ddbMock = mockClient(DynamoDBClient);
const cwMock = mockClient(CloudWatchClient);
const fixedNow = new Date('2025-03-01T12:00:00Z');
const clock: Clock = { now: () => fixedNow };
const deps = { ddb: new DynamoDBClient({}), cw: new CloudWatchClient({}), clock };

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

function givenLatency(ms: number | null): void {
  cwMock.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      ms === null
        ? { Id: 'm0', Values: [], Timestamps: [] }
        : { Id: 'm0', Values: [ms], Timestamps: [new Date('2025-03-01T11:59:00Z')] },
    ],
  });
}

beforeEach(() => {
  ddbMock.reset();
  cwMock.reset();
  setClock(undefined);
});

describe('Verify DynamoDB replica', () => {
  it('verifies an ACTIVE global table and reports its replicas and replication latency', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable() });
    givenLatency(850);

    const result = await verifyTable(deps, input());

    expect(result).toEqual({
      step: 'Verify DynamoDB replica',
      outcome: 'verified',
      changes: [],
      tableName: 'team_chats_ddb',
      warnings: [],
      replicationLatencyMs: 850,
      replicas: [{ region: 'ap-northeast-2', status: 'ACTIVE' }],
    });
    expect(ddbMock).toHaveReceivedCommandTimes(DescribeTableCommand, 1);
    expect(ddbMock).toHaveReceivedCommandWith(DescribeTableCommand, { TableName: 'team_chats_ddb' });
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cwMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input).toMatchObject({
      MetricDataQueries: [
        {
          MetricStat: {
            Metric: {
              Namespace: 'AWS/DynamoDB',
              MetricName: 'ReplicationLatency',
              Dimensions: [
                { Name: 'TableName', Value: 'team_chats_ddb' },
                { Name: 'ReceivingRegion', Value: 'ap-northeast-1' },
              ],
            },
            Stat: 'Average',
          },
        },
      ],
    });
  });

  it('reports the replication latency as null when the standby Region has no datapoint', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable() });
    givenLatency(null);

    await expect(verifyTable(deps, input())).resolves.toMatchObject({ outcome: 'verified', replicationLatencyMs: null });
  });

  it('still verifies when CloudWatch cannot be read, since the latency is informational', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable() });
    cwMock.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    await expect(verifyTable(deps, input())).resolves.toMatchObject({ outcome: 'verified', replicationLatencyMs: null });
  });

  it('fails a planned cutover with DynamoReplicaNotActiveError naming the table and the replica that is not ACTIVE', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable('UPDATING') });
    givenLatency(null);

    const run = verifyTable(deps, input({ mode: 'planned' }));

    await expect(run).rejects.toMatchObject({ name: 'DynamoReplicaNotActiveError' });
    await expect(run).rejects.toThrow(/team_chats_ddb.*ap-northeast-2 UPDATING/);
  });

  it('does not let the failing primary Region\'s replica block an emergency cutover, but reports it', async () => {
    ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable('INACCESSIBLE_ENCRYPTION_CREDENTIALS') });
    givenLatency(null);

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

  it('fails with DynamoReplicaNotActiveError when the table is not a global table with the primary', async () => {
    ddbMock.on(DescribeTableCommand).resolves({
      Table: { TableName: target.tableName, TableStatus: 'ACTIVE', Replicas: [] },
    });

    const notGlobal = verifyTable(deps, input());
    await expect(notGlobal).rejects.toMatchObject({ name: 'DynamoReplicaNotActiveError' });
    await expect(notGlobal).rejects.toThrow('not a global table');

    ddbMock.on(DescribeTableCommand).resolves({
      Table: {
        TableName: target.tableName,
        TableStatus: 'ACTIVE',
        Replicas: [{ RegionName: 'us-west-2', ReplicaStatus: 'ACTIVE' }],
      },
    });
    const withoutPrimary = verifyTable(deps, input());
    await expect(withoutPrimary).rejects.toMatchObject({ name: 'DynamoReplicaNotActiveError' });
    await expect(withoutPrimary).rejects.toThrow('no replica in the primary Region ap-northeast-2');
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
    givenLatency(120);

    await expect(verifyTable(deps, input({ dryRun: true }))).resolves.toMatchObject({
      outcome: 'verified',
      changes: [],
      replicationLatencyMs: 120,
    });
    expect(ddbMock).toHaveReceivedCommandTimes(DescribeTableCommand, 1);
  });

  describe('through the real handler', () => {
    it('validates the payload and stamps the timings', async () => {
      setClock(clock);
      ddbMock.on(DescribeTableCommand).resolves({ Table: globalTable() });
      givenLatency(null);

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
