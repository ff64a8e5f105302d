import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { approvalIdFor, createApproval, markNotified } from '../shared/approvals';
import { ValidatedInputSchema, type ApprovalRequest } from '../shared/contracts';
import { publishEvent, type NotifyInput } from '../notify/logic';

export const STEP = 'Request approval';

/**
 * The payload of the `.waitForTaskToken` task. The token is stored in the approvals table and
 * nowhere else: not in the event, the output, the logs or an error message.
 */
export const RequestApprovalInputSchema = z.object({
  taskToken: z.string().min(1).max(2048),
  environment: z.string().min(1),
  executionId: z.string().min(1),
  input: ValidatedInputSchema,
  /** The gate's own timeout: the approval expires with it. */
  timeoutSeconds: z.number().int().positive().max(7 * 24 * 3600),
  /** Display names of who may answer, for the message. */
  approvers: z.array(z.string().min(1)),
});
export type RequestApprovalInput = z.infer<typeof RequestApprovalInputSchema>;

export interface RequestApprovalDeps {
  ddb: DynamoDBClient;
  sns: SNSClient;
  table: string;
  topicArn: string;
  now: () => Date;
}

/** The Lambda's return value. Step Functions discards it (the gate's output is the approver's answer); it names no token. */
export interface RequestApprovalResult {
  step: typeof STEP;
  outcome: 'changed' | 'already-done';
  approvalId: string;
  expiresAt: string;
}

/**
 * Stores a pending approval, then publishes one `cutover.approval-needed` event carrying its id.
 * Idempotent for a redelivered invocation (same token → same approval id): an approval already
 * announced is left alone ('already-done'); one stored but not yet announced is announced now.
 */
export async function requestApproval(deps: RequestApprovalDeps, input: RequestApprovalInput): Promise<RequestApprovalResult> {
  const now = deps.now();
  const approvalId = approvalIdFor(input.taskToken);
  let expiresAt = new Date(Math.floor(now.getTime() / 1000 + input.timeoutSeconds) * 1000);

  const created = await createApproval(deps.ddb, deps.table, {
    approvalId,
    taskToken: input.taskToken,
    executionId: input.executionId,
    environment: input.environment,
    createdAt: now,
    expiresAt,
  });
  if (!created.created) {
    expiresAt = created.existing.expiresAt;
    if (created.existing.notifiedAt !== undefined) {
      return { step: STEP, outcome: 'already-done', approvalId, expiresAt: expiresAt.toISOString() };
    }
  }

  const approval: ApprovalRequest = { approvalId, expiresAt: expiresAt.toISOString(), approvers: input.approvers };
  // NotifyInputSchema has no `approval` field yet; publishEvent spreads its input into the event, so it goes through.
  const event: NotifyInput & { approval: ApprovalRequest } = {
    type: 'cutover.approval-needed',
    environment: input.environment,
    executionId: input.executionId,
    input: input.input,
    stage: 'Approval gate',
    approval,
  };
  await publishEvent({ sns: deps.sns, topicArn: deps.topicArn, now: deps.now }, event);
  // After the publish nothing may fail the task: a retry would get a new token and post a second request.
  await markNotified(deps.ddb, deps.table, approvalId, deps.now()).catch(() => undefined);
  return { step: STEP, outcome: 'changed', approvalId, expiresAt: approval.expiresAt };
}
