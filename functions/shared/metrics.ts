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
}

const PERIOD_SECONDS = 60;
const QUERY_ID = 'm0';

/**
 * Latest value of one CloudWatch metric over the last `lookbackMinutes` (1-minute periods),
 * or null when CloudWatch has no datapoint in that window.
 * Always called with a client in the Lambda's own (standby) Region.
 */
export async function latestMetricValue(cw: CloudWatchClient, query: MetricQuery): Promise<number | null> {
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
  let newest: { at: number; value: number } | null = null;
  for (const [i, value] of values.entries()) {
    // Without a timestamp, trust the TimestampDescending order (index 0 is newest).
    const at = timestamps[i]?.getTime() ?? -i;
    if (newest === null || at > newest.at) newest = { at, value };
  }
  return newest?.value ?? null;
}

/**
 * Like latestMetricValue, but a failed read (throttling, outage) gives null instead of an error.
 * For metrics that are informational or whose absence the caller already handles as "unknown":
 * a flaky CloudWatch must not block a regional failover.
 */
export async function latestMetricValueOrNull(cw: CloudWatchClient, query: MetricQuery): Promise<number | null> {
  try {
    return await latestMetricValue(cw, query);
  } catch (error) {
    logger.warn('metric read failed; reporting it as unknown', {
      namespace: query.namespace,
      metricName: query.metricName,
      errorName: error instanceof Error ? error.name : 'UnknownError',
    });
    return null;
  }
}
