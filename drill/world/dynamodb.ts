import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DeleteItemCommandInput,
  type DeleteItemCommandOutput,
  type DescribeTableCommandInput,
  type DescribeTableCommandOutput,
  type GetItemCommandInput,
  type GetItemCommandOutput,
  type PutItemCommandInput,
  type PutItemCommandOutput,
  type ReplicaStatus,
  type TableStatus,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

/** A global table as DescribeTable in the standby Region sees it. */
export interface GlobalTable {
  status: string;
  /** `inaccessibleSince`: simulated ms when the replica was first detected inaccessible (ReplicaInaccessibleDateTime). */
  replicas: Array<{ region: string; status: string; inaccessibleSince?: number }>;
}

type UpdateInput = Pick<UpdateItemCommandInput, 'Key' | 'ConditionExpression' | 'ExpressionAttributeValues'>;

export function installDynamoDb(world: SimulatedWorld): void {
  const on = stubClient(world, DynamoDBClient);
  on(DescribeTableCommand, (input: DescribeTableCommandInput): Answer<DescribeTableCommandOutput> => {
    const table = world.tables.get(input.TableName ?? '');
    if (!table) throw Object.assign(new Error(`Table ${input.TableName} not found`), { name: 'ResourceNotFoundException', $metadata: {} });
    const removedAfterMs = 20 * 3600_000; // ReplicaDescription: removed after 20 hours inaccessible
    const replicas = table.replicas.filter((r) => r.inaccessibleSince === undefined || world.now() - r.inaccessibleSince < removedAfterMs);
    return {
      Table: {
        TableName: input.TableName,
        TableStatus: table.status as TableStatus,
        Replicas: replicas.map((r) => ({
          RegionName: r.region,
          ReplicaStatus: r.status as ReplicaStatus,
          ...(r.inaccessibleSince === undefined ? {} : { ReplicaInaccessibleDateTime: new Date(r.inaccessibleSince) }),
        })),
      },
    };
  });
  on(GetItemCommand, (input: GetItemCommandInput): Answer<GetItemCommandOutput> => ({ Item: world.lock.get(input.Key?.lockId?.S ?? '') }));
  on(PutItemCommand, (input: PutItemCommandInput): Answer<PutItemCommandOutput> => {
    const item = input.Item ?? {};
    if (item.approvalId?.S) return putApproval(world, item);
    const id = item.lockId?.S ?? '';
    const current = world.lock.get(id);
    const now = Number(input.ExpressionAttributeValues?.[':now']?.N ?? 0);
    const me = input.ExpressionAttributeValues?.[':me']?.S;
    if (current && Number(current.expiresAt?.N ?? 0) >= now && current.executionId?.S !== me) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: current });
    }
    world.lock.set(id, item);
    world.effects.push({ kind: 'lock', detail: `acquire ${id}` });
    return {};
  });
  on(UpdateItemCommand, (input: UpdateItemCommandInput): Answer<UpdateItemCommandOutput> => updateApproval(world, input));
  on(DeleteItemCommand, (input: DeleteItemCommandInput): Answer<DeleteItemCommandOutput> => {
    const id = input.Key?.lockId?.S ?? '';
    if (world.lock.get(id)?.executionId?.S !== input.ExpressionAttributeValues?.[':me']?.S) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    world.lock.delete(id);
    world.effects.push({ kind: 'lock', detail: `release ${id}` });
    return {};
  });
}

/** Another execution holds the environment's lock for the next hour. */
export function holdLock(world: SimulatedWorld, executionId: string): void {
  world.lock.set(world.config.name, {
    lockId: { S: world.config.name },
    executionId: { S: executionId },
    acquiredAt: { S: new Date(world.now()).toISOString() },
    expiresAt: { N: String(Math.floor(world.now() / 1000) + 3600) },
  });
}

/**
 * The primary Region's replicas have been inaccessible since `at` (simulated ms), with this status.
 * After 20 hours DynamoDB removes such a replica from the replication group (DynamoDB API reference,
 * ReplicaDescription: "If the AWS Region remains inaccessible for more than 20 hours, DynamoDB will
 * remove this replica from the replication group").
 */
export function primaryReplicasInaccessibleSince(world: SimulatedWorld, at: number, status: 'REGION_DISABLED' | 'INACCESSIBLE_ENCRYPTION_CREDENTIALS' = 'REGION_DISABLED'): void {
  for (const table of world.tables.values()) {
    for (const replica of table.replicas) {
      if (replica.region === world.config.primaryRegion) Object.assign(replica, { status, inaccessibleSince: at });
    }
  }
}

/** Every standby table reads UPDATING once preflight has read it (one describe per table). */
export function degradeTableAfterPreflight(world: SimulatedWorld): void {
  world.answerNext(
    'DescribeTableCommand',
    Number.POSITIVE_INFINITY,
    (input) => ({ Table: { TableName: (input as { TableName?: string }).TableName, TableStatus: 'UPDATING', Replicas: [] } }),
    { after: world.config.dynamodb.tables.length },
  );
}

function putApproval(world: SimulatedWorld, item: Record<string, AttributeValue>): Answer<UpdateItemCommandOutput> {
  const id = item.approvalId?.S ?? '';
  const existing = world.approvals.get(id);
  if (existing) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: existing });
  world.approvals.set(id, structuredClone(item));
  return {};
}

/** The approvals table's three updates: announced, claim (pending → decided), and undo of a claim. */
function updateApproval(world: SimulatedWorld, input: UpdateInput): Answer<UpdateItemCommandOutput> {
  const id = input.Key?.approvalId?.S ?? '';
  const item = world.approvals.get(id);
  const v = input.ExpressionAttributeValues ?? {};
  const fail = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item });
  const condition = input.ConditionExpression ?? '';
  if (condition === 'attribute_exists(approvalId)') {
    if (!item) throw fail();
    item.notifiedAt = v[':at'] ?? { S: '' };
    return {};
  }
  if (condition === '#status = :pending AND expiresAt > :now') {
    if (!item || item.status?.S !== v[':pending']?.S || Number(item.expiresAt?.N) <= Number(v[':now']?.N)) throw fail();
    Object.assign(item, { status: v[':decided'], decidedBy: v[':by'], decidedAt: v[':at'] }, v[':reason'] ? { reason: v[':reason'] } : {});
    world.effects.push({ kind: 'approval', detail: `${item.status?.S ?? '?'} ${id}` });
    return { Attributes: structuredClone(item) };
  }
  if (condition === '#status = :decided AND decidedBy = :by AND decidedAt = :at') {
    if (!item || item.status?.S !== v[':decided']?.S || item.decidedBy?.S !== v[':by']?.S || item.decidedAt?.S !== v[':at']?.S) throw fail();
    item.status = v[':pending'] ?? { S: 'pending' };
    delete item.decidedBy;
    delete item.decidedAt;
    delete item.reason;
    return {};
  }
  throw new Error(`the simulated approvals table does not know the update '${condition}'`);
}
