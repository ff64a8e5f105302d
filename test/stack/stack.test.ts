import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { buildApp } from '../../stacks/app';
import { CutoverStack } from '../../stacks/cutover-stack';
import { PrimaryAlarmsStack } from '../../stacks/primary-alarms-stack';
import { allStates, extractCutover, LOCAL_ACCOUNT, type CfnTemplate } from '../../drill/definition';
import { iamNormalizedRecordName } from '../../stacks/names';
import { testConfig } from '../support/config';

const config = testConfig('prod');
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new CutoverStack(app, 'DrCutover-prod', { config, env: { account: LOCAL_ACCOUNT, region: config.standbyRegion } });
const primaryStack = new PrimaryAlarmsStack(app, 'DrCutover-prod-primary-alarms', { config, env: { account: LOCAL_ACCOUNT, region: config.primaryRegion } });
const template = Template.fromStack(stack);
const json = template.toJSON() as CfnTemplate;
const { definition, taskSteps: cutoverSteps } = extractCutover(json, config.standbyRegion);
const states = allStates(definition);

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
function statementsOf(roleLogicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleLogicalIdPrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('the cutover stack', () => {
  it('synthesizes both environments with cdk-nag AwsSolutions checks and no unacknowledged finding', () => {
    for (const env of ['staging', 'prod']) {
      const nagged = buildApp(new App({ context: { env, 'aws:cdk:bundling-stacks': [] } }));
      // A cdk-nag violation makes synth throw ValidationFailed with the report path.
      const assembly = nagged.synth();
      expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([`DrCutover-${env}`, `DrCutover-${env}-primary-alarms`]);
    }
  });

  it('deploys a Standard state machine with ALL logging (no execution data, which holds the approval token) and X-Ray tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      StateMachineName: 'dr-cutover-prod',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  it('builds every step Lambda with the shared defaults (arm64, Node.js 24, tracing, source maps)', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    // 17 state-machine steps, plus the Slack notifier, the approval callback, the primary probe and execution-ended.
    expect(Object.keys(functions)).toHaveLength(21);
    const stepFolders = new Set(Object.values(cutoverSteps));
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
      const step = fn.Properties.Environment.Variables.CUTOVER_STEP as string;
      if (stepFolders.has(step)) expect({ step, timeout: fn.Properties.Timeout }).toEqual({ step, timeout: config.limits.taskTimeoutSeconds - 5 });
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  it('encrypts the events topic with a rotating KMS key and enforces TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('keeps the lock in a table with expiry (TTL) and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'lockId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('scopes every mutating action to the configured resources, never "*"', () => {
    const mutating = /^(rds:Promote|cloudfront:Update|route53:Change|dynamodb:(Put|Delete|Update)|sns:Publish|eks:|kms:)/;
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const offending = statements.filter((s) => actionsOf(s).some((a) => mutating.test(a)) && JSON.stringify(s.Resource).includes('"*"'));
    expect(offending).toEqual([]);

    const promote = statementsOf('PromoteReplicaFunctionRole').find((s) => actionsOf(s).includes('rds:PromoteReadReplica'));
    expect(JSON.stringify(promote?.Resource)).toContain(`:rds:ap-northeast-1:${LOCAL_ACCOUNT}:db:${config.rds.replicaInstanceId}"`);
    const update = statementsOf('SwitchCloudfrontFunctionRole').find((s) => actionsOf(s).includes('cloudfront:UpdateDistribution'));
    expect(JSON.stringify(update?.Resource)).toContain(`:distribution/${config.cloudfront.distributionId}`);
  });

  it('limits DNS changes to UPSERTs of the configured record names and types', () => {
    const change = statementsOf('SwitchDnsRecordFunctionRole').find((s) => actionsOf(s).includes('route53:ChangeResourceRecordSets'));
    expect(JSON.stringify(change?.Resource)).toContain(`hostedzone/${config.route53.hostedZoneId}`);
    expect(change?.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': config.route53.records.map((r) => r.name),
        'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
  });

  it('writes record names in the IAM condition as Route 53 normalizes them: lower case, no trailing dot, octal escapes', () => {
    expect(iamNormalizedRecordName('*.Portforge.org.')).toBe('\\052.portforge.org');
    expect(iamNormalizedRecordName('\\052.portforge.org')).toBe('\\052.portforge.org');
    expect(iamNormalizedRecordName('api_v2.portforge-dr.org')).toBe('api_v2.portforge-dr.org');
  });

  it('lets preflight and the switch list record sets in the configured hosted zone only', () => {
    for (const role of ['PreflightFunctionRole', 'SwitchDnsRecordFunctionRole']) {
      const list = statementsOf(role).filter((s) => actionsOf(s).includes('route53:ListResourceRecordSets'));
      expect(list).toHaveLength(1);
      expect(JSON.stringify(list[0]?.Resource)).toContain(`hostedzone/${config.route53.hostedZoneId}`);
      expect(JSON.stringify(list[0]?.Resource)).not.toContain('*');
    }
  });

  it('maps the Kubernetes steps role to the configured group with an EKS access entry', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: config.eks.clusterName,
      KubernetesGroups: [config.eks.kubernetesGroup],
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KubernetesStepsRole'), 'Arn'] },
    });
    const kubeStatements = statementsOf('KubernetesStepsRole');
    expect(kubeStatements.flatMap(actionsOf).filter((a) => a.startsWith('eks:'))).toEqual(['eks:DescribeCluster']);
  });

  it('synthesizes a definition that passes asl-validator', () => {
    const result = aslValidator(definition, { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('gives every Task a Retry and a Catch', () => {
    const tasks = states.filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(15);
    const missing = tasks
      .filter(([, s]) => !(s as { Retry?: unknown[] }).Retry?.length || !(s as { Catch?: unknown[] }).Catch?.length)
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('tells every Lambda its own timeout, from which its SDK and Kubernetes call timeouts derive', () => {
    type Fn = { Properties: { Timeout?: number; Environment?: { Variables?: Record<string, string> } } };
    const functions = (Object.values(template.findResources('AWS::Lambda::Function')) as Fn[]).filter((f) => f.Properties.Environment?.Variables?.CUTOVER_STEP);
    expect(functions.length).toBeGreaterThan(15);
    const mismatched = functions.filter((f) => f.Properties.Environment?.Variables?.LAMBDA_TIMEOUT_SECONDS !== String(f.Properties.Timeout));
    expect(mismatched.map((f) => f.Properties.Environment?.Variables?.CUTOVER_STEP)).toEqual([]);
  });

  it('tells every step Lambda its own role ARN (CUTOVER_ROLE_ARN), which a dry run simulates', () => {
    type Fn = { Properties: { Role?: unknown; Environment?: { Variables?: Record<string, unknown> } } };
    const functions = (Object.values(template.findResources('AWS::Lambda::Function')) as Fn[]).filter((f) => f.Properties.Environment?.Variables?.CUTOVER_STEP);
    const mismatched = functions.filter((f) => JSON.stringify(f.Properties.Environment?.Variables?.CUTOVER_ROLE_ARN) !== JSON.stringify(f.Properties.Role));
    expect(mismatched.map((f) => f.Properties.Environment?.Variables?.CUTOVER_STEP)).toEqual([]);
  });

  it('lets each mutating step simulate only its own role\'s policy (iam:SimulatePrincipalPolicy on that role), and no other role', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const simulating = ['CutoverLockFunctionRole', 'PromoteReplicaFunctionRole', 'SwitchCloudfrontFunctionRole', 'SwitchDnsRecordFunctionRole'];
    for (const prefix of simulating) {
      const roleId = Object.keys(roles).find((id) => id.startsWith(prefix));
      const grants = statementsOf(prefix).filter((s) => actionsOf(s).includes('iam:SimulatePrincipalPolicy'));
      expect(grants).toEqual([{ Action: 'iam:SimulatePrincipalPolicy', Effect: 'Allow', Resource: { 'Fn::GetAtt': [roleId, 'Arn'] } }]);
    }
    const policies = template.findResources('AWS::IAM::Policy');
    const others = Object.values(policies)
      .filter((p) => !simulating.some((prefix) => JSON.stringify(p.Properties.Roles).includes(prefix)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => actionsOf(s).some((a) => a.startsWith('iam:')));
    expect(others).toEqual([]);
  });

  it('retries a step Lambda that ran past its timeout (Sandbox.Timedout, Lambda.Unknown) in every Task', () => {
    type Retrier = { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number };
    const tasks = states.filter(([, s]) => s.Type === 'Task');
    const uncovered = tasks
      .filter(([, s]) => {
        const retried = ((s.Retry ?? []) as Retrier[]).flatMap((r) => r.ErrorEquals);
        return !retried.includes('Sandbox.Timedout') || !retried.includes('Lambda.Unknown');
      })
      .map(([name]) => name);
    expect(uncovered).toEqual([]);
    // Step Functions uses the first retrier that matches: release's longer retry must be the one throttling meets.
    const release = states.find(([name]) => name === 'Release cutover lock')?.[1];
    const first = ((release?.Retry ?? []) as Retrier[]).find((r) => r.ErrorEquals.includes('AwsTransientError'));
    expect(first).toMatchObject({ MaxAttempts: 8, IntervalSeconds: 5 });
  });

  it('retries the endpoint check without jitter, for longer than resolvers cache the old DNS answer (60 s alias TTL)', () => {
    type Retrier = { ErrorEquals: string[]; MaxAttempts: number; IntervalSeconds: number; BackoffRate: number; JitterStrategy?: string };
    const verify = states.find(([name]) => name === 'Verify DR endpoint')?.[1];
    const retrier = ((verify?.Retry ?? []) as Retrier[]).find((r) => r.ErrorEquals.includes('EndpointUnhealthyError'));
    expect(retrier?.JitterStrategy).not.toBe('FULL');
    const waits = Array.from({ length: retrier?.MaxAttempts ?? 0 }, (_, i) => (retrier?.IntervalSeconds ?? 0) * (retrier?.BackoffRate ?? 1) ** i);
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(60 + 45);
  });

  it('takes targets only from the deployed config, never from execution input', () => {
    const load = (definition as { States: Record<string, { Parameters?: Record<string, unknown> }> }).States['Load deployed targets'];
    expect(load?.Parameters).toMatchObject({
      'input.$': '$.input',
      targets: { environment: 'prod', rds: { replicaInstanceId: config.rds.replicaInstanceId } },
    });
    expect(JSON.stringify(definition)).not.toMatch(/"target\.\$":"\$\$\.Execution\.Input/);
  });

  it('bounds every polling loop by attempts and the whole execution by a timeout', () => {
    const choices = states.filter(([name]) => /^Is .* done\?$/.test(name));
    expect(choices.map(([name]) => name).sort()).toEqual([
      'Is Auth rollout done?',
      'Is CloudFront API deployment done?',
      'Is CloudFront static deployment done?',
      'Is DNS change done?',
      'Is RDS promotion done?',
    ]);
    for (const [, choice] of choices) {
      expect(JSON.stringify(choice)).toMatch(/NumericGreaterThanEquals/);
    }
    expect(definition.TimeoutSeconds).toBe(config.limits.executionTimeoutMinutes * 60);
  });
});

describe('alarms, the alarm trigger and the approval gate', () => {
  const alarmTopic = () => {
    const topics = template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'dr-cutover prod alarms' } });
    return Object.keys(topics)[0] ?? 'missing';
  };

  it('alarms on the primary\'s health from the standby Region, with a dwell time, into the alarm topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'dr-cutover-prod-primary-unhealthy',
      Namespace: 'DrCutover',
      MetricName: 'PrimaryHealthy',
      Dimensions: [{ Name: 'Environment', Value: 'prod' }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: config.alarms.primaryUnhealthyMinutes,
      DatapointsToAlarm: config.alarms.primaryUnhealthyMinutes,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: alarmTopic() }],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PrimaryProbeFunction'), 'Arn'] } })],
    });
  });

  it('alarms on replica lag, failed cutovers and Slack notifier errors, thresholds from config', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'dr-cutover-prod-replica-lag',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: config.rds.replicaInstanceId }],
      Threshold: config.alarms.replicaLagSeconds,
      AlarmActions: [{ Ref: alarmTopic() }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'dr-cutover-prod-execution-failed',
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'failed + timedOut + aborted' })]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'dr-cutover-prod-slack-notifier-errors',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^SlackNotifierFunction') } }],
    });
  });

  it('puts the DynamoDB replication alarms in the primary Region, where the metric is published', () => {
    const primary = Template.fromStack(primaryStack);
    for (const table of config.dynamodb.tables) {
      primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `dr-cutover-prod-replication-latency-${table}`,
        MetricName: 'ReplicationLatency',
        Dimensions: [{ Name: 'ReceivingRegion', Value: config.standbyRegion }, { Name: 'TableName', Value: table }],
        Threshold: config.alarms.replicationLatencyMs,
      });
    }
    primary.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:lambda:${config.standbyRegion}:`)])] },
    });
    expect(primaryStack.region).toBe(config.primaryRegion);
  });

  it('starts the cutover from the primary alarm directly (no Lambda), with the alarm as trigger', () => {
    const rules = template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['CloudWatch Alarm State Change'] } } });
    const rule = Object.values(rules)[0];
    expect(rule?.Properties.EventPattern).toMatchObject({
      source: ['aws.cloudwatch'],
      detail: { state: { value: ['ALARM'] } },
      resources: [{ 'Fn::GetAtt': [expect.stringMatching(/^AlertingPrimaryUnhealthy/), 'Arn'] }],
    });
    const target = rule?.Properties.Targets[0];
    expect(target.Arn).toEqual({ Ref: expect.stringMatching(/^CutoverStateMachine/) });
    expect(target.InputTransformer.InputPathsMap).toEqual({ 'detail-alarmName': '$.detail.alarmName', 'detail-state-reason': '$.detail.state.reason', time: '$.time' });
    const inputTemplate = String(target.InputTransformer.InputTemplate);
    expect(inputTemplate).toContain('"mode":"emergency"');
    expect(inputTemplate).toContain('"dryRun":false');
    expect(inputTemplate).toContain('"trigger":{"type":"alarm","alarmName":<detail-alarmName>,"time":<time>}');
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/^AlertingCutoverRuleDeadLetters/), 'Arn'] } });
  });

  it('exposes the approval callback as a function URL whose only Step Functions rights are SendTask* on this machine', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApprovalCallbackFunction'), 'Arn'] },
    });
    const statements = statementsOf('ApprovalCallbackFunctionRole');
    const sendTask = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(sendTask).toEqual([
      expect.objectContaining({
        Action: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        Resource: { Ref: expect.stringMatching(/^CutoverStateMachine/) },
      }),
    ]);
  });

  it('lets the approval steps read an approval back (a failed condition may not return it), and nothing else on the table', () => {
    const dynamoActions = (role: string) => statementsOf(role).flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:')).sort();
    expect(dynamoActions('ApprovalCallbackFunctionRole')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(dynamoActions('RequestApprovalFunctionRole')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it('passes each Slack secret to its Lambda by name and grants GetSecretValue on that secret only', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const secretIds = functions.flatMap((f) =>
      Object.entries((f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).filter(([key]) => key.includes('SECRET')),
    );
    // A partial ARN of `…/slack-signing-secret` would be read as a complete ARN (suffix "secret") and match nothing.
    expect(Object.fromEntries(secretIds)).toEqual({
      SLACK_WEBHOOK_SECRET_ID: config.slack.webhookSecretName,
      SLACK_SIGNING_SECRET_ID: config.slack.signingSecretName,
    });
    const secretResources = (role: string) =>
      statementsOf(role)
        .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
        .map((s) => JSON.stringify(s.Resource));
    expect(secretResources('ApprovalCallbackFunctionRole')).toEqual([expect.stringContaining(`:secret:${config.slack.signingSecretName}-??????`)]);
    expect(secretResources('SlackNotifierFunctionRole')).toEqual([expect.stringContaining(`:secret:${config.slack.webhookSecretName}-??????`)]);
  });

  it('grants no secret action but GetSecretValue, and invokes each step function by its unqualified ARN only', () => {
    const secretActions = ['SlackNotifierFunctionRole', 'ApprovalCallbackFunctionRole'].flatMap((role) =>
      statementsOf(role).flatMap(actionsOf).filter((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretActions).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue']);
    const invoke = statementsOf('CutoverStateMachineRole').filter((st) => actionsOf(st).includes('lambda:InvokeFunction'));
    const resources = invoke.flatMap((st) => (Array.isArray(st.Resource) ? (st.Resource as unknown[]) : [st.Resource]));
    expect(resources.length).toBeGreaterThan(15);
    for (const resource of resources) expect(resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Function[0-9A-F]{8}$/), 'Arn'] });
  });

  it('makes alarm-triggered runs wait at the gate with a timeout, by task token', () => {
    const gate = states.find(([name]) => name === 'Request approval')?.[1] as { Resource?: string; TimeoutSeconds?: number; Parameters?: { Payload?: Record<string, unknown> } };
    expect(gate.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(gate.TimeoutSeconds).toBe(config.approval.timeoutMinutes * 60);
    expect(gate.Parameters?.Payload).toMatchObject({ 'taskToken.$': '$$.Task.Token' });
  });

  it('builds the DR dashboard in code', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardBody);
    for (const metric of ['ReplicaLag', 'ReplicationLatency', 'CPUUtilization', 'DatabaseConnections', 'RequestCount', 'TargetResponseTime', 'HTTPCode_ELB_5XX_Count', 'node_cpu_utilization', 'node_memory_utilization', 'ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionTime']) {
      expect(body).toContain(metric);
    }
    expect(body).toContain(config.primaryRegion);
  });
});

describe('runs that end outside their failure path', () => {
  it('sends TIMED_OUT and ABORTED executions of this machine to a Lambda that releases the lock and reports', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [{ Ref: Match.stringLikeRegexp('^CutoverStateMachine') }], status: ['TIMED_OUT', 'ABORTED'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ExecutionEndedFunction'), 'Arn'] } })],
    });
    const actions = statementsOf('ExecutionEndedFunctionRole').flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:DeleteItem', 'sns:Publish']));
    expect(actions).not.toContain('dynamodb:PutItem');
  });
});
