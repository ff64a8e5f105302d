import './polyfills';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as path from 'node:path';
import type { Context } from 'aws-lambda';
import { ExecutionError, StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { allStates, type SynthesizedCutover } from './definition';
import { withinInvocation } from './invocation';

export type StepHandler = (event: unknown, context: Context) => Promise<unknown>;

/** One event of the local execution, in the order it happened. */
export interface ExecutionEvent {
  type: string;
  state?: string;
  stateType?: string;
  error?: string;
  cause?: string;
  at: number;
}

export interface TaskCall {
  state: string;
  step: string;
  input: unknown;
  error?: string;
}

export interface LocalRunResult {
  /** The execution's ARN (the `$$.Execution.Id` its states see). */
  executionId: string;
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error: string | null;
  cause: string | null;
  /** Names of states entered, in order (repeats included). */
  statesEntered: string[];
  taskCalls: TaskCall[];
  events: ExecutionEvent[];
  /** The largest state output of the run, in bytes: Step Functions refuses more than 256 KiB. */
  maxStateBytes: number;
}

/** Step Functions' limit on a state's input or output. */
export const STATE_SIZE_LIMIT_BYTES = 256 * 1024;

export interface LocalRunOptions {
  cutover: SynthesizedCutover;
  input: unknown;
  executionName?: string;
  /** Loads a step's handler; defaults to the real functions/<step>/index.ts. */
  loadHandler?: (step: string) => Promise<StepHandler>;
  /**
   * Milliseconds each Wait state and Retry pause lasts (default 0). Ignored with `clock`,
   * where they take their defined time in simulated time.
   */
  pauseMs?: number;
  /**
   * `.waitForTaskToken` tasks: after their Lambda returns, the task waits for this promise, which
   * settles when someone calls SendTaskSuccess or SendTaskFailure with the token.
   */
  awaitTaskToken?: (token: string) => Promise<unknown>;
  /** The drill's simulated clock: handlers run under `hold`, and `drive` moves time while the run is idle. */
  clock?: { hold<T>(work: () => Promise<T>): Promise<T>; drive(until: Promise<unknown>): Promise<void> };
  onEvent?: (event: ExecutionEvent) => void;
  /**
   * IAM: whether the state machine's role may invoke the Task's function (lambda:InvokeFunction),
   * asked before the handler runs. An error refuses the invocation: the Task fails with it.
   */
  authorizeInvoke?: (task: { executionId: string; state: string; step: string }) => Promise<Error | undefined>;
}

/**
 * Not given to the handlers: NODE_OPTIONS is the Lambda runtime's, CUTOVER_STEP the drill's marker, and the log
 * level and service name stay the drill process's own (here one logger module serves every handler).
 */
const ENV_NOT_COPIED = new Set(['NODE_OPTIONS', 'CUTOVER_STEP', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_LOG_LEVEL']);

/** The environment of the Lambda whose handler is running, for the work it started (awaits, timers, callbacks). */
const runningLambda = new AsyncLocalStorage<Readonly<Record<string, string>>>();
const environmentViews = new WeakSet<object>();

/**
 * Makes `process.env` read the running Lambda's own environment first: inside `inLambdaEnvironment`,
 * a key that Lambda's environment sets reads its value; any other key (credentials, log level) reads
 * the process's own. Writes go to the process's own environment.
 *
 * The environment follows the invocation's async context rather than being assigned to
 * `process.env` before each invocation: Parallel branches run handlers concurrently in one process,
 * and a handler reads its environment after the middleware's awaits, when another branch's Lambda
 * may have started. With the context, each handler reads its own Lambda's values whatever runs beside it.
 */
function installEnvironmentView(): void {
  if (environmentViews.has(process.env)) return;
  const own = process.env;
  const lambdaValue = (key: string | symbol): string | undefined => {
    const env = runningLambda.getStore();
    return env && typeof key === 'string' && Object.hasOwn(env, key) ? env[key] : undefined;
  };
  const view = new Proxy(own, {
    get: (target, key): unknown => lambdaValue(key) ?? (Reflect.get(target, key) as unknown),
    // Writes go to the process's own environment directly: Node's process.env accepts only plain
    // value assignments, not the partial descriptor a Proxy's default [[Set]] would define.
    set: (target, key, value) => Reflect.set(target, key, value),
    has: (target, key) => lambdaValue(key) !== undefined || Reflect.has(target, key),
    ownKeys: (target) => [...new Set([...Reflect.ownKeys(target), ...Object.keys(runningLambda.getStore() ?? {})])],
    getOwnPropertyDescriptor: (target, key) => {
      const value = lambdaValue(key);
      return value === undefined ? Reflect.getOwnPropertyDescriptor(target, key) : { value, writable: true, enumerable: true, configurable: true };
    },
  });
  environmentViews.add(view);
  process.env = view;
}

/** One Lambda's environment as deployed, plus the Region the Lambda runtime sets (AWS_REGION). */
export function lambdaEnvironmentOf(cutover: SynthesizedCutover, step: string): Record<string, string> {
  const deployed = cutover.stepEnvironments[step];
  if (!deployed) throw new Error(`the synthesized stack has no Lambda for functions/${step}`);
  const env: Record<string, string> = { AWS_REGION: cutover.region };
  for (const [key, value] of Object.entries(deployed)) {
    if (!ENV_NOT_COPIED.has(key)) env[key] = value;
  }
  return env;
}

/** Runs `work` (loading or invoking a handler) with that Lambda's own environment, as it runs on AWS. */
export function inLambdaEnvironment<T>(cutover: SynthesizedCutover, step: string, work: () => T): T {
  installEnvironmentView();
  return runningLambda.run(lambdaEnvironmentOf(cutover, step), work);
}

/** A step's handler, loaded and invoked with its own Lambda's environment. */
export async function loadLambdaHandler(cutover: SynthesizedCutover, step: string): Promise<StepHandler> {
  const handler = await inLambdaEnvironment(cutover, step, () => loadStepHandler(step));
  return (event, context) => inLambdaEnvironment(cutover, step, () => handler(event, context));
}

/** Loads every step handler the definition binds, e.g. before a simulated clock is installed. One at a time: each reads its own environment as it loads. */
export async function preloadHandlers(cutover: SynthesizedCutover): Promise<void> {
  for (const step of new Set(Object.values(cutover.taskSteps))) await loadLambdaHandler(cutover, step);
}

export async function loadStepHandler(step: string): Promise<StepHandler> {
  const mod = (await import(path.join(__dirname, '..', 'functions', step, 'index'))) as { handler?: StepHandler };
  if (typeof mod.handler !== 'function') throw new Error(`functions/${step}/index.ts exports no handler`);
  return mod.handler;
}

/** A Lambda context for invoking a handler in-process (the drill and the tests). */
export function lambdaContext(functionName = 'dr-cutover-test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'local',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The error a Lambda that runs past its timeout reaches Step Functions with. Step Functions
 * developer guide, "Handle Lambda service exceptions": function timeouts are unhandled Lambda
 * errors, reported as `Lambda.Unknown`; the newer runtimes (Node.js 20 and later) report the
 * timeout itself as `Sandbox.Timedout`, with Lambda's "Task timed out after N seconds" message.
 */
export function lambdaTimeoutError(lambda: { timeoutSeconds: number; runtime: string }): Error {
  const major = Number(/^nodejs(\d+)/.exec(lambda.runtime)?.[1] ?? 0);
  const name = major >= 20 ? 'Sandbox.Timedout' : 'Lambda.Unknown';
  return Object.assign(new Error(`RequestId: local Error: Task timed out after ${lambda.timeoutSeconds.toFixed(2)} seconds`), { name });
}

/**
 * Lambda ends an invocation at the function's timeout, whatever the handler is doing: the
 * handler's work is abandoned (on AWS its sandbox is stopped). Timers are simulated in the drill.
 */
function withinLambdaTimeout<T>(run: Promise<T>, lambda: { timeoutSeconds: number; runtime: string }): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(lambdaTimeoutError(lambda)), lambda.timeoutSeconds * 1000);
  });
  return Promise.race([run, timedOut]).finally(() => clearTimeout(timer));
}

/**
 * Executes the synthesized definition in-process with aws-local-stepfunctions,
 * every Task bound to the real step handler it invokes when deployed.
 */
export async function runLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const { cutover } = options;
  const load = options.loadHandler ?? ((step: string) => inLambdaEnvironment(cutover, step, () => loadStepHandler(step)));
  const taskCalls: TaskCall[] = [];
  const handlers: NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']> = {};
  const executionName = options.executionName ?? `local-${Date.now()}`;
  const taskToken = `local-task-token-${executionName}`;
  const executionId = `arn:aws:states:local:000000000000:execution:dr-cutover:${executionName}`;
  for (const [state, step] of Object.entries(cutover.taskSteps)) {
    const handler = await load(step);
    const waits = cutover.waitForTaskToken.includes(state);
    handlers[state] = async (input) => {
      // A service-integration task passes the Lambda its Payload; a plain Lambda task, its whole input.
      const event = waits ? (input as { Payload?: unknown } | null)?.Payload : input;
      const call: TaskCall = { state, step, input: event };
      taskCalls.push(call);
      try {
        const lambda = cutover.stepLambdas[step];
        const functionName = `dr-cutover-${step}`;
        const invoke = async () => {
          // Step Functions invokes the function only if its role may: refused, the handler never runs.
          const refused = await options.authorizeInvoke?.({ executionId, state, step });
          if (refused) throw refused;
          const run = withinInvocation({ executionId, state, step, functionName }, () => inLambdaEnvironment(cutover, step, () => handler(event, lambdaContext(functionName))));
          return lambda ? withinLambdaTimeout(run, lambda) : run;
        };
        const returned = await (options.clock ? options.clock.hold(invoke) : invoke());
        if (!waits) return returned as never;
        if (!options.awaitTaskToken) throw new Error(`'${state}' waits for a task token, but nothing can send one locally`);
        return (await options.awaitTaskToken(taskToken)) as never;
      } catch (error) {
        call.error = error instanceof Error ? error.name : String(error);
        throw error;
      }
    };
  }
  const pause = options.pauseMs ?? 0;
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  if (!options.clock) {
    for (const [name, state] of allStates(cutover.definition)) {
      if (state.Type === 'Wait') waitTimeOverrides[name] = pause;
      if (state.Retry) retryIntervalOverrides[name] = pause;
    }
  }

  const machine = new StateMachine(cutover.definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides, retryIntervalOverrides },
    context: {
      Execution: {
        Id: executionId,
        Name: executionName,
      },
      // aws-local-stepfunctions has no task tokens: one per execution is enough (there is one gate).
      Task: { Token: taskToken },
    },
  });

  const events: ExecutionEvent[] = [];
  const statesEntered: string[] = [];
  let maxStateBytes = 0;
  const collect = (async () => {
    for await (const raw of execution.eventLogs) {
      const ev = raw as { type: string; timestamp: number; state?: { name: string; type: string; output?: unknown }; Error?: string; Cause?: unknown };
      if (ev.state?.output !== undefined) maxStateBytes = Math.max(maxStateBytes, Buffer.byteLength(JSON.stringify(ev.state.output)));
      const event: ExecutionEvent = {
        type: ev.type,
        state: ev.state?.name,
        stateType: ev.state?.type,
        error: ev.Error,
        cause: typeof ev.Cause === 'string' ? ev.Cause : ev.Cause === undefined ? undefined : JSON.stringify(ev.Cause),
        at: ev.timestamp,
      };
      events.push(event);
      if (event.type === 'StateEntered' && event.state) statesEntered.push(event.state);
      options.onEvent?.(event);
    }
  })();

  let output: unknown = null;
  let status: LocalRunResult['status'] = 'SUCCEEDED';
  try {
    if (options.clock) await options.clock.drive(execution.result);
    output = await execution.result;
  } catch (error) {
    if (!(error instanceof ExecutionError)) throw error;
    status = 'FAILED';
  }
  await collect;
  const failed = events.find((e) => e.type === 'ExecutionFailed');
  return {
    executionId,
    status,
    output,
    error: failed?.error ?? null,
    cause: failed?.cause ?? null,
    statesEntered,
    taskCalls,
    events,
    maxStateBytes,
  };
}
