import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { CutoverStateMachine, type CutoverSteps } from '../statemachines/cutover-state-machine';
import { Alerting } from './alerting';
import { dnsZones, toRuntimeTargets, type EnvironmentConfig } from './config';
import { CutoverFunction } from './cutover-function';
import { approvalsTableName, iamNormalizedRecordName, primaryAlarmsTopicName, slackNotifierName } from './names';

export interface CutoverStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** The cutover, deployed in the standby Region so its control plane never depends on the failing one. */
export class CutoverStack extends Stack {
  readonly stateMachine: CutoverStateMachine;
  readonly eventsTopic: sns.Topic;
  readonly lockTable: dynamodb.Table;
  readonly approvalsTable: dynamodb.Table;
  readonly alarmTopic: sns.Topic;
  readonly alerting: Alerting;
  readonly approvalCallbackUrl: lambda.FunctionUrl;
  readonly slackNotifier: CutoverFunction;
  readonly executionEnded: CutoverFunction;
  readonly steps: Record<keyof CutoverSteps, CutoverFunction>;

  constructor(scope: Construct, id: string, props: CutoverStackProps) {
    super(scope, id, props);
    const { config } = props;
    const arn = (service: string, resource: string, resourceName?: string, region?: string) =>
      this.formatArn({ service, resource, resourceName, region, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const certificateArn = arn('acm', 'certificate', config.certificateId);
    const targets = toRuntimeTargets(config, certificateArn);

    // ---- events topic and lock --------------------------------------------------------
    const eventsKey = new kms.Key(this, 'EventsKey', {
      description: `dr-cutover ${config.name}: cutover events topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.eventsTopic = new sns.Topic(this, 'CutoverEvents', {
      displayName: `dr-cutover ${config.name} events`,
      masterKey: eventsKey,
      enforceSSL: true,
    });
    this.alarmTopic = new sns.Topic(this, 'Alarms', {
      displayName: `dr-cutover ${config.name} alarms`,
      masterKey: eventsKey,
      enforceSSL: true,
    });
    // CloudWatch alarms publish to the encrypted alarm topic.
    eventsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    const table = (id: string, partitionKey: string, tableName?: string) =>
      new dynamodb.Table(this, id, {
        tableName,
        partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: 'expiresAt',
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    this.lockTable = table('CutoverLockTable', 'lockId');
    // Approval task tokens live only here (never in SNS, Slack or logs); the CLI finds it by name.
    this.approvalsTable = table('ApprovalsTable', 'approvalId', approvalsTableName(config.name));

    // ---- step Lambdas ---------------------------------------------------------------------
    // The Lambda always ends before its Task times out, so a timed-out Task never leaves a step still running.
    const timeout = Duration.seconds(config.limits.taskTimeoutSeconds - 5);
    const step = (id: string, folder: string, environment?: Record<string, string>, role?: iam.Role) =>
      new CutoverFunction(this, id, { step: folder, timeout, environment, role });
    const kubernetesRole = CutoverFunction.role(
      this,
      'KubernetesStepsRole',
      'dr-cutover Kubernetes steps: an EKS access entry maps it to a group that may only get/patch the Auth ConfigMap and Deployment',
    );
    const steps = {
      validateInput: step('ValidateInputFunction', 'validate-input'),
      cutoverLock: step('CutoverLockFunction', 'cutover-lock', {
        LOCK_TABLE_NAME: this.lockTable.tableName,
        LOCK_TTL_SECONDS: String(config.limits.executionTimeoutMinutes * 60),
      }),
      notify: step('NotifyFunction', 'notify', { EVENTS_TOPIC_ARN: this.eventsTopic.topicArn }),
      preflight: step('PreflightFunction', 'preflight'),
      promoteReplica: step('PromoteReplicaFunction', 'promote-replica'),
      checkPromotion: step('CheckPromotionFunction', 'check-promotion'),
      verifyDynamodbReplica: step('VerifyDynamodbReplicaFunction', 'verify-dynamodb-replica'),
      patchAuthConfig: step('PatchAuthConfigFunction', 'patch-auth-config', {}, kubernetesRole),
      restartAuthDeployment: step('RestartAuthDeploymentFunction', 'restart-auth-deployment', {}, kubernetesRole),
      checkAuthRollout: step('CheckAuthRolloutFunction', 'check-auth-rollout', {}, kubernetesRole),
      switchCloudfront: step('SwitchCloudfrontFunction', 'switch-cloudfront'),
      checkCloudfront: step('CheckCloudfrontFunction', 'check-cloudfront'),
      switchDnsRecord: step('SwitchDnsRecordFunction', 'switch-dns-record'),
      checkDnsChange: step('CheckDnsChangeFunction', 'check-dns-change'),
      verifyEndpoint: step('VerifyEndpointFunction', 'verify-endpoint'),
      report: step('ReportFunction', 'report'),
      requestApproval: step('RequestApprovalFunction', 'request-approval', {
        APPROVALS_TABLE_NAME: this.approvalsTable.tableName,
        EVENTS_TOPIC_ARN: this.eventsTopic.topicArn,
      }),
    };
    this.steps = steps;

    // ---- least privilege, scoped to the configured resources ---------------------------------
    // RDS ARNs separate the resource type with a colon: arn:aws:rds:<region>:<account>:db:<id>.
    const replicaArn = this.formatArn({ service: 'rds', resource: 'db', resourceName: config.rds.replicaInstanceId, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const tableArns = config.dynamodb.tables.map((t) => arn('dynamodb', 'table', t));
    const clusterArn = arn('eks', 'cluster', config.eks.clusterName);
    const userPoolArn = arn('cognito-idp', 'userpool', config.cognito.userPoolId);
    const distributionArn = arn('cloudfront', 'distribution', config.cloudfront.distributionId, '');
    const hostedZoneArn = (hostedZoneId: string) =>
      this.formatArn({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: hostedZoneId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const zones = dnsZones(config);
    const allow = (fn: iam.IGrantable, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      fn.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const readMetrics = (fn: iam.IGrantable) =>
      // GetMetricData has no resource-level permissions; it is read-only.
      allow(fn, ['cloudwatch:GetMetricData'], ['*']);

    this.lockTable.grant(steps.cutoverLock, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem');
    this.eventsTopic.grantPublish(steps.notify);
    // GetItem: reads back an existing approval when a failed condition does not return it.
    this.approvalsTable.grant(steps.requestApproval, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem');
    this.eventsTopic.grantPublish(steps.requestApproval);

    allow(steps.preflight, ['rds:DescribeDBInstances'], [replicaArn]);
    allow(steps.preflight, ['dynamodb:DescribeTable'], tableArns);
    allow(steps.preflight, ['eks:DescribeCluster'], [clusterArn]);
    allow(steps.preflight, ['acm:DescribeCertificate'], [certificateArn]);
    allow(steps.preflight, ['cognito-idp:DescribeUserPool', 'cognito-idp:DescribeUserPoolClient'], [userPoolArn]);
    readMetrics(steps.preflight);

    allow(steps.promoteReplica, ['rds:DescribeDBInstances', 'rds:PromoteReadReplica'], [replicaArn]);
    readMetrics(steps.promoteReplica);
    allow(steps.checkPromotion, ['rds:DescribeDBInstances'], [replicaArn]);

    allow(steps.verifyDynamodbReplica, ['dynamodb:DescribeTable'], tableArns);

    allow(kubernetesRole, ['eks:DescribeCluster'], [clusterArn]);

    allow(steps.switchCloudfront, ['cloudfront:GetDistributionConfig', 'cloudfront:UpdateDistribution'], [distributionArn]);
    allow(steps.checkCloudfront, ['cloudfront:GetDistribution'], [distributionArn]);

    const zoneArns = zones.map((z) => hostedZoneArn(z.hostedZoneId));
    allow(steps.preflight, ['route53:ListResourceRecordSets'], zoneArns);
    allow(steps.switchDnsRecord, ['route53:ListResourceRecordSets'], zoneArns);
    // Per zone: only UPSERTs, only of that zone's configured names and types (each zone's one ChangeBatch).
    for (const zone of zones) {
      allow(steps.switchDnsRecord, ['route53:ChangeResourceRecordSets'], [hostedZoneArn(zone.hostedZoneId)], {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [...new Set(zone.records.map((r) => iamNormalizedRecordName(r.name)))],
          'route53:ChangeResourceRecordSetsRecordTypes': [...new Set(zone.records.map((r) => r.type))],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      });
    }
    // A dry run proves each mutating step's permissions: the step asks IAM to simulate its own role's
    // policy for the exact change it would make. Read-only, and on the role itself only.
    for (const fn of [steps.cutoverLock, steps.promoteReplica, steps.switchCloudfront, steps.switchDnsRecord]) {
      const role = fn.role;
      if (role === undefined) throw new Error(`${fn.node.id} has no role`);
      allow(fn, ['iam:SimulatePrincipalPolicy'], [role.roleArn]);
    }
    // Route 53 change ids are not known in advance; GetChange is read-only.
    allow(steps.checkDnsChange, ['route53:GetChange'], [this.formatArn({ service: 'route53', region: '', account: '', resource: 'change', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })]);

    // ---- EKS access for the Kubernetes steps (bind the group with k8s/auth-cutover-rbac.yaml) --
    new eks.CfnAccessEntry(this, 'KubernetesStepsAccessEntry', {
      clusterName: config.eks.clusterName,
      principalArn: kubernetesRole.roleArn,
      kubernetesGroups: [config.eks.kubernetesGroup],
      type: 'STANDARD',
    });

    // ---- the state machine ------------------------------------------------------------------
    this.stateMachine = new CutoverStateMachine(this, 'Cutover', { config, targets, steps });

    // ---- Slack: alarms and cutover events, and the approval buttons ---------------------------
    // The Lambdas read each secret by name: the partial ARN fromSecretNameV2 builds is read as a complete
    // ARN when the name ends in a hyphen and six characters (`…/slack-signing-secret`), and then matches
    // nothing. The grants stay scoped to `<name>-??????`.
    const webhookSecret = secretsmanager.Secret.fromSecretNameV2(this, 'SlackWebhook', config.slack.webhookSecretName);
    // GetSecretValue only (grantRead adds DescribeSecret, which no step calls), on `<name>-??????`:
    // Secrets Manager appends six random characters to a secret's ARN.
    const readSecret = (fn: iam.IGrantable, secret: secretsmanager.ISecret) => allow(fn, ['secretsmanager:GetSecretValue'], [`${secret.secretArn}-??????`]);
    const signingSecret = secretsmanager.Secret.fromSecretNameV2(this, 'SlackSigningSecret', config.slack.signingSecretName);
    this.slackNotifier = new CutoverFunction(this, 'SlackNotifierFunction', {
      step: 'slack-notifier',
      functionName: slackNotifierName(config.name),
      timeout: Duration.seconds(30),
      environment: { SLACK_WEBHOOK_SECRET_ID: config.slack.webhookSecretName, CONSOLE_REGION: config.standbyRegion },
    });
    readSecret(this.slackNotifier, webhookSecret);
    this.eventsTopic.addSubscription(new subscriptions.LambdaSubscription(this.slackNotifier));
    this.alarmTopic.addSubscription(new subscriptions.LambdaSubscription(this.slackNotifier));
    // The primary Region's replication alarms (PrimaryAlarmsStack) deliver here across Regions.
    this.slackNotifier.addPermission('PrimaryAlarmsTopic', {
      principal: new iam.ServicePrincipal('sns.amazonaws.com'),
      sourceArn: this.formatArn({ service: 'sns', region: config.primaryRegion, resource: primaryAlarmsTopicName(config.name), arnFormat: ArnFormat.NO_RESOURCE_NAME }),
    });

    const approvalCallback = new CutoverFunction(this, 'ApprovalCallbackFunction', {
      step: 'approval-callback',
      timeout: Duration.seconds(10),
      environment: {
        APPROVALS_TABLE_NAME: this.approvalsTable.tableName,
        SLACK_SIGNING_SECRET_ID: config.slack.signingSecretName,
        APPROVERS: JSON.stringify(config.approval.approvers),
      },
    });
    readSecret(approvalCallback, signingSecret);
    this.approvalsTable.grant(approvalCallback, 'dynamodb:UpdateItem', 'dynamodb:GetItem');
    // The decision's answer, on this state machine only. Step Functions authorizes SendTask* against
    // the ARN of the state machine whose task token is answered (see the README's IAM table); the
    // callback never sends a heartbeat, so unlike grantTaskResponse this grants none.
    allow(approvalCallback, ['states:SendTaskSuccess', 'states:SendTaskFailure'], [this.stateMachine.stateMachine.stateMachineArn]);
    // Slack cannot sign with SigV4: the function checks Slack's HMAC signature and the approver allow-list itself.
    this.approvalCallbackUrl = approvalCallback.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    // ---- runs that end outside their failure path (timeout, StopExecution): release and report ---
    const executionEnded = new CutoverFunction(this, 'ExecutionEndedFunction', {
      step: 'execution-ended',
      timeout: Duration.seconds(30),
      environment: {
        LOCK_TABLE_NAME: this.lockTable.tableName,
        EVENTS_TOPIC_ARN: this.eventsTopic.topicArn,
        ENVIRONMENT: config.name,
      },
    });
    this.lockTable.grant(executionEnded, 'dynamodb:DeleteItem');
    this.eventsTopic.grantPublish(executionEnded);
    new events.Rule(this, 'CloseTimedOutOrStoppedCutover', {
      description: `Releases the ${config.name} cutover lock and reports when an execution times out or is stopped`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachine.stateMachineArn], status: ['TIMED_OUT', 'ABORTED'] },
      },
      targets: [new eventTargets.LambdaFunction(executionEnded, { retryAttempts: 3 })],
    });
    this.executionEnded = executionEnded;

    // ---- alarms, the alarm → cutover rule, the dashboard ----------------------------------------
    const primaryProbe = new CutoverFunction(this, 'PrimaryProbeFunction', {
      step: 'primary-probe',
      timeout: Duration.seconds(Math.ceil(config.alarms.probeTimeoutMs / 1000) + 5),
      environment: {
        ENVIRONMENT: config.name,
        PRIMARY_HEALTH_URL: config.alarms.primaryHealthUrl,
        PROBE_TIMEOUT_MS: String(config.alarms.probeTimeoutMs),
      },
    });
    allow(primaryProbe, ['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': 'DrCutover' } });
    this.alerting = new Alerting(this, 'Alerting', {
      config,
      stateMachine: this.stateMachine.stateMachine,
      alarmTopic: this.alarmTopic,
      primaryProbe,
      slackNotifier: this.slackNotifier,
    });
    new CfnOutput(this, 'ApprovalCallbackUrl', {
      value: this.approvalCallbackUrl.url,
      description: 'Set this as the Slack app\'s Interactivity Request URL',
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachine.stateMachineArn });
    new CfnOutput(this, 'DashboardName', { value: this.alerting.dashboard.dashboardName });

    this.acknowledgeNagFindings();
  }

  /** Each remaining cdk-nag finding, acknowledged where it arises, with the reason. */
  private acknowledgeNagFindings(): void {
    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing and CloudWatch Logs log delivery for Step Functions support no resource-level permissions.',
      },
    );
    for (const publisher of [this.steps.notify, this.steps.requestApproval, this.executionEnded]) {
      Validations.of(this.roleOf(publisher)).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to the KMS-encrypted topic needs GenerateDataKey*, granted on the topic key only.',
      });
    }
    Validations.of(this.roleOf(this.steps.checkDnsChange)).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]',
      reason: 'Route 53 change ids are only known after the change is submitted; GetChange is read-only.',
    });
  }

  private roleOf(fn: CutoverFunction): Construct {
    if (!fn.role) throw new Error(`${fn.node.path} has no role`);
    return fn.role;
  }
}
