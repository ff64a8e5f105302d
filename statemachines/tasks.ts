import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { TRANSIENT_ERRORS } from '../functions/shared/errors';

/** Lambda service faults Step Functions reports when an invoke itself fails. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/**
 * What a step Lambda that ran past its own timeout reaches Step Functions as (Step Functions
 * developer guide, "Handle Lambda service exceptions": function timeouts are unhandled errors,
 * `Lambda.Unknown`; newer runtimes, such as the Node.js 24 the steps run on, report `Sandbox.Timedout`).
 * Never `States.Timeout`, since the Task's own timeout is longer. Retried like the transient errors:
 * every step is idempotent, and its outside calls have shorter timeouts than the Lambda.
 */
export const LAMBDA_TIMEOUT_ERRORS = ['Sandbox.Timedout', 'Lambda.Unknown'];

export interface RetryPolicy {
  errors: string[];
  interval: Duration;
  maxAttempts: number;
  backoffRate?: number;
  /** Full jitter (default). Off where the retries must outlast a known delay, not merely spread out. */
  jitter?: boolean;
}

export interface StepTaskProps {
  fn: lambda.IFunction;
  payload: Record<string, unknown>;
  resultPath?: string;
  timeout: Duration;
  /** Step-specific retries, tried before the transient-error retry. */
  retries?: RetryPolicy[];
  /** Inside a Parallel branch or Map: where errors go (see `rethrow`). Top-level tasks add their own Catch. */
  catchTo?: sfn.IChainable;
  /** Best-effort steps (announcements) retry briefly, so an outage of theirs never delays the cutover. */
  bestEffort?: boolean;
  /**
   * A longer retry of the transient errors, for a step that must outlast a short outage (lock release).
   * It replaces the default transient retrier: Step Functions uses the first retrier that matches.
   */
  transientRetry?: { interval: Duration; maxAttempts: number };
}

/**
 * A step Lambda as a Task: the payload is the Lambda's whole event, the result is the
 * Lambda's return value, and transient errors retry with exponential backoff and full jitter.
 */
export function stepTask(scope: Construct, name: string, props: StepTaskProps): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: props.fn,
    payload: sfn.TaskInput.fromObject(props.payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: props.resultPath,
    taskTimeout: sfn.Timeout.duration(props.timeout),
  });
  for (const retry of props.retries ?? []) {
    task.addRetry({
      errors: retry.errors,
      interval: retry.interval,
      maxAttempts: retry.maxAttempts,
      backoffRate: retry.backoffRate ?? 1,
      maxDelay: Duration.minutes(5),
      jitterStrategy: retry.jitter === false ? sfn.JitterType.NONE : sfn.JitterType.FULL,
    });
  }
  task.addRetry({
    // States.Timeout too: every step is idempotent, and its Lambda has ended by then (shorter timeout).
    errors: [...TRANSIENT_ERRORS, ...LAMBDA_SERVICE_ERRORS, ...LAMBDA_TIMEOUT_ERRORS, 'States.Timeout'],
    interval: props.transientRetry?.interval ?? Duration.seconds(props.bestEffort ? 1 : 2),
    maxAttempts: props.transientRetry?.maxAttempts ?? (props.bestEffort ? 2 : 6),
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  if (props.catchTo) task.addCatch(props.catchTo, { errors: ['States.ALL'], resultPath: '$.error' });
  return task;
}

/**
 * A branch's named failure: re-raises the caught error and cause unchanged, so the
 * enclosing Parallel's Catch (and the failure report) sees the step's own error.
 */
export function rethrow(scope: Construct, name: string): sfn.Fail {
  return new sfn.Fail(scope, name, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
}

/** The `{ dryRun, mode, target }` payload every step takes; targets are always deployed config. */
export function stepPayload(targetPath: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dryRun: sfn.JsonPath.stringAt('$.input.dryRun'),
    mode: sfn.JsonPath.stringAt('$.input.mode'),
    target: sfn.JsonPath.objectAt(targetPath),
    ...extra,
  };
}

export interface PollProps {
  /** Readable subject, e.g. "RDS promotion". */
  subject: string;
  check: (resultPath: string) => tasks.LambdaInvoke;
  resultPath: string;
  interval: Duration;
  maxAttempts: number;
  /** The Fail state's error name when the bound is reached. */
  timeoutError: string;
}

/**
 * Wait → Check → Choice loop bounded by attempts. A dry run skips it (nothing was changed,
 * so there is nothing to wait for). The check's PollResult carries `done` and `attempt`.
 */
export function pollUntilDone(scope: Construct, props: PollProps): sfn.Chain {
  const attemptPath = `${props.resultPath}.attempt`;
  const start = new sfn.Pass(scope, `Start polling ${props.subject}`, {
    result: sfn.Result.fromObject({ done: false, attempt: 0 }),
    resultPath: props.resultPath,
  });
  const wait = new sfn.Wait(scope, `Wait for ${props.subject}`, {
    time: sfn.WaitTime.duration(props.interval),
  });
  const check = props.check(props.resultPath);
  const done = new sfn.Pass(scope, `${capitalize(props.subject)} done`);
  const timedOut = new sfn.Fail(scope, `${capitalize(props.subject)} timed out`, {
    error: props.timeoutError,
    cause: `${props.subject} did not finish within ${props.maxAttempts} polls of ${props.interval.toSeconds()} s`,
  });
  const skip = new sfn.Pass(scope, `Skip waiting for ${props.subject} (dry run)`, {
    result: sfn.Result.fromObject({ done: true, attempt: 0, status: 'dry run: nothing to wait for' }),
    resultPath: props.resultPath,
  });

  return sfn.Chain.start(
    new sfn.Choice(scope, `Dry run? (${props.subject})`)
      .when(sfn.Condition.booleanEquals('$.input.dryRun', true), skip)
      .otherwise(
        start
          .next(wait)
          .next(check)
          .next(
            new sfn.Choice(scope, `Is ${props.subject} done?`)
              .when(sfn.Condition.booleanEquals(`${props.resultPath}.done`, true), done)
              .when(sfn.Condition.numberGreaterThanEquals(attemptPath, props.maxAttempts), timedOut)
              .otherwise(wait)
              .afterwards(),
          ),
      )
      .afterwards(),
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
