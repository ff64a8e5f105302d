import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { releaseLock } from '../cutover-lock/logic';
import { publishEvent } from '../notify/logic';
import { buildReport } from '../report/logic';
import { CutoverInputSchema, type ValidatedInput } from '../shared/contracts';

/**
 * EventBridge's "Step Functions Execution Status Change" for a run that ended without reaching
 * its own failure path: it timed out, or someone stopped it. Only the fields used are checked.
 */
export const ExecutionEndedEventSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().startsWith('arn:'),
    status: z.enum(['TIMED_OUT', 'ABORTED']),
    startDate: z.number(),
    stopDate: z.number().nullable().optional(),
    input: z.string().nullable().optional(),
    error: z.string().nullable().optional(),
    cause: z.string().nullable().optional(),
  }),
});
export type ExecutionEndedEvent = z.infer<typeof ExecutionEndedEventSchema>;

export interface ExecutionEndedDeps {
  ddb: DynamoDBClient;
  sns: SNSClient;
  lockTable: string;
  topicArn: string;
  environment: string;
  now: () => Date;
}

/** The run's own input when it was valid; a placeholder otherwise (the report still goes out). */
export function runInput(raw: string | null | undefined): ValidatedInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? 'null');
  } catch {
    parsed = null;
  }
  const input = CutoverInputSchema.safeParse(parsed);
  if (!input.success) return { mode: 'emergency', dryRun: false, reason: '(input not readable)', requestedBy: 'unknown', trigger: { type: 'manual' } };
  const { trigger, requestedBy, ...rest } = input.data;
  return { ...rest, requestedBy: requestedBy ?? 'unknown', trigger: trigger ?? { type: 'manual' } };
}

/**
 * Timeouts and StopExecution skip every Catch, so this closes the run instead: it releases the
 * lock (only if this execution holds it) and announces the failure (I4, I5).
 */
export async function closeEndedExecution(deps: ExecutionEndedDeps, event: ExecutionEndedEvent) {
  const { detail } = event;
  const input = runInput(detail.input);
  const released = await releaseLock(
    { ddb: deps.ddb, tableName: deps.lockTable, ttlSeconds: 0, now: deps.now },
    { action: 'release', environment: deps.environment, executionId: detail.executionArn, dryRun: false },
  );
  const stage = detail.status === 'TIMED_OUT' ? 'Execution timed out' : 'Execution stopped';
  const report = buildReport(
    {
      status: 'failed',
      environment: deps.environment,
      executionId: detail.executionArn,
      executionStartTime: new Date(detail.startDate).toISOString(),
      input,
      results: {},
      failure: {
        stage,
        Error: detail.error ?? (detail.status === 'TIMED_OUT' ? 'States.Timeout' : 'ExecutionAborted'),
        Cause: detail.cause ?? (detail.status === 'TIMED_OUT' ? 'The execution reached its timeout.' : 'The execution was stopped (StopExecution).'),
      },
    },
    new Date(detail.stopDate ?? deps.now().getTime()),
  );
  await publishEvent(
    { sns: deps.sns, topicArn: deps.topicArn, now: deps.now },
    { type: 'cutover.failed', environment: deps.environment, executionId: detail.executionArn, input, stage, report },
  );
  return { lock: released.outcome === 'changed' ? 'released' : 'not held by this execution', stage };
}
