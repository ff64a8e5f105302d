import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handleSlackAction, type CallbackDeps, type CallbackResult, type SlackReply } from '../../functions/approval-callback/logic';
import { approvalIdFor } from '../../functions/shared/approvals';
import { setClock } from '../../functions/shared/clock';
import { APPROVE_ACTION_ID, DENY_ACTION_ID } from '../../functions/shared/contracts';
import { signSlackRequest } from '../../functions/shared/slack-signature';
import { lambdaContext } from '../support/lambda';
import { approvalItem as storedApproval, conditionFailed } from '../support/approvals';

const ddb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);

const TABLE = 'dr-cutover-prod-approvals';
const SECRET = 'slack-signing-secret-4f1d2c3b';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAc3ecretTaskToken==';
const APPROVAL_ID = approvalIdFor(TOKEN);
const EXECUTION = 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:emergency-20261127T030000';
const NOW = new Date('2026-11-27T03:04:05.000Z');
const NOW_EPOCH = Math.floor(NOW.getTime() / 1000);
const RESPONSE_URL = 'https://hooks.slack.com/actions/T0001/1234567890/abcdefABCDEF';
const APPROVERS = [
  { slackUserId: 'U0LEE', name: 'Lee Minji' },
  { slackUserId: 'U0PARK', name: 'Park Jisoo' },
];

// ---- fixtures --------------------------------------------------------------------------------

function blockActions(overrides: { userId?: string; actionId?: string; value?: string; type?: string; responseUrl?: string } = {}) {
  return {
    type: overrides.type ?? 'block_actions',
    user: { id: overrides.userId ?? 'U0LEE', username: 'minji.lee', name: 'minji.lee', team_id: 'T0001' },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: '1795000000.000100', channel_id: 'C0DR', is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: 'T0001', domain: 'portforge' },
    channel: { id: 'C0DR', name: 'dr-cutover' },
    response_url: overrides.responseUrl ?? RESPONSE_URL,
    actions: [
      {
        type: 'button',
        action_id: overrides.actionId ?? APPROVE_ACTION_ID,
        block_id: 'approval',
        value: overrides.value ?? APPROVAL_ID,
        action_ts: '1795000001.000200',
        text: { type: 'plain_text', text: 'Approve' },
      },
    ],
  };
}

const formBody = (payload: unknown): string => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

interface RequestOptions {
  at?: number;
  secret?: string;
  base64?: boolean;
  headers?: Record<string, string | undefined>;
  method?: string;
}

function slackRequest(body: string, options: RequestOptions = {}): LambdaFunctionURLEvent {
  const signed = signSlackRequest({ signingSecret: options.secret ?? SECRET, rawBody: body, timestampSeconds: options.at ?? NOW_EPOCH });
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signed,
    ...options.headers,
  };
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnop',
      domainName: 'abcdefghijklmnop.lambda-url.ap-northeast-1.on.aws',
      domainPrefix: 'abcdefghijklmnop',
      http: { method: options.method ?? 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'Slackbot 1.0' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '27/Nov/2026:03:04:05 +0000',
      timeEpoch: NOW.getTime(),
    },
    body: options.base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
  };
}

const approvalItem = (fields: Record<string, string> = {}, expiresAt = NOW_EPOCH + 1200) =>
  storedApproval({ approvalId: APPROVAL_ID, taskToken: TOKEN, executionId: EXECUTION }, expiresAt, fields);

interface Harness {
  deps: CallbackDeps;
  logs: { level: string; message: string; attributes: Record<string, unknown> }[];
  respond: jest.Mock<Promise<void>, [string, SlackReply]>;
}

function harness(overrides: Partial<CallbackDeps> = {}): Harness {
  const logs: Harness['logs'] = [];
  const respond = jest.fn<Promise<void>, [string, SlackReply]>(() => Promise.resolve());
  const deps: CallbackDeps = {
    ddb: new DynamoDBClient({}),
    sfn: new SFNClient({}),
    table: TABLE,
    now: () => NOW,
    getSigningSecret: () => Promise.resolve(SECRET),
    approvers: APPROVERS,
    log: {
      info: (message, attributes) => logs.push({ level: 'info', message, attributes }),
      warn: (message, attributes) => logs.push({ level: 'warn', message, attributes }),
      error: (message, attributes) => logs.push({ level: 'error', message, attributes }),
    },
    respond,
    ...overrides,
  };
  return { deps, logs, respond };
}

const bodyOf = (result: CallbackResult): SlackReply => JSON.parse(result.body ?? '{}') as SlackReply;

/** Nothing secret or request-borne ends up in the logs. */
function expectCleanLogs(h: Harness): void {
  const text = JSON.stringify(h.logs);
  for (const secret of [TOKEN, SECRET, RESPONSE_URL, 'legacy-verification-token', 'payload=']) expect(text).not.toContain(secret);
}

function expectNoAwsCalls(): void {
  expect(ddb.calls()).toHaveLength(0);
  expect(sfn.calls()).toHaveLength(0);
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  secrets.reset();
});

// ---- behaviour ------------------------------------------------------------------------------------

describe('approval callback (Slack interactivity endpoint)', () => {
  it('approves for a listed user: claims the approval, sends SendTaskSuccess with the token from the table, replaces the message', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() }) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions())));

    expect(result.statusCode).toBe(200);
    const reply: SlackReply = {
      response_type: 'in_channel',
      replace_original: true,
      text: `✅ Approved by Lee Minji at ${NOW.toISOString()}: the prod cutover continues past the approval gate.`,
    };
    expect(bodyOf(result)).toEqual(reply);
    expect(result.headers).toEqual({ 'content-type': 'application/json' });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { approvalId: { S: APPROVAL_ID } },
      ConditionExpression: '#status = :pending AND expiresAt > :now',
      ExpressionAttributeValues: expect.objectContaining({ ':by': { S: 'Lee Minji' }, ':now': { N: String(NOW_EPOCH) } }),
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ approved: true, by: 'Lee Minji', at: NOW.toISOString() }),
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 0);
    expect(h.respond).toHaveBeenCalledTimes(1);
    expect(h.respond).toHaveBeenCalledWith(RESPONSE_URL, reply);
    expect(result.body).not.toContain(TOKEN);
    expect(h.logs).toEqual([
      { level: 'info', message: 'approval decided', attributes: { approvalId: APPROVAL_ID, userId: 'U0LEE', outcome: 'approved', executionId: EXECUTION } },
    ]);
    expectCleanLogs(h);
  });

  it('denies for a listed user with SendTaskFailure ApprovalDenied and a cause naming the user', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'denied' }) });
    sfn.on(SendTaskFailureCommand).resolves({});
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions({ userId: 'U0PARK', actionId: DENY_ACTION_ID }))));

    expect(result.statusCode).toBe(200);
    expect(bodyOf(result).text).toBe(`❌ Denied by Park Jisoo at ${NOW.toISOString()} (denied in Slack): the prod cutover stops at the approval gate.`);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'ApprovalDenied', cause: 'Denied by Park Jisoo: denied in Slack' });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':decided': { S: 'denied' }, ':reason': { S: 'denied in Slack' } }),
    });
    expect(h.logs[0]?.attributes).toMatchObject({ approvalId: APPROVAL_ID, userId: 'U0PARK', outcome: 'denied' });
  });

  it('accepts a base64-encoded body, verifying the signature over the decoded bytes', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'approved' }) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions()), { base64: true }));

    expect(result.statusCode).toBe(200);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('refuses a user who is not on the approver list with 403 and touches neither DynamoDB nor Step Functions', async () => {
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions({ userId: 'U0MALLORY' }))));

    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: '<@U0MALLORY> is not on the approver list for this cutover; nothing was changed.',
    });
    expectNoAwsCalls();
    expect(h.respond).toHaveBeenCalledWith(RESPONSE_URL, expect.objectContaining({ response_type: 'ephemeral', replace_original: false }));
    expect(h.logs).toEqual([{ level: 'warn', message: 'approval refused', attributes: { approvalId: APPROVAL_ID, userId: 'U0MALLORY', outcome: 'forbidden' } }]);
  });

  it('answers a forged signature with 401 before reading the body, and calls nothing', async () => {
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions()), { secret: 'not-the-signing-secret' }));

    expect(result.statusCode).toBe(401);
    expect(bodyOf(result).text).toBe('Invalid request signature.');
    expectNoAwsCalls();
    expect(h.respond).not.toHaveBeenCalled();
    expect(h.logs).toEqual([{ level: 'warn', message: 'slack request rejected', attributes: { outcome: 'unauthenticated', reason: 'signature-mismatch' } }]);
    expectCleanLogs(h);
  });

  it('answers 401 to a body altered after signing, even a well-formed approval by a listed user', async () => {
    const h = harness();
    const event = slackRequest(formBody(blockActions({ userId: 'U0MALLORY' })));
    event.body = formBody(blockActions({ userId: 'U0LEE' }));

    const result = await handleSlackAction(h.deps, event);

    expect(result.statusCode).toBe(401);
    expectNoAwsCalls();
  });

  it.each([
    ['a stale timestamp (a replay after the 5-minute window)', { at: NOW_EPOCH - 301 }, 'stale-timestamp'],
    ['a future timestamp', { at: NOW_EPOCH + 301 }, 'future-timestamp'],
    ['no signature header', { headers: { 'x-slack-signature': undefined } }, 'missing-signature'],
    ['no timestamp header', { headers: { 'x-slack-request-timestamp': undefined } }, 'missing-timestamp'],
    ['a truncated signature', { headers: { 'x-slack-signature': 'v0=abc' } }, 'signature-length-mismatch'],
  ])('answers 401 to %s and calls nothing', async (_case, options: RequestOptions, reason) => {
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions()), options));

    expect(result.statusCode).toBe(401);
    expectNoAwsCalls();
    expect(h.logs[0]?.attributes).toEqual({ outcome: 'unauthenticated', reason });
  });

  it('answers a replay of the same signed request with 409 and sends no second SendTask*', async () => {
    ddb
      .on(UpdateItemCommand)
      .resolvesOnce({ Attributes: approvalItem({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() }) })
      .rejects(conditionFailed(approvalItem({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() })));
    sfn.on(SendTaskSuccessCommand).resolves({});
    const h = harness();
    const request = slackRequest(formBody(blockActions()));

    const first = await handleSlackAction(h.deps, request);
    const replay = await handleSlackAction(h.deps, structuredClone(request));

    expect(first.statusCode).toBe(200);
    expect(replay.statusCode).toBe(409);
    expect(bodyOf(replay)).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: `Approval ${APPROVAL_ID} was already approved by Lee Minji at ${NOW.toISOString()}. Nothing was changed.`,
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 0);
    expect(h.logs[1]).toEqual({
      level: 'warn',
      message: 'approval refused',
      attributes: { approvalId: APPROVAL_ID, userId: 'U0LEE', outcome: 'already-decided', errorName: 'ApprovalAlreadyDecidedError' },
    });
    expectCleanLogs(h);
  });

  it('answers a deny click after someone approved with 409 and leaves the approval alone', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed(approvalItem({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() })));
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions({ userId: 'U0PARK', actionId: DENY_ACTION_ID }))));

    expect(result.statusCode).toBe(409);
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers an expired approval with 410 and a message saying when it expired', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed(approvalItem({}, NOW_EPOCH - 60)));
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions())));

    expect(result.statusCode).toBe(410);
    expect(bodyOf(result).text).toBe(
      `Approval ${APPROVAL_ID} expired at ${new Date((NOW_EPOCH - 60) * 1000).toISOString()}: the approval gate has timed out and the run stopped before any change. Nothing was changed.`,
    );
    expect(sfn.calls()).toHaveLength(0);
    expect(h.logs[0]?.attributes).toMatchObject({ outcome: 'expired' });
  });

  it('answers 410 when the run no longer waits, and puts the approval back to pending', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'approved' }) });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions())));

    expect(result.statusCode).toBe(410);
    expect(bodyOf(result).text).toContain('it already timed out or ended, so nothing was approved');
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(h.logs[0]?.attributes).toMatchObject({ outcome: 'task-closed' });
    expectCleanLogs(h);
  });

  it('answers an unknown approval id with 404', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions())));

    expect(result.statusCode).toBe(404);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers 503 when AWS throttles, so the approver can click again', async () => {
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400, requestId: 'ddb-req-1' } }));
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions())));

    expect(result.statusCode).toBe(503);
    expect(bodyOf(result).text).toContain('Click again');
    expect(h.logs[0]).toMatchObject({ level: 'error', attributes: { outcome: 'transient', errorName: 'ThrottlingException', requestId: 'ddb-req-1' } });
  });

  it.each([
    ['a body without a payload field', 'text=hello'],
    ['a payload that is not JSON', 'payload=%7Bnot-json'],
    ['another interaction type', formBody(blockActions({ type: 'view_submission' }))],
    ['an unknown button', formBody(blockActions({ actionId: 'cutover_maybe' }))],
    ['a button value that is not an approval id', formBody(blockActions({ value: TOKEN }))],
    ['no actions', formBody({ ...blockActions(), actions: [] })],
    ['no user', formBody({ ...blockActions(), user: undefined })],
  ])('answers 400 to %s (correctly signed) and changes nothing', async (_case, body) => {
    const h = harness();

    const result = await handleSlackAction(h.deps, slackRequest(body));

    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).text).toBe('Malformed Slack action payload; nothing was changed.');
    expectNoAwsCalls();
    expect(h.respond).not.toHaveBeenCalled();
    expect(h.logs[0]).toMatchObject({ level: 'warn', attributes: { outcome: 'malformed' } });
    expectCleanLogs(h);
  });

  it('answers 500 and changes nothing when the signing secret cannot be read', async () => {
    const h = harness({ getSigningSecret: () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })) });

    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions())));

    expect(result.statusCode).toBe(500);
    expectNoAwsCalls();
    expect(h.logs).toEqual([{ level: 'error', message: 'could not read the Slack signing secret', attributes: { outcome: 'error', errorName: 'AccessDeniedException' } }]);
  });

  it('answers 405 to anything but POST', async () => {
    const h = harness();
    const result = await handleSlackAction(h.deps, slackRequest(formBody(blockActions()), { method: 'GET' }));
    expect(result.statusCode).toBe(405);
    expectNoAwsCalls();
  });

  it('posts replies only to Slack hooks, and still answers when posting fails', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'approved' }) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const elsewhere = harness();
    const result = await handleSlackAction(elsewhere.deps, slackRequest(formBody(blockActions({ responseUrl: 'https://attacker.example/hook' }))));
    expect(result.statusCode).toBe(200);
    expect(elsewhere.respond).not.toHaveBeenCalled();

    const failing = harness({ respond: () => Promise.reject(new Error('socket hang up')) });
    const second = await handleSlackAction(failing.deps, slackRequest(formBody(blockActions())));
    expect(second.statusCode).toBe(200);
    expect(failing.logs).toContainEqual({ level: 'warn', message: 'could not post the reply to Slack', attributes: { approvalId: APPROVAL_ID, errorName: 'Error' } });
  });
});

describe('approval callback handler (function URL)', () => {
  beforeEach(() => setClock({ now: () => NOW }));
  afterEach(() => setClock(undefined));

  it('reads the signing secret once, verifies the request and approves through the real handler', async () => {
    process.env.APPROVALS_TABLE_NAME = TABLE;
    process.env.SLACK_SIGNING_SECRET_ID = 'portforge/slack-signing-secret';
    process.env.APPROVERS = JSON.stringify(APPROVERS);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `${SECRET}\n` });
    ddb
      .on(UpdateItemCommand)
      .resolvesOnce({ Attributes: approvalItem({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() }) })
      .rejects(conditionFailed(approvalItem({ status: 'approved', decidedBy: 'Lee Minji', decidedAt: NOW.toISOString() })));
    sfn.on(SendTaskSuccessCommand).resolves({});
    // The handler posts to response_url with fetch: answer it locally.
    const fetchMock = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 200 }));
    const { handler } = await import('../../functions/approval-callback');

    try {
      const request = slackRequest(formBody(blockActions()));
      const first = await handler(request, lambdaContext());
      const second = await handler(structuredClone(request), lambdaContext());
      const forged = await handler(slackRequest(formBody(blockActions()), { secret: 'wrong' }), lambdaContext());

      expect([first.statusCode, second.statusCode, forged.statusCode]).toEqual([200, 409, 401]);
      expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
      expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: process.env.SLACK_SIGNING_SECRET_ID });
      expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
      expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN });
      expect(fetchMock).toHaveBeenCalledWith(RESPONSE_URL, expect.objectContaining({ method: 'POST' }));
    } finally {
      fetchMock.mockRestore();
    }
  });
});
