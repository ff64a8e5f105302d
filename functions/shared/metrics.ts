import { GetMetricDataCommand, type CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';
import { logger } from './logger';

export interface MetricQuery {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** Take it from functions/shared/clock.ts so the drill can run in simulated time. */
  now: Date;
  lookbackMinutes: number;
  stat: 'Average' | 'Maximum' | 'Minimum' | 'Sum' | 'SampleCount';
  /**
   * A datapoint older than this (from its period's start to `now`) is not a current reading.
   * CloudWatch stamps each datapoint with its period's start and publishes it 1 to 3 minutes
   * late, so the newest one is always a few minutes old; leave room for that. Unset: any age.
   */
  maxAgeMinutes?: number;
}

/** One datapoint: the start of its period and its value. */
export interface Datapoint {
  at: Date;
  value: number;
}

const PERIOD_SECONDS = 60;
const QUERY_ID = 'm0';

/**
 * Every datapoint of one CloudWatch metric over the last `lookbackMinutes` (1-minute periods),
 * newest first. Always called with a client in the Lambda's own (standby) Region.
 */
export async function metricDatapoints(cw: CloudWatchClient, query: MetricQuery): Promise<Datapoint[]> {
  const endTime = query.now;
  const startTime = new Date(endTime.getTime() - query.lookbackMinutes * 60_000);
  const dimensions: Dimension[] = Object.entries(query.dimensions).map(([Name, Value]) => ({ Name, Value }));

  const out = await cw.send(
    new GetMetricDataCommand({
      StartTime: startTime,
      EndTime: endTime,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: QUERY_ID,
          ReturnData: true,
          MetricStat: {
            Metric: { Namespace: query.namespace, MetricName: query.metricName, Dimensions: dimensions },
            Period: PERIOD_SECONDS,
            Stat: query.stat,
          },
        },
      ],
    }),
  );

  const result = out.MetricDataResults?.find((r) => r.Id === QUERY_ID);
  const values = result?.Values ?? [];
  const timestamps = result?.Timestamps ?? [];
  // Without a timestamp, trust the TimestampDescending order (index 0 is newest).
  const points = values.map((value, i) => ({ at: timestamps[i] ?? new Date(endTime.getTime() - (i + 1) * PERIOD_SECONDS * 1000), value }));
  return points.sort((a, b) => b.at.getTime() - a.at.getTime());
}

/** The newest datapoint, or null when there is none or it is older than the query's `maxAgeMinutes`. */
export function freshest(points: Datapoint[], query: Pick<MetricQuery, 'now' | 'maxAgeMinutes'>): Datapoint | null {
  const newest = points[0];
  if (newest === undefined) return null;
  if (query.maxAgeMinutes !== undefined && query.now.getTime() - newest.at.getTime() > query.maxAgeMinutes * 60_000) return null;
  return newest;
}

/**
 * Like metricDatapoints, but a failed read (throttling, outage) gives null (logged) instead of an
 * error: for readings whose absence the caller already handles as "unknown", since a flaky
 * CloudWatch must not block a regional failover.
 */
export async function metricDatapointsOrNull(cw: CloudWatchClient, query: MetricQuery): Promise<Datapoint[] | null> {
  try {
    return await metricDatapoints(cw, query);
  } catch (error) {
    logger.warn('metric read failed; reporting it as unknown', {
      namespace: query.namespace,
      metricName: query.metricName,
      errorName: error instanceof Error ? error.name : 'UnknownError',
    });
    return null;
  }
}
