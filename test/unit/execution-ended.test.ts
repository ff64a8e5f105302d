import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { closeEndedExecution, ExecutionEndedEventSchema, runInput } from '../../functions/execution-ended/logic';

const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const EXECUTION = 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:emergency-20261127T030000';
const deps = () => ({
  ddb: new DynamoDBClient({}),
  sns: new SNSClient({}),
  lockTable: 'locks',
  topicArn: 'arn:aws:sns:ap-northeast-1:123456789012:events',
  environment: 'prod',
  now: () => new Date('2026-11-27T04:30:00Z'),
});
const event = (status: 'TIMED_OUT' | 'ABORTED') =>
  ExecutionEndedEventSchema.parse({
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      executionArn: EXECUTION,
      status,
      startDate: Date.parse('2026-11-27T03:00:00Z'),
      stopDate: Date.parse('2026-11-27T04:30:00Z'),
      input: JSON.stringify({ mode: 'emergency', dryRun: false, reason: 'Seoul down', requestedBy: 'sre' }),
      error: null,
      cause: null,
    },
  });
const published = () => JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as {
  type: string;
  stage: string;
  input: { reason: string };
  report: { failure: { stage: string; error: string; nextSteps: string[] }; rtoSeconds: number };
};

beforeEach(() => {
  ddb.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('closing a run that timed out or was stopped', () => {
  it('releases the lock this execution held and announces the timeout as a failure', async () => {
    ddb.on(DeleteItemCommand).resolves({});

    await expect(closeEndedExecution(deps(), event('TIMED_OUT'))).resolves.toEqual({ lock: 'released', stage: 'Execution timed out' });

    expect(ddb).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: 'locks',
      Key: { lockId: { S: 'prod' } },
      ConditionExpression: 'executionId = :me',
      ExpressionAttributeValues: { ':me': { S: EXECUTION } },
    });
    const message = published();
    expect(message).toMatchObject({ type: 'cutover.failed', stage: 'Execution timed out', input: { reason: 'Seoul down' } });
    expect(message.report.failure).toMatchObject({ stage: 'Execution timed out', error: 'States.Timeout' });
    expect(message.report.failure.nextSteps[0]).toContain('execution timeout');
    expect(message.report.rtoSeconds).toBe(5400);
  });

  it('leaves a lock held by another execution alone, and still reports a stopped run', async () => {
    ddb.on(DeleteItemCommand).rejects(new ConditionalCheckFailedException({ message: 'c', $metadata: {} }));

    await expect(closeEndedExecution(deps(), event('ABORTED'))).resolves.toEqual({ lock: 'not held by this execution', stage: 'Execution stopped' });

    expect(published().report.failure).toMatchObject({ stage: 'Execution stopped', error: 'ExecutionAborted' });
  });

  it('reports even when the run\'s input is not readable', () => {
    expect(runInput('{not json')).toMatchObject({ reason: '(input not readable)', trigger: { type: 'manual' } });
    expect(runInput(JSON.stringify({ mode: 'planned', dryRun: true, reason: 'drill' }))).toEqual({
      mode: 'planned',
      dryRun: true,
      reason: 'drill',
      requestedBy: 'unknown',
      trigger: { type: 'manual' },
    });
  });

  it('accepts only TIMED_OUT and ABORTED status changes', () => {
    const failed = { 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn: EXECUTION, status: 'FAILED', startDate: 0 } };
    expect(ExecutionEndedEventSchema.safeParse(failed).success).toBe(false);
  });
});
