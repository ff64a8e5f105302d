/**
 * The drill's timing model: how long each modelled AWS operation takes, in simulated
 * seconds, with where the figure comes from. Every delay can be overridden per scenario.
 */
export interface TimingModel {
  /** After PromoteReadReplica the status still reads `available` (a replica) for a while. */
  promotionStatusLagSeconds: number;
  /** Then `modifying`… */
  promotionModifyingSeconds: number;
  /** …then `rebooting`, then a standalone `available` instance. */
  promotionRebootingSeconds: number;
  /** From a pod-template change until every Auth pod is updated and ready. */
  rolloutSeconds: number;
  /** UpdateDistribution: InProgress → Deployed. */
  cloudfrontDeploySeconds: number;
  /** ChangeResourceRecordSets: PENDING → INSYNC. */
  route53InsyncSeconds: number;
  /** How long Route 53 is still processing an accepted change: the zone's next change meanwhile gets PriorRequestNotComplete. */
  route53ProcessingSeconds: number;
  /** DynamoDB ReplicationLatency reported toward the standby Region. */
  dynamodbReplicationLatencyMs: number;
  /** A promoted replica that had backups off takes its first backup: `backing-up` this long after the reboot. */
  firstBackupSeconds: number;
  /** CloudWatch datapoints become visible this long after their period starts, at the least… */
  metricDelayMinSeconds: number;
  /** …and at the most. */
  metricDelayMaxSeconds: number;
}

export const TIMING_SOURCES: Record<keyof TimingModel, string> = {
  promotionStatusLagSeconds: 'design §5 RDS: the status does not change at once after PromoteReadReplica',
  promotionModifyingSeconds: 'design §5 RDS: promotion goes through modifying/rebooting, "several minutes or longer"',
  promotionRebootingSeconds: 'design §5 RDS: PromoteReadReplica reboots the instance',
  rolloutSeconds: 'a rolling restart of a small Deployment (2 replicas, readiness probe); Kubernetes default strategy',
  cloudfrontDeploySeconds: 'design §5 CloudFront: InProgress → Deployed "in minutes"',
  route53InsyncSeconds: 'design §5 Route 53: GetChange PENDING → INSYNC "normally within 60 s"',
  route53ProcessingSeconds:
    'Route 53 API reference, PriorRequestNotComplete: a request for a zone arriving while Route 53 still processes the previous one is rejected; the processing time is not published (assumed)',
  dynamodbReplicationLatencyMs: 'typical global-table ReplicationLatency between nearby Regions',
  firstBackupSeconds:
    'RDS API reference, PromoteReadReplica: backup duration is a function of the changes since the previous backup; a first backup copies the whole database (a large one: long)',
  metricDelayMinSeconds: 'CloudWatch: a 1-minute datapoint is published after its period ends, so it is at least a minute old',
  metricDelayMaxSeconds: 'CloudWatch metrics from AWS services arrive 1 to 3 minutes late (GetMetricData returns only what has arrived)',
};

export const DEFAULT_TIMING: TimingModel = {
  promotionStatusLagSeconds: 20,
  promotionModifyingSeconds: 120,
  promotionRebootingSeconds: 180,
  rolloutSeconds: 90,
  cloudfrontDeploySeconds: 300,
  route53InsyncSeconds: 45,
  route53ProcessingSeconds: 2,
  dynamodbReplicationLatencyMs: 250,
  firstBackupSeconds: 1800,
  metricDelayMinSeconds: 60,
  metricDelayMaxSeconds: 180,
};

export const promotionSeconds = (t: TimingModel): number =>
  t.promotionStatusLagSeconds + t.promotionModifyingSeconds + t.promotionRebootingSeconds;

/**
 * The critical path the dependencies force, from the modelled operation times alone:
 * recovery runs in parallel (promotion ∥ rollout ∥ static CloudFront), then traffic (DNS ∥ API CloudFront).
 * `dnsWaves` is how many Map waves the hosted zones take at the Map's concurrency: each zone's records
 * go in one ChangeBatch with one INSYNC wait, so the number of records does not count.
 */
export function criticalPathSeconds(t: TimingModel, dnsWaves = 1): number {
  const recover = Math.max(promotionSeconds(t), t.rolloutSeconds, t.cloudfrontDeploySeconds);
  const traffic = Math.max(t.route53InsyncSeconds * dnsWaves, t.cloudfrontDeploySeconds);
  return recover + traffic;
}

/** The manual runbook's order, one step after another. */
export function sequentialSeconds(t: TimingModel): number {
  return promotionSeconds(t) + t.rolloutSeconds + t.cloudfrontDeploySeconds + t.route53InsyncSeconds + t.cloudfrontDeploySeconds;
}
