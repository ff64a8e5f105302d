import { z } from 'zod';
import { CutoverReportSchema, RpoSchema } from '../functions/shared/contracts';

/**
 * The drill's machine-readable result (`npm start -- --json`): one JSON document on stdout.
 * The top-level run fields describe the last run; `runs[]` holds every run in order (one, or two
 * with `--rerun` after a failure). The document is built through this schema, so what is printed
 * is what is documented.
 */

/** Simulated time as an ISO 8601 string (the drill's clock starts at 2026-01-01T00:00:00Z). */
const SimulatedTime = z.string().describe('simulated time, ISO 8601');

/** Who sent a call: the execution and Task state, or null for work no execution started. */
const Attribution = {
  executionId: z.string().nullable().describe('the execution ARN; null for work outside an execution (the Slack notifier, the approval callback)'),
  state: z.string().nullable().describe('the Task state that invoked the Lambda; null outside an execution'),
  step: z.string().nullable().describe('the Lambda that sent it: its functions/ folder, e.g. promote-replica (null only for work outside any Lambda; none in a drill run)'),
};

export const AwsCallResultSchema = z.strictObject({
  ...Attribution,
  service: z.string().describe('the IAM service prefix, e.g. rds, route53, cloudfront'),
  command: z.string().describe('the API name, e.g. PromoteReadReplica'),
  region: z.string(),
  outcome: z
    .enum(['ok', 'error', 'denied', 'unattributed', 'no-answer'])
    .describe('ok: answered; error: an error answer (see error); denied: refused by IAM; unattributed: sent outside any Lambda invocation (refused); no-answer: never answered (a hung call)'),
  error: z.string().nullable().describe('the error name for error and denied; null otherwise'),
  mutating: z.boolean().describe('the call changes the world (a dry run makes none)'),
  at: SimulatedTime,
});
export type AwsCallResult = z.infer<typeof AwsCallResultSchema>;

export const KubernetesRequestResultSchema = z.strictObject({
  ...Attribution,
  method: z.string(),
  path: z.string().describe('the request path, without the query string'),
  status: z.number().int().nullable().describe('the HTTP status; null when no response came (connection lost, aborted)'),
  error: z.string().nullable().describe('why no response came; null with a status'),
  at: SimulatedTime,
});
export type KubernetesRequestResult = z.infer<typeof KubernetesRequestResultSchema>;

export const SlackMessageResultSchema = z.strictObject({
  text: z.string().describe('the message as it reads in Slack, as plain text'),
  payload: z.unknown().describe('the Block Kit payload posted to the webhook (or the response_url)'),
});

export const RpoResultSchema = z.strictObject({
  label: z.enum(['RPO', 'RPO unknown']),
  value: z.string().describe('the RPO in words, as the report shows it'),
  rpoSeconds: z.number().nullable().describe("the report's rpoSeconds: apply lag at promotion, null when unknown"),
  detail: RpoSchema.nullable().describe('what is known of data loss; null when this run decided no promotion'),
});

export const WorldStateSchema = z.strictObject({
  primaryRegion: z.string(),
  standbyRegion: z.string(),
  dns: z.array(z.strictObject({ name: z.string(), type: z.string(), setIdentifier: z.string().nullable(), target: z.string().nullable() })),
  database: z.strictObject({ instanceId: z.string(), role: z.string().describe('e.g. "standalone (writable)" or "read replica (available)"') }),
  configMap: z.strictObject({
    namespace: z.string(),
    name: z.string(),
    data: z.record(z.string(), z.string().nullable()).describe('the configured keys and their values now; null: unset'),
  }),
  cloudFront: z.array(z.strictObject({ pathPattern: z.string(), origin: z.string().nullable() })),
  lock: z.strictObject({ holder: z.string().nullable().describe('the execution holding the cutover lock; null: free') }),
});
export type WorldState = z.infer<typeof WorldStateSchema>;

export const RunResultSchema = z.strictObject({
  run: z.number().int().min(1).describe('1 for the first run, 2 for the re-run'),
  executionId: z.string(),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  error: z.string().nullable().describe("the execution's error name when it failed"),
  cause: z.string().nullable().describe("the execution's cause when it failed"),
  rtoSeconds: z.number().nullable().describe("simulated RTO from the report; null when the run produced no report"),
  rpo: RpoResultSchema.nullable(),
  report: CutoverReportSchema.nullable().describe('the cutover report the run produced (the fields the text report shows)'),
  simulatedSeconds: z.number().describe('simulated time from the start to the end of this run'),
  stateTransitions: z.number().int(),
  calls: z.array(AwsCallResultSchema).describe('every AWS call made during this run, in order'),
  kubernetes: z.array(KubernetesRequestResultSchema).describe('every Kubernetes API request made during this run, in order'),
  messages: z.array(SlackMessageResultSchema).describe('the Slack messages posted during this run'),
  world: WorldStateSchema.describe('the end state of the world after this run'),
});
export type RunResult = z.infer<typeof RunResultSchema>;

export const DrillResultSchema = z.strictObject({
  scenario: z.string(),
  environment: z.string(),
  mode: z.enum(['emergency', 'planned']),
  dryRun: z.boolean(),
  ...RunResultSchema.shape,
  runs: z.array(RunResultSchema).min(1).describe('every run in order; the top-level fields repeat the last'),
});
export type DrillResult = z.infer<typeof DrillResultSchema>;

/** The result schema as JSON Schema (`npm start -- --json-schema`). */
export function drillResultJsonSchema(): unknown {
  return z.toJSONSchema(DrillResultSchema, { io: 'output', unrepresentable: 'any' });
}
