import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeDefinition,
  type DeleteItemCommandOutput,
  type PutItemCommandOutput,
  type UpdateItemCommandOutput,
  type AttributeValue,
  type KeySchemaElement,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-dynamodb';
import type { Command } from '@smithy/types';
import dynalite from 'dynalite';
import { z } from 'zod';
import type { EnvironmentConfig } from '../stacks/config';
import { synthesizeTemplate, type CfnTemplate } from './definition';

/**
 * The drill's lock and approvals tables, served by a real DynamoDB implementation (dynalite, in
 * memory, over HTTP on 127.0.0.1). Requests go through a real DynamoDBClient, so its JSON
 * serialization, the service's expression parser and validation, its condition evaluation and
 * its error responses are the ones the product meets, not a hand-written matcher.
 *
 * Known differences from DynamoDB (dynalite 4.0.0):
 * - `ReturnValuesOnConditionCheckFailure` is ignored: a ConditionalCheckFailedException never
 *   carries `Item` (DynamoDB API reference, PutItem/UpdateItem/DeleteItem request parameter
 *   ReturnValuesOnConditionCheckFailure; ConditionalCheckFailedException `Item`: "Item which caused
 *   the ConditionalCheckFailedException"; dynalite issue #182, open).
 * - Time to Live is not implemented (no UpdateTimeToLive; DescribeTimeToLive always answers
 *   DISABLED), so expired items stay until deleted. DynamoDB also keeps them for a while: it
 *   deletes expired items in the background, typically within a few days, and "items that have
 *   expired and not been deleted will still show up in reads, queries, and scans" (DynamoDB API
 *   reference, UpdateTimeToLive; developer guide, "Working with expired items"). The TTL attribute
 *   the stack declares is kept in `LocalTableSpec.ttlAttribute`.
 * - No transactions, streams or global-table replication (the product uses none on these tables).
 */

/** A table as the synthesized stack declares it (AWS::DynamoDB::Table). */
export interface LocalTableSpec {
  logicalId: string;
  /** The physical name: `TableName`, or the logical id when the stack leaves the name to CloudFormation (as the drill resolves a `Ref`). */
  tableName: string;
  keySchema: KeySchemaElement[];
  attributeDefinitions: AttributeDefinition[];
  /** `TimeToLiveSpecification.AttributeName` when TTL is enabled (not enforced here: see above). */
  ttlAttribute: string | undefined;
}

export type Item = Record<string, AttributeValue>;

const TableResourceSchema = z.object({
  Type: z.literal('AWS::DynamoDB::Table'),
  Properties: z.object({
    TableName: z.string().min(3).optional(),
    KeySchema: z.array(z.object({ AttributeName: z.string().min(1), KeyType: z.enum(['HASH', 'RANGE']) })).min(1),
    AttributeDefinitions: z.array(z.object({ AttributeName: z.string().min(1), AttributeType: z.enum(['S', 'N', 'B']) })).min(1),
    TimeToLiveSpecification: z.object({ AttributeName: z.string().min(1), Enabled: z.boolean() }).optional(),
  }),
});

/** Every DynamoDB table the template declares, with its key schema and TTL attribute. */
export function tableSpecs(template: CfnTemplate): LocalTableSpec[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')
    .map(([logicalId, resource]) => {
      const parsed = TableResourceSchema.safeParse(resource);
      if (!parsed.success) throw new Error(`table ${logicalId} in the template: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const p = parsed.data.Properties;
      const ttl = p.TimeToLiveSpecification;
      return {
        logicalId,
        tableName: p.TableName ?? logicalId,
        keySchema: p.KeySchema,
        attributeDefinitions: p.AttributeDefinitions,
        ttlAttribute: ttl?.Enabled ? ttl.AttributeName : undefined,
      };
    });
}

// aws-sdk-client-mock replaces `DynamoDBClient.prototype.send` for every instance while the world
// answers SDK commands. The forwarding client must really send, so it calls the send it inherits
// from the smithy base client, which the mock leaves alone. Taken once, when this module loads.
type BaseSend = (this: DynamoDBClient, command: unknown) => Promise<unknown>;
const unstubbedSend = (Object.getPrototypeOf(DynamoDBClient.prototype) as { send: BaseSend }).send;

const realSetImmediate = globalThis.setImmediate;
const nextTurn = () => new Promise<void>((resolve) => realSetImmediate(resolve));

/** A DynamoDB command (PutItemCommand, ...), as `DynamoDBClient.send` takes it. */
export type DynamoDbCommand<I extends ServiceInputTypes, O extends ServiceOutputTypes> = Command<ServiceInputTypes, I, ServiceOutputTypes, O, never>;

export interface LocalDynamoDbOptions {
  /** The Region the client signs for (dynalite does not check it). */
  region?: string;
}

/**
 * Stopped instances kept for reuse in this process, by the tables they serve: a later start costs
 * clearing the tables (a scan and a delete per item) instead of a new server and its tables.
 */
const idle = new Map<string, LocalDynamoDb[]>();
const poolKey = (tables: readonly LocalTableSpec[]) => JSON.stringify(tables);

export class LocalDynamoDb {
  private constructor(
    private readonly server: Server,
    private readonly client: DynamoDBClient,
    readonly endpoint: string,
    readonly tables: readonly LocalTableSpec[],
  ) {}

  /** The tables the synthesized stack for `config` declares, created empty. */
  static forConfig(config: EnvironmentConfig, options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
    return LocalDynamoDb.start(tableSpecs(synthesizeTemplate(config)), { region: config.standbyRegion, ...options });
  }

  /**
   * Like `forConfig`, but reuses an instance another user released in this process (its tables
   * emptied), so thousands of drills in one process do not each start a server. Two users holding
   * instances at once never share one. Give it back with `release()`.
   */
  static async acquireForConfig(config: EnvironmentConfig): Promise<LocalDynamoDb> {
    const tables = tableSpecs(synthesizeTemplate(config));
    const reused = idle.get(poolKey(tables))?.pop();
    if (reused) return reused;
    const local = await LocalDynamoDb.start(tables, { region: config.standbyRegion });
    // A kept instance must not keep the process alive.
    local.server.unref();
    local.server.on('connection', (socket) => socket.unref());
    local.server.closeAllConnections();
    return local;
  }

  /** Empties the tables and keeps this instance for the next `acquireForConfig` in this process. */
  async release(): Promise<void> {
    for (const table of this.tables) await this.clear(table.tableName);
    this.server.closeAllConnections();
    const key = poolKey(this.tables);
    idle.set(key, [...(idle.get(key) ?? []), this]);
  }

  /**
   * Starts an in-memory DynamoDB on 127.0.0.1 and creates the tables. Must run under real timers
   * (before the drill's simulated clock is installed): dynalite makes a new table ACTIVE on a timer.
   * Afterwards it works under the simulated clock: requests use only sockets and setImmediate.
   */
  static async start(tables: readonly LocalTableSpec[], options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    // The client keeps its connections alive; the server must not close an idle one on its own real-time
    // timer (Node's default keepAliveTimeout is 5 s), or a request racing that close fails with a reset
    // on a loaded machine. Connections are closed by stop() and release().
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const endpoint = `http://127.0.0.1:${port}`;
    const client = new DynamoDBClient({
      region: options.region ?? 'ap-northeast-1',
      endpoint,
      credentials: { accessKeyId: 'AKIDLOCALDYNAMODB', secretAccessKey: 'local-dynamodb' },
      // One try: the world's faults model throttling; a retry here would hide an answer.
      maxAttempts: 1,
    });
    const local = new LocalDynamoDb(server, client, endpoint, tables.map((t) => ({ ...t })));
    try {
      for (const table of tables) {
        await local.send(
          new CreateTableCommand({
            TableName: table.tableName,
            KeySchema: table.keySchema,
            AttributeDefinitions: table.attributeDefinitions,
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      }
      for (const table of tables) await local.untilActive(table.tableName);
    } catch (error) {
      await local.stop();
      throw error;
    }
    return local;
  }

  private async untilActive(tableName: string): Promise<void> {
    for (let i = 0; i < 200; i += 1) {
      const out = await this.send(new DescribeTableCommand({ TableName: tableName }));
      if (out.Table?.TableStatus === 'ACTIVE') return;
      await nextTurn();
    }
    throw new Error(`table ${tableName} did not become ACTIVE: start the local DynamoDB before fake timers are installed`);
  }

  /** Whether this table is served here. */
  serves(tableName: string | undefined): boolean {
    return this.tables.some((t) => t.tableName === tableName);
  }

  /** A served table's spec, by physical name or logical id. */
  table(name: string): LocalTableSpec {
    const spec = this.tables.find((t) => t.tableName === name || t.logicalId === name);
    if (!spec) throw new Error(`no local table ${name} (served: ${this.tables.map((t) => t.tableName).join(', ')})`);
    return spec;
  }

  /**
   * Sends one command over HTTP through the SDK's real serialization, even while a mock of
   * DynamoDBClient is installed. Service errors arrive as the SDK's exceptions
   * (ConditionalCheckFailedException, ValidationException, ResourceNotFoundException).
   */
  async send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: DynamoDbCommand<I, O>): Promise<O> {
    return (await unstubbedSend.call(this.client, command)) as O;
  }

  /**
   * Sends a write as the caller made it and also returns the item before (PutItem, DeleteItem) or
   * after (UpdateItem) it, from the same atomic request: when the caller did not ask for return
   * values, the request asks for ALL_OLD (ALL_NEW for UpdateItem) and the caller's output is given
   * back without them. What the world records as effects comes from here, not from parsing
   * expressions. A failed condition rejects as `send` does.
   */
  async write(command: PutItemCommand): Promise<{ output: PutItemCommandOutput; before: Item | undefined; after: Item | undefined }>;
  async write(command: DeleteItemCommand): Promise<{ output: DeleteItemCommandOutput; before: Item | undefined; after: undefined }>;
  async write(command: UpdateItemCommand): Promise<{ output: UpdateItemCommandOutput; before: undefined; after: Item | undefined }>;
  async write(
    command: PutItemCommand | DeleteItemCommand | UpdateItemCommand,
  ): Promise<{ output: PutItemCommandOutput | DeleteItemCommandOutput | UpdateItemCommandOutput; before: Item | undefined; after: Item | undefined }> {
    const asked = command.input.ReturnValues;
    if (command instanceof UpdateItemCommand) {
      if (asked !== undefined && asked !== 'NONE' && asked !== 'ALL_NEW') return { output: await this.send(command), before: undefined, after: undefined };
      const output = await this.send(new UpdateItemCommand({ ...command.input, ReturnValues: 'ALL_NEW' }));
      return { output: asked === 'ALL_NEW' ? output : withoutAttributes(output), before: undefined, after: output.Attributes };
    }
    if (command instanceof PutItemCommand) {
      if (asked !== undefined && asked !== 'NONE' && asked !== 'ALL_OLD') return { output: await this.send(command), before: undefined, after: undefined };
      const output = await this.send(new PutItemCommand({ ...command.input, ReturnValues: 'ALL_OLD' }));
      return { output: asked === 'ALL_OLD' ? output : withoutAttributes(output), before: output.Attributes, after: command.input.Item };
    }
    if (asked !== undefined && asked !== 'NONE' && asked !== 'ALL_OLD') return { output: await this.send(command), before: undefined, after: undefined };
    const output = await this.send(new DeleteItemCommand({ ...command.input, ReturnValues: 'ALL_OLD' }));
    return { output: asked === 'ALL_OLD' ? output : withoutAttributes(output), before: output.Attributes, after: undefined };
  }

  /** One item, strongly consistent; undefined when absent. */
  async get(tableName: string, key: Item): Promise<Item | undefined> {
    const out = await this.send(new GetItemCommand({ TableName: this.table(tableName).tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  /** Every item of a table, strongly consistent. */
  async scan(tableName: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.send(
        new ScanCommand({ TableName: this.table(tableName).tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Writes an item unconditionally (seeding a scenario). */
  async put(tableName: string, item: Item): Promise<void> {
    await this.send(new PutItemCommand({ TableName: this.table(tableName).tableName, Item: item }));
  }

  /** Deletes every item of a table (healing a scenario); returns how many there were. */
  async clear(tableName: string): Promise<number> {
    const spec = this.table(tableName);
    const items = await this.scan(spec.tableName);
    for (const item of items) {
      const key = Object.fromEntries(spec.keySchema.map((k) => [k.AttributeName ?? '', item[k.AttributeName ?? ''] ?? { NULL: true }]));
      await this.send(new DeleteItemCommand({ TableName: spec.tableName, Key: key }));
    }
    return items.length;
  }

  async stop(): Promise<void> {
    this.client.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

function withoutAttributes<T extends { Attributes?: Item }>(output: T): T {
  const { Attributes: _attributes, ...rest } = output;
  return rest as T;
}
