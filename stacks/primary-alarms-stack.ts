import { ArnFormat, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config';
import { primaryAlarmsTopicName, slackNotifierName } from './names';

export interface PrimaryAlarmsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * DynamoDB publishes ReplicationLatency in the source Region only, so the alarms on replication
 * toward the standby live in the primary Region. They only watch: nothing the cutover needs runs
 * here, and when this Region fails they simply stop. Their topic feeds the standby Region's
 * Slack notifier.
 */
export class PrimaryAlarmsStack extends Stack {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: PrimaryAlarmsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const key = new kms.Key(this, 'AlarmsKey', {
      description: `dr-cutover ${config.name}: primary-Region alarms topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch must be able to publish to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'PrimaryAlarms', {
      topicName: primaryAlarmsTopicName(config.name),
      masterKey: key,
      enforceSSL: true,
    });
    const notifierArn = this.formatArn({
      service: 'lambda',
      region: config.standbyRegion,
      resource: 'function',
      resourceName: slackNotifierName(config.name),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    new sns.Subscription(this, 'SlackNotifierSubscription', {
      topic: this.topic,
      protocol: sns.SubscriptionProtocol.LAMBDA,
      endpoint: notifierArn,
    });
    for (const table of config.dynamodb.tables) {
      const alarm = new cloudwatch.Alarm(this, `ReplicationLatency-${table}`, {
        alarmName: `dr-cutover-${config.name}-replication-latency-${table}`,
        alarmDescription: `${table}: DynamoDB ReplicationLatency ${config.primaryRegion} → ${config.standbyRegion} above ${config.alarms.replicationLatencyMs} ms for 5 minutes.`,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/DynamoDB',
          metricName: 'ReplicationLatency',
          dimensionsMap: { TableName: table, ReceivingRegion: config.standbyRegion },
          statistic: cloudwatch.Stats.AVERAGE,
          period: Duration.minutes(1),
        }),
        threshold: config.alarms.replicationLatencyMs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
      alarm.addOkAction(new cwActions.SnsAction(this.topic));
    }
  }
}
