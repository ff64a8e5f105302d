import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import { decideApproval, type DecideResult } from '../functions/shared/approvals';
import { APPROVAL_DENIED_ERROR } from '../functions/shared/contracts';
import type { ApproveCommand, DenyCommand, ExecutionCommand, StartCommand } from './args';
import { consoleLink, executionName, parseExecutionArn, stateMachineArn } from './arns';
import {
  renderExecutionError,
  renderExecutionSummary,
  renderReport,
  reportFromOutput,
  type ExecutionView,
} from './format';
import { HistoryPrinter } from './history';
import { errorName } from '../functions/shared/errors';

/** What every command needs; tests inject mocked clients, a fixed clock and an instant sleep. */
export interface Deps {
  sfn: SFNClient;
  sts: STSClient;
  /** The approvals table's client (approve/deny). */
  ddb: DynamoDBClient;
  out: (line: string) => void;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

/** Every command resolves to the process exit code: 0 done, 1 the cutover failed. */
type ExitCode = number;

export const DEFAULT_POLL_INTERVAL_MS = 5000;

const print = (deps: Deps, lines: string[]): void => lines.forEach((line) => deps.out(line));

// ---- start ----------------------------------------------------------------------

const CallerSchema = z.object({
  Account: z.string().regex(/^\d{12}$/),
  Arn: z.string().startsWith('arn:'),
});

/** `arn:<partition>:states:<standby Region>:<caller account>:stateMachine:dr-cutover-<env>` */
export async function resolveStateMachineArn(sts: STSClient, env: string, region: string): Promise<string> {
  const caller = CallerSchema.safeParse(await sts.send(new GetCallerIdentityCommand({})));
  if (!caller.success) throw new Error('STS GetCallerIdentity returned no account id; pass --state-machine-arn instead');
  const partition = caller.data.Arn.split(':')[1] ?? 'aws';
  return stateMachineArn(partition, region, caller.data.Account, env);
}

export async function startCommand(deps: Deps, cmd: StartCommand, pollIntervalMs = DEFAULT_POLL_INTERVAL_MS): Promise<ExitCode> {
  const machineArn = cmd.stateMachineArn ?? (await resolveStateMachineArn(deps.sts, cmd.env, cmd.region));
  const name = executionName(cmd.input.mode, cmd.input.dryRun, deps.now());
  const started = await deps.sfn.send(
    new StartExecutionCommand({ stateMachineArn: machineArn, name, input: JSON.stringify(cmd.input) }),
  );
  const executionArn = started.executionArn;
  if (!executionArn) throw new Error('StartExecution returned no execution ARN');
  print(deps, [
    `Started ${cmd.input.mode} cutover of ${cmd.env}${cmd.input.dryRun ? ' (DRY RUN: nothing will be changed)' : ''}.`,
    `  Execution  ${executionArn}`,
    `  Console    ${consoleLink(executionArn)}`,
    `  Follow     cutover watch ${executionArn}`,
    `  Report     cutover report ${executionArn}`,
  ]);
  if (!cmd.watch) return 0;
  deps.out('');
  return watchCommand(deps, { kind: 'watch', executionArn, region: cmd.region }, pollIntervalMs);
}

// ---- report ---------------------------------------------------------------------------

async function describe(sfn: SFNClient, executionArn: string): Promise<ExecutionView> {
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return {
    executionArn,
    name: d.name ?? parseExecutionArn(executionArn)?.executionName,
    status: d.status ?? 'UNKNOWN',
    startDate: d.startDate,
    stopDate: d.stopDate,
    input: d.input,
    output: d.output,
    error: d.error,
    cause: d.cause,
  };
}

/**
 * A failed execution has no output, but its failure path published a report: the
 * newest state exit whose output holds `report` ("Report failure" and the states after it).
 */
async function failureReport(sfn: SFNClient, executionArn: string): Promise<ReturnType<typeof reportFromOutput>> {
  try {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, includeExecutionData: true, maxResults: 100 }),
    );
    for (const e of page.events ?? []) {
      const output = e.stateExitedEventDetails?.output;
      if (output === undefined) continue;
      const found = reportFromOutput(output);
      if ('report' in found) return found;
    }
    return { problem: 'the run ended before its failure report was written' };
  } catch (error) {
    return { problem: `could not read the failure report from the history (${errorName(error)})` };
  }
}

/** Prints an execution as `report` does and returns its exit code. */
async function printExecution(deps: Deps, execution: ExecutionView): Promise<ExitCode> {
  if (execution.status === 'SUCCEEDED') {
    const found = reportFromOutput(execution.output);
    print(deps, 'report' in found ? renderReport(found.report, execution) : renderExecutionSummary(execution, `${found.problem}; showing the raw status only.`));
    return 0;
  }
  if (execution.status === 'RUNNING') {
    print(deps, renderExecutionSummary(execution, `still running; follow it with: cutover watch ${execution.executionArn}`));
    return 0;
  }
  const found = await failureReport(deps.sfn, execution.executionArn);
  print(deps, 'report' in found ? renderReport(found.report, execution) : renderExecutionSummary(execution, `no cutover report: ${found.problem}.`));
  print(deps, renderExecutionError(execution));
  return 1;
}

export async function reportCommand(deps: Deps, cmd: ExecutionCommand): Promise<ExitCode> {
  return printExecution(deps, await describe(deps.sfn, cmd.executionArn));
}

// ---- watch --------------------------------------------------------------------------------

/**
 * Events after `afterId`, oldest first. Reads the history newest first and stops at the
 * first event already seen, so each poll costs one page however long the run has been.
 */
export async function newEvents(sfn: SFNClient, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, includeExecutionData: false, maxResults: 1000, nextToken }),
    );
    for (const e of page.events ?? []) {
      if ((e.id ?? 0) <= afterId) return fresh.reverse();
      fresh.push(e);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return fresh.reverse();
}

export async function watchCommand(deps: Deps, cmd: ExecutionCommand, pollIntervalMs = DEFAULT_POLL_INTERVAL_MS): Promise<ExitCode> {
  const printer = new HistoryPrinter();
  const name = parseExecutionArn(cmd.executionArn)?.executionName ?? cmd.executionArn;
  deps.out(`Watching ${name} in ${cmd.region} (times in UTC; Ctrl-C stops watching, not the execution)`);
  for (;;) {
    // Status first, then history: once the status is final, the history read after it is complete.
    const execution = await describe(deps.sfn, cmd.executionArn);
    for (const event of await newEvents(deps.sfn, cmd.executionArn, printer.lastEventId)) {
      print(deps, printer.lines(event));
    }
    if (execution.status !== 'RUNNING') {
      deps.out('');
      return printExecution(deps, execution);
    }
    await deps.sleep(pollIntervalMs);
  }
}

// ---- approval gate -----------------------------------------------------------------------------

/** Where the run goes on from here; the approval's executionId is the execution ARN. */
function executionLines(decided: DecideResult): string[] {
  if (!decided.executionId) return [];
  return [`  Execution  ${decided.executionId}`, `  Follow     cutover watch ${decided.executionId}`];
}

/**
 * approve/deny answer through the approvals table, exactly as the Slack buttons do: one conditional
 * claim of a pending, unexpired approval, then SendTask* with the token stored there (never printed).
 * Already answered, expired, unknown or ended runs surface as named errors: exit 1, nothing changed.
 */
export async function approveCommand(deps: Deps, cmd: ApproveCommand): Promise<ExitCode> {
  const decided = await decideApproval(
    { ddb: deps.ddb, sfn: deps.sfn, table: cmd.table, now: deps.now },
    { approvalId: cmd.approvalId, approve: true, by: cmd.by },
  );
  print(deps, [`Approved by ${decided.by} at ${decided.at}: the cutover continues past the approval gate.`, ...executionLines(decided)]);
  return 0;
}

export async function denyCommand(deps: Deps, cmd: DenyCommand): Promise<ExitCode> {
  const decided = await decideApproval(
    { ddb: deps.ddb, sfn: deps.sfn, table: cmd.table, now: deps.now },
    { approvalId: cmd.approvalId, approve: false, by: cmd.by, reason: cmd.reason },
  );
  print(deps, [`${decided.cause ?? `Denied by ${cmd.by}: ${cmd.reason}`}. The cutover stops at the approval gate with ${APPROVAL_DENIED_ERROR}.`, ...executionLines(decided)]);
  return 0;
}

// ---- drill -----------------------------------------------------------------------------------------

export interface DrillModule {
  main: (argv: string[]) => unknown;
}

function isDrillModule(value: unknown): value is DrillModule {
  return typeof value === 'object' && value !== null && typeof (value as { main?: unknown }).main === 'function';
}

/** drill/main.ts when it exists (it is written separately), else undefined. */
export async function loadDrill(): Promise<DrillModule | undefined> {
  const file = path.join(__dirname, '..', 'drill', 'main.ts');
  if (!fs.existsSync(file)) return undefined;
  // A computed specifier: the CLI must type-check and run before drill/main.ts exists.
  const mod: unknown = await import(file);
  if (!isDrillModule(mod)) throw new Error(`${file} does not export main(argv)`);
  return mod;
}

export async function drillCommand(
  out: (line: string) => void,
  argv: string[],
  load: () => Promise<DrillModule | undefined> = loadDrill,
): Promise<ExitCode> {
  const drill = await load();
  if (!drill) {
    out('The local drill is not available yet (drill/main.ts is missing).');
    return 2;
  }
  const code = await drill.main(argv);
  return typeof code === 'number' ? code : 0;
}

// ---- AWS errors ----------------------------------------------------------------------------------------

const HINTS: Record<string, string> = {
  StateMachineDoesNotExist: 'Is the stack deployed in this account and Region? Otherwise pass --state-machine-arn.',
  ExecutionDoesNotExist: 'Check the execution ARN (and that your credentials are for its account).',
  ExecutionAlreadyExists: 'An execution with this name started in the same second: wait a second, or watch the existing one.',
  ExecutionLimitExceeded: 'Too many running executions in this account and Region.',
  ApprovalNotFoundError: 'Copy the approval id from the Slack approval message, and check --env (or --table).',
  ApprovalAlreadyDecidedError: 'Someone already answered this approval; follow the run with cutover watch.',
  ApprovalExpiredError: 'The approval gate timed out and the run ended before any change; start a new cutover if it is still needed.',
  ApprovalTaskClosedError: 'The approval request timed out or the execution ended: the execution has moved on.',
  ResourceNotFoundException: 'No approvals table here: check --env, --table and --region (the stack creates dr-cutover-<env>-approvals).',
  AccessDeniedException: 'Your credentials may not call this Step Functions API; check the role you are using.',
  CredentialsProviderError: 'No AWS credentials found: set AWS_PROFILE (or run aws sso login) and try again.',
  ExpiredTokenException: 'Your AWS session expired: refresh your credentials and try again.',
};

/** One or two lines about an AWS failure, without dumping the SDK error object. */
export function describeAwsError(error: unknown): string[] {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const hint = HINTS[name];
  return [`error: ${name}: ${message}`, ...(hint ? [`hint: ${hint}`] : [])];
}
