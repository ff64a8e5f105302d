import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ApprovalIdSchema } from '../functions/shared/approvals';
import { CutoverInputSchema, type CutoverInput } from '../functions/shared/contracts';
import { ENVIRONMENTS, loadEnvironment } from '../stacks/environments';
import { approvalsTableName } from '../stacks/names';
import { REGION_PATTERN, parseExecutionArn, parseStateMachineArn, stateMachineName } from './arns';

/**
 * The CLI's boundary: argv → a fully validated command. Nothing here calls AWS, so
 * bad input always ends with a UsageError (exit 2) before any client is created.
 */

interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in usage, e.g. `<staging|prod>`. */
  value?: string;
  help: string;
}

interface CommandSpec {
  summary: string;
  synopsis: string;
  description: string[];
  flags: Record<string, FlagSpec>;
  examples: string[];
}

const ENV_NAMES = Object.keys(ENVIRONMENTS);
const ENV_VALUE = `<${ENV_NAMES.join('|')}>`;
const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', help: 'show this help' };

/** Where approve and deny find the approval: shared by both commands. */
const APPROVALS_TABLE_FLAGS = {
  table: { type: 'string', value: '<name>', help: 'approvals table (default: dr-cutover-<env>-approvals)' },
  region: { type: 'string', value: '<region>', help: 'Region of the table and state machine (default: the --env standby Region)' },
} as const;

export const COMMANDS = {
  start: {
    summary: 'start a cutover (or a dry run) of an environment',
    synopsis: `cutover start --env ${ENV_VALUE} --mode <emergency|planned> --reason "<text>" [--dry-run] [--requested-by <who>] [--state-machine-arn <arn>] [--watch]`,
    description: [
      'Starts the dr-cutover-<env> state machine in the environment\'s standby Region.',
      'The execution input is checked with the same schema as the machine\'s "Validate input" step.',
    ],
    flags: {
      env: { type: 'string', value: ENV_VALUE, help: 'environment to cut over (required)' },
      mode: { type: 'string', value: '<emergency|planned>', help: 'emergency: the primary is down; planned: wait for zero replica lag (required)' },
      reason: { type: 'string', value: '"<text>"', help: 'why the cutover runs; goes to Slack and the report (required)' },
      'dry-run': { type: 'boolean', help: 'change nothing; report what a real run would change' },
      'requested-by': { type: 'string', value: '<who>', help: 'who asks for it (default: your OS user name)' },
      'state-machine-arn': { type: 'string', value: '<arn>', help: 'use this state machine instead of dr-cutover-<env> in the caller\'s account' },
      watch: { type: 'boolean', help: 'follow the execution until it ends (as `cutover watch`)' },
      help: HELP_FLAG,
    },
    examples: [
      'cutover start --env staging --mode planned --reason "quarterly DR rehearsal" --dry-run --watch',
      'cutover start --env prod --mode emergency --reason "Seoul RDS unreachable since 03:10 KST" --watch',
    ],
  },
  watch: {
    summary: 'follow an execution state by state until it ends',
    synopsis: 'cutover watch <executionArn>',
    description: [
      'Prints one line per state entered or exited, per failure and per retry (times in UTC).',
      'Exits 0 when the execution succeeded (and prints its report), 1 when it failed, timed out or was aborted.',
      'Ctrl-C stops watching; the execution keeps running.',
    ],
    flags: { help: HELP_FLAG },
    examples: ['cutover watch arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:emergency-20261127T031500'],
  },
  report: {
    summary: "print an execution's cutover report",
    synopsis: 'cutover report <executionArn>',
    description: [
      'Prints status, mode, RTO, RPO, per-step timings and the changes made (or, for a dry run, the changes it would make).',
      'Exits 0 for a succeeded or still running execution, 1 for a failed, timed-out or aborted one.',
    ],
    flags: { help: HELP_FLAG },
    examples: ['cutover report arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-staging:planned-dryrun-20261127T030000'],
  },
  approve: {
    summary: 'approve a cutover waiting at the approval gate',
    synopsis: `cutover approve <approvalId> --env ${ENV_VALUE} [--by <who>] [--table <name>] [--region <region>]`,
    description: [
      'The approval id is in the Slack approval message. Marks the approval approved in the approvals table,',
      'only while it is still pending and not expired, then sends SendTaskSuccess with',
      '{"approved":true,"by":"<who>","at":"<iso time>"} using the task token stored there (never shown).',
      'An approval already answered (in Slack or here) is left alone: exit 1, nothing changed.',
    ],
    flags: {
      env: { type: 'string', value: ENV_VALUE, help: 'environment of the waiting cutover (required)' },
      by: { type: 'string', value: '<who>', help: 'who approves (default: your OS user name)' },
      ...APPROVALS_TABLE_FLAGS,
      help: HELP_FLAG,
    },
    examples: ['cutover approve 0b6c2f8e-3d1a-4e5f-9a7b-2c4d6e8f0a1b --env prod'],
  },
  deny: {
    summary: 'deny a cutover waiting at the approval gate',
    synopsis: `cutover deny <approvalId> --reason "<text>" --env ${ENV_VALUE} [--by <who>] [--table <name>] [--region <region>]`,
    description: [
      'The approval id is in the Slack approval message. Marks the approval denied in the approvals table,',
      'only while it is still pending and not expired, then sends SendTaskFailure with error ApprovalDenied',
      'and cause "Denied by <who>: <reason>": the run stops at the gate before any change.',
      'An approval already answered (in Slack or here) is left alone: exit 1, nothing changed.',
    ],
    flags: {
      reason: { type: 'string', value: '"<text>"', help: 'why the cutover must not run (required)' },
      env: { type: 'string', value: ENV_VALUE, help: 'environment of the waiting cutover (required)' },
      by: { type: 'string', value: '<who>', help: 'who denies (default: your OS user name)' },
      ...APPROVALS_TABLE_FLAGS,
      help: HELP_FLAG,
    },
    examples: ['cutover deny 0b6c2f8e-3d1a-4e5f-9a7b-2c4d6e8f0a1b --env prod --reason "Seoul recovered; false alarm"'],
  },
  drill: {
    summary: 'run the local two-Region drill (no AWS needed)',
    synopsis: 'cutover drill [drill arguments...]',
    description: ['Forwards every argument to the local drill (drill/main.ts).'],
    flags: {},
    examples: ['cutover drill --help'],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

function isCommandName(value: string): value is CommandName {
  return (COMMAND_NAMES as string[]).includes(value);
}

// ---- the parsed commands -------------------------------------------------------

export interface StartCommand {
  kind: 'start';
  env: string;
  /** The standby Region (or the --state-machine-arn Region): where the machine runs. */
  region: string;
  /** Validated with CutoverInputSchema; sent as the execution input as is. */
  input: CutoverInput;
  stateMachineArn?: string;
  watch: boolean;
}
export interface ExecutionCommand {
  kind: 'watch' | 'report';
  executionArn: string;
  region: string;
}
export interface ApproveCommand {
  kind: 'approve';
  approvalId: string;
  by: string;
  env: string;
  /** The approvals table: --table, else dr-cutover-<env>-approvals. */
  table: string;
  region: string;
}
export interface DenyCommand {
  kind: 'deny';
  approvalId: string;
  by: string;
  reason: string;
  env: string;
  table: string;
  region: string;
}
export type Command =
  | { kind: 'help'; topic?: CommandName }
  | StartCommand
  | ExecutionCommand
  | ApproveCommand
  | DenyCommand
  | { kind: 'drill'; argv: string[] };

/** Bad input: printed with the usage of `command` (or the command list) and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

export interface ParseContext {
  /** Default for --requested-by and --by. */
  user: string;
  /** The process environment (no command reads it today: approve/deny take their Region from --env). */
  env: Record<string, string | undefined>;
}

// ---- usage text ------------------------------------------------------------------

const pad = (text: string, width: number): string => text.padEnd(width);

export function usage(command?: CommandName): string {
  if (!command) {
    return [
      'Usage: cutover <command> [flags]',
      '',
      'Runs and follows the DR cutover state machine (dr-cutover-<env>) in the standby Region.',
      '',
      'Commands:',
      ...COMMAND_NAMES.map((name) => `  ${pad(name, 9)} ${COMMANDS[name].summary}`),
      '',
      "Run 'cutover <command> --help' for its flags.",
      'Exit codes: 0 done, 1 the cutover failed or AWS refused the call, 2 bad input (nothing was called).',
    ].join('\n');
  }
  const spec: CommandSpec = COMMANDS[command];
  const flags = Object.entries(spec.flags).map(([name, flag]) => {
    const label = `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.value ? ` ${flag.value}` : ''}`;
    return `  ${pad(label, 34)} ${flag.help}`;
  });
  return [
    `Usage: ${spec.synopsis}`,
    '',
    ...spec.description,
    ...(flags.length > 0 ? ['', 'Flags:', ...flags] : []),
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
    `Commands: ${COMMAND_NAMES.join(', ')}. Run 'cutover --help' for the list.`,
  ].join('\n');
}

// ---- validation helpers --------------------------------------------------------------

/** Shows a bad value in an error without flooding the terminal. */
function shown(value: unknown): string {
  const text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const required = (flag: string) => (issue: { input: unknown }) => (issue.input === undefined ? `${flag} is required` : undefined);

function oneOf<const T extends readonly [string, ...string[]]>(flag: string, values: T) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined
        ? `${flag} is required (one of: ${values.join(', ')})`
        : `${flag} must be one of: ${values.join(', ')} (got '${shown(issue.input)}')`,
  });
}

const envFlag = oneOf('--env', ENV_NAMES as [string, ...string[]]);
const regionFlag = z
  .string()
  .regex(REGION_PATTERN, { error: (issue) => `--region must be an AWS Region code such as ap-northeast-1 (got '${shown(issue.input)}')` });
const whoFlag = (flag: string) =>
  z
    .string()
    .trim()
    .min(1, `${flag} must not be empty`)
    .max(200, `${flag} must be at most 200 characters`);
const reasonFlag = z.string({ error: required('--reason') });
// Never echo the value back: a pasted task token is a credential for the waiting execution.
const approvalIdArg = z.string({ error: required('<approvalId>') }).refine((value) => ApprovalIdSchema.safeParse(value).success, {
  error: '<approvalId> must be the approval id from the Slack message (a UUID such as 0b6c2f8e-3d1a-4e5f-9a7b-2c4d6e8f0a1b)',
});
const tableFlag = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{3,255}$/, { error: (issue) => `--table must be a DynamoDB table name (got '${shown(issue.input)}')` });
const executionArnArg = z.string({ error: required('<executionArn>') }).refine((arn) => parseExecutionArn(arn) !== undefined, {
  error: (issue) =>
    `<executionArn> must be a Step Functions execution ARN like arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-prod:<name> (got '${shown(issue.input)}')`,
});
const stateMachineArnFlag = z.string().refine((arn) => parseStateMachineArn(arn) !== undefined, {
  error: (issue) =>
    `--state-machine-arn must be a state machine ARN like arn:aws:states:ap-northeast-1:123456789012:stateMachine:dr-cutover-prod (got '${shown(issue.input)}')`,
});

/** Names a zod issue by the flag it came from: messages that already name it pass through. */
function flagMessage(issue: z.core.$ZodIssue, flagFor: (key: string) => string): string {
  if (/^(--|<)/.test(issue.message)) return issue.message;
  const key = issue.path[0];
  return typeof key === 'string' ? `${flagFor(key)}: ${issue.message}` : issue.message;
}

function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
  command: CommandName,
  flagFor: (key: string) => string = (key) => `--${key}`,
): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((issue) => flagMessage(issue, flagFor)).join('\n'), command);
  }
  return parsed.data;
}

function nodeParseError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag '${shown(quoted)}'`;
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument '${shown(quoted)}'`;
  const firstLine = message.split('\n')[0] ?? message;
  const flag = quoted.replace(/ <value>$/, '');
  // "Option '--env <value>' argument missing" / "Option '--reason' argument is ambiguous" (the value looks like a flag)
  if (/argument missing/.test(firstLine)) return `${flag} needs a value`;
  if (/argument is ambiguous/.test(firstLine)) return `${flag} needs a value (to pass one that starts with '-', write ${flag}=<value>)`;
  if (/does not take an argument/.test(firstLine)) return `${flag} takes no value`;
  return firstLine;
}

// ---- per-command parsing -----------------------------------------------------------------

function parseStart(values: Record<string, unknown>, positionals: string[], ctx: ParseContext): StartCommand {
  const flags = validate(
    z.object({
      env: envFlag,
      mode: oneOf('--mode', ['emergency', 'planned']),
      reason: reasonFlag,
      'dry-run': z.boolean().default(false),
      'requested-by': whoFlag('--requested-by').optional(),
      'state-machine-arn': stateMachineArnFlag.optional(),
      watch: z.boolean().default(false),
    }),
    values,
    'start',
  );
  noPositionals('start', positionals);
  const input = validate(
    CutoverInputSchema,
    {
      mode: flags.mode,
      dryRun: flags['dry-run'],
      reason: flags.reason,
      requestedBy: flags['requested-by'] ?? ctx.user,
      trigger: { type: 'manual' },
    },
    'start',
    (key) => ({ mode: '--mode', dryRun: '--dry-run', reason: '--reason', requestedBy: '--requested-by' })[key] ?? key,
  );
  const config = loadEnvironment(flags.env);
  const arn = flags['state-machine-arn'];
  const parsedArn = arn ? parseStateMachineArn(arn) : undefined;
  // Guard against cutting over the wrong environment: dr-cutover-prod with --env staging is a typo, not a choice.
  const envInArn = parsedArn?.name.match(/^dr-cutover-(.+)$/)?.[1];
  if (envInArn !== undefined && envInArn !== flags.env) {
    throw new UsageError(`--state-machine-arn names ${parsedArn?.name ?? ''} but --env is ${flags.env} (expected ${stateMachineName(flags.env)})`, 'start');
  }
  return {
    kind: 'start',
    env: flags.env,
    region: parsedArn?.region ?? config.standbyRegion,
    input,
    ...(arn ? { stateMachineArn: arn } : {}),
    watch: flags.watch,
  };
}

function noPositionals(command: CommandName, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${shown(positionals[0])}'`, command);
}

function onePositional(command: CommandName, name: string, positionals: string[]): string | undefined {
  if (positionals.length > 1) throw new UsageError(`${name} expected once; unexpected argument '${shown(positionals[1])}'`, command);
  return positionals[0];
}

function parseExecution(kind: 'watch' | 'report', positionals: string[]): ExecutionCommand {
  const executionArn = validate(executionArnArg, onePositional(kind, '<executionArn>', positionals), kind);
  const region = parseExecutionArn(executionArn)?.region ?? '';
  return { kind, executionArn, region };
}

const denyReason = reasonFlag
  .trim()
  .min(1, '--reason must say why the cutover is denied')
  .max(1000, '--reason must be at most 1000 characters');

function parseApproval(kind: 'approve' | 'deny', values: Record<string, unknown>, positionals: string[], ctx: ParseContext): ApproveCommand | DenyCommand {
  const approvalId = validate(approvalIdArg, onePositional(kind, '<approvalId>', positionals), kind);
  const flags = validate(
    z.object({
      env: envFlag,
      by: whoFlag('--by').optional(),
      table: tableFlag.optional(),
      region: regionFlag.optional(),
      // approve has no --reason flag (parseArgs rejects it), so only deny ever sees one.
      reason: kind === 'deny' ? denyReason : denyReason.optional(),
    }),
    values,
    kind,
  );
  const by = flags.by ?? ctx.user;
  const table = flags.table ?? approvalsTableName(flags.env);
  // The table lives beside the state machine, in the environment's standby Region.
  const region = flags.region ?? loadEnvironment(flags.env).standbyRegion;
  const common = { approvalId, by, env: flags.env, table, region };
  if (kind === 'approve') return { kind, ...common };
  return { kind, ...common, reason: flags.reason ?? '' };
}

/** argv (without `node cutover.ts`) → a validated command. Throws UsageError on any bad input. */
export function parseCommand(argv: readonly string[], ctx: ParseContext): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing command');
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help' };
    if (isCommandName(topic)) return { kind: 'help', topic };
    throw new UsageError(`unknown command '${shown(topic)}'`);
  }
  if (!isCommandName(first)) {
    throw new UsageError(first.startsWith('-') ? `expected a command before '${shown(first)}'` : `unknown command '${shown(first)}'`);
  }
  if (first === 'drill') return { kind: 'drill', argv: rest };

  const spec: CommandSpec = COMMANDS[first];
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: spec.flags, allowPositionals: true, strict: true }));
  } catch (error) {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', topic: first };
    throw new UsageError(nodeParseError(error), first);
  }
  if (values.help === true) return { kind: 'help', topic: first };
  delete values.help;

  switch (first) {
    case 'start':
      return parseStart(values, positionals, ctx);
    case 'watch':
    case 'report':
      return parseExecution(first, positionals);
    case 'approve':
    case 'deny':
      return parseApproval(first, values, positionals, ctx);
  }
}
