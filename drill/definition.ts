import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfig } from '../stacks/config';
import { CutoverStack } from '../stacks/cutover-stack';

export const LOCAL_ACCOUNT = '123456789012';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type CfnResource = { Type: string; Properties?: Record<string, Json> };
export type CfnTemplate = { Resources: Record<string, CfnResource> };

const templates = new Map<string, CfnTemplate>();

/** The synthesized stack for one environment (memoized per config). Bundling is skipped: only the template is needed. */
export function synthesizeTemplate(config: EnvironmentConfig): CfnTemplate {
  const key = JSON.stringify(config);
  const cached = templates.get(key);
  if (cached) return cached;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack: Stack = new CutoverStack(app, `DrCutover-${config.name}`, {
    config,
    env: { account: LOCAL_ACCOUNT, region: config.standbyRegion },
  });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  templates.set(key, template);
  return template;
}

function scalar(value: Json): string {
  if (typeof value === 'object' && value !== null) throw new Error(`unresolved intrinsic in definition: ${JSON.stringify(value)}`);
  return String(value);
}

/** Resolves the few intrinsic functions a state machine definition uses into local names and ARNs. */
function resolveIntrinsics(value: Json, template: CfnTemplate, region: string): Json {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, template, region));
  if (value === null || typeof value !== 'object') return value;
  const join = value['Fn::Join'];
  if (Array.isArray(join)) {
    const [sep, parts] = join as [string, Json[]];
    return parts.map((p) => scalar(resolveIntrinsics(p, template, region))).join(sep);
  }
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return localArn(scalar(getAtt[0] ?? null), template, region);
  const ref = value.Ref;
  if (typeof ref === 'string') {
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return region;
    if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const resource = template.Resources[ref];
    // CloudFormation, AWS::DynamoDB::Table return values: Ref returns the table name (its TableName when the stack sets one).
    const tableName = resource?.Type === 'AWS::DynamoDB::Table' ? resource.Properties?.TableName : undefined;
    if (typeof tableName === 'string') return tableName;
    return resource?.Type === 'AWS::SNS::Topic' ? localArn(ref, template, region) : ref;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIntrinsics(v, template, region)]));
}

function localArn(logicalId: string, template: CfnTemplate, region: string): string {
  const type = template.Resources[logicalId]?.Type;
  if (type === 'AWS::Lambda::Function') return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${logicalId}`;
  if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${region}:${LOCAL_ACCOUNT}:${logicalId}`;
  // IAM role ARNs have no Region: arn:aws:iam::<account>:role/<name>.
  if (type === 'AWS::IAM::Role') return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${logicalId}`;
  return `arn:aws:local:${region}:${LOCAL_ACCOUNT}:${logicalId}`;
}

export type AslState = {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string; Payload?: unknown };
  Retry?: unknown[];
  Branches?: AslMachine[];
  ItemProcessor?: AslMachine;
  Iterator?: AslMachine;
};
export type AslMachine = { StartAt: string; States: Record<string, AslState>; TimeoutSeconds?: number };

/** Every state in the definition, nested Parallel branches and Map processors included. */
export function allStates(machine: AslMachine): Array<[string, AslState]> {
  return Object.entries(machine.States).flatMap(([name, state]): Array<[string, AslState]> => [
    [name, state],
    ...(state.Branches ?? []).flatMap(allStates),
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
    ...(state.Iterator ? allStates(state.Iterator) : []),
  ]);
}

/**
 * The lane each state runs in, for showing parallel work side by side: a Parallel branch is
 * named after its first state, a Map item after its Map; top-level states are in 'cutover'.
 */
export function stateLanes(machine: AslMachine, lane = 'cutover'): Record<string, string> {
  const lanes: Record<string, string> = {};
  for (const [name, state] of Object.entries(machine.States)) {
    lanes[name] = lane;
    for (const branch of state.Branches ?? []) Object.assign(lanes, stateLanes(branch, branch.StartAt));
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) Object.assign(lanes, stateLanes(processor, name));
  }
  return lanes;
}

export interface SynthesizedCutover {
  /** The deployed definition, with CloudFormation references resolved to local names. */
  definition: AslMachine;
  /** Task state name → the functions/ folder of the step Lambda it invokes. */
  taskSteps: Record<string, string>;
  /** Task state name → the function it invokes, as the definition names it (its FunctionName or Resource). */
  taskFunctions: Record<string, string>;
  /** Task states that invoke their Lambda with `.waitForTaskToken` (the approval gate). */
  waitForTaskToken: string[];
  /** Each step Lambda's configured timeout (seconds) and runtime, by its functions/ folder. */
  stepLambdas: Record<string, { timeoutSeconds: number; runtime: string }>;
  /** Every step Lambda's environment, as deployed (resolved), merged: for looking up a name, not for running a handler. */
  lambdaEnvironment: Record<string, string>;
  /**
   * Each Lambda's own environment, as deployed (resolved), by its functions/ folder: the state
   * machine's steps and the stack's other functions (Slack notifier, approval callback, …).
   */
  stepEnvironments: Record<string, Record<string, string>>;
  /** The Region the state machine and its Lambdas are deployed in (the standby Region). */
  region: string;
}

/** Extracts the state machine from a synthesized template and binds each Task to its step folder. */
export function extractCutover(template: CfnTemplate, region: string): SynthesizedCutover {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const definitionString = resolveIntrinsics(machines[0]?.Properties?.DefinitionString ?? null, template, region);
  if (typeof definitionString !== 'string') throw new Error('state machine has no DefinitionString');
  const definition = JSON.parse(definitionString) as AslMachine;

  const stepByFunctionArn = new Map<string, string>();
  const lambdaEnvironment: Record<string, string> = {};
  const stepLambdas: SynthesizedCutover['stepLambdas'] = {};
  const stepEnvironments: SynthesizedCutover['stepEnvironments'] = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const env = resolveIntrinsics(resource.Properties?.Environment ?? null, template, region) as {
      Variables?: Record<string, string>;
    } | null;
    const step = env?.Variables?.CUTOVER_STEP;
    if (step) {
      stepByFunctionArn.set(localArn(logicalId, template, region), step);
      // CloudFormation's AWS::Lambda::Function Timeout defaults to 3 seconds.
      const { Timeout: timeout, Runtime: runtime } = resource.Properties ?? {};
      stepLambdas[step] = { timeoutSeconds: typeof timeout === 'number' ? timeout : 3, runtime: typeof runtime === 'string' ? runtime : '' };
      stepEnvironments[step] = { ...env?.Variables };
    }
    Object.assign(lambdaEnvironment, env?.Variables ?? {});
  }
  const taskSteps: Record<string, string> = {};
  const taskFunctions: Record<string, string> = {};
  const waitForTaskToken: string[] = [];
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    // A plain Lambda task names the function as its Resource; a service integration names it in Parameters.
    const integration = state.Resource?.startsWith('arn:aws:states:::lambda:invoke');
    const functionArn = (integration ? state.Parameters?.FunctionName : state.Resource) ?? '';
    const step = stepByFunctionArn.get(functionArn);
    if (!step) throw new Error(`Task '${name}' invokes ${state.Resource}, which is not a step Lambda`);
    taskSteps[name] = step;
    taskFunctions[name] = functionArn;
    if (state.Resource?.endsWith('.waitForTaskToken')) waitForTaskToken.push(name);
  }
  return { definition, taskSteps, taskFunctions, waitForTaskToken, stepLambdas, lambdaEnvironment, stepEnvironments, region };
}
