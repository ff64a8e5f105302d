import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';

/** An approvals-table item as `createApproval` stores it, with `fields` set as strings on top. */
export function approvalItem(
  ids: { approvalId: string; taskToken: string; executionId: string },
  expiresAt: number,
  fields: Record<string, string> = {},
): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    approvalId: { S: ids.approvalId },
    taskToken: { S: ids.taskToken },
    executionId: { S: ids.executionId },
    environment: { S: 'prod' },
    status: { S: 'pending' },
    createdAt: { S: '2026-11-27T03:00:00.000Z' },
    expiresAt: { N: String(expiresAt) },
  };
  for (const [key, value] of Object.entries(fields)) item[key] = { S: value };
  return item;
}

/** DynamoDB's answer to a failed condition, with the old item when asked for. */
export const conditionFailed = (old?: Record<string, AttributeValue>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(old ? { Item: old } : {}) });
