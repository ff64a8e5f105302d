import { inspect } from 'node:util';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  ApprovalIdSchema,
  approvalIdFor,
  createApproval,
  decideApproval,
  type DecideDeps,
} from '../../functions/shared/approvals';
import { setClock } from '../../functions/shared/clock';
import { CutoverEventSchema } from '../../functions/shared/contracts';
import { requestApproval, type RequestApprovalDeps, type RequestApprovalInput } from '../../functions/request-approval/logic';
import { lambdaContext } from '../support/lambda';
import { approvalItem, conditionFailed } from '../support/approvals';

const ddb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const TABLE = 'dr-cutover-prod-approvals';
const TOPIC = 'arn:aws:sns:ap-northeast-1:123456789012:dr-cutover-prod-events';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAc3ecretTaskToken+with/odd=chars==';
const EXECUTION = 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:emergency-20261127T030000';
const NOW = new Date('2026-11-27T03:04:05.678Z');
const NOW_EPOCH = Math.floor(NOW.getTime() / 1000);
const APPROVAL_ID = approvalIdFor(TOKEN);

const validatedInput = {
  mode: 'emergency' as const,
  dryRun: false,
  reason: 'Seoul RDS unreachable',
  requestedBy: 'alarm',
  trigger: { type: 'alarm' as const, alarmName: 'dr-cutover-prod-primary-unhealthy', time: '2026-11-27T03:00:00Z' },
};

const item = (fields: Record<string, string> = {}, expiresAt = NOW_EPOCH + 1800) =>
  approvalItem({ approvalId: APPROVAL_ID, taskToken: TOKEN, executionId: EXECUTION }, expiresAt, fields);

const decideDeps = (): DecideDeps => ({ ddb: new DynamoDBClient({}), sfn: new SFNClient({}), table: TABLE, now: () => NOW });

/** Everything an error shows when logged or printed, cause chain included. */
const everything = (error: unknown): string => inspect(error, { depth: 10 });

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  sns.reset();
});

describe('approval ids', () => {
  it('derives one UUID per task token, the same on every call, that reveals nothing of the token', () => {
    expect(approvalIdFor(TOKEN)).toBe(APPROVAL_ID);
    expect(ApprovalIdSchema.safeParse(APPROVAL_ID).success).toBe(true);
    expect(approvalIdFor(`${TOKEN}x`)).not.toBe(APPROVAL_ID);
    expect(TOKEN).not.toContain(APPROVAL_ID.replace(/-/g, '').slice(0, 8));
  });
});

describe('createApproval', () => {
  it('stores a pending approval with one conditional put that never overwrites', async () => {
    ddb.on(PutItemCommand).resolves({});
    const out = await createApproval(new DynamoDBClient({}), TABLE, {
      approvalId: APPROVAL_ID,
      taskToken: TOKEN,
      executionId: EXECUTION,
      environment: 'prod',
      createdAt: NOW,
      expiresAt: new Date((NOW_EPOCH + 1800) * 1000),
    });
    expect(out).toEqual({ created: true });
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: item({ createdAt: NOW.toISOString() }),
      ConditionExpression: 'attribute_not_exists(approvalId)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('returns the existing approval without its token when the id is taken', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed(item({ notifiedAt: '2026-11-27T03:00:01.000Z' })));
    const out = await createApproval(new DynamoDBClient({}), TABLE, {
      approvalId: APPROVAL_ID,
      taskToken: TOKEN,
      executionId: EXECUTION,
      environment: 'prod',
      createdAt: NOW,
      expiresAt: NOW,
    });
    expect(out).toMatchObject({ created: false, existing: { approvalId: APPROVAL_ID, status: 'pending', notifiedAt: '2026-11-27T03:00:01.000Z' } });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
  });
});

describe('decideApproval', () => {
  it('approves once: claims the pending, unexpired approval, then sends SendTaskSuccess with the stored token', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: item({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() }) });
    sfn.on(SendTaskSuccessCommand).resolves({});

    const out = await decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'Lee Minji' });

    expect(out).toEqual({ approvalId: APPROVAL_ID, status: 'approved', by: 'Lee Minji', at: NOW.toISOString(), executionId: EXECUTION, environment: 'prod' });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { approvalId: { S: APPROVAL_ID } },
      UpdateExpression: 'SET #status = :decided, decidedBy = :by, decidedAt = :at',
      ConditionExpression: '#status = :pending AND expiresAt > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':decided': { S: 'approved' },
        ':pending': { S: 'pending' },
        ':by': { S: 'Lee Minji' },
        ':at': { S: NOW.toISOString() },
        ':now': { N: String(NOW_EPOCH) },
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ approved: true, by: 'Lee Minji', at: NOW.toISOString() }),
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 0);
  });

  it('denies with SendTaskFailure ApprovalDenied and a cause naming who and why, recording the reason', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: item({ status: 'denied' }) });
    sfn.on(SendTaskFailureCommand).resolves({});

    const out = await decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: false, by: 'Park Jisoo', reason: 'Seoul recovered' });

    expect(out).toMatchObject({ status: 'denied', cause: 'Denied by Park Jisoo: Seoul recovered' });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: 'SET #status = :decided, decidedBy = :by, decidedAt = :at, #reason = :reason',
      ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
      ExpressionAttributeValues: expect.objectContaining({ ':decided': { S: 'denied' }, ':reason': { S: 'Seoul recovered' } }),
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'ApprovalDenied', cause: 'Denied by Park Jisoo: Seoul recovered' });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('answers the run once when the same approval is decided twice (double click)', async () => {
    ddb
      .on(UpdateItemCommand)
      .resolvesOnce({ Attributes: item({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() }) })
      .rejectsOnce(conditionFailed(item({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() })));
    sfn.on(SendTaskSuccessCommand).resolves({});

    await decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'Lee Minji' });
    const error = await caught(decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: false, by: 'Park Jisoo', reason: 'no' }));

    expect(error).toMatchObject({
      name: 'ApprovalAlreadyDecidedError',
      message: `Approval ${APPROVAL_ID} was already approved by Lee Minji at ${NOW.toISOString()}. Nothing was changed.`,
      decision: { status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() },
    });
    // The SDK error holds the old item, token included: it must not be chained.
    expect(everything(error)).not.toContain(TOKEN);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 0);
  });

  it('reads the old item only when the failed condition did not return it, and never asks for the token', async () => {
    const decided = item({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() });
    ddb.on(UpdateItemCommand).rejectsOnce(conditionFailed(decided)).rejectsOnce(conditionFailed());
    const { taskToken: _token, ...withoutToken } = decided;
    ddb.on(GetItemCommand).resolves({ Item: withoutToken });

    await expect(decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'x' })).rejects.toMatchObject({ name: 'ApprovalAlreadyDecidedError' });
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 0);
    await expect(decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'x' })).rejects.toMatchObject({
      name: 'ApprovalAlreadyDecidedError',
      message: expect.stringContaining('already approved by Lee Minji'),
    });
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: { approvalId: { S: APPROVAL_ID } }, ConsistentRead: true });
    const read = ddb.commandCalls(GetItemCommand)[0]?.args[0].input;
    expect(read?.ProjectionExpression?.split(/,\s*/)).not.toContain('taskToken');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('fails with ApprovalNotFoundError for an unknown id and sends nothing to Step Functions', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'x' })).rejects.toMatchObject({
      name: 'ApprovalNotFoundError',
      message: expect.stringContaining(`No approval ${APPROVAL_ID}`),
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('fails with ApprovalExpiredError once the approval window has ended and sends nothing', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed(item({}, NOW_EPOCH - 5)));
    const error = await caught(decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'x' }));
    expect(error).toMatchObject({ name: 'ApprovalExpiredError', message: expect.stringContaining(`expired at ${new Date((NOW_EPOCH - 5) * 1000).toISOString()}`) });
    expect(everything(error)).not.toContain(TOKEN);
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task Does Not Exist', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'Invalid Token', $metadata: {} })],
  ])('reports a run that no longer waits (%s) as ApprovalTaskClosedError and puts the approval back to pending', async (name, error) => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: item({ status: 'approved' }) });
    sfn.on(SendTaskSuccessCommand).rejects(error());

    const thrown = await caught(decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'Lee Minji' }));

    expect(thrown).toMatchObject({
      name: 'ApprovalTaskClosedError',
      message: `The run is no longer waiting for approval ${APPROVAL_ID} (Step Functions answered ${name}): it already timed out or ended, so nothing was approved.`,
    });
    expect(everything(thrown)).not.toContain(TOKEN);
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(ddb.commandCalls(UpdateItemCommand)[1]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { approvalId: { S: APPROVAL_ID } },
      UpdateExpression: 'SET #status = :pending REMOVE decidedBy, decidedAt, #reason',
      ConditionExpression: '#status = :decided AND decidedBy = :by AND decidedAt = :at',
      ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
      ExpressionAttributeValues: {
        ':pending': { S: 'pending' },
        ':decided': { S: 'approved' },
        ':by': { S: 'Lee Minji' },
        ':at': { S: NOW.toISOString() },
      },
    });
  });

  it('keeps the decision when the SDK resent SendTaskSuccess and the resend found the task closed (the first answer was delivered, its response lost)', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: item({ status: 'approved' }) });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: { attempts: 2 } }));

    const decided = await decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'Lee Minji' });

    expect(decided).toMatchObject({ approvalId: APPROVAL_ID, status: 'approved', by: 'Lee Minji' });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('puts the approval back to pending and rethrows when Step Functions throttles, so a later click can answer', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: item({ status: 'denied' }) });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    sfn.on(SendTaskFailureCommand).rejects(throttled);

    await expect(decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: false, by: 'Park Jisoo', reason: 'no' })).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(ddb).toHaveReceivedNthSpecificCommandWith(2, UpdateItemCommand, { UpdateExpression: 'SET #status = :pending REMOVE decidedBy, decidedAt, #reason' });
  });

  it('says so when the approval cannot be put back to pending', async () => {
    ddb
      .on(UpdateItemCommand)
      .resolvesOnce({ Attributes: item({ status: 'approved' }) })
      .rejectsOnce(conditionFailed());
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    await expect(decideApproval(decideDeps(), { approvalId: APPROVAL_ID, approve: true, by: 'x' })).rejects.toMatchObject({
      name: 'ApprovalTaskClosedError',
      message: expect.stringContaining('The approval could not be put back to pending.'),
    });
  });
});

// ---- Request approval (the .waitForTaskToken step) -----------------------------------------

const payload = (overrides: Partial<RequestApprovalInput> = {}): RequestApprovalInput => ({
  taskToken: TOKEN,
  environment: 'prod',
  executionId: EXECUTION,
  input: validatedInput,
  timeoutSeconds: 1800,
  approvers: ['Lee Minji', 'Park Jisoo'],
  ...overrides,
});

const requestDeps = (): RequestApprovalDeps => ({ ddb: new DynamoDBClient({}), sns: new SNSClient({}), table: TABLE, topicArn: TOPIC, now: () => NOW });

async function loadHandler() {
  process.env.APPROVALS_TABLE_NAME = TABLE;
  process.env.EVENTS_TOPIC_ARN = TOPIC;
  const mod = await import('../../functions/request-approval');
  return mod.handler;
}

function publishedMessage(): unknown {
  return JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? 'null') as unknown;
}

describe('Request approval', () => {
  // The handler reads time from the step clock.
  beforeEach(() => setClock({ now: () => NOW }));
  afterEach(() => setClock(undefined));

  it('stores the token, publishes an approval-needed event without it and returns no token, through the handler', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const handler = await loadHandler();

    const out = await handler(payload(), lambdaContext());

    const expiresAt = new Date((NOW_EPOCH + 1800) * 1000).toISOString();
    expect(out).toMatchObject({ step: 'Request approval', outcome: 'changed', approvalId: APPROVAL_ID, expiresAt });
    expect(JSON.stringify(out)).not.toContain(TOKEN);

    // The token goes to the approvals table, and only there.
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ approvalId: { S: APPROVAL_ID }, taskToken: { S: TOKEN }, status: { S: 'pending' }, expiresAt: { N: String(NOW_EPOCH + 1800) } }),
      ConditionExpression: 'attribute_not_exists(approvalId)',
    });

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const publish = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(publish).toMatchObject({ TopicArn: TOPIC, MessageAttributes: { eventType: { DataType: 'String', StringValue: 'cutover.approval-needed' } } });
    expect(JSON.stringify(publish)).not.toContain(TOKEN);
    const message = publishedMessage();
    expect(CutoverEventSchema.parse(message)).toEqual({
      type: 'cutover.approval-needed',
      environment: 'prod',
      executionId: EXECUTION,
      at: NOW.toISOString(),
      input: validatedInput,
      stage: 'Approval gate',
      approval: { approvalId: APPROVAL_ID, expiresAt, approvers: ['Lee Minji', 'Park Jisoo'] },
    });

    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { approvalId: { S: APPROVAL_ID } },
      UpdateExpression: 'SET notifiedAt = :at',
      ConditionExpression: 'attribute_exists(approvalId)',
    });
  });

  it('does not post a second message when the same request is delivered again after it was announced', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed(item({ notifiedAt: '2026-11-27T03:00:01.000Z' }, NOW_EPOCH + 1200)));

    const out = await requestApproval(requestDeps(), payload());

    expect(out).toEqual({ step: 'Request approval', outcome: 'already-done', approvalId: APPROVAL_ID, expiresAt: new Date((NOW_EPOCH + 1200) * 1000).toISOString() });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 0);
  });

  it('announces an approval stored by an earlier attempt that failed before publishing, keeping its expiry', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed(item({}, NOW_EPOCH + 1200)));
    ddb.on(UpdateItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });

    const out = await requestApproval(requestDeps(), payload());

    expect(out.outcome).toBe('changed');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(publishedMessage()).toMatchObject({ approval: { approvalId: APPROVAL_ID, expiresAt: new Date((NOW_EPOCH + 1200) * 1000).toISOString() } });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('rejects a bad payload with StepContractError that does not echo the token', async () => {
    const handler = await loadHandler();
    const error = await caught(handler({ ...payload(), timeoutSeconds: -1 }, lambdaContext()));
    expect(error).toMatchObject({ name: 'StepContractError', message: expect.stringContaining('timeoutSeconds') });
    expect(everything(error)).not.toContain(TOKEN);
    const tooLong = 'T'.repeat(2049);
    const error2 = await caught(handler({ ...payload(), taskToken: tooLong }, lambdaContext()));
    expect(error2).toMatchObject({ name: 'StepContractError' });
    expect(everything(error2)).not.toContain(tooLong);
    expect(ddb.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('turns a throttled publish into AwsTransientError through the handler, without the token in the error', async () => {
    ddb.on(PutItemCommand).resolves({});
    sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    const handler = await loadHandler();

    const error = await caught(handler(payload(), lambdaContext()));

    expect(error).toMatchObject({ name: 'AwsTransientError', message: expect.stringContaining('[Request approval]') });
    expect((error as Error).message).not.toContain(TOKEN);
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 0);
  });
});
