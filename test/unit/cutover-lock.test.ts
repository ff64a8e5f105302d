import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { acquireLock, releaseLock, type LockDeps } from '../../functions/cutover-lock/logic';
import { allowAll, iamMock, permissions, ROLE_ARN, SimulateCommand, simulations } from '../support/permissions';

const ddb = mockClient(DynamoDBClient);
const now = new Date('2026-11-27T03:00:00Z');
const deps: LockDeps = { ddb: new DynamoDBClient({ region: 'ap-northeast-1' }), tableName: 'locks', ttlSeconds: 5400, now: () => now, permissions };
const input = { action: 'acquire' as const, environment: 'prod', executionId: 'exec-1', dryRun: false, reason: 'drill' };

beforeEach(() => {
  ddb.reset();
  iamMock.reset();
  allowAll();
});

describe('cutover lock', () => {
  it('takes the lock with one conditional write that expires with the execution timeout', async () => {
    ddb.on(PutItemCommand).resolves({});
    await expect(acquireLock(deps, input)).resolves.toMatchObject({ outcome: 'changed', holder: 'exec-1' });
    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'locks',
      ConditionExpression: 'attribute_not_exists(lockId) OR expiresAt < :now OR executionId = :me',
      Item: expect.objectContaining({
        lockId: { S: 'prod' },
        executionId: { S: 'exec-1' },
        expiresAt: { N: String(now.getTime() / 1000 + 5400) },
      }),
    });
  });

  it('refuses a second cutover and names the running one', async () => {
    ddb.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'conditional',
        $metadata: {},
        Item: { executionId: { S: 'exec-0' }, acquiredAt: { S: '2026-11-27T02:55:00Z' }, expiresAt: { N: '1795748400' } },
      }),
    );
    await expect(acquireLock(deps, input)).rejects.toMatchObject({
      name: 'CutoverLockHeldError',
      message: expect.stringContaining('exec-0, since 2026-11-27T02:55:00Z'),
    });
  });

  it('reads the holder back when the refusal does not carry it, and still refuses if that read fails', async () => {
    ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'conditional', $metadata: {} }));
    ddb.on(GetItemCommand).resolvesOnce({ Item: { executionId: { S: 'exec-0' }, acquiredAt: { S: '2026-11-27T02:55:00Z' } } }).rejects(new Error('throttled'));
    await expect(acquireLock(deps, input)).rejects.toMatchObject({ name: 'CutoverLockHeldError', message: expect.stringContaining('exec-0, since 2026-11-27T02:55:00Z') });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'locks', Key: { lockId: { S: 'prod' } }, ConsistentRead: true });
    await expect(acquireLock(deps, input)).rejects.toMatchObject({ name: 'CutoverLockHeldError', message: 'A cutover is already running for prod.' });
  });

  it('proves in a dry run that the role may write and delete the lock (PutItem, DeleteItem on the lock table), writing nothing', async () => {
    ddb.on(GetItemCommand).resolves({});
    await expect(acquireLock(deps, { ...input, dryRun: true })).resolves.toMatchObject({ outcome: 'would-change' });
    const table = 'arn:aws:dynamodb:ap-northeast-1:111122223333:table/locks';
    expect(simulations()).toEqual([
      { PolicySourceArn: ROLE_ARN, ActionNames: ['dynamodb:PutItem'], ResourceArns: [table] },
      { PolicySourceArn: ROLE_ARN, ActionNames: ['dynamodb:DeleteItem'], ResourceArns: [table] },
    ]);
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 0);

    iamMock.reset();
    iamMock.on(SimulateCommand).callsFake((i: { ActionNames: string[] }) => ({
      EvaluationResults: [{ EvalActionName: i.ActionNames[0], EvalResourceName: table, EvalDecision: i.ActionNames[0] === 'dynamodb:DeleteItem' ? 'implicitDeny' : 'allowed' }],
      IsTruncated: false,
    }));
    await expect(acquireLock(deps, { ...input, dryRun: true })).rejects.toThrow(`the cutover role dr-cutover-step-role may not dynamodb:DeleteItem on ${table} (release): implicitDeny`);
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 0);
    expect(ddb).toHaveReceivedCommandTimes(DeleteItemCommand, 0);
  });

  it('never simulates in a real run', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(DeleteItemCommand).resolves({});
    await acquireLock(deps, input);
    await releaseLock(deps, { ...input, action: 'release' });
    expect(simulations()).toEqual([]);
  });

  it('only reads the lock in a dry run, and refuses while a real cutover holds it', async () => {
    ddb.on(GetItemCommand).resolves({});
    await expect(acquireLock(deps, { ...input, dryRun: true })).resolves.toMatchObject({ outcome: 'would-change' });
    ddb.on(GetItemCommand).resolves({ Item: { executionId: { S: 'exec-0' }, expiresAt: { N: String(now.getTime() / 1000 + 60) } } });
    await expect(acquireLock(deps, { ...input, dryRun: true })).rejects.toMatchObject({ name: 'CutoverLockHeldError' });
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 0);
    expect(ddb).toHaveReceivedCommandTimes(DeleteItemCommand, 0);
  });

  it('releases only its own lock, and releasing twice is a no-op', async () => {
    ddb.on(DeleteItemCommand).resolvesOnce({}).rejects(new ConditionalCheckFailedException({ message: 'c', $metadata: {} }));
    await expect(releaseLock(deps, { ...input, action: 'release' })).resolves.toMatchObject({ outcome: 'changed' });
    await expect(releaseLock(deps, { ...input, action: 'release' })).resolves.toMatchObject({ outcome: 'already-done' });
    expect(ddb).toHaveReceivedCommandWith(DeleteItemCommand, {
      Key: { lockId: { S: 'prod' } },
      ConditionExpression: 'executionId = :me',
      ExpressionAttributeValues: { ':me': { S: 'exec-1' } },
    });
  });
});
