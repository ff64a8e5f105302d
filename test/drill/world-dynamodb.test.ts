import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { extractCutover, synthesizeTemplate } from '../../drill/definition';
import { SimulatedWorld, WORLD_ACCOUNT } from '../../drill/world';
import { toRuntimeTargets } from '../../stacks/config';
import { testConfig } from '../support/config';

/**
 * The drill world's lock and approvals tables are a real DynamoDB implementation: the exact
 * command the product sends is evaluated there (expression parsing, validation, conditions,
 * errors), still through the world's dispatch point (call log, faults), and the world's effects
 * are the writes it accepted.
 */
const config = testConfig('prod');
const env = extractCutover(synthesizeTemplate(config), config.standbyRegion).lambdaEnvironment;
const LOCK_TABLE = env.LOCK_TABLE_NAME ?? 'missing';
const APPROVALS_TABLE = env.APPROVALS_TABLE_NAME ?? 'missing';
const ME = 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:me';
const OTHER = 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:other';
const client = new DynamoDBClient({ region: config.standbyRegion });
const newWorld = () => new SimulatedWorld(config, toRuntimeTargets(config, `arn:aws:acm:${config.standbyRegion}:${WORLD_ACCOUNT}:certificate/x`));
let world: SimulatedWorld;

beforeEach(async () => {
  world = newWorld();
  await world.start();
});
afterEach(async () => {
  await world.stop();
});

const epoch = () => Math.floor(world.now() / 1000);
const acquire = (executionId: string) =>
  client.send(
    new PutItemCommand({
      TableName: LOCK_TABLE,
      Item: { lockId: { S: config.name }, executionId: { S: executionId }, expiresAt: { N: String(epoch() + 3600) } },
      ConditionExpression: 'attribute_not_exists(lockId) OR expiresAt < :now OR executionId = :me',
      ExpressionAttributeValues: { ':now': { N: String(epoch()) }, ':me': { S: executionId } },
    }),
  );

describe("the drill world's lock and approvals tables", () => {
  it('evaluate the condition the product wrote: a held lock refuses another execution, and the holder releases it', async () => {
    await acquire(OTHER);
    await expect(acquire(ME)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await world.lockItem())?.executionId?.S).toBe(OTHER);
    await client.send(new DeleteItemCommand({ TableName: LOCK_TABLE, Key: { lockId: { S: config.name } }, ConditionExpression: 'executionId = :me', ExpressionAttributeValues: { ':me': { S: OTHER } } }));
    expect(await world.lockItem()).toBeUndefined();
    expect(world.effects).toEqual([
      { kind: 'lock', detail: `acquire ${config.name}` },
      { kind: 'lock', detail: `release ${config.name}` },
    ]);
    expect(world.callsOf('PutItemCommand')).toHaveLength(2);
  });

  it('keep a lock whose item has no expiry (a comparison with a missing attribute is false)', async () => {
    await world.putItem(LOCK_TABLE, { lockId: { S: config.name }, executionId: { S: OTHER } });
    await expect(acquire(ME)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await world.lockItem())?.executionId?.S).toBe(OTHER);
    expect(world.effects).toEqual([]);
  });

  it('answer an unknown table as DynamoDB does', async () => {
    await expect(client.send(new GetItemCommand({ TableName: `${LOCK_TABLE}-typo`, Key: { lockId: { S: config.name } } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuse an update the service would refuse (a reserved word used as a name)', async () => {
    await world.putItem(APPROVALS_TABLE, { approvalId: { S: 'a' }, status: { S: 'pending' } });
    await expect(
      client.send(new UpdateItemCommand({ TableName: APPROVALS_TABLE, Key: { approvalId: { S: 'a' } }, UpdateExpression: 'SET decidedBy = :by', ConditionExpression: 'status = :pending', ExpressionAttributeValues: { ':by': { S: 'Kim' }, ':pending': { S: 'pending' } } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('record a decision once, from the status the accepted write changed', async () => {
    await world.putItem(APPROVALS_TABLE, { approvalId: { S: 'a' }, status: { S: 'pending' }, expiresAt: { N: String(epoch() + 60) } });
    const claim = () =>
      client.send(
        new UpdateItemCommand({
          TableName: APPROVALS_TABLE,
          Key: { approvalId: { S: 'a' } },
          UpdateExpression: 'SET #s = :decided',
          ConditionExpression: 'expiresAt > :now AND (#s = :pending)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':decided': { S: 'approved' }, ':pending': { S: 'pending' }, ':now': { N: String(epoch()) } },
          ReturnValues: 'ALL_NEW',
        }),
      );
    await expect(claim()).resolves.toMatchObject({ Attributes: { status: { S: 'approved' } } });
    await expect(claim()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(world.effects).toEqual([{ kind: 'approval', detail: 'approved a' }]);
    expect((await world.approvalItems()).map((i) => i.status?.S)).toEqual(['approved']);
  });

  it('still answer with a scheduled fault instead, without writing', async () => {
    world.failNext('PutItemCommand', 1, () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(acquire(ME)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(await world.lockItem()).toBeUndefined();
  });

  it('hold and clear the lock for a scenario, in order even when not awaited', async () => {
    void world.holdLock(OTHER);
    await expect(acquire(ME)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    void world.clearLock();
    await acquire(ME);
    expect((await world.lockItem())?.executionId?.S).toBe(ME);
  });

  it('are not shared between two worlds in one process', async () => {
    const other = newWorld();
    await other.start();
    try {
      await world.holdLock(ME);
      expect(await other.lockItem()).toBeUndefined();
      expect((await world.lockItem())?.executionId?.S).toBe(ME);
    } finally {
      await other.stop();
    }
  });
});
