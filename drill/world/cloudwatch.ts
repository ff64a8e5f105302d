import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { promotionSeconds, type TimingModel } from '../timing';
import { stubClient, type Answer } from './dispatch';
import { applyLagAt } from './rds';
import type { SimulatedWorld } from './simulated-world';

export function installCloudWatch(world: SimulatedWorld): void {
  const on = stubClient(world, CloudWatchClient);
  on(GetMetricDataCommand, (input: GetMetricDataCommandInput, { region }): Answer<GetMetricDataCommandOutput> => {
    const range = {
      start: new Date(input.StartTime ?? 0).getTime(),
      end: new Date(input.EndTime ?? world.now()).getTime(),
      ascending: input.ScanBy === 'TimestampAscending',
    };
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
        Id: q.Id,
        StatusCode: 'Complete',
        ...metricSeries(world, q, range, region),
      })),
    };
  });
}

/** ReplicaLag as RDS samples it at simulated ms `at`: -1 (or nothing) once replication has stopped. */
function replicaLagAt(world: SimulatedWorld, at: number): number | null {
  const promotedAt = world.replica.promotedAt;
  // A promoted instance is no longer a replica: it publishes no ReplicaLag.
  if (promotedAt !== null && at >= promotedAt + promotionSeconds(world.timing) * 1000) return null;
  const lag = applyLagAt(world, at);
  return lag < 0 && world.replicaLagMissingInOutage ? null : lag;
}

/**
 * GetMetricData for one metric, as CloudWatch answers it: one datapoint per period, stamped
 * with the period's start (CloudWatch GetMetricData reference: StartTime inclusive and rounded
 * down to the minute, EndTime exclusive; TimestampDescending returns the newest first). A
 * datapoint becomes visible 1 to 3 minutes after its period starts (metrics are published
 * after the period, with delay), so the newest one is always 1 to 3 minutes old.
 */
function metricSeries(
  world: SimulatedWorld,
  query: MetricDataQuery,
  range: { start: number; end: number; ascending: boolean },
  clientRegion: string,
): { Timestamps: Date[]; Values: number[] } {
  const metric = query.MetricStat?.Metric;
  const periodMs = (query.MetricStat?.Period ?? 60) * 1000;
  const dimension = (name: string) => metric?.Dimensions?.find((d) => d.Name === name)?.Value;
  let valueAt: (at: number) => number | null;
  if (metric?.MetricName === 'ReplicaLag' && dimension('DBInstanceIdentifier') === world.config.rds.replicaInstanceId) {
    valueAt = (at) => replicaLagAt(world, at);
  } else if (metric?.MetricName === 'ReplicationLatency') {
    // DynamoDB metrics reference, ReplicationLatency: published in the source Region of the
    // replication, with ReceivingRegion as a dimension. Latency into this Region is in the
    // other Region's CloudWatch, so a client here gets no datapoints for it.
    const receiving = dimension('ReceivingRegion');
    valueAt = receiving === clientRegion || world.primaryOutage ? () => null : () => world.timing.dynamodbReplicationLatencyMs;
  } else {
    valueAt = () => null;
  }
  const timestamps: Date[] = [];
  const values: number[] = [];
  const now = world.now();
  const first = Math.floor(range.start / 60_000) * 60_000;
  for (let p = first; p < range.end && p <= now; p += periodMs) {
    if (now < p + metricDelayMs(p, world.timing)) continue;
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


/**
 * How late the datapoint of the period starting at `periodStart` becomes visible: 1 to 3
 * minutes, varying by period but the same on every run (deterministic, so RTOs repeat).
 */
function metricDelayMs(periodStart: number, t: TimingModel): number {
  const spread = t.metricDelayMaxSeconds - t.metricDelayMinSeconds;
  const step = Math.floor(periodStart / 60_000);
  return (t.metricDelayMinSeconds + (spread === 0 ? 0 : (step * 37) % (spread + 1))) * 1000;
}
