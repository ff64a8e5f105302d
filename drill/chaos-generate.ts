/**
 * Randomized fault schedules for the chaos runner: each combines 1 to 5 faults of every kind the
 * fault engine supports (errors and statuses, lost responses, delays, hangs, and every world
 * condition, transient or permanent) and varies the run around them (mode, dry run, trigger and
 * approver, topology size, timing, two executions at once). Generated with fast-check from a seed:
 * the same seed gives the same schedules.
 */
import fc from 'fast-check';
import { FaultScheduleSchema, type Fault, type FaultSchedule } from './fault-schedule';
import { DEFAULT_TIMING, type TimingModel } from './timing';

/** An AWS error a command can answer with, and its HTTP status. */
type AwsError = readonly [name: string, status: number];

const THROTTLING: AwsError = ['ThrottlingException', 400];
const INTERNAL: AwsError = ['InternalFailure', 500];
const UNAVAILABLE: AwsError = ['ServiceUnavailable', 503];

/**
 * The AWS commands the cutover sends, whether each changes the world, and errors each service
 * documents for it (each service's API reference, "Errors" and "Common Errors").
 */
export const AWS_TARGETS: Record<string, { mutating: boolean; errors: readonly AwsError[] }> = {
  // RDS API reference, PromoteReadReplica: InvalidDBInstanceState (400), DBInstanceNotFound (404).
  PromoteReadReplica: { mutating: true, errors: [['InvalidDBInstanceState', 400], THROTTLING, INTERNAL] },
  DescribeDBInstances: { mutating: false, errors: [THROTTLING, INTERNAL] },
  // CloudWatch API reference, Common Errors: Throttling (400).
  GetMetricData: { mutating: false, errors: [['Throttling', 400], INTERNAL] },
  // DynamoDB API reference: ProvisionedThroughputExceededException, ThrottlingException, InternalServerError (500).
  DescribeTable: { mutating: false, errors: [THROTTLING, ['InternalServerError', 500]] },
  GetItem: { mutating: false, errors: [['ProvisionedThroughputExceededException', 400], ['InternalServerError', 500]] },
  PutItem: { mutating: true, errors: [['ProvisionedThroughputExceededException', 400], THROTTLING, ['InternalServerError', 500]] },
  UpdateItem: { mutating: true, errors: [['ProvisionedThroughputExceededException', 400], ['InternalServerError', 500]] },
  DeleteItem: { mutating: true, errors: [['ProvisionedThroughputExceededException', 400], THROTTLING, ['InternalServerError', 500]] },
  DescribeCluster: { mutating: false, errors: [['ServerException', 500], ['ServiceUnavailableException', 503]] },
  DescribeCertificate: { mutating: false, errors: [THROTTLING] },
  // Cognito user pools API reference: TooManyRequestsException (400), InternalErrorException (500).
  DescribeUserPool: { mutating: false, errors: [['TooManyRequestsException', 400], ['InternalErrorException', 500]] },
  DescribeUserPoolClient: { mutating: false, errors: [['TooManyRequestsException', 400]] },
  // CloudFront API reference, UpdateDistribution: PreconditionFailed (412) when the ETag is stale.
  GetDistributionConfig: { mutating: false, errors: [['Throttling', 400], UNAVAILABLE] },
  GetDistribution: { mutating: false, errors: [['Throttling', 400], UNAVAILABLE] },
  UpdateDistribution: { mutating: true, errors: [['PreconditionFailed', 412], ['Throttling', 400], UNAVAILABLE] },
  // Route 53 API reference, ChangeResourceRecordSets: PriorRequestNotComplete (400), Throttling (400).
  ListResourceRecordSets: { mutating: false, errors: [['Throttling', 400], ['ServiceUnavailable', 503]] },
  ChangeResourceRecordSets: { mutating: true, errors: [['PriorRequestNotComplete', 400], ['Throttling', 400]] },
  GetChange: { mutating: false, errors: [['Throttling', 400]] },
  // SNS API reference, Publish: Throttled (400), InternalError (500); the SDK names them ThrottledException and InternalErrorException.
  Publish: { mutating: true, errors: [['ThrottledException', 400], ['InternalErrorException', 500]] },
  // Secrets Manager API reference: InternalServiceError (500), ThrottlingException.
  GetSecretValue: { mutating: false, errors: [['InternalServiceError', 500], THROTTLING] },
};

export const MUTATING_AWS_TARGETS = Object.entries(AWS_TARGETS)
  .filter(([, t]) => t.mutating)
  .map(([name]) => name);

const KUBERNETES_ROUTES = ['GET configmap', 'PATCH configmap', 'GET deployment', 'PATCH deployment'] as const;
/** Kubernetes API statuses a request can get: throttled, server errors, conflicts, auth. */
const KUBERNETES_STATUSES = [429, 500, 503, 409, 401, 403] as const;

/** Sane ranges (simulated seconds) around drill/timing.ts defaults. */
export const TIMING_RANGES: Partial<Record<keyof TimingModel, readonly [number, number]>> = {
  promotionStatusLagSeconds: [0, 60],
  promotionModifyingSeconds: [30, 600],
  promotionRebootingSeconds: [30, 600],
  rolloutSeconds: [10, 300],
  cloudfrontDeploySeconds: [60, 900],
  route53InsyncSeconds: [5, 120],
  route53ProcessingSeconds: [0, 10],
  metricDelayMinSeconds: [60, 90],
};

const count = (): fc.Arbitrary<number | 'always'> => fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constant('always' as const) });

/** A transient window (a count, or a duration) or a permanent one ("always"), sometimes after some calls or at a time. */
const window = (): fc.Arbitrary<Pick<Fault, 'count' | 'after' | 'at' | 'for'>> =>
  fc
    .record(
      {
        shape: fc.oneof(
          { weight: 5, arbitrary: count().map((c) => ({ count: c })) },
          { weight: 1, arbitrary: fc.integer({ min: 10, max: 300 }).map((s) => ({ count: 'always' as const, for: s })) },
        ),
        after: fc.option(fc.integer({ min: 1, max: 2 }), { freq: 4 }),
        at: fc.option(fc.integer({ min: 0, max: 600 }), { freq: 5 }),
      },
      { requiredKeys: ['shape', 'after', 'at'] },
    )
    .map(({ shape, after, at }) => ({ ...shape, ...(after === null ? {} : { after }), ...(at === null ? {} : { at }) }));

/** A late answer: simulated seconds for AWS (some beyond the SDK's request timeout). */
const awsDelay = (): fc.Arbitrary<Pick<Fault, 'count'> & { seconds: number }> =>
  fc.record({ seconds: fc.integer({ min: 1, max: 30 }), count: fc.integer({ min: 1, max: 3 }) });

const awsFault: fc.Arbitrary<Fault> = fc.constantFrom(...Object.keys(AWS_TARGETS)).chain((command) => {
  const target = AWS_TARGETS[command] ?? { mutating: false, errors: [THROTTLING] };
  const error = fc.record({ e: fc.constantFrom(...target.errors), w: window() }).map(({ e, w }): Fault => ({ target: `aws:${command}`, kind: 'error', error: e[0], status: e[1], ...w }));
  const hang = fc.integer({ min: 1, max: 2 }).map((c): Fault => ({ target: `aws:${command}`, kind: 'hang', count: c }));
  const lost = fc.integer({ min: 1, max: 2 }).map((c): Fault => ({ target: `aws:${command}`, kind: 'lost-response', count: c }));
  const delay = awsDelay().map((d): Fault => ({ target: `aws:${command}`, kind: 'delay', ...d }));
  return target.mutating
    ? fc.oneof({ weight: 3, arbitrary: error }, { weight: 3, arbitrary: lost }, { weight: 1, arbitrary: delay }, { weight: 1, arbitrary: hang })
    : fc.oneof({ weight: 4, arbitrary: error }, { weight: 1, arbitrary: delay }, { weight: 1, arbitrary: hang });
});

const kubernetesFault: fc.Arbitrary<Fault> = fc.constantFrom(...KUBERNETES_ROUTES).chain((route) => {
  const target = `kubernetes:${route}`;
  const status = fc.record({ s: fc.constantFrom(...KUBERNETES_STATUSES), w: window() }).map(({ s, w }): Fault => ({ target, kind: 'status', status: s, ...w }));
  const lost = fc.integer({ min: 1, max: 2 }).map((c): Fault => ({ target, kind: 'lost-response', count: c }));
  // The stand-in answers over real HTTPS: its delays and hangs cost real time (a hang, the client's 10 s timeout), so they stay short and rare.
  const delay = fc.integer({ min: 1, max: 20 }).map((tenths): Fault => ({ target, kind: 'delay', seconds: tenths / 10, count: 1 }));
  const hang = fc.constant<Fault>({ target, kind: 'hang', count: 1 });
  return route.startsWith('PATCH')
    ? fc.oneof({ weight: 4, arbitrary: status }, { weight: 3, arbitrary: lost }, { weight: 1, arbitrary: delay }, { weight: 1, arbitrary: hang })
    : fc.oneof({ weight: 4, arbitrary: status }, { weight: 1, arbitrary: lost }, { weight: 1, arbitrary: delay }, { weight: 1, arbitrary: hang });
});

/** World conditions, each with the values it takes (`records`: the topology's record count, for record indexes). */
const conditionFault = (records: number): fc.Arbitrary<Fault> =>
  fc.oneof(
    fc.constant<Fault>({ target: 'condition:replica-backing-up', kind: 'stuck', for: 120 }),
    fc.constantFrom('modifying', 'rebooting', 'storage-optimization').map((value): Fault => ({ target: 'condition:replica-busy', kind: 'stuck', value, for: 300 })),
    fc.constant<Fault>({ target: 'condition:replica-backups-off', kind: 'stuck' }),
    fc.constant<Fault>({ target: 'condition:promotion-never-finishes', kind: 'stuck' }),
    fc.record({ value: fc.integer({ min: 1, max: 30 }), for: fc.integer({ min: 30, max: 300 }) }).map(({ value, for: f }): Fault => ({ target: 'condition:replica-lag', kind: 'stuck', value, for: f })),
    fc.constantFrom('CREATING', 'UPDATING').map((value): Fault => ({ target: 'condition:cluster-status', kind: 'stuck', value })),
    fc.constant<Fault>({ target: 'condition:cluster-authentication-mode', kind: 'stuck', value: 'CONFIG_MAP' }),
    fc.constant<Fault>({ target: 'condition:certificate-status', kind: 'stuck', value: 'PENDING_VALIDATION' }),
    fc.constant<Fault>({ target: 'condition:certificate-first-record-only', kind: 'stuck' }),
    fc
      .record({ value: fc.constantFrom('UPDATING', 'CREATING', 'ARCHIVING'), after: fc.option(fc.integer({ min: 1, max: 6 }), { freq: 2 }) })
      .map(({ value, after }): Fault => ({ target: 'condition:table-status', kind: 'stuck', value, ...(after === null ? {} : { after }) })),
    fc.constantFrom('user-pool', 'app-client').map((value): Fault => ({ target: 'condition:cognito-missing', kind: 'stuck', value })),
    fc.constantFrom(1, 21).map((value): Fault => ({ target: 'condition:primary-replicas-inaccessible', kind: 'stuck', value })),
    fc.constant<Fault>({ target: 'condition:rollout-progress-deadline-exceeded', kind: 'stuck' }),
    fc.integer({ min: 1, max: 60 }).map((value): Fault => ({ target: 'condition:stale-rollout-condition', kind: 'stuck', value })),
    fc.constant<Fault>({ target: 'condition:cloudfront-origin-missing', kind: 'stuck' }),
    fc.constant<Fault>({ target: 'condition:cloudfront-never-deploys', kind: 'stuck' }),
    fc.constant<Fault>({ target: 'condition:dns-never-insync', kind: 'stuck' }),
    fc
      .record({ value: fc.integer({ min: 0, max: records - 1 }), at: fc.option(fc.integer({ min: 0, max: 600 }), { freq: 2 }) })
      .map(({ value, at }): Fault => ({ target: 'condition:dns-record-cname', kind: 'stuck', value, ...(at === null ? {} : { at }) })),
    fc.integer({ min: 0, max: records - 1 }).map((value): Fault => ({ target: 'condition:dns-record-missing', kind: 'stuck', value })),
    count().map((c): Fault => ({ target: 'condition:endpoint-unhealthy', kind: 'stuck', count: c })),
    fc.constant<Fault>({ target: 'condition:lock-held', kind: 'stuck', value: 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover:earlier-run' }),
  );

const faultFor = (records: number): fc.Arbitrary<Fault> =>
  fc.oneof({ weight: 6, arbitrary: awsFault }, { weight: 2, arbitrary: kubernetesFault }, { weight: 2, arbitrary: conditionFault(records) });

const timingArb: fc.Arbitrary<Record<string, number>> = fc
  .subarray(Object.keys(TIMING_RANGES) as Array<keyof TimingModel>, { maxLength: 3 })
  .chain((keys) =>
    fc.tuple(...keys.map((k) => fc.integer({ min: TIMING_RANGES[k]?.[0] ?? DEFAULT_TIMING[k], max: TIMING_RANGES[k]?.[1] ?? DEFAULT_TIMING[k] }))).map((values) =>
      Object.fromEntries(keys.map((k, i) => [k, values[i] ?? DEFAULT_TIMING[k]])),
    ),
  );

const topologyArb = fc.record({
  tables: fc.integer({ min: 1, max: 5 }),
  records: fc.integer({ min: 1, max: 5 }),
  routing: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant({ failover: 'PRIMARY' as const }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((weight) => ({ weight })) },
  ),
});

/** One chaos schedule (valid per FaultScheduleSchema). */
export const scheduleArbitrary: fc.Arbitrary<FaultSchedule> = topologyArb.chain((topology) =>
  fc
    .record({
      mode: fc.constantFrom('emergency' as const, 'planned' as const),
      dry: fc.integer({ min: 0, max: 4 }),
      alarm: fc.integer({ min: 0, max: 2 }),
      approver: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 600 }).map((afterSeconds) => ({ decision: 'approve' as const, afterSeconds })) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 600 }).map((afterSeconds) => ({ decision: 'deny' as const, afterSeconds })) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      timing: timingArb,
      concurrent: fc.integer({ min: 0, max: 6 }),
      faults: fc.array(faultFor(topology.records), { minLength: 1, maxLength: 5 }),
    })
    .map(({ mode, dry, alarm, approver, timing, concurrent, faults }): FaultSchedule => {
      const trigger = alarm === 0 ? ('alarm' as const) : ('manual' as const);
      return {
        mode,
        dryRun: dry === 0,
        trigger,
        ...(trigger === 'alarm' && approver ? { approver } : {}),
        topology: { tables: topology.tables, records: topology.records, ...(topology.routing ? { firstRecordRouting: topology.routing } : {}) },
        ...(Object.keys(timing).length > 0 ? { timing } : {}),
        ...(concurrent === 0 ? { concurrent: 2 } : {}),
        faults,
      };
    }),
);

/** `count` schedules from `seed`: the same seed and count give the same schedules, each valid per the format. */
export function generateSchedules(seed: number, count: number): FaultSchedule[] {
  if (count === 0) return [];
  return fc.sample(scheduleArbitrary, { seed, numRuns: count }).map((schedule, index) => {
    const parsed = FaultScheduleSchema.safeParse({ name: `chaos-${seed}-${index}`, ...schedule });
    if (!parsed.success) throw new Error(`generated schedule ${seed}-${index} is not a valid fault schedule: ${parsed.error.message}`);
    return parsed.data;
  });
}
