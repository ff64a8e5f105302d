import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { z } from 'zod';
import { lambdaContext } from '../../drill/local-execution';
import { perInvocationEnv } from '../../functions/shared/env';

describe('perInvocationEnv', () => {
  const schema = z.object({ TABLE: z.string().min(1), TTL: z.coerce.number().int().positive() });

  it('builds once while the environment is unchanged, and again when a value it reads changes', () => {
    const env: NodeJS.ProcessEnv = { TABLE: 'staging-table', TTL: '60', OTHER: 'a' };
    const build = jest.fn((e: z.output<typeof schema>) => ({ table: e.TABLE, ttl: e.TTL }));
    const read = perInvocationEnv(schema, build, () => env);

    const first = read();
    env.OTHER = 'b'; // not a variable the schema names
    expect(read()).toBe(first);
    expect(build).toHaveBeenCalledTimes(1);

    env.TABLE = 'prod-table';
    expect(read()).toEqual({ table: 'prod-table', ttl: 60 });
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('fails on every invocation with a bad environment, naming the variable, and recovers once it is fixed', () => {
    const env: NodeJS.ProcessEnv = { TTL: '60' };
    const read = perInvocationEnv(schema, (e) => e.TABLE, () => env);
    expect(read).toThrow(/Invalid Lambda environment:.*TABLE/s);
    expect(read).toThrow(/TABLE/);
    env.TABLE = 'prod-table';
    expect(read()).toBe('prod-table');
  });
});

describe('a step handler reads its environment per invocation', () => {
  const ddb = mockClient(DynamoDBClient);
  const saved = { table: process.env.LOCK_TABLE_NAME, ttl: process.env.LOCK_TTL_SECONDS };
  const acquire = { action: 'acquire', environment: 'prod', executionId: 'exec-1', dryRun: false, reason: 'drill' };
  const release = { ...acquire, action: 'release' };

  beforeEach(() => {
    ddb.reset();
    ddb.on(PutItemCommand).resolves({});
    ddb.on(DeleteItemCommand).resolves({});
  });
  afterAll(() => {
    ddb.restore();
    process.env.LOCK_TABLE_NAME = saved.table;
    process.env.LOCK_TTL_SECONDS = saved.ttl;
    if (saved.table === undefined) delete process.env.LOCK_TABLE_NAME;
    if (saved.ttl === undefined) delete process.env.LOCK_TTL_SECONDS;
  });

  it('fails the invocation with the missing variable named, before any call, and uses the next environment it is given', async () => {
    delete process.env.LOCK_TABLE_NAME;
    process.env.LOCK_TTL_SECONDS = '5400';
    const { handler } = await import('../../functions/cutover-lock');

    await expect(handler(acquire, lambdaContext())).rejects.toThrow(/LOCK_TABLE_NAME/);
    expect(ddb.calls()).toHaveLength(0);

    process.env.LOCK_TABLE_NAME = 'dr-cutover-staging-lock';
    await handler(acquire, lambdaContext());
    process.env.LOCK_TABLE_NAME = 'dr-cutover-prod-lock';
    await handler(release, lambdaContext());

    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, { TableName: 'dr-cutover-staging-lock' });
    expect(ddb).toHaveReceivedCommandWith(DeleteItemCommand, { TableName: 'dr-cutover-prod-lock' });
    expect(ddb).not.toHaveReceivedCommandWith(DeleteItemCommand, { TableName: 'dr-cutover-staging-lock' });
  });
});
