import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  TRANSIENT_ERRORS,
  DynamoReplicaNotActiveError,
  EndpointUnhealthyError,
  ReplicaBackingUpError,
  ReplicaLagTooHighError,
  ReplicaNotPromotableError,
} from '../functions/shared/errors';
import type { EnvironmentConfig, RuntimeTargets } from '../stacks/config';
import { stateMachineName } from '../stacks/names';
import { LAMBDA_SERVICE_ERRORS, LAMBDA_TIMEOUT_ERRORS, pollUntilDone, rethrow, stepPayload, stepTask } from './tasks';

/** The step Lambdas the machine invokes, one per functions/ folder. */
export interface CutoverSteps {
  validateInput: lambda.IFunction;
  cutoverLock: lambda.IFunction;
  notify: lambda.IFunction;
  preflight: lambda.IFunction;
  promoteReplica: lambda.IFunction;
  checkPromotion: lambda.IFunction;
  verifyDynamodbReplica: lambda.IFunction;
  patchAuthConfig: lambda.IFunction;
  restartAuthDeployment: lambda.IFunction;
  checkAuthRollout: lambda.IFunction;
  switchCloudfront: lambda.IFunction;
  checkCloudfront: lambda.IFunction;
  switchDnsRecord: lambda.IFunction;
  checkDnsChange: lambda.IFunction;
  verifyEndpoint: lambda.IFunction;
  report: lambda.IFunction;
  requestApproval: lambda.IFunction;
}

export interface CutoverStateMachineProps {
  config: EnvironmentConfig;
  targets: RuntimeTargets;
  steps: CutoverSteps;
}

const ALL_ERRORS = ['States.ALL'];

/** How many DynamoDB tables or DNS hosted zones are handled at once (Route 53 allows 5 requests per second per account). */
export const MAP_CONCURRENCY = 10;

/**
 * The cutover (design §3): validate → lock → announce → [approval gate] → preflight →
 * recover (parallel) → switch traffic → verify → report → release.
 * Any failure: report → announce failure → release lock → Fail with the cause.
 */
export class CutoverStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: CutoverStateMachineProps) {
    super(scope, id);
    const { config, targets, steps } = props;
    const taskTimeout = Duration.seconds(config.limits.taskTimeoutSeconds);
    const poll = (p: { intervalSeconds: number; maxAttempts: number }) => ({
      interval: Duration.seconds(p.intervalSeconds),
      maxAttempts: p.maxAttempts,
    });
    const run = {
      environment: targets.environment,
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
      input: sfn.JsonPath.objectAt('$.input'),
    };
    const lock = (name: string, action: 'acquire' | 'release', resultPath: string) =>
      stepTask(this, name, {
        fn: steps.cutoverLock,
        timeout: taskTimeout,
        resultPath,
        payload: {
          action,
          environment: targets.environment,
          executionId: run.executionId,
          dryRun: sfn.JsonPath.stringAt('$.input.dryRun'),
          reason: sfn.JsonPath.stringAt('$.input.reason'),
        },
        // Releasing must outlast a short DynamoDB outage (throttling included): the lock otherwise holds until it expires.
        transientRetry: action === 'release' ? { interval: Duration.seconds(5), maxAttempts: 8 } : undefined,
      });
    /** Progress announcements are best effort; failure announcements retry like any step (I5). */
    const notify = (name: string, type: string, extra: Record<string, unknown> = {}, bestEffort = true) =>
      stepTask(this, name, {
        fn: steps.notify,
        timeout: taskTimeout,
        resultPath: sfn.JsonPath.DISCARD,
        payload: { type, ...run, ...extra },
        bestEffort,
      });
    const report = (name: string, status: 'succeeded' | 'failed') =>
      stepTask(this, name, {
        fn: steps.report,
        timeout: taskTimeout,
        resultPath: '$.report',
        payload: {
          status,
          ...run,
          executionStartTime: sfn.JsonPath.stringAt('$.input.startedAt'),
          results: sfn.JsonPath.objectAt('$.results'),
          ...(status === 'failed' ? { failure: sfn.JsonPath.objectAt('$.failure') } : {}),
        },
      });

    // ---- failure path: report → announce → release lock → Fail ----------------
    const cutoverFailed = new sfn.Fail(this, 'Cutover failed', {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });
    const releaseAfterFailure = lock('Release cutover lock after failure', 'release', sfn.JsonPath.DISCARD);
    releaseAfterFailure.addCatch(cutoverFailed, { errors: ALL_ERRORS, resultPath: '$.releaseError' });
    const announceFailure = notify('Announce failure', 'cutover.failed', { report: sfn.JsonPath.objectAt('$.report') }, false);
    announceFailure.addCatch(releaseAfterFailure, { errors: ALL_ERRORS, resultPath: '$.notifyError' });
    const reportFailure = report('Report failure', 'failed');
    // Even without a report the failure is announced (the notifier accepts a missing report) and the lock released.
    const announceBareFailure = notify('Announce failure without report', 'cutover.failed', { stage: sfn.JsonPath.stringAt('$.failure.stage') }, false);
    announceBareFailure.addCatch(releaseAfterFailure, { errors: ALL_ERRORS, resultPath: '$.notifyError' });
    reportFailure.addCatch(announceBareFailure, { errors: ALL_ERRORS, resultPath: '$.reportError' });
    const failurePath = reportFailure.next(announceFailure).next(releaseAfterFailure).next(cutoverFailed);
    announceBareFailure.next(releaseAfterFailure);

    /** Catches everything a stage throws, records which stage failed, and joins the failure path. */
    const failedAt = (stage: string): sfn.IChainable =>
      new sfn.Pass(this, `${stage} failed`, {
        result: sfn.Result.fromString(stage),
        resultPath: '$.failure.stage',
      }).next(failurePath);
    const orFail = <T extends sfn.TaskStateBase | sfn.Parallel>(state: T, stage: string): T => {
      state.addCatch(failedAt(stage), { errors: ALL_ERRORS, resultPath: '$.failure' });
      return state;
    };

    // ---- 1. validate input, load the deployed targets -----------------------------
    const validateInput = stepTask(this, 'Validate input', {
      fn: steps.validateInput,
      timeout: taskTimeout,
      resultPath: '$.input',
      payload: { 'raw.$': '$' },
    });
    validateInput.addCatch(
      new sfn.Fail(this, 'Input rejected', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }),
      { errors: ALL_ERRORS, resultPath: '$.failure' },
    );
    const loadTargets = new sfn.Pass(this, 'Load deployed targets', {
      comment: 'Targets come only from the deployed config, never from execution input.',
      parameters: { 'input.$': '$.input', targets, results: {} },
    });

    // ---- 2–4. lock, announce, approval gate -----------------------------------------
    const acquireLock = orFail(lock('Acquire cutover lock', 'acquire', '$.lock'), 'Acquire cutover lock');
    const announceStart = notify('Announce cutover', 'cutover.started');
    // Alarm-triggered runs (and manual ones when config says so) wait for a person: an alarm never
    // switches a Region on its own. Denial or timeout ends the run before any change.
    const requestApproval = new tasks.LambdaInvoke(this, 'Request approval', {
      lambdaFunction: steps.requestApproval,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        taskToken: sfn.JsonPath.taskToken,
        ...run,
        timeoutSeconds: config.approval.timeoutMinutes * 60,
        approvers: config.approval.approvers.map((a) => a.name),
      }),
      resultPath: '$.approval',
      taskTimeout: sfn.Timeout.duration(Duration.minutes(config.approval.timeoutMinutes)),
      retryOnServiceExceptions: false,
    });
    requestApproval.addRetry({ errors: [...TRANSIENT_ERRORS, ...LAMBDA_SERVICE_ERRORS, ...LAMBDA_TIMEOUT_ERRORS], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    orFail(requestApproval, 'Approval gate');
    const needsApproval = config.approval.requiredForManualRuns
      ? sfn.Condition.booleanEquals('$.input.dryRun', false)
      : sfn.Condition.and(sfn.Condition.booleanEquals('$.input.dryRun', false), sfn.Condition.stringEquals('$.input.trigger.type', 'alarm'));
    const approvalGate = new sfn.Choice(this, 'Approval gate', {
      comment: 'Alarm-triggered runs wait for approval; dry runs never change anything, so they never wait.',
    })
      .when(needsApproval, requestApproval)
      .otherwise(new sfn.Pass(this, 'No approval needed'))
      .afterwards();
    announceStart.addCatch(approvalGate, { errors: ALL_ERRORS, resultPath: '$.notifyError' });

    // ---- 5. preflight ---------------------------------------------------------------
    const preflight = orFail(
      stepTask(this, 'Preflight', {
        fn: steps.preflight,
        timeout: taskTimeout,
        resultPath: '$.results.preflight',
        payload: stepPayload('$.targets.preflight'),
        // Planned mode waits here, before any change, until replica lag is within the RPO budget (I7).
        retries: [{ errors: [ReplicaLagTooHighError.name], ...poll(config.rds.lagWait) }],
      }),
      'Preflight',
    );

    // ---- 6. recover (parallel) --------------------------------------------------------
    const databaseFailed = rethrow(this, 'RDS promotion failed');
    const promoteReplica = stepTask(this, 'Promote RDS replica', {
      fn: steps.promoteReplica,
      catchTo: databaseFailed,
      timeout: taskTimeout,
      resultPath: '$.results.database.promote',
      payload: stepPayload('$.targets.rds'),
      retries: [
        { errors: [ReplicaBackingUpError.name], interval: Duration.seconds(60), maxAttempts: 15 },
        // Busy for its own reasons, or RDS said "not now": wait for `available` (an earlier run's
        // promotion takes several minutes to show as standalone). With full jitter each pause is
        // 0–30 s, so 120 attempts wait about 30 minutes on average before the run fails.
        { errors: [ReplicaNotPromotableError.name], interval: Duration.seconds(30), maxAttempts: 120 },
        { errors: [ReplicaLagTooHighError.name], ...poll(config.rds.lagWait) },
      ],
    });
    const databaseBranch = promoteReplica.next(
      pollUntilDone(this, {
        subject: 'RDS promotion',
        resultPath: '$.results.database.promotion',
        timeoutError: 'PromotionTimeoutError',
        ...poll(config.rds.promotionPoll),
        check: (resultPath) =>
          stepTask(this, 'Check RDS promotion', {
            fn: steps.checkPromotion,
            catchTo: databaseFailed,
            timeout: taskTimeout,
            resultPath,
            payload: stepPayload('$.targets.rds', {
              attempt: sfn.JsonPath.numberAt(`${resultPath}.attempt`),
              promoteOutcome: sfn.JsonPath.stringAt('$.results.database.promote.outcome'),
            }),
          }),
      }),
    );

    const tablesBranch = new sfn.Map(this, 'Verify DynamoDB replicas', {
      itemsPath: '$.targets.tables',
      maxConcurrency: MAP_CONCURRENCY,
      itemSelector: { 'input.$': '$.input', 'target.$': '$$.Map.Item.Value' },
      resultPath: '$.results.tables',
    }).itemProcessor(
      stepTask(this, 'Verify DynamoDB replica', {
        fn: steps.verifyDynamodbReplica,
        catchTo: rethrow(this, 'DynamoDB replica check failed'),
        timeout: taskTimeout,
        payload: stepPayload('$.target'),
        retries: [{ errors: [DynamoReplicaNotActiveError.name], interval: Duration.seconds(15), maxAttempts: 4 }],
      }),
    );

    const authFailed = rethrow(this, 'Auth update failed');
    const authBranch = stepTask(this, 'Patch Auth config', {
      fn: steps.patchAuthConfig,
      catchTo: authFailed,
      timeout: taskTimeout,
      resultPath: '$.results.auth.patch',
      payload: stepPayload('$.targets.eks'),
    })
      .next(
        stepTask(this, 'Restart Auth deployment', {
          fn: steps.restartAuthDeployment,
          catchTo: authFailed,
          timeout: taskTimeout,
          resultPath: '$.results.auth.restart',
          payload: stepPayload('$.targets.eks'),
        }),
      )
      .next(
        pollUntilDone(this, {
          subject: 'Auth rollout',
          resultPath: '$.results.auth.rollout',
          timeoutError: 'RolloutTimeoutError',
          ...poll(config.eks.rolloutPoll),
          check: (resultPath) =>
            stepTask(this, 'Check Auth rollout', {
              fn: steps.checkAuthRollout,
              catchTo: authFailed,
              timeout: taskTimeout,
              resultPath,
              payload: stepPayload('$.targets.eks', { attempt: sfn.JsonPath.numberAt(`${resultPath}.attempt`) }),
            }),
        }),
      );

    const edgeSwitch = (edge: 'staticEdge' | 'apiEdge', label: string, edgeFailed = rethrow(this, `CloudFront ${label} switch failed`)) =>
      stepTask(this, `Switch CloudFront ${label} origins`, {
        fn: steps.switchCloudfront,
        catchTo: edgeFailed,
        timeout: taskTimeout,
        resultPath: `$.results.${edge}.switch`,
        payload: stepPayload(`$.targets.${edge}`),
      }).next(
        pollUntilDone(this, {
          subject: `CloudFront ${label} deployment`,
          resultPath: `$.results.${edge}.deployed`,
          timeoutError: 'DistributionDeployTimeoutError',
          ...poll(config.cloudfront.deployPoll),
          check: (resultPath) =>
            stepTask(this, `Check CloudFront ${label} deployed`, {
              fn: steps.checkCloudfront,
              catchTo: edgeFailed,
              timeout: taskTimeout,
              resultPath,
              payload: stepPayload(`$.targets.${edge}`, { attempt: sfn.JsonPath.numberAt(`${resultPath}.attempt`) }),
            }),
        }),
      );

    const recover = orFail(
      new sfn.Parallel(this, 'Recover', {
        comment: 'Independent recovery work; nothing here sends traffic to the standby Region (I1).',
        resultPath: '$.results.recovery',
        resultSelector: {
          'database.$': '$[0].results.database',
          'tables.$': '$[1].results.tables',
          'auth.$': '$[2].results.auth',
          'staticEdge.$': '$[3].results.staticEdge',
        },
      })
        .branch(databaseBranch)
        .branch(tablesBranch)
        .branch(authBranch)
        .branch(edgeSwitch('staticEdge', 'static')),
      'Recover',
    );
    const announceRecovered = notify('Announce recovery done', 'cutover.stage-completed', { stage: 'Recover' });

    // ---- 7. switch traffic: only after the database is writable and Auth patched (I1) --
    const dnsFailed = rethrow(this, 'DNS switch failed');
    // One item per hosted zone: all of a zone's records switch in one ChangeBatch (atomic, and no
    // PriorRequestNotComplete from our own changes), then one GetChange poll per zone.
    const dnsBranch = new sfn.Map(this, 'Switch DNS records', {
      itemsPath: '$.targets.dnsZones',
      maxConcurrency: MAP_CONCURRENCY,
      itemSelector: { 'input.$': '$.input', 'target.$': '$$.Map.Item.Value' },
      resultPath: '$.results.dns',
    }).itemProcessor(
      stepTask(this, 'Switch DNS zone', {
        fn: steps.switchDnsRecord,
        catchTo: dnsFailed,
        timeout: taskTimeout,
        resultPath: '$.switch',
        payload: stepPayload('$.target'),
      }).next(
        pollUntilDone(this, {
          subject: 'DNS change',
          resultPath: '$.sync',
          timeoutError: 'DnsSyncTimeoutError',
          ...poll(config.route53.syncPoll),
          check: (resultPath) =>
            stepTask(this, 'Check DNS change', {
              fn: steps.checkDnsChange,
              catchTo: dnsFailed,
              timeout: taskTimeout,
              resultPath,
              payload: stepPayload('$.target', {
                attempt: sfn.JsonPath.numberAt(`${resultPath}.attempt`),
                changeId: sfn.JsonPath.stringAt('$.switch.changeId'),
              }),
            }),
        }),
      ).next(
        // Each zone returns only its results: the run's state stays small however many records there are.
        new sfn.Pass(this, 'Keep DNS zone result', { parameters: { 'switch.$': '$.switch', 'sync.$': '$.sync' } }),
      ),
    );

    const switchTraffic = orFail(
      new sfn.Parallel(this, 'Switch traffic', {
        resultPath: '$.results.traffic',
        resultSelector: { 'dns.$': '$[0].results.dns', 'apiEdge.$': '$[1].results.apiEdge' },
      })
        .branch(dnsBranch)
        .branch(edgeSwitch('apiEdge', 'API')),
      'Switch traffic',
    );
    const announceSwitched = notify('Announce traffic switched', 'cutover.stage-completed', { stage: 'Switch traffic' });

    // ---- 8–9. verify, report, release ------------------------------------------------------
    const verifyEndpoint = orFail(
      stepTask(this, 'Verify DR endpoint', {
        fn: steps.verifyEndpoint,
        timeout: taskTimeout,
        resultPath: '$.results.endpoint',
        payload: stepPayload('$.targets.endpoint'),
        retries: [
          // No jitter: right after INSYNC, resolvers may still send the check to Seoul for the alias
          // records' 60 s TTL, and with full jitter the retries could all fall inside it.
          { errors: [EndpointUnhealthyError.name], interval: Duration.seconds(15), maxAttempts: config.endpoint.maxAttempts, backoffRate: 1.5, jitter: false },
        ],
      }),
      'Verify endpoint',
    );
    const reportSuccess = orFail(report('Report', 'succeeded'), 'Report');
    const cutoverSucceeded = new sfn.Succeed(this, 'Cutover succeeded');
    // The cutover is complete before the lock is released: a release that still fails does not undo it.
    // The lock then expires with the execution timeout (its TTL), so the run ends as a success and a
    // follow-up announcement says when the lock expires.
    const releaseLock = lock('Release cutover lock', 'release', sfn.JsonPath.DISCARD);
    const lockLeftToExpire = new sfn.Pass(this, 'Lock left to expire', {
      parameters: {
        'note.$': "States.Format('The cutover lock could not be released: lock left to expire at {}. Another cutover of this environment can start after that time.', $.lock.expiresAt)",
        'error.$': '$.releaseError.Error',
      },
      resultPath: '$.lockRelease',
    });
    releaseLock.addCatch(lockLeftToExpire, { errors: ALL_ERRORS, resultPath: '$.releaseError' });
    const announceLockLeft = notify('Announce lock left to expire', 'cutover.succeeded', {
      report: sfn.JsonPath.objectAt('$.report'),
      note: sfn.JsonPath.stringAt('$.lockRelease.note'),
    });
    announceLockLeft.addCatch(cutoverSucceeded, { errors: ALL_ERRORS, resultPath: '$.notifyError' });
    lockLeftToExpire.next(announceLockLeft).next(cutoverSucceeded);
    const announceResult = new sfn.Choice(this, 'Dry run?')
      .when(
        sfn.Condition.booleanEquals('$.input.dryRun', true),
        notify('Publish dry-run plan', 'cutover.dry-run-plan', { report: sfn.JsonPath.objectAt('$.report') }),
      )
      .otherwise(notify('Announce success', 'cutover.succeeded', { report: sfn.JsonPath.objectAt('$.report') }))
      .afterwards();

    // Announcements are best effort: a Slack or SNS problem never stops or fails the cutover.
    announceRecovered.addCatch(switchTraffic, { errors: ALL_ERRORS, resultPath: '$.notifyError' });
    announceSwitched.addCatch(verifyEndpoint, { errors: ALL_ERRORS, resultPath: '$.notifyError' });
    for (const state of announceResult.endStates) {
      if (state instanceof sfn.TaskStateBase) state.addCatch(releaseLock, { errors: ALL_ERRORS, resultPath: '$.notifyError' });
    }

    const definition = validateInput
      .next(loadTargets)
      .next(acquireLock)
      .next(announceStart)
      .next(approvalGate)
      .next(preflight)
      .next(recover)
      .next(announceRecovered)
      .next(switchTraffic)
      .next(announceSwitched)
      .next(verifyEndpoint)
      .next(reportSuccess)
      .next(announceResult)
      .next(releaseLock)
      .next(cutoverSucceeded);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: stateMachineName(targets.environment),
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: `DR cutover ${config.primaryRegion} → ${config.standbyRegion} (${targets.environment})`,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.minutes(config.limits.executionTimeoutMinutes),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'ExecutionLogs', {
          logGroupName: `/aws/vendedlogs/states/${stateMachineName(targets.environment)}`,
          retention: logs.RetentionDays.ONE_YEAR,
        }),
        level: sfn.LogLevel.ALL,
        // Execution data stays out of the logs: the approval gate's input carries its task token.
        includeExecutionData: false,
      },
    });
  }
}

/** Error names raised by the machine itself (bounded polling loops), beside the steps' named errors. */
export const POLL_TIMEOUT_ERRORS = [
  'PromotionTimeoutError',
  'RolloutTimeoutError',
  'DistributionDeployTimeoutError',
  'DnsSyncTimeoutError',
] as const;
