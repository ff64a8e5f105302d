/**
 * `npx tsx drill/bench-dynamodb.ts [count]`: the wall time of one conditional write to the drill's
 * local DynamoDB (dynalite, in memory, through the SDK's HTTP path), accepted and refused.
 */
import { ConditionalCheckFailedException, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { performance } from 'node:perf_hooks';
import { loadEnvironment } from '../stacks/environments';
import { synthesizeTemplate } from './definition';
import { LocalDynamoDb, tableSpecs } from './dynamodb-local';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

async function timed(count: number, write: (i: number) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await write(i);
    ms.push(performance.now() - start);
  }
  return ms;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 2000);
  const config = loadEnvironment('prod');
  // The drill synthesizes the stack anyway (memoized); only starting the tables is the local DynamoDB's cost.
  const tables = tableSpecs(synthesizeTemplate(config));
  const startedAt = performance.now();
  const local = await LocalDynamoDb.start(tables, { region: config.standbyRegion });
  const startMs = performance.now() - startedAt;
  // A drill per schedule starts its own: what a later start in the same process costs.
  const again: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const t0 = performance.now();
    await (await LocalDynamoDb.start(tables, { region: config.standbyRegion })).stop();
    again.push(performance.now() - t0);
  }
  const clearedAt = performance.now();
  for (const t of tables) await local.clear(t.tableName);
  const clearMs = performance.now() - clearedAt;
  const lock = local.tables.find((t) => t.keySchema[0]?.AttributeName === 'lockId')?.tableName;
  if (!lock) throw new Error('the stack declares no lock table');
  const approvals = local.table(`dr-cutover-${config.name}-approvals`).tableName;
  const now = Math.floor(Date.now() / 1000);
  const acquire = (executionId: string) =>
    local.send(
      new PutItemCommand({
        TableName: lock,
        Item: { lockId: { S: config.name }, executionId: { S: executionId }, expiresAt: { N: String(now + 3600) } },
        ConditionExpression: 'attribute_not_exists(lockId) OR expiresAt < :now OR executionId = :me',
        ExpressionAttributeValues: { ':now': { N: String(now) }, ':me': { S: executionId } },
      }),
    );
  try {
    await timed(200, () => acquire('warm-up'));
    const accepted = await timed(count, () => acquire('warm-up'));
    const refused = await timed(count, () =>
      acquire('other').then(
        () => {
          throw new Error('a held lock was taken');
        },
        (error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        },
      ),
    );
    await local.put(approvals, { approvalId: { S: 'bench' }, status: { S: 'pending' }, expiresAt: { N: String(now + 3600) } });
    const claims = await timed(count, (i) =>
      local.send(
        new UpdateItemCommand({
          TableName: approvals,
          Key: { approvalId: { S: 'bench' } },
          UpdateExpression: 'SET #status = :to',
          ConditionExpression: '#status = :from AND expiresAt > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':from': { S: i % 2 ? 'approved' : 'pending' }, ':to': { S: i % 2 ? 'pending' : 'approved' }, ':now': { N: String(now) } },
        }),
      ),
    );
    const line = (name: string, ms: number[]) =>
      console.log(`${name.padEnd(38)} median ${percentile(ms, 50).toFixed(2)} ms   p95 ${percentile(ms, 95).toFixed(2)} ms   (${ms.length} writes)`);
    console.log(`${`start, ${tables.length} tables (first in process)`.padEnd(38)} ${startMs.toFixed(0)} ms`);
    console.log(`${'start + stop (later in process)'.padEnd(38)} median ${percentile(again, 50).toFixed(0)} ms`);
    console.log(`${'clear the empty tables'.padEnd(38)} ${clearMs.toFixed(1)} ms`);
    line('PutItem, condition met', accepted);
    line('PutItem, ConditionalCheckFailed', refused);
    line('UpdateItem, condition met', claims);
  } finally {
    await local.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
