import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { APPROVAL_DENIED_ERROR } from './contracts';
import { CutoverError, errorName } from './errors';

/**
 * The approval gate's store. The Step Functions task token lives only here: Slack, SNS, logs and
 * Lambda outputs carry the approval id. Table `dr-cutover-<env>-approvals` (stacks/names.ts):
 * partition key `approvalId` (S); `expiresAt` (N, epoch seconds) is also the table's TTL attribute.
 * Item: approvalId, taskToken, executionId, environment, status ('pending' | 'approved' | 'denied'),
 * createdAt, expiresAt, notifiedAt (set once the approval-needed event is published),
 * decidedBy, decidedAt, reason.
 * The CLI uses this module too, so it never logs.
 */

// ---- named errors (the callback maps them to HTTP statuses, the CLI prints them) ---------------

/** No approval with this id in the table (wrong id, wrong environment/table, or deleted by TTL). */
export class ApprovalNotFoundError extends CutoverError {}
/** The approval was already approved or denied (a double click, a replayed request): nothing was changed. */
export class ApprovalAlreadyDecidedError extends CutoverError {
  constructor(
    message: string,
    readonly decision: { status: string; decidedBy?: string | undefined; decidedAt?: string | undefined },
  ) {
    super(message);
  }
}
/** The approval window ended (the gate's own timeout ends the run): nothing was changed. */
export class ApprovalExpiredError extends CutoverError {}
/**
 * Step Functions refused the answer (TaskTimedOut, TaskDoesNotExist, InvalidToken): the execution is no
 * longer waiting at the gate. The approval is put back to pending, so the table never claims a decision
 * that did not reach the run.
 */
export class ApprovalTaskClosedError extends CutoverError {}

// ---- ids and names ---------------------------------------------------------------------------------

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** What the approve/deny buttons and the CLI accept: the ids this module makes are UUIDs. */
export const ApprovalIdSchema = z.uuid();

/**
 * The approval id for a task token: a UUID (RFC 9562 version 8) made from SHA-256 of the token.
 * Deterministic, so a redelivered or retried "Request approval" invocation with the same token finds
 * its own approval instead of posting a second one. A one-way hash: the id reveals nothing of the token.
 */
export function approvalIdFor(taskToken: string): string {
  const bytes = createHash('sha256').update(taskToken, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const epochSeconds = (at: Date): number => Math.floor(at.getTime() / 1000);

// ---- reading items (never the token) -----------------------------------------------------------------

/** An approval as anyone but decideApproval sees it: everything except the task token. */
export interface ApprovalSummary {
  approvalId: string;
  executionId: string;
  environment: string;
  status: string;
  createdAt: string | undefined;
  expiresAt: Date;
  notifiedAt: string | undefined;
  decidedBy: string | undefined;
  decidedAt: string | undefined;
}

type Item = Record<string, AttributeValue>;

const str = (item: Item, key: string): string | undefined => item[key]?.S;

function summarize(item: Item): ApprovalSummary {
  return {
    approvalId: str(item, 'approvalId') ?? '',
    executionId: str(item, 'executionId') ?? '',
    environment: str(item, 'environment') ?? '',
    status: str(item, 'status') ?? 'unknown',
    createdAt: str(item, 'createdAt'),
    expiresAt: new Date(Number(item.expiresAt?.N ?? 0) * 1000),
    notifiedAt: str(item, 'notifiedAt'),
    decidedBy: str(item, 'decidedBy'),
    decidedAt: str(item, 'decidedAt'),
  };
}

/**
 * The item a failed condition met, for the message: DynamoDB returns it on the
 * ConditionalCheckFailedException when asked (ReturnValuesOnConditionCheckFailure ALL_OLD; DynamoDB
 * API reference, PutItem and UpdateItem). When the exception carries none (the item did not exist,
 * or a DynamoDB-compatible store that ignores the parameter), it is read back, strongly consistent
 * and without the task token. Undefined: there is no such item.
 */
async function itemBehind(ddb: DynamoDBClient, table: string, approvalId: string, error: ConditionalCheckFailedException): Promise<Item | undefined> {
  if (error.Item) return error.Item;
  const out = await ddb.send(
    new GetItemCommand({
      TableName: table,
      Key: { approvalId: { S: approvalId } },
      ConsistentRead: true,
      ProjectionExpression: 'approvalId, executionId, environment, #status, createdAt, expiresAt, notifiedAt, decidedBy, decidedAt',
      ExpressionAttributeNames: { '#status': 'status' },
    }),
  );
  return (out as { Item?: Item } | undefined)?.Item;
}

// ---- create ----------------------------------------------------------------------------------------------

export interface NewApproval {
  approvalId: string;
  taskToken: string;
  executionId: string;
  environment: string;
  createdAt: Date;
  expiresAt: Date;
}

export type CreateResult = { created: true } | { created: false; existing: ApprovalSummary };

/** Stores a pending approval once: an existing item with the same id is returned, never overwritten. */
export async function createApproval(ddb: DynamoDBClient, table: string, approval: NewApproval): Promise<CreateResult> {
  try {
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          approvalId: { S: approval.approvalId },
          taskToken: { S: approval.taskToken },
          executionId: { S: approval.executionId },
          environment: { S: approval.environment },
          status: { S: 'pending' },
          createdAt: { S: approval.createdAt.toISOString() },
          expiresAt: { N: String(epochSeconds(approval.expiresAt)) },
        },
        ConditionExpression: 'attribute_not_exists(approvalId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { created: true };
  } catch (error) {
    // The SDK error carries the old item, token included: keep only the summary, never the error.
    if (error instanceof ConditionalCheckFailedException) {
      return { created: false, existing: summarize((await itemBehind(ddb, table, approval.approvalId, error)) ?? {}) };
    }
    throw error;
  }
}

/** Records that the approval-needed event went out, so a redelivered request does not post it twice. */
export async function markNotified(ddb: DynamoDBClient, table: string, approvalId: string, at: Date): Promise<void> {
  await ddb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { approvalId: { S: approvalId } },
      UpdateExpression: 'SET notifiedAt = :at',
      ConditionExpression: 'attribute_exists(approvalId)',
      ExpressionAttributeValues: { ':at': { S: at.toISOString() } },
    }),
  );
}

// ---- decide ----------------------------------------------------------------------------------------------

export interface DecideDeps {
  ddb: DynamoDBClient;
  sfn: SFNClient;
  table: string;
  now: () => Date;
}

export interface DecideInput {
  approvalId: string;
  approve: boolean;
  /** Who answers: a listed approver's name (Slack) or the operator (CLI). */
  by: string;
  /** Why it was denied; goes into the failure cause. */
  reason?: string;
}

export interface DecideResult {
  approvalId: string;
  status: 'approved' | 'denied';
  by: string;
  at: string;
  executionId: string;
  environment: string;
  /** Denials only: the ApprovalDenied cause the run fails with. */
  cause?: string;
}

/** SendTask* answers meaning the execution no longer waits for this token. */
const TASK_CLOSED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** How many attempts the SDK made before it threw (its retry middleware sets `$metadata.attempts`); 1 if unknown. */
function sdkAttempts(error: unknown): number {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | null)?.$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : 1;
}

/** Why the claim's condition failed, from the item as it was (or its absence). */
function conditionFailure(approvalId: string, old: Item | undefined, now: Date): CutoverError {
  if (!old) return new ApprovalNotFoundError(`No approval ${approvalId}: check the id and the environment. Nothing was changed.`);
  const summary = summarize(old);
  if (summary.status !== 'pending') {
    const who = summary.decidedBy ? ` by ${summary.decidedBy}` : '';
    const when = summary.decidedAt ? ` at ${summary.decidedAt}` : '';
    return new ApprovalAlreadyDecidedError(`Approval ${approvalId} was already ${summary.status}${who}${when}. Nothing was changed.`, {
      status: summary.status,
      decidedBy: summary.decidedBy,
      decidedAt: summary.decidedAt,
    });
  }
  if (summary.expiresAt.getTime() <= now.getTime()) {
    return new ApprovalExpiredError(
      `Approval ${approvalId} expired at ${summary.expiresAt.toISOString()}: the approval gate has timed out and the run stopped before any change. Nothing was changed.`,
    );
  }
  return new ApprovalNotFoundError(`Approval ${approvalId} could not be claimed. Nothing was changed.`);
}

/** Puts a claimed approval back to pending when its answer did not reach the run. Best effort. */
async function releaseClaim(deps: DecideDeps, approvalId: string, decided: ApprovalStatus, by: string, at: string): Promise<boolean> {
  try {
    await deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.table,
        Key: { approvalId: { S: approvalId } },
        UpdateExpression: 'SET #status = :pending REMOVE decidedBy, decidedAt, #reason',
        ConditionExpression: '#status = :decided AND decidedBy = :by AND decidedAt = :at',
        ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
        ExpressionAttributeValues: { ':pending': { S: 'pending' }, ':decided': { S: decided }, ':by': { S: by }, ':at': { S: at } },
      }),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Approves or denies one approval, at most once:
 * 1. one conditional UpdateItem claims it (`status = pending AND expiresAt > now`) and returns the
 *    item (ALL_NEW) with the task token; a second answer, a replay or an expired approval fails the
 *    condition and changes nothing;
 * 2. SendTaskSuccess(`{approved:true, by, at}`) or SendTaskFailure(ApprovalDenied, `Denied by <by>: <reason>`).
 * If step 2 fails, the claim is undone, so a later click can try again (transient errors) or gets the
 * same clear answer (the execution is no longer waiting).
 */
export async function decideApproval(deps: DecideDeps, input: DecideInput): Promise<DecideResult> {
  const now = deps.now();
  const at = now.toISOString();
  const status: ApprovalStatus = input.approve ? 'approved' : 'denied';
  const reason = input.approve ? input.reason : (input.reason ?? 'no reason given');
  let claimed: Item;
  try {
    const out = await deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.table,
        Key: { approvalId: { S: input.approvalId } },
        UpdateExpression: `SET #status = :decided, decidedBy = :by, decidedAt = :at${reason !== undefined ? ', #reason = :reason' : ''}`,
        ConditionExpression: '#status = :pending AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status', ...(reason !== undefined ? { '#reason': 'reason' } : {}) },
        ExpressionAttributeValues: {
          ':decided': { S: status },
          ':pending': { S: 'pending' },
          ':by': { S: input.by },
          ':at': { S: at },
          ':now': { N: String(epochSeconds(now)) },
          ...(reason !== undefined ? { ':reason': { S: reason } } : {}),
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    claimed = out.Attributes ?? {};
  } catch (error) {
    // Never chain the SDK error: its Item holds the task token.
    if (error instanceof ConditionalCheckFailedException) {
      throw conditionFailure(input.approvalId, await itemBehind(deps.ddb, deps.table, input.approvalId, error), now);
    }
    throw error;
  }

  const taskToken = claimed.taskToken?.S;
  const summary = summarize(claimed);
  const result: DecideResult = {
    approvalId: input.approvalId,
    status,
    by: input.by,
    at,
    executionId: summary.executionId,
    environment: summary.environment,
  };
  if (!taskToken) {
    await releaseClaim(deps, input.approvalId, status, input.by, at);
    throw new ApprovalNotFoundError(`Approval ${input.approvalId} holds no task token. Nothing was sent to the run.`);
  }

  const cause = `Denied by ${input.by}: ${reason ?? ''}`;
  try {
    if (input.approve) {
      await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approved: true, by: input.by, at }) }));
    } else {
      await deps.sfn.send(new SendTaskFailureCommand({ taskToken, error: APPROVAL_DENIED_ERROR, cause }));
    }
  } catch (error) {
    const name = errorName(error);
    // The SDK resends a call whose connection broke after it was sent. When such a resend finds the task
    // closed, the earlier attempt most likely delivered this answer (the claim above just checked that
    // the approval window is still open): the decision stands, and the table keeps it.
    if (TASK_CLOSED.has(name) && sdkAttempts(error) > 1) return input.approve ? result : { ...result, cause };
    const reset = await releaseClaim(deps, input.approvalId, status, input.by, at);
    if (TASK_CLOSED.has(name)) {
      throw new ApprovalTaskClosedError(
        `The run is no longer waiting for approval ${input.approvalId} (Step Functions answered ${name}): it already timed out or ended, so nothing was ${status}.${
          reset ? '' : ' The approval could not be put back to pending.'
        }`,
      );
    }
    throw error;
  }
  return input.approve ? result : { ...result, cause };
}
