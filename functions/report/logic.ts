import { z } from 'zod';
import {
  ChangeSchema,
  ValidatedInputSchema,
  type Change,
  type CutoverReport,
  type Rpo,
  type StepTiming,
} from '../shared/contracts';
import { DryRunPermissionDeniedError } from '../shared/errors';

/** Where the state machine collects each group of step results (under `$.results`), in run order, with its report name. */
export const STAGE_GROUPS = [
  ['preflight', 'Preflight'],
  ['recovery.database', 'Promote RDS replica'],
  ['recovery.tables', 'Verify DynamoDB replicas'],
  ['recovery.auth', 'Patch Auth config and roll out'],
  ['recovery.staticEdge', 'Switch CloudFront static origins'],
  ['traffic.dns', 'Switch DNS records'],
  ['traffic.apiEdge', 'Switch CloudFront API origins'],
  ['endpoint', 'Verify DR endpoint'],
] as const;

/** The value at a dotted path, or undefined when a stage never ran. */
export function at(results: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), results);
}

export const ReportInputSchema = z.object({
  status: z.enum(['succeeded', 'failed']),
  environment: z.string(),
  executionId: z.string(),
  executionStartTime: z.string(),
  input: ValidatedInputSchema,
  /** Whatever results the run collected; missing groups are steps that never ran. */
  results: z.record(z.string(), z.unknown()).default({}),
  failure: z
    .object({
      stage: z.string(),
      Error: z.string(),
      Cause: z.string().optional(),
    })
    .optional(),
});
export type ReportInput = z.infer<typeof ReportInputSchema>;

interface TimedResult {
  step: string;
  startedAt: string;
  finishedAt: string;
  outcome?: string;
  changes?: unknown;
  replicaLagSeconds?: unknown;
  replication?: unknown;
}

function isTimed(value: unknown): value is TimedResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.step === 'string' && typeof v.startedAt === 'string' && typeof v.finishedAt === 'string';
}

/** Every step result (a `step` stamped with startedAt/finishedAt) inside a result group, depth first. */
export function collectResults(value: unknown): TimedResult[] {
  if (Array.isArray(value)) return value.flatMap(collectResults);
  if (typeof value !== 'object' || value === null) return [];
  const nested = Object.values(value).flatMap(collectResults);
  return isTimed(value) ? [value, ...nested] : nested;
}

const ms = (iso: string): number => new Date(iso).getTime();

/** One timing per stage group: first start to last finish, so polling loops count in full. */
export function stepTimings(results: Record<string, unknown>): StepTiming[] {
  return STAGE_GROUPS.flatMap(([key, step]) => {
    const timed = collectResults(at(results, key));
    if (timed.length === 0) return [];
    const start = Math.min(...timed.map((r) => ms(r.startedAt)));
    const end = Math.max(...timed.map((r) => ms(r.finishedAt)));
    const outcomes = [...new Set(timed.flatMap((r) => (typeof r.outcome === 'string' ? [r.outcome] : [])))];
    return [
      {
        step,
        startedAt: new Date(start).toISOString(),
        finishedAt: new Date(end).toISOString(),
        durationSeconds: Math.round((end - start) / 100) / 10,
        outcomes,
      },
    ];
  });
}

export function allChanges(results: Record<string, unknown>): Change[] {
  return STAGE_GROUPS.flatMap(([key]) =>
    collectResults(at(results, key)).flatMap((r) => {
      const parsed = z.array(ChangeSchema).safeParse(r.changes);
      return parsed.success ? parsed.data : [];
    }),
  );
}

/** What the promote step recorded of replication when it decided to promote. */
const ReplicationRecordSchema = z.object({
  state: z.enum(['running', 'stopped', 'unknown']),
  applyLagSeconds: z.number().nullable(),
  lastHealthyAt: z.string().nullable(),
  lastKnownApplyLagSeconds: z.number().nullable(),
  statusInfo: z.string(),
});

/**
 * The RPO as far as it is known: the apply lag at promotion while replication ran; otherwise
 * unknown, with when replication stopped (the last healthy datapoint) and the last known lag.
 * Undefined when no promotion was decided in this run.
 */
export function rpo(results: Record<string, unknown>): Rpo | undefined {
  const records = collectResults(at(results, 'recovery.database')).flatMap((r) => {
    const parsed = ReplicationRecordSchema.safeParse(r.replication);
    return parsed.success ? [parsed.data] : [];
  });
  const record = records[0];
  if (record === undefined) return undefined;
  const lastKnown = record.lastKnownApplyLagSeconds !== null && record.lastKnownApplyLagSeconds >= 0 ? record.lastKnownApplyLagSeconds : null;
  if (record.state === 'running' && record.applyLagSeconds !== null && record.applyLagSeconds >= 0) {
    return { state: 'measured', replication: 'running', applyLagSeconds: record.applyLagSeconds, replicationStoppedAt: null, lastKnownApplyLagSeconds: lastKnown, statusInfo: record.statusInfo };
  }
  return {
    state: 'unknown',
    replication: record.state === 'stopped' ? 'stopped' : 'unknown',
    applyLagSeconds: null,
    replicationStoppedAt: record.state === 'stopped' ? record.lastHealthyAt : null,
    lastKnownApplyLagSeconds: lastKnown,
    statusInfo: record.statusInfo,
  };
}

/** The apply lag at promotion while replication ran; null when unknown (never -1). */
export function rpoSeconds(results: Record<string, unknown>): number | null {
  const known = rpo(results);
  if (known) return known.state === 'measured' ? known.applyLagSeconds : null;
  // Results without a replication record (older promote results): a non-negative lag only.
  const lag = collectResults(at(results, 'recovery.database')).find((r) => typeof r.replicaLagSeconds === 'number' && r.replicaLagSeconds >= 0);
  return lag ? (lag.replicaLagSeconds as number) : null;
}

/** Lambda failures carry a JSON Cause with errorMessage; Step Functions' own errors carry plain text. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = z.object({ errorMessage: z.string() }).safeParse(JSON.parse(cause));
    return parsed.success ? parsed.data.errorMessage : cause;
  } catch {
    return cause;
  }
}

const NEXT_STEPS: Record<string, string[]> = {
  'Validate input': ['Fix the execution input and start again; nothing was changed.'],
  'Approval gate': [
    'The cutover was not approved (denied, or no answer before the gate timed out); nothing was changed.',
    'If a cutover is still needed, start one by hand: `cutover start --env <env> --mode emergency --reason "…"`.',
  ],
  'Execution timed out': [
    'The run reached its execution timeout; the execution history shows which step was running.',
    'The lock is released. Check what changed (`cutover report`), fix the cause, then start the cutover again: it converges.',
  ],
  'Execution stopped': [
    'Someone stopped the run (StopExecution); the execution history shows which step was running.',
    'The lock is released. Start the cutover again when ready: it converges without repeating completed changes.',
  ],
  'Acquire cutover lock': ['Another cutover holds the lock: watch that execution instead; nothing was changed.'],
  Preflight: ['Fix the blockers listed above in the standby Region, then start again; nothing was changed.'],
  Recover: [
    'Read which step failed above; every step is idempotent, so fix the cause and start the cutover again (a new execution); it converges.',
    'No DNS record or API behaviour was switched: traffic still goes to the primary Region.',
  ],
  'Switch traffic': [
    'The database is promoted and Auth is patched; traffic may be partly switched.',
    'Fix the cause and start the cutover again (a new execution): it converges without repeating completed changes.',
  ],
  'Verify endpoint': [
    'Traffic now points to the standby Region but the DR endpoint did not answer as expected.',
    'Check the Tokyo ALB targets and the Auth rollout, then verify by hand or run the cutover again (it converges).',
  ],
};

/** What to do when a dry run's permission check (iam:SimulatePrincipalPolicy) found a change a step's role may not make. */
const PERMISSION_NEXT_STEPS = [
  'This was a dry run: nothing was changed. A real cutover would fail at the step named above, because its role may not make the change listed.',
  'Grant each permission listed above to the role named there (deploy the stack again), then run the dry run again until it passes.',
];

/** The step name the handler put in front of its error message, e.g. "[Promote RDS replica] ...". */
export function failedStep(message: string): string | null {
  const match = /^\[([^\]]+)\]/.exec(message);
  return match?.[1] ?? null;
}

export function buildReport(input: ReportInput, finishedAt: Date): CutoverReport {
  const { results } = input;
  const trigger = input.input.trigger;
  const origin = trigger.type === 'alarm' ? trigger.time : input.executionStartTime;
  const cause = causeMessage(input.failure?.Cause);
  return {
    environment: input.environment,
    executionId: input.executionId,
    status: input.status,
    mode: input.input.mode,
    dryRun: input.input.dryRun,
    startedAt: input.executionStartTime,
    finishedAt: finishedAt.toISOString(),
    rtoSeconds: Math.max(0, Math.round((finishedAt.getTime() - ms(origin)) / 100) / 10),
    rpoSeconds: rpoSeconds(results),
    ...(rpo(results) ? { rpo: rpo(results) } : {}),
    steps: stepTimings(results),
    changes: allChanges(results),
    failure: input.failure
      ? {
          stage: input.failure.stage,
          step: failedStep(cause) ?? input.failure.stage,
          error: input.failure.Error,
          cause,
          nextSteps:
            input.failure.Error === DryRunPermissionDeniedError.name
              ? PERMISSION_NEXT_STEPS
              : (NEXT_STEPS[input.failure.stage] ?? ['Read the cause above, fix it and start the cutover again.']),
        }
      : null,
  };
}
