import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  TaskTimedOut,
  type GetExecutionHistoryCommandInput,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { run, type Runtime } from '../../bin/cutover';
import { CutoverInputSchema, type CutoverReport } from '../../functions/shared/contracts';

const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
const ddb = mockClient(DynamoDBClient);

const NOW = new Date('2026-11-27T03:04:05.678Z');
const ACCOUNT = '123456789012';
const STAGING_MACHINE = `arn:aws:states:ap-northeast-1:${ACCOUNT}:stateMachine:dr-cutover-staging`;
const EXECUTION = `arn:aws:states:ap-northeast-1:${ACCOUNT}:execution:dr-cutover-staging:emergency-20261127T030000`;
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAc3ecretTaskToken==';
const APPROVAL_ID = '0b6c2f8e-3d1a-4e5f-9a7b-2c4d6e8f0a1b';

interface Harness {
  rt: Runtime;
  out: string[];
  err: string[];
  regions: string[];
  sleep: jest.Mock<Promise<void>, [number]>;
}

function harness(overrides: Partial<Runtime> = {}): Harness {
  const out: string[] = [];
  const err: string[] = [];
  const regions: string[] = [];
  const sleep = jest.fn<Promise<void>, [number]>(() => Promise.resolve());
  const rt: Runtime = {
    clients: (region) => {
      regions.push(region);
      return { sfn: new SFNClient({ region }), sts: new STSClient({ region }), ddb: new DynamoDBClient({ region }) };
    },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    now: () => NOW,
    sleep,
    user: () => 'kim',
    env: {},
    loadDrill: () => Promise.resolve(undefined),
    ...overrides,
  };
  return { rt, out, err, regions, sleep };
}

const text = (lines: string[]): string => lines.join('\n');

function startInput(): unknown {
  const call = sfn.commandCalls(StartExecutionCommand)[0];
  return JSON.parse(call?.args[0].input.input ?? 'null') as unknown;
}

beforeEach(() => {
  sfn.reset();
  sts.reset();
  ddb.reset();
});

describe('cutover CLI: bad input', () => {
  it.each([
    ['an unknown command', ['promote'], "unknown command 'promote'", 'Commands:'],
    ['an unknown flag', ['start', '--env', 'staging', '--mode', 'planned', '--reason', 'x', '--force'], "unknown flag '--force'", '--dry-run'],
    ['a missing reason', ['start', '--env', 'staging', '--mode', 'planned'], '--reason is required', '--reason "<text>"'],
    ['a blank reason', ['start', '--env', 'staging', '--mode', 'planned', '--reason', '   '], '--reason: reason must say why the cutover runs', '--reason "<text>"'],
    ['a bad mode', ['start', '--env', 'staging', '--mode', 'urgent', '--reason', 'x'], "--mode must be one of: emergency, planned (got 'urgent')", '--mode <emergency|planned>'],
    ['an unknown environment', ['start', '--env', 'dev', '--mode', 'planned', '--reason', 'x'], "--env must be one of: staging, prod (got 'dev')", '--env <staging|prod>'],
    [
      'a state machine of another environment',
      ['start', '--env', 'staging', '--mode', 'planned', '--reason', 'x', '--state-machine-arn', `arn:aws:states:ap-northeast-1:${ACCOUNT}:stateMachine:dr-cutover-prod`],
      '--state-machine-arn names dr-cutover-prod but --env is staging',
      '--state-machine-arn <arn>',
    ],
    ['a flag without its value', ['start', '--env', 'staging', '--mode', 'planned', '--reason', '--dry-run'], '--reason needs a value', '--reason "<text>"'],
    ['an execution name instead of an ARN', ['watch', 'emergency-20261127T030000'], '<executionArn> must be a Step Functions execution ARN', 'cutover watch <executionArn>'],
    ['a deny without a reason', ['deny', APPROVAL_ID, '--env', 'prod'], '--reason is required', 'cutover deny <approvalId>'],
    ['an approve without an environment', ['approve', APPROVAL_ID], '--env is required (one of: staging, prod)', 'cutover approve <approvalId>'],
    ['an approve without an approval id', ['approve', '--env', 'prod'], '<approvalId> is required', 'cutover approve <approvalId>'],
    ['a task token instead of an approval id', ['approve', TOKEN, '--env', 'prod'], '<approvalId> must be the approval id from the Slack message', '--table <name>'],
    ['a bad table name', ['deny', APPROVAL_ID, '--env', 'prod', '--reason', 'x', '--table', 'a/b'], "--table must be a DynamoDB table name (got 'a/b')", '--table <name>'],
  ])('rejects %s with exit 2, a message naming it and the usage, and calls nothing on AWS', async (_case, argv, message, usageText) => {
    const h = harness();
    const code = await run(argv, h.rt);
    expect(code).toBe(2);
    expect(text(h.err)).toContain(`error: ${message}`);
    expect(text(h.err)).toContain(usageText);
    expect(text(h.err)).toMatch(/Commands: start, watch, report, approve, deny, drill|Commands:\n {2}start/);
    expect(h.regions).toEqual([]);
    expect(sfn.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('never echoes a task token passed where the approval id belongs', async () => {
    const h = harness();
    expect(await run(['approve', TOKEN, 'second-argument'], h.rt)).toBe(2);
    expect(text(h.err)).toContain("unexpected argument 'second-argument'");
    expect(await run(['deny', TOKEN, '--env', 'prod', '--reason', 'x'], h.rt)).toBe(2);
    expect(text(h.err)).toContain('error: <approvalId> must be the approval id from the Slack message');
    expect(text(h.err)).not.toContain(TOKEN);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('prints the command list for --help and exits 0 without touching AWS', async () => {
    const h = harness();
    expect(await run(['--help'], h.rt)).toBe(0);
    expect(text(h.out)).toContain('Usage: cutover <command> [flags]');
    for (const command of ['start', 'watch', 'report', 'approve', 'deny', 'drill']) expect(text(h.out)).toContain(`  ${command} `);
    expect(await run(['start', '--help'], h.rt)).toBe(0);
    expect(text(h.out)).toContain('--state-machine-arn <arn>');
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('cutover start', () => {
  beforeEach(() => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/kim`, UserId: 'AIDA' });
  });

  it('starts dr-cutover-<env> in the standby Region of the caller account with the validated input', async () => {
    const arn = `arn:aws:states:ap-northeast-1:${ACCOUNT}:execution:dr-cutover-staging:planned-20261127T030405`;
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: NOW });
    const h = harness();

    const code = await run(['start', '--env', 'staging', '--mode', 'planned', '--reason', '  quarterly DR rehearsal '], h.rt);

    expect(code).toBe(0);
    expect(h.regions).toEqual(['ap-northeast-1']);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STAGING_MACHINE, name: 'planned-20261127T030405' });
    const input = startInput();
    expect(input).toEqual({
      mode: 'planned',
      dryRun: false,
      reason: 'quarterly DR rehearsal',
      requestedBy: 'kim',
      trigger: { type: 'manual' },
    });
    expect(CutoverInputSchema.safeParse(input).success).toBe(true);
    expect(h.out).toContain(`  Execution  ${arn}`);
    expect(h.out).toContain(`  Console    https://ap-northeast-1.console.aws.amazon.com/states/home?region=ap-northeast-1#/v2/executions/details/${arn}`);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
  });

  it('sets dryRun and names the execution <mode>-dryrun-<UTC time> with --dry-run', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: NOW });
    const h = harness();

    const code = await run(['start', '--env', 'prod', '--mode', 'emergency', '--reason', 'Seoul down', '--dry-run', '--requested-by', 'park'], h.rt);

    expect(code).toBe(0);
    const name = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name ?? '';
    expect(name).toBe('emergency-dryrun-20261127T030405');
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: `arn:aws:states:ap-northeast-1:${ACCOUNT}:stateMachine:dr-cutover-prod`,
    });
    expect(startInput()).toEqual({ mode: 'emergency', dryRun: true, reason: 'Seoul down', requestedBy: 'park', trigger: { type: 'manual' } });
    expect(text(h.out)).toContain('DRY RUN: nothing will be changed');
  });

  it('uses --state-machine-arn as given, in its own Region, without asking STS for the account', async () => {
    const machine = `arn:aws:states:us-west-2:${ACCOUNT}:stateMachine:dr-cutover-staging`;
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: NOW });
    const h = harness();

    const code = await run(['start', '--env', 'staging', '--mode', 'planned', '--reason', 'x', '--state-machine-arn', machine], h.rt);

    expect(code).toBe(0);
    expect(h.regions).toEqual(['us-west-2']);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: machine });
  });

  it('exits 1 with a hint when the state machine is not deployed', async () => {
    sfn.on(StartExecutionCommand).rejects(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }));
    const h = harness();

    const code = await run(['start', '--env', 'staging', '--mode', 'planned', '--reason', 'x'], h.rt);

    expect(code).toBe(1);
    expect(h.err).toEqual([
      'error: StateMachineDoesNotExist: State Machine Does Not Exist',
      'hint: Is the stack deployed in this account and Region? Otherwise pass --state-machine-arn.',
    ]);
  });

  it('follows the execution with --watch and prints its report when it succeeds', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: NOW });
    sfn.on(DescribeExecutionCommand).resolves(succeeded(dryRunReport()));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [event(1, 'ExecutionStarted', 0), event(2, 'ExecutionSucceeded', 9, { previousEventId: 1 })] });
    const h = harness();

    const code = await run(['start', '--env', 'staging', '--mode', 'planned', '--reason', 'x', '--dry-run', '--watch'], h.rt);

    expect(code).toBe(0);
    expect(h.out).toContain('03:00:09  ✓ execution succeeded');
    expect(h.out).toContain('Cutover report: staging, planned, DRY RUN');
    expect(h.sleep).not.toHaveBeenCalled();
  });
});

// ---- execution history fixtures -------------------------------------------------------------

const T0 = Date.parse('2026-11-27T03:00:00.000Z');

function event(id: number, type: string, atSeconds: number, extra: Partial<HistoryEvent> = {}): HistoryEvent {
  return { id, type: type as HistoryEvent['type'], timestamp: new Date(T0 + atSeconds * 1000), ...extra };
}
const entered = (id: number, type: string, name: string, at: number): HistoryEvent =>
  event(id, type, at, { previousEventId: id - 1, stateEnteredEventDetails: { name } });
const exited = (id: number, type: string, name: string, at: number): HistoryEvent =>
  event(id, type, at, { previousEventId: id - 1, stateExitedEventDetails: { name } });
const lambda = (id: number, type: string, at: number, extra: Partial<HistoryEvent> = {}): HistoryEvent =>
  event(id, type, at, { previousEventId: id - 1, ...extra });
const lambdaCause = (errorType: string, errorMessage: string): string => JSON.stringify({ errorType, errorMessage, trace: [] });

const BACKING_UP = '[Promote RDS replica] portforge-dr-rds-replica is backing-up; RDS refuses promotion until the backup ends';
const NOT_A_REPLICA = '[Promote RDS replica] portforge-dr-rds-replica is not a read replica of portforge-test-rds';

const FAILED_RUN: HistoryEvent[] = [
  event(1, 'ExecutionStarted', 0),
  entered(2, 'TaskStateEntered', 'Preflight', 0.8),
  lambda(3, 'LambdaFunctionScheduled', 0.8),
  lambda(4, 'LambdaFunctionStarted', 0.9),
  lambda(5, 'LambdaFunctionSucceeded', 1.9),
  exited(6, 'TaskStateExited', 'Preflight', 2.0),
  entered(7, 'TaskStateEntered', 'Promote RDS replica', 3),
  lambda(8, 'LambdaFunctionScheduled', 3),
  lambda(9, 'LambdaFunctionStarted', 3.1),
  lambda(10, 'LambdaFunctionFailed', 4, { lambdaFunctionFailedEventDetails: { error: 'ReplicaBackingUpError', cause: lambdaCause('ReplicaBackingUpError', BACKING_UP) } }),
  lambda(11, 'LambdaFunctionScheduled', 64),
  lambda(12, 'LambdaFunctionStarted', 64.1),
  lambda(13, 'LambdaFunctionFailed', 65, { lambdaFunctionFailedEventDetails: { error: 'PromotionFailedError', cause: lambdaCause('PromotionFailedError', NOT_A_REPLICA) } }),
  exited(14, 'TaskStateExited', 'Promote RDS replica', 65),
  entered(15, 'PassStateEntered', 'Recover failed', 65),
  exited(16, 'PassStateExited', 'Recover failed', 65),
  entered(17, 'FailStateEntered', 'Cutover failed', 66),
  lambda(18, 'ExecutionFailed', 66, { executionFailedEventDetails: { error: 'PromotionFailedError', cause: lambdaCause('PromotionFailedError', NOT_A_REPLICA) } }),
];

/** Serves `events` newest first, `pageSize` at a time, like GetExecutionHistory with reverseOrder. */
function reversePages(events: () => HistoryEvent[], pageSize: number) {
  return (input: GetExecutionHistoryCommandInput): GetExecutionHistoryCommandOutput => {
    const all = [...events()].sort((a, b) => (input.reverseOrder ? (b.id ?? 0) - (a.id ?? 0) : (a.id ?? 0) - (b.id ?? 0)));
    const offset = Number(input.nextToken ?? '0');
    const page = all.slice(offset, offset + pageSize);
    const next = offset + pageSize < all.length ? String(offset + pageSize) : undefined;
    return { events: page, ...(next ? { nextToken: next } : {}), $metadata: {} };
  };
}

function dryRunReport(): CutoverReport {
  return {
    environment: 'staging',
    executionId: EXECUTION,
    status: 'succeeded',
    mode: 'planned',
    dryRun: true,
    startedAt: '2026-11-27T03:00:00.000Z',
    finishedAt: '2026-11-27T03:00:09.000Z',
    rtoSeconds: 9,
    rpoSeconds: 0,
    steps: [
      { step: 'Preflight', startedAt: '2026-11-27T03:00:01.000Z', finishedAt: '2026-11-27T03:00:02.200Z', durationSeconds: 1.2, outcomes: ['verified'] },
      { step: 'Promote RDS replica', startedAt: '2026-11-27T03:00:03.000Z', finishedAt: '2026-11-27T03:00:03.400Z', durationSeconds: 0.4, outcomes: ['would-change'] },
      { step: 'Switch DNS records', startedAt: '2026-11-27T03:00:05.000Z', finishedAt: '2026-11-27T03:00:05.300Z', durationSeconds: 0.3, outcomes: ['would-change'] },
    ],
    changes: [
      { resource: 'rds:portforge-stg-dr-rds-replica', action: 'PromoteReadReplica', before: { role: 'replica' }, after: { role: 'standalone' } },
      { resource: 'route53:api.staging.portforge.org A', action: 'UPSERT', before: 'seoul-alb', after: 'portforge-stg-dr-alb-123456789.ap-northeast-1.elb.amazonaws.com' },
    ],
    failure: null,
  };
}

function succeeded(report: unknown) {
  return {
    executionArn: EXECUTION,
    stateMachineArn: STAGING_MACHINE,
    name: 'planned-dryrun-20261127T030000',
    status: 'SUCCEEDED' as const,
    startDate: new Date(T0),
    stopDate: new Date(T0 + 9000),
    input: JSON.stringify({ mode: 'planned', dryRun: true, reason: 'rehearsal' }),
    output: JSON.stringify({ input: {}, results: {}, report }),
  };
}

describe('cutover watch', () => {
  it('prints one line per state, failure and retry from the paginated history, then exits 1 with the cause', async () => {
    let visible = 5;
    // The rest of the run happens while the watcher sleeps between polls.
    const sleep = jest.fn((_ms: number) => {
      visible = FAILED_RUN.length;
      return Promise.resolve();
    });
    const h = harness({ sleep });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: EXECUTION, stateMachineArn: STAGING_MACHINE, status: 'RUNNING', startDate: new Date(T0) })
      .resolves({
        executionArn: EXECUTION,
        stateMachineArn: STAGING_MACHINE,
        status: 'FAILED',
        startDate: new Date(T0),
        stopDate: new Date(T0 + 66_000),
        input: JSON.stringify({ mode: 'emergency', dryRun: false, reason: 'Seoul down' }),
        error: 'PromotionFailedError',
        cause: lambdaCause('PromotionFailedError', NOT_A_REPLICA),
      });
    sfn.on(GetExecutionHistoryCommand).callsFake(reversePages(() => FAILED_RUN.slice(0, visible), 3));

    const code = await run(['watch', EXECUTION], h.rt);

    expect(code).toBe(1);
    expect(h.regions).toEqual(['ap-northeast-1']);
    const timeline = h.out.filter((line) => /^\d\d:\d\d:\d\d {2}/.test(line));
    expect(timeline).toEqual([
      '03:00:00  ● execution started',
      '03:00:00  ▶ Preflight',
      '03:00:02  ✓ Preflight (1.2 s)',
      '03:00:03  ▶ Promote RDS replica',
      `03:00:04  ✗ Promote RDS replica: ReplicaBackingUpError — ${BACKING_UP}`,
      '03:01:04  ↻ retry Promote RDS replica (attempt 2)',
      `03:01:05  ✗ Promote RDS replica: PromotionFailedError — ${NOT_A_REPLICA}`,
      '03:01:05  ✗ Promote RDS replica (1 min 2 s)',
      '03:01:05  → Recover failed',
      '03:01:06  ✗ Cutover failed',
      `03:01:06  ✗ execution failed: PromotionFailedError — ${NOT_A_REPLICA}`,
    ]);
    // The first poll paged through the whole history; the second stopped at the last event it had seen.
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: EXECUTION, reverseOrder: true, nextToken: '3' });
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(sleep).toHaveBeenCalledWith(5000);
    expect(h.out).toContain('Execution FAILED');
    expect(h.out).toContain('  Error        PromotionFailedError');
    expect(h.out).toContain(`  Cause        ${NOT_A_REPLICA}`);
    expect(text(h.out)).toContain('no cutover report: the run ended before its failure report was written.');
  });

  it('prints the failure report the run published when the history holds it', async () => {
    const report: CutoverReport = {
      ...dryRunReport(),
      status: 'failed',
      dryRun: false,
      mode: 'emergency',
      steps: [],
      changes: [],
      failure: {
        stage: 'Recover',
        step: 'Promote RDS replica',
        error: 'PromotionFailedError',
        cause: NOT_A_REPLICA,
        nextSteps: ['No DNS record or API behaviour was switched: traffic still goes to the primary Region.'],
      },
    };
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      stateMachineArn: STAGING_MACHINE,
      status: 'FAILED',
      startDate: new Date(T0),
      error: 'PromotionFailedError',
      cause: lambdaCause('PromotionFailedError', NOT_A_REPLICA),
    });
    sfn.on(GetExecutionHistoryCommand, { includeExecutionData: true }).resolves({
      events: [
        entered(32, 'FailStateEntered', 'Cutover failed', 71),
        event(31, 'TaskStateExited', 70, { stateExitedEventDetails: { name: 'Release cutover lock after failure', output: '{"input":{}}' } }),
        event(30, 'TaskStateExited', 70, { stateExitedEventDetails: { name: 'Report failure', output: JSON.stringify({ input: {}, report }) } }),
      ],
    });
    sfn.on(GetExecutionHistoryCommand, { includeExecutionData: false }).resolves({ events: FAILED_RUN });
    const h = harness();

    const code = await run(['watch', EXECUTION], h.rt);

    expect(code).toBe(1);
    expect(h.out).toContain('Cutover report: staging, emergency');
    expect(h.out).toContain('  Step         Promote RDS replica');
    expect(h.out).toContain('  - No DNS record or API behaviour was switched: traffic still goes to the primary Region.');
    expect(h.out).toContain('Changes made (0)');
  });
});

describe('cutover report', () => {
  it('renders a succeeded dry run with its steps and the changes it would make', async () => {
    sfn.on(DescribeExecutionCommand).resolves(succeeded(dryRunReport()));
    const h = harness();

    const code = await run(['report', EXECUTION], h.rt);

    expect(code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
    expect(h.out).toEqual(
      expect.arrayContaining([
        'Cutover report: staging, planned, DRY RUN',
        '  Status       SUCCEEDED',
        '  Dry run      yes (nothing was changed)',
        '  RTO          9.0 s',
        '  RPO          apply lag 0.0 s at promotion (ReplicaLag)',
        '  STEP                 DURATION  OUTCOMES',
        '  Preflight            1.2 s     verified',
        '  Promote RDS replica  0.4 s     would-change',
        'Changes it would make (dry run: 2)',
        '  1. PromoteReadReplica rds:portforge-stg-dr-rds-replica',
        '       before: {"role":"replica"}',
        '       after:  {"role":"standalone"}',
        '  2. UPSERT route53:api.staging.portforge.org A',
        '       after:  portforge-stg-dr-alb-123456789.ap-northeast-1.elb.amazonaws.com',
      ]),
    );
    expect(text(h.out)).not.toContain('Changes made');
  });

  it('prints the raw status and a note instead of crashing when the output holds no report', async () => {
    sfn.on(DescribeExecutionCommand).resolves(succeeded({ environment: 'staging', steps: 'not a list' }));
    const h = harness();

    const code = await run(['report', EXECUTION], h.rt);

    expect(code).toBe(0);
    expect(h.out).toContain('  Status       SUCCEEDED');
    expect(h.out).toContain('  Mode         planned');
    expect(text(h.out)).toMatch(/Note: the output does not hold a cutover report \(report\.\S+: .+\); showing the raw status only\./);
    expect(h.err).toEqual([]);
  });

  it('exits 1 and prints the error and cause of a timed-out execution', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      stateMachineArn: STAGING_MACHINE,
      status: 'TIMED_OUT',
      startDate: new Date(T0),
      error: 'States.Timeout',
      cause: 'The execution timed out after 120 minutes',
    });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const h = harness();

    expect(await run(['report', EXECUTION], h.rt)).toBe(1);
    expect(h.out).toContain('Execution TIMED_OUT');
    expect(h.out).toContain('  Error        States.Timeout');
    expect(h.out).toContain('  Cause        The execution timed out after 120 minutes');
  });
});

describe('cutover approve and deny', () => {
  const EXECUTION_ARN = `arn:aws:states:ap-northeast-1:${ACCOUNT}:execution:dr-cutover-prod:emergency-20261127T030000`;
  const NOW_EPOCH = String(Math.floor(NOW.getTime() / 1000));

  /** The approval item as DynamoDB returns it (ALL_NEW after the claim, ALL_OLD on a failed condition). */
  function approvalItem(fields: Record<string, string> = {}): Record<string, AttributeValue> {
    const item: Record<string, AttributeValue> = {
      approvalId: { S: APPROVAL_ID },
      taskToken: { S: TOKEN },
      executionId: { S: EXECUTION_ARN },
      environment: { S: 'prod' },
      status: { S: 'pending' },
      createdAt: { S: '2026-11-27T03:00:00.000Z' },
      expiresAt: { N: String(Math.floor(NOW.getTime() / 1000) + 600) },
    };
    for (const [key, value] of Object.entries(fields)) item[key] = { S: value };
    return item;
  }

  it('claims the pending approval with one conditional update, then sends SendTaskSuccess with the stored token, in the --env standby Region', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'approved', decidedBy: 'lee', decidedAt: NOW.toISOString() }) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const h = harness();

    const code = await run(['approve', APPROVAL_ID, '--by', 'lee', '--env', 'prod'], h.rt);

    expect(code).toBe(0);
    expect(h.regions).toEqual(['ap-northeast-1']);
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: 'dr-cutover-prod-approvals',
      Key: { approvalId: { S: APPROVAL_ID } },
      UpdateExpression: 'SET #status = :decided, decidedBy = :by, decidedAt = :at',
      ConditionExpression: '#status = :pending AND expiresAt > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':decided': { S: 'approved' },
        ':pending': { S: 'pending' },
        ':by': { S: 'lee' },
        ':at': { S: '2026-11-27T03:04:05.678Z' },
        ':now': { N: NOW_EPOCH },
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: '{"approved":true,"by":"lee","at":"2026-11-27T03:04:05.678Z"}',
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 0);
    expect(h.out).toEqual([
      'Approved by lee at 2026-11-27T03:04:05.678Z: the cutover continues past the approval gate.',
      `  Execution  ${EXECUTION_ARN}`,
      `  Follow     cutover watch ${EXECUTION_ARN}`,
    ]);
    expect(text([...h.out, ...h.err])).not.toContain(TOKEN);
  });

  it('approves as the OS user, using --table and --region when given', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'approved' }) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const h = harness();

    expect(await run(['approve', APPROVAL_ID, '--env', 'staging', '--table', 'my-approvals', '--region', 'us-west-2'], h.rt)).toBe(0);
    expect(h.regions).toEqual(['us-west-2']);
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, { TableName: 'my-approvals', ExpressionAttributeValues: expect.objectContaining({ ':by': { S: 'kim' } }) });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { output: '{"approved":true,"by":"kim","at":"2026-11-27T03:04:05.678Z"}' });
  });

  it('denies with a claim that records the reason, then SendTaskFailure ApprovalDenied with a cause naming who and why', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'denied', decidedBy: 'lee' }) });
    sfn.on(SendTaskFailureCommand).resolves({});
    const h = harness();

    const code = await run(['deny', APPROVAL_ID, '--reason', 'Seoul recovered; false alarm', '--by', 'lee', '--env', 'staging'], h.rt);

    expect(code).toBe(0);
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'dr-cutover-staging-approvals',
      UpdateExpression: 'SET #status = :decided, decidedBy = :by, decidedAt = :at, #reason = :reason',
      ConditionExpression: '#status = :pending AND expiresAt > :now',
      ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
      ExpressionAttributeValues: expect.objectContaining({ ':decided': { S: 'denied' }, ':reason': { S: 'Seoul recovered; false alarm' } }),
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'ApprovalDenied',
      cause: 'Denied by lee: Seoul recovered; false alarm',
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
    expect(h.out[0]).toBe('Denied by lee: Seoul recovered; false alarm. The cutover stops at the approval gate with ApprovalDenied.');
    expect(text(h.out)).not.toContain(TOKEN);
  });

  it('exits 1, sends nothing to the run and never prints the token when the approval was already answered', async () => {
    ddb.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: approvalItem({ status: 'approved', decidedBy: 'park', decidedAt: '2026-11-27T03:02:00.000Z' }),
      }),
    );
    const h = harness();

    expect(await run(['deny', APPROVAL_ID, '--env', 'prod', '--reason', 'too late'], h.rt)).toBe(1);
    expect(h.err).toEqual([
      `error: ApprovalAlreadyDecidedError: Approval ${APPROVAL_ID} was already approved by park at 2026-11-27T03:02:00.000Z. Nothing was changed.`,
      'hint: Someone already answered this approval; follow the run with cutover watch.',
    ]);
    expect(sfn.calls()).toHaveLength(0);
    expect(text([...h.out, ...h.err])).not.toContain(TOKEN);
  });

  it('exits 1 with a hint, puts the approval back to pending and never prints the token when the run already timed out', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: 'approved', decidedBy: 'kim' }) });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const h = harness();

    expect(await run(['approve', APPROVAL_ID, '--env', 'staging'], h.rt)).toBe(1);
    expect(h.err[0]).toMatch(/^error: ApprovalTaskClosedError: The run is no longer waiting for approval .* \(Step Functions answered TaskTimedOut\)/);
    expect(h.err).toContain('hint: The approval request timed out or the execution ended: the execution has moved on.');
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(ddb.commandCalls(UpdateItemCommand)[1]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET #status = :pending REMOVE decidedBy, decidedAt, #reason',
      ConditionExpression: '#status = :decided AND decidedBy = :by AND decidedAt = :at',
    });
    expect(text([...h.out, ...h.err])).not.toContain(TOKEN);
  });
});

describe('cutover drill', () => {
  it('says the drill is not available yet and exits 2 when drill/main.ts is missing', async () => {
    const h = harness();
    expect(await run(['drill', '--scenario', 'happy'], h.rt)).toBe(2);
    expect(h.err).toEqual(['The local drill is not available yet (drill/main.ts is missing).']);
    expect(h.regions).toEqual([]);
  });

  it("forwards every argument to the drill's main and returns its exit code", async () => {
    const main = jest.fn((_argv: string[]) => Promise.resolve(3));
    const h = harness({ loadDrill: () => Promise.resolve({ main }) });
    expect(await run(['drill', '--scenario', 'rds-backing-up', '--help'], h.rt)).toBe(3);
    expect(main).toHaveBeenCalledWith(['--scenario', 'rds-backing-up', '--help']);
    expect(sfn.calls()).toHaveLength(0);
  });
});
