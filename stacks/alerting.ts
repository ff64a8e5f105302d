import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CutoverInput } from '../functions/shared/contracts';
import { PROBE_METRIC, PROBE_NAMESPACE } from '../functions/primary-probe/logic';
import type { EnvironmentConfig } from './config';

export interface AlertingProps {
  config: EnvironmentConfig;
  stateMachine: sfn.StateMachine;
  alarmTopic: sns.ITopic;
  primaryProbe: lambda.IFunction;
  slackNotifier: lambda.IFunction;
}

/**
 * The standby Region's alarms (all to the alarm topic), the alarm → approval → cutover rule,
 * and the DR dashboard that replaces the runbook's hand-built one.
 */
export class Alerting extends Construct {
  readonly primaryUnhealthy: cloudwatch.Alarm;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly cutoverRule: events.Rule;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { config, stateMachine } = props;
    const env = config.name;
    const notify = new cwActions.SnsAction(props.alarmTopic);
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, alarmId, alarmProps);
      a.addAlarmAction(notify);
      a.addOkAction(notify);
      this.alarms.push(a);
      return a;
    };

    // ---- primary health, measured from here every minute ------------------------------
    new events.Rule(this, 'ProbeSchedule', {
      description: `dr-cutover ${env}: probe ${config.alarms.primaryHealthUrl} from ${config.standbyRegion}`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(props.primaryProbe, { retryAttempts: 0 })],
    });
    const primaryHealthy = new cloudwatch.Metric({
      namespace: PROBE_NAMESPACE,
      metricName: PROBE_METRIC,
      dimensionsMap: { Environment: env },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
    });
    // Dwell time: every probe in the window must fail. A probe that stops reporting is not an outage.
    this.primaryUnhealthy = alarm('PrimaryUnhealthy', {
      alarmName: `dr-cutover-${env}-primary-unhealthy`,
      alarmDescription: `${config.primaryRegion} health check ${config.alarms.primaryHealthUrl} failed for ${config.alarms.primaryUnhealthyMinutes} minutes in a row (probed from ${config.standbyRegion}). Starts an emergency cutover that waits for approval.`,
      metric: primaryHealthy,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: config.alarms.primaryUnhealthyMinutes,
      datapointsToAlarm: config.alarms.primaryUnhealthyMinutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // ---- replication and the cutover itself ---------------------------------------------
    const replicaLag = new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'ReplicaLag',
      dimensionsMap: { DBInstanceIdentifier: config.rds.replicaInstanceId },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
    });
    alarm('ReplicaLag', {
      alarmName: `dr-cutover-${env}-replica-lag`,
      alarmDescription: `${config.rds.replicaInstanceId} ReplicaLag above ${config.alarms.replicaLagSeconds} s for 5 minutes: a cutover now would lose more data.`,
      metric: replicaLag,
      threshold: config.alarms.replicaLagSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const executionMetrics = {
      failed: stateMachine.metricFailed({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      timedOut: stateMachine.metricTimedOut({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      aborted: stateMachine.metricAborted({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
    };
    alarm('CutoverFailed', {
      alarmName: `dr-cutover-${env}-execution-failed`,
      alarmDescription: 'A cutover execution failed, timed out or was aborted. Read its failure report in Slack or with `cutover report`.',
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: executionMetrics,
        period: Duration.minutes(1),
        label: 'failed, timed out or aborted executions',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('SlackNotifierErrors', {
      alarmName: `dr-cutover-${env}-slack-notifier-errors`,
      alarmDescription: 'The Slack notifier failed to deliver messages (Slack outage or a bad webhook secret).',
      metric: props.slackNotifier.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // ---- alarm → cutover (behind the approval gate), with no Lambda in between ------------
    const input = {
      mode: 'emergency',
      dryRun: false,
      reason: events.EventField.fromPath('$.detail.state.reason'),
      trigger: {
        type: 'alarm',
        alarmName: events.EventField.fromPath('$.detail.alarmName'),
        time: events.EventField.fromPath('$.time'),
      },
    } satisfies Record<keyof Omit<CutoverInput, 'requestedBy'>, unknown>;
    const deadLetters = new sqs.Queue(this, 'CutoverRuleDeadLetters', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the alarm → cutover rule target.',
    });
    this.cutoverRule = new events.Rule(this, 'StartCutoverOnPrimaryAlarm', {
      description: `Starts the ${env} cutover (emergency, approval required) when the primary health alarm goes to ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [this.primaryUnhealthy.alarmArn],
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.SfnStateMachine(stateMachine, {
          input: events.RuleTargetInput.fromObject(input),
          retryAttempts: 3,
          deadLetterQueue: deadLetters,
        }),
      ],
    });

    // ---- the DR dashboard ------------------------------------------------------------------
    this.dashboard = this.buildDashboard(config, stateMachine, replicaLag, primaryHealthy, executionMetrics);
  }

  private buildDashboard(
    config: EnvironmentConfig,
    stateMachine: sfn.StateMachine,
    replicaLag: cloudwatch.Metric,
    primaryHealthy: cloudwatch.Metric,
    executions: Record<'failed' | 'timedOut' | 'aborted', cloudwatch.IMetric>,
  ): cloudwatch.Dashboard {
    const regions = [
      [config.primaryRegion, config.dashboard.primaryLoadBalancer, config.dashboard.primaryClusterName],
      [config.standbyRegion, config.dashboard.standbyLoadBalancer, config.eks.clusterName],
    ] as const;
    const minute = Duration.minutes(1);
    const alb = (metricName: string, statistic: string) =>
      regions.map(([region, loadBalancer]) =>
        new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName, dimensionsMap: { LoadBalancer: loadBalancer }, region, statistic, period: minute, label: region }),
      );
    const node = (metricName: string) =>
      regions.map(([region, , clusterName]) =>
        new cloudwatch.Metric({ namespace: 'ContainerInsights', metricName, dimensionsMap: { ClusterName: clusterName }, region, statistic: cloudwatch.Stats.AVERAGE, period: minute, label: `${clusterName} (${region})` }),
      );
    const rds = (metricName: string) => [
      new cloudwatch.Metric({ namespace: 'AWS/RDS', metricName, dimensionsMap: { DBInstanceIdentifier: config.rds.primaryInstanceId }, region: config.primaryRegion, period: minute, label: `${config.rds.primaryInstanceId} (${config.primaryRegion})` }),
      new cloudwatch.Metric({ namespace: 'AWS/RDS', metricName, dimensionsMap: { DBInstanceIdentifier: config.rds.replicaInstanceId }, region: config.standbyRegion, period: minute, label: `${config.rds.replicaInstanceId} (${config.standbyRegion})` }),
    ];
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) => new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `dr-cutover-${config.name}`,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# dr-cutover ${config.name}: ${config.primaryRegion} → ${config.standbyRegion}\nPrimary health is probed from ${config.standbyRegion}. Start a cutover with \`cutover start --env ${config.name}\`.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph('Primary healthy (probe from standby)', [primaryHealthy]),
      graph('RDS ReplicaLag (s)', [replicaLag]),
      graph(
        `DynamoDB ReplicationLatency → ${config.standbyRegion} (ms)`,
        config.dynamodb.tables.map(
          (table) =>
            new cloudwatch.Metric({ namespace: 'AWS/DynamoDB', metricName: 'ReplicationLatency', dimensionsMap: { TableName: table, ReceivingRegion: config.standbyRegion }, region: config.primaryRegion, statistic: cloudwatch.Stats.AVERAGE, period: minute, label: table }),
        ),
      ),
    );
    dashboard.addWidgets(graph('RDS CPU (%)', rds('CPUUtilization'), 12), graph('RDS connections', rds('DatabaseConnections'), 12));
    dashboard.addWidgets(
      graph('ALB requests', alb('RequestCount', cloudwatch.Stats.SUM)),
      graph('ALB latency p99 (s)', alb('TargetResponseTime', 'p99')),
      graph('ALB 5xx', alb('HTTPCode_ELB_5XX_Count', cloudwatch.Stats.SUM)),
    );
    dashboard.addWidgets(graph('EKS node CPU (%)', node('node_cpu_utilization'), 12), graph('EKS node memory (%)', node('node_memory_utilization'), 12));
    dashboard.addWidgets(
      graph('Cutover executions', [
        stateMachine.metricStarted({ period: minute, statistic: cloudwatch.Stats.SUM, label: 'started' }),
        stateMachine.metricSucceeded({ period: minute, statistic: cloudwatch.Stats.SUM, label: 'succeeded' }),
        stateMachine.metricFailed({ period: minute, statistic: cloudwatch.Stats.SUM, label: 'failed' }),
        executions.timedOut,
        executions.aborted,
      ], 12),
      graph('Cutover duration (ms)', [stateMachine.metricTime({ period: minute, statistic: cloudwatch.Stats.MAXIMUM, label: 'execution time' })], 12),
    );
    return dashboard;
  }
}
