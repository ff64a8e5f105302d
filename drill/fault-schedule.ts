/**
 * The fault schedule format: what `npm start -- --faults <file.json>` runs, what
 * `--print-faults` prints for a built-in scenario, and what the chaos runner generates.
 *
 * A schedule is data only (JSON): the run it describes (mode, trigger, approver, topology,
 * timing) and a list of faults, each aimed at a target with a kind and a window
 * (a count of calls, a start time, a duration).
 */
import { z } from 'zod';
import { DEFAULT_TIMING } from './timing';

/** An AWS command by its API name, e.g. `aws:PromoteReadReplica` (the SDK's `PromoteReadReplicaCommand`). */
const AWS_TARGET = /^aws:[A-Z][A-Za-z0-9]+$/;
/** A Kubernetes request: `kubernetes:<METHOD|*> <configmap|deployment|*>`, e.g. `kubernetes:PATCH configmap`. */
const KUBERNETES_TARGET = /^kubernetes:(GET|PATCH|PUT|POST|DELETE|\*) (configmap|deployment|\*)$/;

/**
 * World conditions a fault can hold: a state of a simulated resource rather than the answer to one call.
 * Each names the documented state it models where the world implements it.
 */
export const CONDITIONS = [
  /** The replica is `backing-up`: RDS refuses promotion until it ends. */
  'replica-backing-up',
  /** The replica is busy for a reason of its own (`value`: modifying | rebooting | storage-optimization). */
  'replica-busy',
  /** The replica has automated backups off (retention 0). */
  'replica-backups-off',
  /** An accepted promotion never gets past `modifying`. */
  'promotion-never-finishes',
  /** The replica reports `value` seconds of ReplicaLag (for `for` seconds, else for good). */
  'replica-lag',
  /** The Tokyo EKS cluster's status is `value` (e.g. CREATING). */
  'cluster-status',
  /** The Tokyo EKS cluster's authentication mode is `value` (API | API_AND_CONFIG_MAP | CONFIG_MAP). */
  'cluster-authentication-mode',
  /** The Tokyo certificate's status is `value` (e.g. PENDING_VALIDATION). */
  'certificate-status',
  /** The Tokyo certificate names only the first configured record. */
  'certificate-first-record-only',
  /** `value`: user-pool | app-client is missing in the standby Region. */
  'cognito-missing',
  /** Every standby table reads `value` (e.g. UPDATING) from `at` on. */
  'table-status',
  /** The primary Region's table replicas have been inaccessible for `value` hours. */
  'primary-replicas-inaccessible',
  /** The Auth rollout ends ProgressDeadlineExceeded. */
  'rollout-progress-deadline-exceeded',
  /** An earlier stuck rollout left its condition; the controller takes `value` seconds to observe a change. */
  'stale-rollout-condition',
  /** The distribution has no Tokyo origin for a configured behaviour. */
  'cloudfront-origin-missing',
  /** Distribution updates stay InProgress. */
  'cloudfront-never-deploys',
  /** The configured record at index `value` is a CNAME in the zone (from `at` on). */
  'dns-record-cname',
  /** The configured record at index `value` is missing from the zone. */
  'dns-record-missing',
  /** Route 53 changes stay PENDING. */
  'dns-never-insync',
  /** The DR endpoint answers 503 to the next `count` health checks. */
  'endpoint-unhealthy',
  /** Another execution (`value`: its execution ARN) holds the cutover lock. */
  'lock-held',
] as const;
export type Condition = (typeof CONDITIONS)[number];

const CONDITION_TARGET = new RegExp(`^condition:(${CONDITIONS.join('|')})$`);

export const FaultTargetSchema = z
  .string()
  .refine((t) => AWS_TARGET.test(t) || KUBERNETES_TARGET.test(t) || CONDITION_TARGET.test(t), {
    error: (issue) =>
      `unknown target '${String(issue.input)}': use aws:<Command> (e.g. aws:PromoteReadReplica), kubernetes:<METHOD|*> <configmap|deployment|*>, or condition:<${CONDITIONS.join('|')}>`,
  });

/** How many calls a fault affects: a number, or "always". */
const CountSchema = z.union([z.number().int().min(1), z.literal('always')]);

const Window = {
  /** Calls affected (default 1); "always": every matching call. */
  count: CountSchema.optional(),
  /** Calls of the target that pass before the fault starts (default 0). */
  after: z.number().int().min(0).optional(),
  /** Simulated seconds after the run starts at which the fault starts (default 0). */
  at: z.number().min(0).optional(),
  /** Simulated seconds the fault lasts once started (default: until its count is spent). */
  for: z.number().positive().optional(),
};

/** Which kinds of fault each kind of target takes. */
const KINDS_BY_FAMILY: Record<string, string[]> = {
  aws: ['error', 'lost-response', 'delay', 'hang'],
  kubernetes: ['status', 'lost-response', 'delay', 'hang'],
  condition: ['stuck'],
};

export const FaultSchema = z.discriminatedUnion('kind', [
  /** The call fails with this AWS error (`status`: its HTTP status; the world knows the usual ones). */
  z.strictObject({ target: FaultTargetSchema, kind: z.literal('error'), error: z.string().regex(/^[A-Za-z][A-Za-z0-9.]*$/), status: z.number().int().min(400).max(599).optional(), message: z.string().optional(), ...Window }),
  /** A Kubernetes request is answered with this HTTP status. */
  z.strictObject({ target: FaultTargetSchema, kind: z.literal('status'), status: z.number().int().min(400).max(599), ...Window }),
  /** The change is applied, and the caller gets an error instead of the answer (a lost response). */
  z.strictObject({ target: FaultTargetSchema, kind: z.literal('lost-response'), ...Window }),
  /** The answer comes `seconds` late. */
  z.strictObject({ target: FaultTargetSchema, kind: z.literal('delay'), seconds: z.number().positive(), ...Window }),
  /** The call never answers: only the caller's timeout ends it. */
  z.strictObject({ target: FaultTargetSchema, kind: z.literal('hang'), ...Window }),
  /** A world condition holds (with `value` where the condition takes one). */
  z.strictObject({ target: FaultTargetSchema, kind: z.literal('stuck'), value: z.union([z.string(), z.number()]).optional(), ...Window }),
]).superRefine((fault, ctx) => {
  const family = fault.target.split(':')[0] ?? '';
  const allowed = KINDS_BY_FAMILY[family] ?? [];
  if (!allowed.includes(fault.kind)) {
    ctx.addIssue({ code: 'custom', path: ['kind'], message: `'${fault.kind}' does not apply to a ${family} target; use one of: ${allowed.join(', ')}` });
  }
});
export type Fault = z.infer<typeof FaultSchema>;

export const ExpectationSchema = z.strictObject({
  status: z.enum(['SUCCEEDED', 'FAILED']),
  error: z.string().optional(),
  failedStep: z.string().optional(),
  retried: z.string().optional(),
});

export const FaultScheduleSchema = z.strictObject({
  /** Optional: a name for the schedule (a built-in scenario's name). */
  name: z.string().optional(),
  description: z.string().optional(),
  /** The step the faults aim at (for the scenario list), e.g. `Promote RDS replica`. */
  step: z.string().optional(),
  mode: z.enum(['emergency', 'planned']).optional(),
  dryRun: z.boolean().optional(),
  /** `alarm`: the run is started by the primary-health alarm, so it waits at the approval gate. */
  trigger: z.enum(['manual', 'alarm']).optional(),
  /** The person in Slack who answers approval requests; absent: nobody answers. */
  approver: z.strictObject({ decision: z.enum(['approve', 'deny']), afterSeconds: z.number().min(0), slackUserId: z.string().optional() }).optional(),
  /** The topology the run drills (scale), and routing-policy records. */
  topology: z
    .strictObject({
      tables: z.number().int().min(1).max(100).optional(),
      records: z.number().int().min(1).max(100).optional(),
      /** The first configured record is a routing-policy record named 'seoul'. */
      firstRecordRouting: z.union([z.strictObject({ failover: z.literal('PRIMARY') }), z.strictObject({ weight: z.number().int().min(0).max(255) })]).optional(),
    })
    .optional(),
  /** Overrides of the world's timing model (simulated seconds), e.g. `{ "cloudfrontDeploySeconds": 40 }`. */
  timing: z
    .record(z.string(), z.number().min(0))
    .superRefine((timing, ctx) => {
      for (const key of Object.keys(timing).filter((k) => !(k in DEFAULT_TIMING))) {
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown timing '${key}': use one of ${Object.keys(DEFAULT_TIMING).join(', ')}` });
      }
    })
    .optional(),
  /** How many executions start at once (default 1): more than one tests the lock (I4). */
  concurrent: z.number().int().min(1).max(4).optional(),
  faults: z.array(FaultSchema),
  /** What the run must end in (built-in scenarios carry it; the runner reports a mismatch). */
  expect: ExpectationSchema.optional(),
});
export type FaultSchedule = z.infer<typeof FaultScheduleSchema>;

export class FaultScheduleError extends Error {
  override name = 'FaultScheduleError';
}

/** One line naming the first bad field, e.g. `faults[2].kind: …`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid fault schedule';
  const where = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  return `${where || 'schedule'}: ${issue.message}`;
}

/** Parses a fault schedule from JSON text; a bad file is one FaultScheduleError line. */
export function parseFaultSchedule(text: string, source = 'fault file'): FaultSchedule {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new FaultScheduleError(`${source}: not JSON (${(error as Error).message})`);
  }
  const parsed = FaultScheduleSchema.safeParse(raw);
  if (!parsed.success) throw new FaultScheduleError(`${source}: ${describeIssue(parsed.error)}`);
  return parsed.data;
}
