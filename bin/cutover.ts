#!/usr/bin/env -S npx tsx
import * as os from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { parseCommand, usage, UsageError, type Command } from './args';
import {
  approveCommand,
  DEFAULT_POLL_INTERVAL_MS,
  denyCommand,
  describeAwsError,
  drillCommand,
  loadDrill,
  reportCommand,
  startCommand,
  watchCommand,
  type Deps,
  type DrillModule,
} from './commands';

/**
 * `cutover`: start, watch, report, approve or deny a DR cutover on AWS, or run the local drill.
 * parse (no AWS) → create clients in the command's Region → dispatch → exit code.
 * Exit codes: 0 done, 1 the cutover failed or AWS refused, 2 bad input (nothing was called).
 */

export interface Runtime {
  /** Clients for the Region the command targets (the state machine's Region, never the failing one). */
  clients: (region: string) => { sfn: SFNClient; sts: STSClient; ddb: DynamoDBClient };
  out: (line: string) => void;
  err: (line: string) => void;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Default for --requested-by and --by. */
  user: () => string;
  env: Record<string, string | undefined>;
  loadDrill: () => Promise<DrillModule | undefined>;
  pollIntervalMs?: number;
}

function dispatch(command: Exclude<Command, { kind: 'help' | 'drill' }>, deps: Deps, pollIntervalMs: number): Promise<number> {
  switch (command.kind) {
    case 'start':
      return startCommand(deps, command, pollIntervalMs);
    case 'watch':
      return watchCommand(deps, command, pollIntervalMs);
    case 'report':
      return reportCommand(deps, command);
    case 'approve':
      return approveCommand(deps, command);
    case 'deny':
      return denyCommand(deps, command);
  }
}

export async function run(argv: readonly string[], rt: Runtime): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv, { user: rt.user(), env: rt.env });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    rt.err(`error: ${error.message.split('\n').join('\nerror: ')}`);
    rt.err('');
    rt.err(usage(error.command));
    return 2;
  }

  if (command.kind === 'help') {
    rt.out(usage(command.topic));
    return 0;
  }
  if (command.kind === 'drill') return drillCommand(rt.err, command.argv, rt.loadDrill);

  const { sfn, sts, ddb } = rt.clients(command.region);
  try {
    return await dispatch(command, { sfn, sts, ddb, out: rt.out, now: rt.now, sleep: rt.sleep }, rt.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
  } catch (error) {
    describeAwsError(error).forEach((line) => rt.err(line));
    return 1;
  } finally {
    sfn.destroy();
    sts.destroy();
    ddb.destroy();
  }
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the shell's idea of the user.
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** The real process: AWS clients from the default credential chain, stdout/stderr, wall clock. */
export function processRuntime(): Runtime {
  return {
    clients: (region) => ({ sfn: new SFNClient({ region }), sts: new STSClient({ region }), ddb: new DynamoDBClient({ region }) }),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    user: osUser,
    env: process.env,
    loadDrill,
  };
}

if (require.main === module) {
  run(process.argv.slice(2), processRuntime()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
