import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import type { StepResult } from '../shared/contracts';
import { CutoverLockHeldError } from '../shared/errors';
import { arnAccount, provePermissions, type PermissionDeps } from '../shared/permissions';

export const LockInputSchema = z.object({
  action: z.enum(['acquire', 'release']),
  environment: z.string().min(1),
  executionId: z.string().min(1),
  dryRun: z.boolean(),
  reason: z.string().optional(),
});
export type LockInput = z.infer<typeof LockInputSchema>;

export interface LockDeps {
  ddb: DynamoDBClient;
  tableName: string;
  /** How long a lock lives: the execution timeout, so a timed-out run cannot hold it forever. */
  ttlSeconds: number;
  now: () => Date;
  /** Dry run only: proves the role may write and delete the lock (iam:SimulatePrincipalPolicy). */
  permissions: PermissionDeps;
}

export type LockResult = StepResult & {
  holder: string | null;
  /** When an acquired lock expires on its own (its TTL, the execution timeout): what a failed release leaves. */
  expiresAt?: string;
};

const STEP = 'Cutover lock';

function describeHolder(item: Record<string, AttributeValue> | undefined, environment: string): string {
  if (!item) return `A cutover is already running for ${environment}.`;
  const id = item.executionId?.S ?? 'unknown execution';
  const since = item.acquiredAt?.S ?? 'an unknown time';
  const expires = item.expiresAt?.N ? new Date(Number(item.expiresAt.N) * 1000).toISOString() : 'unknown';
  return `A cutover is already running for ${environment}: ${id}, since ${since} (lock expires ${expires}). Nothing was changed.`;
}

function isLive(item: Record<string, AttributeValue> | undefined, now: Date): boolean {
  const expiresAt = Number(item?.expiresAt?.N ?? 0);
  return item !== undefined && expiresAt > Math.floor(now.getTime() / 1000);
}

/**
 * The lock item that refused us: DynamoDB returns it on the ConditionalCheckFailedException when asked
 * (ReturnValuesOnConditionCheckFailure ALL_OLD; DynamoDB API reference, PutItem). When the exception
 * carries none (a DynamoDB-compatible store that ignores the parameter), it is read back. Best effort:
 * it only names the holder in the message.
 */
async function holderBehind(
  deps: LockDeps,
  key: Record<string, AttributeValue>,
  error: ConditionalCheckFailedException,
): Promise<Record<string, AttributeValue> | undefined> {
  if (error.Item) return error.Item;
  try {
    const out = await deps.ddb.send(new GetItemCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }));
    return (out as { Item?: Record<string, AttributeValue> } | undefined)?.Item;
  } catch {
    return undefined;
  }
}

/**
 * Takes the per-environment lock with one conditional write: free, expired, or already ours
 * (a redriven execution keeps its id). A dry run only reads it: it writes nothing, but is
 * refused while a real cutover runs, since its plan would describe a half-changed world.
 */
export async function acquireLock(deps: LockDeps, input: LockInput): Promise<LockResult> {
  const now = deps.now();
  const nowEpoch = Math.floor(now.getTime() / 1000);
  const key = { lockId: { S: input.environment } };
  if (input.dryRun) {
    const current = await deps.ddb.send(new GetItemCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }));
    if (isLive(current.Item, now) && current.Item?.executionId?.S !== input.executionId) {
      throw new CutoverLockHeldError(describeHolder(current.Item, input.environment));
    }
    // The writes a real run makes: PutItem to acquire, DeleteItem to release (arn:aws:dynamodb:<region>:<account>:table/<name>).
    const table = `arn:aws:dynamodb:${await deps.ddb.config.region()}:${arnAccount(deps.permissions.roleArn)}:table/${deps.tableName}`;
    await provePermissions(deps.permissions, [
      { action: 'dynamodb:PutItem', resourceArns: [table], purpose: '(acquire)' },
      { action: 'dynamodb:DeleteItem', resourceArns: [table], purpose: '(release)' },
    ]);
    return {
      step: STEP,
      outcome: 'would-change',
      changes: [{ resource: `lock/${input.environment}`, action: 'acquire (dry run: not written)' }],
      holder: null,
    };
  }
  try {
    await deps.ddb.send(
      new PutItemCommand({
        TableName: deps.tableName,
        Item: {
          ...key,
          executionId: { S: input.executionId },
          acquiredAt: { S: now.toISOString() },
          expiresAt: { N: String(nowEpoch + deps.ttlSeconds) },
          reason: { S: (input.reason ?? '').slice(0, 500) },
        },
        ConditionExpression: 'attribute_not_exists(lockId) OR expiresAt < :now OR executionId = :me',
        ExpressionAttributeValues: { ':now': { N: String(nowEpoch) }, ':me': { S: input.executionId } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new CutoverLockHeldError(describeHolder(await holderBehind(deps, key, error), input.environment));
    }
    throw error;
  }
  const expiresAt = new Date((nowEpoch + deps.ttlSeconds) * 1000).toISOString();
  return { step: STEP, outcome: 'changed', changes: [], holder: input.executionId, expiresAt };
}

/** Releases the lock only if this execution holds it; releasing twice is a no-op. */
export async function releaseLock(deps: Omit<LockDeps, 'permissions'>, input: LockInput): Promise<LockResult> {
  if (input.dryRun) return { step: STEP, outcome: 'already-done', changes: [], holder: null };
  try {
    await deps.ddb.send(
      new DeleteItemCommand({
        TableName: deps.tableName,
        Key: { lockId: { S: input.environment } },
        ConditionExpression: 'executionId = :me',
        ExpressionAttributeValues: { ':me': { S: input.executionId } },
      }),
    );
    return { step: STEP, outcome: 'changed', changes: [], holder: null };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      return { step: STEP, outcome: 'already-done', changes: [], holder: null };
    }
    throw error;
  }
}
