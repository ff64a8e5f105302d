import 'aws-sdk-client-mock-jest';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { freshest, metricDatapoints, metricDatapointsOrNull, type MetricQuery } from '../../functions/shared/metrics';

/** The freshest reading, as the steps take it: the newest datapoint, if it is recent enough. */
const latestMetricValue = async (client: CloudWatchClient, q: MetricQuery) => freshest(await metricDatapoints(client, q), q)?.value ?? null;

const cwMock = mockClient(CloudWatchClient);
const cw = new CloudWatchClient({});
const now = new Date('2025-03-01T12:00:00Z');
const query = {
  namespace: 'AWS/RDS',
  metricName: 'ReplicaLag',
  dimensions: { DBInstanceIdentifier: 'portforge-dr-rds-replica' },
  now,
  lookbackMinutes: 5,
  stat: 'Maximum' as const,
};

beforeEach(() => cwMock.reset());

describe('CloudWatch readings', () => {
  it('asks CloudWatch for one-minute datapoints over the lookback window', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [], Timestamps: [] }] });

    await latestMetricValue(cw, query);

    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cwMock).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date('2025-03-01T11:55:00Z'),
      EndTime: now,
      MetricDataQueries: [
        {
          Id: 'm0',
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              MetricName: 'ReplicaLag',
              Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'portforge-dr-rds-replica' }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
  });

  it('returns the newest datapoint whatever order CloudWatch returns them in', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'm0',
          Timestamps: [new Date('2025-03-01T11:57:00Z'), new Date('2025-03-01T11:59:00Z'), new Date('2025-03-01T11:58:00Z')],
          Values: [7, 2, 4],
        },
      ],
    });

    await expect(latestMetricValue(cw, query)).resolves.toBe(2);
  });

  it('ignores a datapoint older than maxAgeMinutes, but takes one a few minutes old (CloudWatch publishes late)', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [0], Timestamps: [new Date('2025-03-01T11:54:00Z')] }] });
    await expect(latestMetricValue(cw, { ...query, lookbackMinutes: 10, maxAgeMinutes: 5 })).resolves.toBeNull();

    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [1], Timestamps: [new Date('2025-03-01T11:57:00Z')] }] });
    await expect(latestMetricValue(cw, { ...query, lookbackMinutes: 10, maxAgeMinutes: 5 })).resolves.toBe(1);
  });

  it('lists every datapoint newest first', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'm0', Timestamps: [new Date('2025-03-01T11:57:00Z'), new Date('2025-03-01T11:59:00Z')], Values: [7, -1] }],
    });
    await expect(metricDatapoints(cw, query)).resolves.toEqual([
      { at: new Date('2025-03-01T11:59:00Z'), value: -1 },
      { at: new Date('2025-03-01T11:57:00Z'), value: 7 },
    ]);
  });

  it('returns null when there is no datapoint', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [], Timestamps: [] }] });

    await expect(latestMetricValue(cw, query)).resolves.toBeNull();
  });

  it('propagates a throttled read, while the best-effort variant reports it as unknown', async () => {
    cwMock.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    await expect(latestMetricValue(cw, query)).rejects.toMatchObject({ name: 'Throttling' });
    await expect(metricDatapointsOrNull(cw, query)).resolves.toBeNull();
  });
});
