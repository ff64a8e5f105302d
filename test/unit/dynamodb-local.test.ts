import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { extractCutover, synthesizeTemplate } from '../../drill/definition';
import { LocalDynamoDb, tableSpecs, type DynamoDbCommand, type Item } from '../../drill/dynamodb-local';
import { SimClock } from '../../drill/sim-clock';
import { acquireLock, releaseLock, type LockDeps, type LockInput } from '../../functions/cutover-lock/logic';
import {
  ApprovalAlreadyDecidedError,
  ApprovalExpiredError,
  ApprovalNotFoundError,
  ApprovalTaskClosedError,
  approvalIdFor,
  createApproval,
  decideApproval,
  markNotified,
  type DecideDeps,
} from '../../functions/shared/approvals';
import { CutoverLockHeldError } from '../../functions/shared/errors';
import { requestApproval, type RequestApprovalInput } from '../../functions/request-approval/logic';
import { loadEnvironment } from '../../stacks/environments';
import { permissions } from '../support/permissions';

const config = loadEnvironment('prod');
const template = synthesizeTemplate(config);
const specs = tableSpecs(template);
const lockSpec = specs.find((t) => t.keySchema[0]?.AttributeName === 'lockId');
const approvalsSpec = specs.find((t) => t.keySchema[0]?.AttributeName === 'approvalId');
const LOCK_TABLE = lockSpec?.tableName ?? 'missing';
const APPROVALS_TABLE = approvalsSpec?.tableName ?? 'missing';

const NOW = new Date('2026-11-27T03:00:00Z');
const NOW_EPOCH = NOW.getTime() / 1000;
const ME = 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:me';
const OTHER = 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:other';

let local: LocalDynamoDb;
beforeAll(async () => {
  local = await LocalDynamoDb.forConfig(config);
});
afterAll(async () => {
  await local.stop();
});
beforeEach(async () => {
  await local.clear(LOCK_TABLE);
  await local.clear(APPROVALS_TABLE);
});

/**
 * The product's DynamoDBClient as the drill answers it: the mock forwards each command to the local
 * DynamoDB, so the product's requests are evaluated by a real DynamoDB implementation.
 */
function forwardDynamoDb() {
  const ddb = mockClient(DynamoDBClient);
  ddb.on(GetItemCommand).callsFake((input: GetItemCommand['input']) => local.send(new GetItemCommand(input)));
  ddb.on(PutItemCommand).callsFake((input: PutItemCommand['input']) => local.send(new PutItemCommand(input)));
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommand['input']) => local.send(new UpdateItemCommand(input)));
  ddb.on(DeleteItemCommand).callsFake((input: DeleteItemCommand['input']) => local.send(new DeleteItemCommand(input)));
  return ddb;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('the local DynamoDB', () => {
  it('creates the tables exactly as the synthesized stack declares them', async () => {
    expect(lockSpec).toMatchObject({ keySchema: [{ AttributeName: 'lockId', KeyType: 'HASH' }], ttlAttribute: 'expiresAt' });
    expect(approvalsSpec).toMatchObject({ tableName: 'dr-cutover-prod-approvals', keySchema: [{ AttributeName: 'approvalId', KeyType: 'HASH' }], ttlAttribute: 'expiresAt' });
    // The names the deployed Lambdas are given are the names served here.
    const env = extractCutover(template, config.standbyRegion).lambdaEnvironment;
    expect(local.serves(env.LOCK_TABLE_NAME)).toBe(true);
    expect(local.serves(env.APPROVALS_TABLE_NAME)).toBe(true);
    const described = await local.send(new DescribeTableCommand({ TableName: APPROVALS_TABLE }));
    expect(described.Table).toMatchObject({
      TableStatus: 'ACTIVE',
      KeySchema: [{ AttributeName: 'approvalId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'approvalId', AttributeType: 'S' }],
    });
  });

  it('really sends while a mock of DynamoDBClient answers every other client', async () => {
    const ddb = mockClient(DynamoDBClient);
    ddb.onAnyCommand().rejects(new Error('answered by the mock'));
    try {
      await expect(new DynamoDBClient({}).send(new GetItemCommand({ TableName: LOCK_TABLE, Key: { lockId: { S: 'prod' } } }))).rejects.toThrow('answered by the mock');
      await local.put(LOCK_TABLE, { lockId: { S: 'prod' }, executionId: { S: ME } });
      expect(await local.get(LOCK_TABLE, { lockId: { S: 'prod' } })).toEqual({ lockId: { S: 'prod' }, executionId: { S: ME } });
      await expect(local.send(new PutItemCommand({ TableName: LOCK_TABLE, Item: { lockId: { S: 'prod' } }, ConditionExpression: 'attribute_not_exists(lockId)' }))).rejects.toBeInstanceOf(
        ConditionalCheckFailedException,
      );
      // Only the one call above reached the mock.
      expect(ddb.calls()).toHaveLength(1);
    } finally {
      ddb.restore();
    }
  });

  it('works under the simulated clock: requests complete while simulated time stands still', async () => {
    const clock = new SimClock(NOW);
    clock.install();
    try {
      const work = clock.hold(async () => {
        await local.put(LOCK_TABLE, { lockId: { S: 'prod' }, executionId: { S: ME }, expiresAt: { N: String(NOW_EPOCH + 60) } });
        const refused = await caught(
          local.send(
            new PutItemCommand({
              TableName: LOCK_TABLE,
              Item: { lockId: { S: 'prod' }, executionId: { S: OTHER } },
              ConditionExpression: 'attribute_not_exists(lockId) OR expiresAt < :now',
              ExpressionAttributeValues: { ':now': { N: String(Math.floor(Date.now() / 1000)) } },
            }),
          ),
        );
        return { refused, items: await local.scan(LOCK_TABLE) };
      });
      await clock.drive(work);
      const { refused, items } = await work;
      expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
      expect(items).toEqual([expect.objectContaining({ executionId: { S: ME } })]);
      expect(clock.elapsedMs()).toBe(0);
      // Outside held work too (the world's own reads), without driving the clock.
      expect(await local.get(LOCK_TABLE, { lockId: { S: 'prod' } })).toMatchObject({ executionId: { S: ME } });
    } finally {
      clock.uninstall();
    }
  });
});

describe('observed writes (what the world records as effects)', () => {
  const lockKey = { lockId: { S: 'prod' } };
  it('returns the item before and after each write from the same request, and the caller only what it asked for', async () => {
    const put = await local.write(new PutItemCommand({ TableName: LOCK_TABLE, Item: { ...lockKey, executionId: { S: ME } }, ConditionExpression: 'attribute_not_exists(lockId)' }));
    expect(put).toEqual({ output: expect.not.objectContaining({ Attributes: expect.anything() }), before: undefined, after: { ...lockKey, executionId: { S: ME } } });
    const again = await local.write(new PutItemCommand({ TableName: LOCK_TABLE, Item: { ...lockKey, executionId: { S: OTHER } }, ReturnValues: 'ALL_OLD' }));
    expect(again.before).toEqual({ ...lockKey, executionId: { S: ME } });
    expect(again.output.Attributes).toEqual({ ...lockKey, executionId: { S: ME } });
    const update = await local.write(
      new UpdateItemCommand({ TableName: LOCK_TABLE, Key: lockKey, UpdateExpression: 'SET reason = :r', ExpressionAttributeValues: { ':r': { S: 'drill' } } }),
    );
    expect(update.after).toEqual({ ...lockKey, executionId: { S: OTHER }, reason: { S: 'drill' } });
    expect(update.output).not.toHaveProperty('Attributes');
    const del = await local.write(new DeleteItemCommand({ TableName: LOCK_TABLE, Key: lockKey, ConditionExpression: 'executionId = :me', ExpressionAttributeValues: { ':me': { S: OTHER } } }));
    expect(del.before).toMatchObject({ executionId: { S: OTHER } });
    expect(del.output).not.toHaveProperty('Attributes');
    await expect(local.write(new DeleteItemCommand({ TableName: LOCK_TABLE, Key: lockKey, ConditionExpression: 'attribute_exists(lockId)' }))).rejects.toBeInstanceOf(
      ConditionalCheckFailedException,
    );
  });
});

describe('starting the local DynamoDB', () => {
  it('says so when started under fake timers (its tables become ACTIVE on a timer)', async () => {
    const clock = new SimClock(NOW);
    clock.install();
    try {
      await expect(LocalDynamoDb.start(specs)).rejects.toThrow('start the local DynamoDB before fake timers are installed');
    } finally {
      clock.uninstall();
    }
  });
});

describe('the cutover lock against DynamoDB', () => {
  let ddb: ReturnType<typeof forwardDynamoDb>;
  beforeAll(() => {
    ddb = forwardDynamoDb();
  });
  afterAll(() => ddb.restore());
  let now = NOW;
  const deps: LockDeps = { ddb: new DynamoDBClient({}), tableName: LOCK_TABLE, ttlSeconds: 5400, now: () => now, permissions };
  const input = (executionId: string, extra: Partial<LockInput> = {}): LockInput => ({ action: 'acquire', environment: 'prod', executionId, dryRun: false, reason: 'drill', ...extra });
  beforeEach(() => {
    now = NOW;
  });
  const holder = async () => (await local.get(LOCK_TABLE, { lockId: { S: 'prod' } }))?.executionId?.S;

  it('takes a free lock', async () => {
    await expect(acquireLock(deps, input(ME))).resolves.toMatchObject({ outcome: 'changed', holder: ME });
    expect(await local.get(LOCK_TABLE, { lockId: { S: 'prod' } })).toMatchObject({ executionId: { S: ME }, expiresAt: { N: String(NOW_EPOCH + 5400) } });
  });

  it('refuses a second execution and names the holder', async () => {
    await acquireLock(deps, input(OTHER));
    const error = await caught(acquireLock(deps, input(ME)));
    expect(error).toBeInstanceOf(CutoverLockHeldError);
    expect((error as Error).message).toContain(OTHER);
    expect((error as Error).message).toContain(new Date((NOW_EPOCH + 5400) * 1000).toISOString());
    expect(await holder()).toBe(OTHER);
  });

  it('lets the holder take it again (a redriven execution)', async () => {
    await acquireLock(deps, input(ME));
    now = new Date(NOW.getTime() + 60_000);
    await expect(acquireLock(deps, input(ME))).resolves.toMatchObject({ outcome: 'changed' });
    expect(await local.get(LOCK_TABLE, { lockId: { S: 'prod' } })).toMatchObject({ expiresAt: { N: String(NOW_EPOCH + 60 + 5400) } });
  });

  it('hands an expired lock to another execution, not one that expires this second', async () => {
    await acquireLock(deps, input(OTHER));
    now = new Date((NOW_EPOCH + 5400) * 1000);
    await expect(acquireLock(deps, input(ME))).rejects.toBeInstanceOf(CutoverLockHeldError);
    now = new Date((NOW_EPOCH + 5401) * 1000);
    await expect(acquireLock(deps, input(ME))).resolves.toMatchObject({ outcome: 'changed', holder: ME });
    expect(await holder()).toBe(ME);
  });

  it('releases only for the holder, and releasing twice is a no-op', async () => {
    await acquireLock(deps, input(OTHER));
    await expect(releaseLock(deps, input(ME, { action: 'release' }))).resolves.toMatchObject({ outcome: 'already-done' });
    expect(await holder()).toBe(OTHER);
    await expect(releaseLock(deps, input(OTHER, { action: 'release' }))).resolves.toMatchObject({ outcome: 'changed' });
    expect(await holder()).toBeUndefined();
    await expect(releaseLock(deps, input(OTHER, { action: 'release' }))).resolves.toMatchObject({ outcome: 'already-done' });
  });

  it('a dry run reads the lock and writes nothing', async () => {
    await acquireLock(deps, input(OTHER));
    ddb.resetHistory();
    await expect(acquireLock(deps, input(ME, { dryRun: true }))).rejects.toBeInstanceOf(CutoverLockHeldError);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(await holder()).toBe(OTHER);
  });

  // Finding: the world granted a lock whose item has no expiresAt (it read a missing expiresAt as 0).
  // In DynamoDB a comparison with a missing attribute is false, so the condition fails and the lock holds.
  it('keeps a lock whose item has no expiry', async () => {
    await local.put(LOCK_TABLE, { lockId: { S: 'prod' }, executionId: { S: OTHER } });
    await expect(acquireLock(deps, input(ME))).rejects.toBeInstanceOf(CutoverLockHeldError);
    expect(await holder()).toBe(OTHER);
  });
});

describe('approvals against DynamoDB', () => {
  let ddb: ReturnType<typeof forwardDynamoDb>;
  const sfn = mockClient(SFNClient);
  const sns = mockClient(SNSClient);
  beforeAll(() => {
    ddb = forwardDynamoDb();
  });
  afterAll(() => {
    ddb.restore();
    sfn.restore();
    sns.restore();
  });
  const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAc3ecretTaskToken+with/odd=chars==';
  const APPROVAL_ID = approvalIdFor(TOKEN);
  const key = { approvalId: { S: APPROVAL_ID } };
  let now = NOW;
  const deps = (): DecideDeps => ({ ddb: new DynamoDBClient({}), sfn: new SFNClient({}), table: APPROVALS_TABLE, now: () => now });
  const newApproval = (expiresAt = new Date(NOW.getTime() + 1800_000)) => ({
    approvalId: APPROVAL_ID,
    taskToken: TOKEN,
    executionId: ME,
    environment: 'prod',
    createdAt: NOW,
    expiresAt,
  });
  const request: RequestApprovalInput = {
    taskToken: TOKEN,
    environment: 'prod',
    executionId: ME,
    input: { mode: 'emergency', dryRun: false, reason: 'Seoul down', requestedBy: 'alarm', trigger: { type: 'alarm', alarmName: 'a', time: '2026-11-27T02:59:00Z' } },
    timeoutSeconds: 1800,
    approvers: ['Kim'],
  };
  beforeEach(() => {
    now = NOW;
    sfn.reset();
    sns.reset();
    sfn.on(SendTaskSuccessCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  it('records an approval once; a second create finds it and does not overwrite it', async () => {
    await expect(createApproval(new DynamoDBClient({}), APPROVALS_TABLE, newApproval())).resolves.toEqual({ created: true });
    await markNotified(new DynamoDBClient({}), APPROVALS_TABLE, APPROVAL_ID, NOW);
    const again = await createApproval(new DynamoDBClient({}), APPROVALS_TABLE, { ...newApproval(), executionId: OTHER });
    expect(again).toMatchObject({ created: false, existing: { executionId: ME, status: 'pending', notifiedAt: NOW.toISOString() } });
    expect(await local.get(APPROVALS_TABLE, key)).toMatchObject({ executionId: { S: ME } });
  });

  it('a redelivered request publishes the approval-needed event once', async () => {
    const rdeps = { ddb: new DynamoDBClient({}), sns: new SNSClient({}), table: APPROVALS_TABLE, topicArn: 'arn:aws:sns:ap-northeast-1:123456789012:t', now: () => now };
    await expect(requestApproval(rdeps, request)).resolves.toMatchObject({ outcome: 'changed' });
    await expect(requestApproval(rdeps, request)).resolves.toMatchObject({ outcome: 'already-done' });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('refuses to mark an approval that does not exist', async () => {
    await expect(markNotified(new DynamoDBClient({}), APPROVALS_TABLE, APPROVAL_ID, NOW)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(await local.scan(APPROVALS_TABLE)).toEqual([]);
  });

  it('records one decision; a second is refused as already decided, naming who decided', async () => {
    await createApproval(new DynamoDBClient({}), APPROVALS_TABLE, newApproval());
    await expect(decideApproval(deps(), { approvalId: APPROVAL_ID, approve: true, by: 'Kim' })).resolves.toMatchObject({ status: 'approved', executionId: ME });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    const error = await caught(decideApproval(deps(), { approvalId: APPROVAL_ID, approve: false, by: 'Lee', reason: 'no' }));
    expect(error).toBeInstanceOf(ApprovalAlreadyDecidedError);
    expect((error as Error).message).toContain('already approved by Kim');
    expect((error as Error).message).not.toContain(TOKEN);
    expect(await local.get(APPROVALS_TABLE, key)).toMatchObject({ status: { S: 'approved' }, decidedBy: { S: 'Kim' } });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('refuses an unknown approval', async () => {
    await expect(decideApproval(deps(), { approvalId: APPROVAL_ID, approve: true, by: 'Kim' })).rejects.toBeInstanceOf(ApprovalNotFoundError);
    // UpdateItem with a failed condition creates nothing.
    expect(await local.scan(APPROVALS_TABLE)).toEqual([]);
  });

  it('refuses an expired approval as expired', async () => {
    await createApproval(new DynamoDBClient({}), APPROVALS_TABLE, newApproval());
    now = new Date(NOW.getTime() + 1800_000);
    await expect(decideApproval(deps(), { approvalId: APPROVAL_ID, approve: true, by: 'Kim' })).rejects.toBeInstanceOf(ApprovalExpiredError);
    expect(await local.get(APPROVALS_TABLE, key)).toMatchObject({ status: { S: 'pending' } });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('puts a claim back to pending when the run no longer waits', async () => {
    await createApproval(new DynamoDBClient({}), APPROVALS_TABLE, newApproval());
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'timed out', $metadata: {} }));
    await expect(decideApproval(deps(), { approvalId: APPROVAL_ID, approve: true, by: 'Kim' })).rejects.toBeInstanceOf(ApprovalTaskClosedError);
    const item = await local.get(APPROVALS_TABLE, key);
    expect(item).toMatchObject({ status: { S: 'pending' } });
    expect(item).not.toHaveProperty('decidedBy');
    expect(item).not.toHaveProperty('decidedAt');
  });

  // Finding: the world claimed an approval with no expiresAt (NaN <= now is false). DynamoDB refuses it.
  it('does not claim an approval that has no expiry', async () => {
    await local.put(APPROVALS_TABLE, { approvalId: { S: APPROVAL_ID }, taskToken: { S: TOKEN }, status: { S: 'pending' } });
    await expect(caught(decideApproval(deps(), { approvalId: APPROVAL_ID, approve: true, by: 'Kim' }))).resolves.toBeInstanceOf(Error);
    expect(await local.get(APPROVALS_TABLE, key)).toMatchObject({ status: { S: 'pending' } });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });
});

/**
 * Where the world's hand-written matching (drill/world.ts PutItem, DeleteItem and updateApproval
 * handlers) answered differently from DynamoDB. Each case is what DynamoDB does.
 */
describe('DynamoDB, where the hand-written matching differed', () => {
  const send = <I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: DynamoDbCommand<I, O>) => caught(local.send(command));
  const lockItem: Item = { lockId: { S: 'prod' }, executionId: { S: OTHER }, expiresAt: { N: String(NOW_EPOCH + 60) } };

  it('answers ConditionalCheckFailedException without the old item unless ALL_OLD is asked for (the world always attached it)', async () => {
    await local.put(LOCK_TABLE, lockItem);
    const error = await send(new DeleteItemCommand({ TableName: LOCK_TABLE, Key: { lockId: { S: 'prod' } }, ConditionExpression: 'executionId = :me', ExpressionAttributeValues: { ':me': { S: ME } } }));
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toBeUndefined();
  });

  it('refuses an item that does not carry the table key (the world routed PutItem by attribute, ignoring TableName)', async () => {
    const error = await send(new PutItemCommand({ TableName: LOCK_TABLE, Item: { approvalId: { S: 'a' }, status: { S: 'pending' } }, ConditionExpression: 'attribute_not_exists(approvalId)' }));
    expect(error).toMatchObject({ name: 'ValidationException' });
    expect(await local.scan(LOCK_TABLE)).toEqual([]);
  });

  it('refuses an unknown table (the world answered GetItem from the lock map whatever the table)', async () => {
    const error = await send(new GetItemCommand({ TableName: 'dr-cutover-prod-locks-typo', Key: { lockId: { S: 'prod' } } }));
    expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses a reserved word used as a name, and values the expression does not use (the world never parsed the expression)', async () => {
    await local.put(APPROVALS_TABLE, { approvalId: { S: 'a' }, status: { S: 'pending' } });
    const reserved = await send(
      new UpdateItemCommand({ TableName: APPROVALS_TABLE, Key: { approvalId: { S: 'a' } }, UpdateExpression: 'SET decidedBy = :by', ConditionExpression: 'status = :pending', ExpressionAttributeValues: { ':by': { S: 'Kim' }, ':pending': { S: 'pending' } } }),
    );
    expect(reserved).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('reserved keyword') });
    const unused = await send(
      new DeleteItemCommand({ TableName: LOCK_TABLE, Key: { lockId: { S: 'prod' } }, ConditionExpression: 'executionId = :me', ExpressionAttributeValues: { ':me': { S: ME }, ':now': { N: '1' } } }),
    );
    expect(unused).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('unused') });
    const undefinedValue = await send(new UpdateItemCommand({ TableName: APPROVALS_TABLE, Key: { approvalId: { S: 'a' } }, UpdateExpression: 'SET notifiedAt = :at', ConditionExpression: 'attribute_exists(approvalId)' }));
    expect(undefinedValue).toMatchObject({ name: 'ValidationException' });
  });

  it('accepts an equivalent condition written another way (the world knew three exact strings and threw on any other)', async () => {
    await local.put(APPROVALS_TABLE, { approvalId: { S: 'a' }, status: { S: 'pending' }, expiresAt: { N: String(NOW_EPOCH + 60) } });
    const out = await local.send(
      new UpdateItemCommand({
        TableName: APPROVALS_TABLE,
        Key: { approvalId: { S: 'a' } },
        UpdateExpression: 'SET #s = :decided',
        ConditionExpression: 'expiresAt > :now AND (#s = :pending)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':decided': { S: 'approved' }, ':pending': { S: 'pending' }, ':now': { N: String(NOW_EPOCH) } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(out.Attributes).toMatchObject({ status: { S: 'approved' } });
  });

  it('writes only what the update expression names (the world set reason from :reason whatever the expression said)', async () => {
    await local.put(APPROVALS_TABLE, { approvalId: { S: 'a' }, status: { S: 'pending' }, expiresAt: { N: String(NOW_EPOCH + 60) } });
    const out = await local.send(
      new UpdateItemCommand({
        TableName: APPROVALS_TABLE,
        Key: { approvalId: { S: 'a' } },
        UpdateExpression: 'SET #status = :decided, decidedBy = :by, decidedAt = :at',
        ConditionExpression: '#status = :pending AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':decided': { S: 'denied' }, ':pending': { S: 'pending' }, ':by': { S: 'Kim' }, ':at': { S: NOW.toISOString() }, ':now': { N: String(NOW_EPOCH) } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(out.Attributes).not.toHaveProperty('reason');
  });

  it('compares numbers with numbers only (the world coerced a string expiresAt with Number())', async () => {
    await local.put(LOCK_TABLE, { lockId: { S: 'prod' }, executionId: { S: OTHER }, expiresAt: { S: String(NOW_EPOCH - 60) } });
    const error = await send(
      new PutItemCommand({
        TableName: LOCK_TABLE,
        Item: { lockId: { S: 'prod' }, executionId: { S: ME } },
        ConditionExpression: 'attribute_not_exists(lockId) OR expiresAt < :now OR executionId = :me',
        ExpressionAttributeValues: { ':now': { N: String(NOW_EPOCH) }, ':me': { S: ME } },
      }),
    );
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
  });
});
