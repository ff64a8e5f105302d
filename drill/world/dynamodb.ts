import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
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
import type { Item, LocalDynamoDb } from '../dynamodb-local';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

/** A global table as DescribeTable in the standby Region sees it. */
export interface GlobalTable {
  status: string;
  /** `inaccessibleSince`: simulated ms when the replica was first detected inaccessible (ReplicaInaccessibleDateTime). */
  replicas: Array<{ region: string; status: string; inaccessibleSince?: number }>;
}

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
  // The lock and approvals tables: the exact command the product sent is evaluated by a real
  // DynamoDB implementation (drill/dynamodb-local.ts), which answers or throws as the service does
  // (ConditionalCheckFailedException, ValidationException, ResourceNotFoundException, ...).
  // Where dynalite differs from DynamoDB (see drill/dynamodb-local.ts): a ConditionalCheckFailedException
  // never carries `Item`, even with ReturnValuesOnConditionCheckFailure ALL_OLD (DynamoDB API
  // reference, PutItem/UpdateItem request parameters), so the product takes its read-back path
  // (a strongly consistent GetItem) every time; and Time to Live never deletes an expired item,
  // which DynamoDB also may keep for days (developer guide, "Working with expired items").
  on(GetItemCommand, (input: GetItemCommandInput): Promise<Answer<GetItemCommandOutput>> => world.dynamo((local) => local.send(new GetItemCommand(input))));
  on(PutItemCommand, (input: PutItemCommandInput): Promise<Answer<PutItemCommandOutput>> =>
    world.dynamo(async (local) => {
      const { output, before, after } = await local.write(new PutItemCommand(input));
      noteWrite(world, local, input.TableName, before, after);
      return output;
    }),
  );
  on(UpdateItemCommand, (input: UpdateItemCommandInput): Promise<Answer<UpdateItemCommandOutput>> =>
    world.dynamo(async (local) => {
      // The world's requests to the local DynamoDB run one at a time, so this read and the write
      // below see the same item.
      const before = local.serves(input.TableName) && input.Key ? await local.get(input.TableName ?? '', input.Key) : undefined;
      const { output, after } = await local.write(new UpdateItemCommand(input));
      noteWrite(world, local, input.TableName, before, after);
      return output;
    }),
  );
  on(DeleteItemCommand, (input: DeleteItemCommandInput): Promise<Answer<DeleteItemCommandOutput>> =>
    world.dynamo(async (local) => {
      const { output, before } = await local.write(new DeleteItemCommand(input));
      noteWrite(world, local, input.TableName, before, undefined);
      return output;
    }),
  );
}

/**
 * Records what an accepted write changed, from the items before and after it: the lock taken or
 * released, an approval's status moved from pending to a decision. A re-run must not repeat these.
 */
function noteWrite(world: SimulatedWorld, local: LocalDynamoDb, tableName: string | undefined, before: Item | undefined, after: Item | undefined): void {
  if (!local.serves(tableName)) return;
  const hash = local.table(tableName ?? '').keySchema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
  const id = (after ?? before)?.[hash]?.S ?? '';
  if (tableName === world.lockTable) {
    if (after) world.effects.push({ kind: 'lock', detail: `acquire ${id}` });
    else if (before) world.effects.push({ kind: 'lock', detail: `release ${id}` });
    return;
  }
  const from = before?.status?.S;
  const to = after?.status?.S;
  if (from === 'pending' && to !== undefined && to !== 'pending') world.effects.push({ kind: 'approval', detail: `${to} ${id}` });
}

/** Another execution holds the environment's lock for the next hour. */
export function lockItemHeldBy(world: SimulatedWorld, executionId: string): Item {
  return {
    lockId: { S: world.config.name },
    executionId: { S: executionId },
    acquiredAt: { S: new Date(world.now()).toISOString() },
    expiresAt: { N: String(Math.floor(world.now() / 1000) + 3600) },
  };
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
