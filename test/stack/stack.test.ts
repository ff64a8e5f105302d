import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { buildApp } from '../../stacks/app';
import { CutoverStack } from '../../stacks/cutover-stack';
import { allStates, extractCutover, LOCAL_ACCOUNT, type CfnTemplate } from '../../drill/definition';
import { testConfig } from '../support/config';

const config = testConfig('prod');
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new CutoverStack(app, 'DrCutover-prod', { config, env: { account: LOCAL_ACCOUNT, region: config.standbyRegion } });
const template = Template.fromStack(stack);
const json = template.toJSON() as CfnTemplate;
const { definition } = extractCutover(json, config.standbyRegion);
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
      expect(assembly.stacks.map((s) => s.stackName)).toEqual([`DrCutover-${env}`]);
    }
  });

  it('deploys a Standard state machine with ALL logging, execution data and X-Ray tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      StateMachineName: 'dr-cutover-prod',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });

  it('builds every step Lambda with the shared defaults (arm64, Node.js 24, tracing, source maps)', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(16);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        Timeout: config.limits.taskTimeoutSeconds,
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
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
    expect(JSON.stringify(promote?.Resource)).toContain(`:db/${config.rds.replicaInstanceId}`);
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
