import { z } from 'zod';

/**
 * Contracts between the state machine and the step Lambdas.
 * The state machine passes each step `{ dryRun, mode, target }` where `target`
 * is a slice of the deployed targets (never execution input).
 */

/** An AWS Region code such as ap-northeast-1, as a regex source (to embed in ARN patterns). */
export const AWS_REGION_SOURCE = '[a-z]{2}(?:-[a-z]+)+-\\d+';
export const AWS_REGION_PATTERN = new RegExp(`^${AWS_REGION_SOURCE}$`);

// ---- execution input ------------------------------------------------------

export const TriggerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('manual') }),
  z.strictObject({
    type: z.literal('alarm'),
    alarmName: z.string().min(1).max(255),
    time: z.iso.datetime({ offset: true }),
  }),
]);

export const CutoverInputSchema = z.strictObject({
  mode: z.enum(['emergency', 'planned']),
  dryRun: z.boolean(),
  // CloudWatch alarm reasons, passed in by the alarm rule, run to about 1 KB.
  reason: z.string().trim().min(1, 'reason must say why the cutover runs').max(4000),
  requestedBy: z.string().trim().min(1).max(200).optional(),
  trigger: TriggerSchema.optional(),
});
export type CutoverInput = z.infer<typeof CutoverInputSchema>;
export type CutoverMode = CutoverInput['mode'];

// ---- deployed targets (baked into the state machine definition) -----------

const nonEmpty = z.string().min(1);

export const RdsTargetSchema = z.strictObject({
  replicaInstanceId: nonEmpty,
  primaryInstanceId: nonEmpty,
  primaryRegion: nonEmpty,
  /** RPO budget in planned mode (I7). */
  maxReplicaLagSeconds: z.number().nonnegative(),
  /** The automated-backup retention the promoted instance gets (PromoteReadReplica BackupRetentionPeriod). */
  backupRetentionDays: z.number().int().min(1).max(35),
});
export type RdsTarget = z.infer<typeof RdsTargetSchema>;

export const TableTargetSchema = z.strictObject({
  tableName: nonEmpty,
  primaryRegion: nonEmpty,
  standbyRegion: nonEmpty,
});
export type TableTarget = z.infer<typeof TableTargetSchema>;

export const EksTargetSchema = z.strictObject({
  clusterName: nonEmpty,
  namespace: nonEmpty,
  configMapName: nonEmpty,
  deploymentName: nonEmpty,
  /** The ConfigMap keys and values the Auth service must read in the standby Region. */
  configMapData: z.record(z.string(), z.string()),
});
export type EksTarget = z.infer<typeof EksTargetSchema>;

export const BehaviorTargetSchema = z.strictObject({
  /** `*` is the default cache behaviour; anything else is a cache behaviour's PathPattern. */
  pathPattern: nonEmpty,
  drOriginId: nonEmpty,
  dependsOnApi: z.boolean(),
});
export type BehaviorTarget = z.infer<typeof BehaviorTargetSchema>;

export const DistributionTargetSchema = z.strictObject({
  distributionId: nonEmpty,
  behaviors: z.array(BehaviorTargetSchema),
});
export type DistributionTarget = z.infer<typeof DistributionTargetSchema>;

export const AliasTargetSchema = z.strictObject({
  dnsName: nonEmpty,
  hostedZoneId: nonEmpty,
  evaluateTargetHealth: z.boolean(),
});

/**
 * One record set to point at the DR alias target. Routing-policy records (failover, weighted) name the
 * SetIdentifier of the exact record set, and its routing field as configured (Route 53 API reference,
 * ResourceRecordSet).
 */
export const RecordTargetSchema = z.strictObject({
  name: nonEmpty,
  type: z.enum(['A', 'AAAA']),
  setIdentifier: nonEmpty.optional(),
  failover: z.enum(['PRIMARY', 'SECONDARY']).optional(),
  weight: z.number().int().min(0).max(255).optional(),
});
export type RecordTarget = z.infer<typeof RecordTargetSchema>;

/** The response header the application sets to the Region that served the request, by default. */
export const DEFAULT_REGION_HEADER = 'x-served-region';

/**
 * Where the endpoint's answer names the Region that served it: a response header, or a field of
 * its JSON body (a dot path such as `region` or `meta.region`).
 */
export const RegionSignalSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('header'),
    name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name').transform((n) => n.toLowerCase()),
  }),
  z.strictObject({
    type: z.literal('body-field'),
    path: z.string().regex(/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/, 'must be a dot path such as region or meta.region'),
  }),
]);
export type RegionSignal = z.infer<typeof RegionSignalSchema>;

/** A hosted zone's records: they switch together, in one ChangeBatch. */
export const DnsZoneTargetSchema = z.strictObject({
  hostedZoneId: nonEmpty,
  aliasTarget: AliasTargetSchema,
  records: z.array(RecordTargetSchema).min(1),
});
export type DnsZoneTarget = z.infer<typeof DnsZoneTargetSchema>;

export const EndpointTargetSchema = z.strictObject({
  url: z.url(),
  /** The Region that must have served the answer: the standby Region. */
  expectRegion: nonEmpty,
  regionSignal: RegionSignalSchema,
  expectStatus: z.number().int().min(100).max(599),
  timeoutMs: z.number().int().positive(),
});
export type EndpointTarget = z.infer<typeof EndpointTargetSchema>;

export const PreflightTargetSchema = z.strictObject({
  /** Every DNS record name the cutover switches: the certificate must cover each. */
  recordNames: z.array(nonEmpty),
  /** Where the Kubernetes steps reach the cluster endpoint from (config `eks.lambdaAccess`). */
  eksAccess: z.strictObject({
    mode: z.enum(['public', 'vpc']),
    /** The Lambdas' public egress CIDRs; absent: unknown addresses, so public access must admit 0.0.0.0/0. */
    egressCidrs: z.array(nonEmpty).optional(),
  }),
  /** The failing (or, in planned mode, healthy) primary Region: only its replicas are judged by mode. */
  primaryRegion: nonEmpty,
  standbyRegion: nonEmpty,
  replicaInstanceId: nonEmpty,
  tables: z.array(nonEmpty),
  clusterName: nonEmpty,
  certificateArn: nonEmpty,
  userPoolId: nonEmpty,
  appClientId: nonEmpty,
  /** Emergency mode reports lag above this as a warning; planned mode as a blocker. */
  maxReplicaLagSeconds: z.number().nonnegative(),
  /** The records the cutover will switch: each must exist in the configured form. */
  dnsZones: z.array(DnsZoneTargetSchema),
});
export type PreflightTarget = z.infer<typeof PreflightTargetSchema>;

// ---- step input and output ------------------------------------------------

/** Builds the `{ dryRun, mode, target }` schema every step validates at its boundary. */
export function stepInput<T extends z.ZodType>(target: T) {
  return z.object({
    dryRun: z.boolean(),
    mode: z.enum(['emergency', 'planned']),
    target,
  });
}

/** One change a step made, or would make in a dry run. */
export const ChangeSchema = z.strictObject({
  resource: z.string(),
  action: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type Change = z.infer<typeof ChangeSchema>;

/**
 * - `changed`: the step made its change now;
 * - `already-done`: the desired state was already there (idempotent re-run);
 * - `would-change`: dry run, `changes` lists what a real run would do;
 * - `verified`: a read-only check passed.
 */
export type Outcome = 'changed' | 'already-done' | 'would-change' | 'verified';

export interface StepResult {
  step: string;
  outcome: Outcome;
  changes: Change[];
  /** Added by the handler middleware from the step clock. */
  startedAt?: string;
  finishedAt?: string;
}

/** Result of a poll (check) step: `done` ends the loop, `attempt` counts polls for the bound. */
export interface PollResult {
  step: string;
  done: boolean;
  attempt: number;
  status: string;
  startedAt?: string;
  finishedAt?: string;
}

export const PollInputSchema = <T extends z.ZodType>(target: T) =>
  stepInput(target).extend({
    /** The previous poll's attempt number, 0 before the first poll. */
    attempt: z.number().int().nonnegative().default(0),
  });

// ---- validated execution input as the steps see it ------------------------

export const ValidatedInputSchema = z.object({
  mode: z.enum(['emergency', 'planned']),
  dryRun: z.boolean(),
  reason: z.string(),
  requestedBy: z.string(),
  trigger: TriggerSchema,
});
export type ValidatedInput = z.infer<typeof ValidatedInputSchema>;

// ---- cutover events (SNS topic → Slack) -----------------------------------

export const CUTOVER_EVENT_TYPES = [
  'cutover.started',
  'cutover.stage-completed',
  'cutover.approval-needed',
  'cutover.failed',
  'cutover.succeeded',
  'cutover.dry-run-plan',
] as const;
export type CutoverEventType = (typeof CUTOVER_EVENT_TYPES)[number];

export const StepTimingSchema = z.object({
  step: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationSeconds: z.number(),
  outcomes: z.array(z.string()),
});
export type StepTiming = z.infer<typeof StepTimingSchema>;

/**
 * What the report can honestly say about data loss. `ReplicaLag` is the replica's apply lag
 * (MySQL's Seconds_Behind_Master), not an RPO: writes that never left the primary are invisible
 * to it. `measured`: replication was running at promotion, so the apply lag is the best estimate.
 * `unknown`: replication had stopped (StatusInfos error, or ReplicaLag -1) or no current
 * datapoint existed; `replicationStoppedAt` is the last healthy datapoint's time, if any.
 */
export const RpoSchema = z.object({
  state: z.enum(['measured', 'unknown']),
  /** Replication at promotion: running, stopped (StatusInfos error or ReplicaLag -1), or unknown (no current datapoint). */
  replication: z.enum(['running', 'stopped', 'unknown']),
  /** Apply lag at promotion (seconds); only when measured. */
  applyLagSeconds: z.number().nonnegative().nullable(),
  /** The newest ReplicaLag datapoint taken while replication ran (its period's start). */
  replicationStoppedAt: z.string().nullable(),
  /** That datapoint's apply lag (seconds). */
  lastKnownApplyLagSeconds: z.number().nonnegative().nullable(),
  /** Replication as RDS described it (StatusInfos). */
  statusInfo: z.string(),
});
export type Rpo = z.infer<typeof RpoSchema>;

export const CutoverReportSchema = z.object({
  environment: z.string(),
  executionId: z.string(),
  status: z.enum(['succeeded', 'failed']),
  mode: z.enum(['emergency', 'planned']),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Seconds from the trigger (alarm time, else execution start) to the end of the run. */
  rtoSeconds: z.number(),
  /**
   * Apply lag at promotion while replication ran (see `rpo`); null when unknown. The report step
   * never writes -1; reports of older runs may carry it, and renderers read it as unknown.
   */
  rpoSeconds: z.number().nullable(),
  /** What is known of data loss; absent when no promotion was decided in this run (failed earlier, or standalone already). */
  rpo: RpoSchema.optional(),
  steps: z.array(StepTimingSchema),
  changes: z.array(ChangeSchema),
  failure: z
    .object({
      stage: z.string(),
      step: z.string().nullable(),
      error: z.string(),
      cause: z.string(),
      nextSteps: z.array(z.string()),
    })
    .nullable(),
});
export type CutoverReport = z.infer<typeof CutoverReportSchema>;

// ---- approval gate ---------------------------------------------------------------

/** Slack button action ids; the button's value is the approvalId (never the task token). */
export const APPROVE_ACTION_ID = 'cutover_approve';
export const DENY_ACTION_ID = 'cutover_deny';
/** The Error a denied approval fails the gate with. */
export const APPROVAL_DENIED_ERROR = 'ApprovalDenied';

/** What an approval-needed event carries: an id to answer, never the Step Functions task token. */
export const ApprovalRequestSchema = z.object({
  approvalId: z.string().min(1),
  expiresAt: z.string(),
  /** Display names of who may answer. */
  approvers: z.array(z.string()),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

/** Who may answer an approval request in Slack: the config's allow-list. */
export const ApproverSchema = z.strictObject({
  slackUserId: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id'),
  name: z.string().trim().min(1),
});
export type Approver = z.infer<typeof ApproverSchema>;

/** The approval gate's task output on approval. */
export const ApprovalDecisionSchema = z.object({
  approved: z.literal(true),
  by: z.string(),
  at: z.string(),
});

export const CutoverEventSchema = z.object({
  type: z.enum(CUTOVER_EVENT_TYPES),
  environment: z.string(),
  executionId: z.string(),
  at: z.string(),
  input: ValidatedInputSchema,
  stage: z.string().optional(),
  report: CutoverReportSchema.optional(),
  approval: ApprovalRequestSchema.optional(),
  /** Something the operator must know beside the outcome, e.g. that the lock was left to expire. */
  note: z.string().max(1000).optional(),
});
export type CutoverEvent = z.infer<typeof CutoverEventSchema>;
