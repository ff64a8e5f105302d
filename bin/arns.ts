/**
 * Step Functions ARNs, execution names and console links. Pure functions: no AWS calls.
 */
import { AWS_REGION_PATTERN, AWS_REGION_SOURCE } from '../functions/shared/contracts';
import { stateMachineName } from '../stacks/names';

const REGION = AWS_REGION_SOURCE;
export { AWS_REGION_PATTERN as REGION_PATTERN };
const STATE_MACHINE_ARN = new RegExp(`^arn:(aws[a-z-]*):states:(${REGION}):(\\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$`);
const EXECUTION_ARN = new RegExp(`^arn:(aws[a-z-]*):states:(${REGION}):(\\d{12}):execution:([A-Za-z0-9_-]{1,80}):([A-Za-z0-9_-]{1,80})$`);

export interface StateMachineArn {
  partition: string;
  region: string;
  account: string;
  name: string;
}

export interface ExecutionArn extends StateMachineArn {
  executionName: string;
}

export function parseStateMachineArn(arn: string): StateMachineArn | undefined {
  const m = STATE_MACHINE_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition = '', region = '', account = '', name = ''] = m;
  return { partition, region, account, name };
}

export function parseExecutionArn(arn: string): ExecutionArn | undefined {
  const m = EXECUTION_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition = '', region = '', account = '', name = '', executionName = ''] = m;
  return { partition, region, account, name, executionName };
}

/** The deployed machine's name (stacks/cutover-stack.ts → statemachines/cutover-state-machine.ts). */
export { stateMachineName };

export function stateMachineArn(partition: string, region: string, account: string, env: string): string {
  return `arn:${partition}:states:${region}:${account}:stateMachine:${stateMachineName(env)}`;
}

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** `<mode>[-dryrun]-<UTC yyyymmddThhmmss>`, e.g. `planned-dryrun-20261127T030000`. */
export function executionName(mode: string, dryRun: boolean, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 15);
  const name = `${mode}${dryRun ? '-dryrun' : ''}-${stamp}`;
  if (!EXECUTION_NAME.test(name)) throw new Error(`Internal error: '${name}' is not a valid execution name`);
  return name;
}

function consoleHost(partition: string, region: string): string {
  if (partition === 'aws-cn') return `console.amazonaws.cn`;
  if (partition === 'aws-us-gov') return `console.amazonaws-us-gov.com`;
  return `${region}.console.aws.amazon.com`;
}

/** The Step Functions console page of one execution. */
export function consoleLink(executionArn: string): string {
  const arn = parseExecutionArn(executionArn);
  const partition = arn?.partition ?? 'aws';
  const region = arn?.region ?? 'ap-northeast-1';
  return `https://${consoleHost(partition, region)}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
