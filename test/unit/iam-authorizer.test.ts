import { allStates, extractCutover, LOCAL_ACCOUNT, synthesizeTemplate, type CfnTemplate } from '../../drill/definition';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findLambda, IamAuthorizer, normalizeRecordName, type IamDecision } from '../../drill/iam';
import { dnsZones, type EnvironmentConfig } from '../../stacks/config';
import { loadEnvironment } from '../../stacks/environments';

/**
 * IAM as AWS would enforce it on the synthesized stack: every call the shipped Lambdas make in a
 * happy-path cutover is allowed, and removing any one grant denies at least one of them.
 */

interface Call {
  functionName: string;
  command: string;
  input: Record<string, unknown>;
  region: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every AWS call the shipped Lambdas make in a happy-path cutover (and its approval and failure paths), as they make it. */
function happyPathCalls(config: EnvironmentConfig, template: CfnTemplate): Call[] {
  const standby = config.standbyRegion;
  // The names the handlers read from their deployed environment.
  const env = extractCutover(template, standby).lambdaEnvironment;
  const steps = extractCutover(template, standby).stepEnvironments;
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`no ${name} in the Lambda environment`);
    return value;
  };
  const lockTable = need('LOCK_TABLE_NAME');
  const eventsTopic = need('EVENTS_TOPIC_ARN');
  const approvals = need('APPROVALS_TABLE_NAME');
  const certificateArn = `arn:aws:acm:${standby}:${LOCAL_ACCOUNT}:certificate/${config.certificateId}`;
  const lockKey = { lockId: { S: config.name } };
  const publish = { TopicArn: eventsTopic, Subject: `[dr-cutover] ${config.name} started`, Message: '{}' };
  const call = (functionName: string, command: string, input: Record<string, unknown>, region = standby): Call => ({ functionName, command, input, region });
  const zones = dnsZones(config);
  const calls: Call[] = [
    call('dr-cutover-cutover-lock', 'GetItemCommand', { TableName: lockTable, Key: lockKey, ConsistentRead: true }),
    call('dr-cutover-cutover-lock', 'PutItemCommand', { TableName: lockTable, Item: { ...lockKey, executionId: { S: 'exec-1' } } }),
    call('dr-cutover-cutover-lock', 'DeleteItemCommand', { TableName: lockTable, Key: lockKey }),
    call('dr-cutover-notify', 'PublishCommand', publish),
    call('dr-cutover-request-approval', 'PutItemCommand', { TableName: approvals, Item: { approvalId: { S: 'a-1' } } }),
    call('dr-cutover-request-approval', 'UpdateItemCommand', { TableName: approvals, Key: { approvalId: { S: 'a-1' } } }),
    // A redelivered request reads the approval back when the refused write carries no item.
    call('dr-cutover-request-approval', 'GetItemCommand', { TableName: approvals, Key: { approvalId: { S: 'a-1' } }, ConsistentRead: true }),
    call('dr-cutover-request-approval', 'PublishCommand', publish),
    call('dr-cutover-preflight', 'DescribeDBInstancesCommand', { DBInstanceIdentifier: config.rds.replicaInstanceId }),
    call('dr-cutover-preflight', 'GetMetricDataCommand', { MetricDataQueries: [] }),
    ...config.dynamodb.tables.map((t) => call('dr-cutover-preflight', 'DescribeTableCommand', { TableName: t })),
    call('dr-cutover-preflight', 'DescribeClusterCommand', { name: config.eks.clusterName }),
    call('dr-cutover-preflight', 'DescribeCertificateCommand', { CertificateArn: certificateArn }),
    call('dr-cutover-preflight', 'DescribeUserPoolCommand', { UserPoolId: config.cognito.userPoolId }),
    call('dr-cutover-preflight', 'DescribeUserPoolClientCommand', { UserPoolId: config.cognito.userPoolId, ClientId: config.cognito.appClientId }),
    ...zones.map((z) => call('dr-cutover-preflight', 'ListResourceRecordSetsCommand', { HostedZoneId: z.hostedZoneId }, 'us-east-1')),
    call('dr-cutover-promote-replica', 'DescribeDBInstancesCommand', { DBInstanceIdentifier: config.rds.replicaInstanceId }),
    call('dr-cutover-promote-replica', 'GetMetricDataCommand', { MetricDataQueries: [] }),
    call('dr-cutover-promote-replica', 'PromoteReadReplicaCommand', { DBInstanceIdentifier: config.rds.replicaInstanceId, BackupRetentionPeriod: 7 }),
    call('dr-cutover-check-promotion', 'DescribeDBInstancesCommand', { DBInstanceIdentifier: config.rds.replicaInstanceId }),
    ...config.dynamodb.tables.map((t) => call('dr-cutover-verify-dynamodb-replica', 'DescribeTableCommand', { TableName: t })),
    ...['patch-auth-config', 'restart-auth-deployment', 'check-auth-rollout'].map((s) => call(`dr-cutover-${s}`, 'DescribeClusterCommand', { name: config.eks.clusterName })),
    call('dr-cutover-switch-cloudfront', 'GetDistributionConfigCommand', { Id: config.cloudfront.distributionId }, 'us-east-1'),
    call('dr-cutover-switch-cloudfront', 'UpdateDistributionCommand', { Id: config.cloudfront.distributionId, IfMatch: 'E1', DistributionConfig: {} }, 'us-east-1'),
    call('dr-cutover-check-cloudfront', 'GetDistributionCommand', { Id: config.cloudfront.distributionId }, 'us-east-1'),
    ...zones.flatMap((z) => [
      call('dr-cutover-switch-dns-record', 'ListResourceRecordSetsCommand', { HostedZoneId: z.hostedZoneId, StartRecordName: z.records[0]?.name }, 'us-east-1'),
      call(
        'dr-cutover-switch-dns-record',
        'ChangeResourceRecordSetsCommand',
        { HostedZoneId: z.hostedZoneId, ChangeBatch: { Changes: z.records.map((r) => ({ Action: 'UPSERT', ResourceRecordSet: { Name: r.name, Type: r.type } })) } },
        'us-east-1',
      ),
    ]),
    call('dr-cutover-check-dns-change', 'GetChangeCommand', { Id: '/change/C0123456789ABC' }, 'us-east-1'),
    call('dr-cutover-slack-notifier', 'GetSecretValueCommand', { SecretId: need('SLACK_WEBHOOK_SECRET_ID') }),
    call('dr-cutover-approval-callback', 'GetSecretValueCommand', { SecretId: need('SLACK_SIGNING_SECRET_ID') }),
    call('dr-cutover-approval-callback', 'UpdateItemCommand', { TableName: approvals, Key: { approvalId: { S: 'a-1' } } }),
    // A second click reads the decided approval back to answer why it was refused.
    call('dr-cutover-approval-callback', 'GetItemCommand', { TableName: approvals, Key: { approvalId: { S: 'a-1' } }, ConsistentRead: true }),
    call('dr-cutover-approval-callback', 'SendTaskSuccessCommand', { taskToken: 'local-task-token-drill-1', output: '{}' }),
    call('dr-cutover-approval-callback', 'SendTaskFailureCommand', { taskToken: 'local-task-token-drill-1', error: 'ApprovalDenied' }),
    call('dr-cutover-execution-ended', 'DeleteItemCommand', { TableName: lockTable, Key: lockKey }),
    call('dr-cutover-execution-ended', 'PublishCommand', publish),
    call('dr-cutover-primary-probe', 'PutMetricDataCommand', { Namespace: 'DrCutover', MetricData: [] }),
    // A dry run's permission check: each mutating step simulates its own role's policy.
    ...['cutover-lock', 'promote-replica', 'switch-cloudfront', 'switch-dns-record'].map((step) =>
      call(`dr-cutover-${step}`, 'SimulatePrincipalPolicyCommand', { PolicySourceArn: steps[step]?.CUTOVER_ROLE_ARN ?? '', ActionNames: ['*'] }, 'us-east-1'),
    ),
  ];
  return calls;
}

/** Every Task's function, as the state machine role invokes it. */
function taskFunctions(template: CfnTemplate, region: string): string[] {
  const { definition } = extractCutover(template, region);
  return allStates(definition)
    .filter(([, s]) => s.Type === 'Task')
    .map(([, s]) => (s.Resource?.startsWith('arn:aws:states:::lambda:invoke') ? s.Parameters?.FunctionName : s.Resource) ?? '');
}

interface Denial {
  caller: string;
  action: string;
  resource: string;
  error: string;
  message: string;
}

/** The calls and Task invocations IAM refuses with this template; `onlyRoles` limits them to the principals of those roles. */
async function denials(template: CfnTemplate, config: EnvironmentConfig, calls: Call[], functions: string[], onlyRoles?: string[]): Promise<Denial[]> {
  const authorizer = IamAuthorizer.fromTemplate(template, { account: LOCAL_ACCOUNT, region: config.standbyRegion });
  const concerned = (role: string | undefined) => !onlyRoles || (role !== undefined && onlyRoles.includes(role));
  const decisions: IamDecision[] = [];
  for (const c of calls) if (concerned(findLambda(authorizer.policies, c.functionName)?.roleLogicalId)) decisions.push(await authorizer.authorizeCall(c));
  const machine = authorizer.policies.stateMachines[0];
  if (concerned(machine?.roleLogicalId)) for (const fn of functions) decisions.push(await authorizer.authorizeInvoke(`dr-cutover-${config.name}`, fn));
  return decisions.flatMap((d) => (d.allowed ? [] : [{ caller: d.caller, action: d.action, resource: d.resource, error: d.error.name, message: d.error.message }]));
}

/** One grant taken out of the template: a statement, one action or resource of it, or one value of a condition. */
interface Removal {
  label: string;
  policy: string;
  roles: string[];
  apply: (statements: Array<Record<string, Json>>) => void;
}

function removals(template: CfnTemplate): Removal[] {
  const out: Removal[] = [];
  // The roles the Lambdas and the state machine run as (not, say, EventBridge's role that starts the run).
  const roleOf = (r: { Properties?: Record<string, Json> }) => ((r.Properties?.Role ?? r.Properties?.RoleArn) as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
  const runtimeRoles = new Set(
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' || r.Type === 'AWS::StepFunctions::StateMachine')
      .map((r) => roleOf(r as { Properties?: Record<string, Json> })),
  );
  for (const [policyId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = ((resource.Properties?.Roles ?? []) as Array<{ Ref: string }>).map((r) => r.Ref).filter((r) => runtimeRoles.has(r));
    if (roles.length === 0) continue;
    const statements = (resource.Properties?.PolicyDocument as { Statement: Array<Record<string, Json>> }).Statement;
    statements.forEach((s, i) => {
      const actions = ([] as Json[]).concat(s.Action ?? []).map(String);
      // CloudWatch Logs and X-Ray are written by the Lambda runtime and Step Functions, not by calls the drill answers.
      if (actions.every((a) => a.startsWith('logs:') || a.startsWith('xray:'))) return;
      const at = `${policyId} statement ${i + 1} (${actions.join(', ')})`;
      out.push({ label: `${at}: whole statement`, policy: policyId, roles, apply: (st) => void st.splice(i, 1) });
      if (actions.length > 1) {
        actions.forEach((a, j) =>
          out.push({ label: `${at}: action ${a}`, policy: policyId, roles, apply: (st) => void ((st[i] as { Action: Json[] }).Action.splice(j, 1)) }),
        );
      }
      const resources = Array.isArray(s.Resource) ? s.Resource : [];
      if (resources.length > 1) {
        resources.forEach((r, j) =>
          out.push({ label: `${at}: resource ${JSON.stringify(r)}`, policy: policyId, roles, apply: (st) => void ((st[i] as { Resource: Json[] }).Resource.splice(j, 1)) }),
        );
      }
      for (const [operator, operands] of Object.entries((s.Condition ?? {}) as Record<string, Record<string, Json>>)) {
        for (const [key, values] of Object.entries(operands)) {
          if (!Array.isArray(values) || values.length < 2) continue;
          values.forEach((v, j) =>
            out.push({
              label: `${at}: ${key} value ${JSON.stringify(v)}`,
              policy: policyId,
              roles,
              apply: (st) => void (((st[i] as { Condition: Record<string, Record<string, Json[]>> }).Condition[operator]?.[key] ?? []).splice(j, 1)),
            }),
          );
        }
      }
    });
  }
  return out;
}

function without(template: CfnTemplate, removal: Removal): CfnTemplate {
  const copy = structuredClone(template);
  removal.apply((copy.Resources[removal.policy]?.Properties?.PolicyDocument as { Statement: Array<Record<string, Json>> }).Statement);
  return copy;
}

/** Every SDK command class the product's Lambdas construct (`new XCommand(`), from their sources. */
function commandsInSources(dir = path.join(__dirname, '..', '..', 'functions')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return commandsInSources(file);
    if (!entry.name.endsWith('.ts')) return [];
    return [...readFileSync(file, 'utf8').matchAll(/new (\w+Command)\(/g)].map((m) => m[1] ?? '');
  });
}

it('enumerates every AWS SDK command the product sends', () => {
  const config = loadEnvironment('prod');
  const enumerated = new Set(happyPathCalls(config, synthesizeTemplate(config)).map((c) => c.command));
  const sent = [...new Set(commandsInSources())].sort();
  expect(sent.length).toBeGreaterThan(20);
  expect(sent.filter((c) => !enumerated.has(c))).toEqual([]);
});

describe.each(['prod', 'staging'] as const)('IAM on the synthesized %s stack', (envName) => {
  const config = loadEnvironment(envName);
  let template: CfnTemplate;
  let calls: Call[];
  let functions: string[];

  beforeAll(() => {
    template = synthesizeTemplate(config);
    calls = happyPathCalls(config, template);
    functions = taskFunctions(template, config.standbyRegion);
  });

  it('allows every call the shipped Lambdas make in a happy-path cutover, and every Task invocation', async () => {
    expect(calls.length).toBeGreaterThan(30);
    expect(functions.length).toBeGreaterThan(15);
    expect(await denials(template, config, calls, functions)).toEqual([]);
  });

  it('denies a call, naming the Lambda, the action and the resource, for each grant removed', async () => {
    const unneeded: string[] = [];
    let checked = 0;
    for (const removal of removals(template)) {
      const denied = await denials(without(template, removal), config, calls, functions, removal.roles);
      checked += 1;
      if (denied.length === 0) unneeded.push(removal.label);
      for (const d of denied) {
        expect(d.message).toContain(d.action.replace(/^sns:/, 'SNS:'));
        if (d.resource !== '*') expect(d.message).toContain(d.resource);
        expect(d.caller).toBeTruthy();
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(unneeded).toEqual([]);
  });

  it('denies GetDistributionConfig to switch-cloudfront when it is removed from the stack', async () => {
    const t = structuredClone(template);
    const policyId = Object.keys(t.Resources).find((k) => k.startsWith('SwitchCloudfrontFunctionRoleDefaultPolicy')) ?? '';
    for (const s of (t.Resources[policyId]?.Properties?.PolicyDocument as { Statement: Array<{ Action: Json }> }).Statement) {
      if (Array.isArray(s.Action)) s.Action = s.Action.filter((a) => a !== 'cloudfront:GetDistributionConfig');
    }
    const denied = await denials(t, config, calls, functions);
    expect(denied).toEqual([
      {
        caller: expect.stringMatching(/^SwitchCloudfrontFunction/),
        action: 'cloudfront:GetDistributionConfig',
        resource: `arn:aws:cloudfront::${LOCAL_ACCOUNT}:distribution/${config.cloudfront.distributionId}`,
        error: 'AccessDenied',
        message: expect.stringMatching(
          /^User: arn:aws:sts::123456789012:assumed-role\/SwitchCloudfrontFunctionRole\w+\/SwitchCloudfrontFunction\w+ is not authorized to perform: cloudfront:GetDistributionConfig on resource: arn:aws:cloudfront::123456789012:distribution\/\w+ because no identity-based policy allows the cloudfront:GetDistributionConfig action$/,
        ),
      },
    ]);
  });

  it('denies the record change when one of its names is taken out of the Route 53 condition', async () => {
    const t = structuredClone(template);
    const policyId = Object.keys(t.Resources).find((k) => k.startsWith('SwitchDnsRecordFunctionRoleDefaultPolicy')) ?? '';
    const removedName = normalizeRecordName(config.route53.records.at(-1)?.name ?? '');
    for (const s of (t.Resources[policyId]?.Properties?.PolicyDocument as { Statement: Array<{ Condition?: Record<string, Record<string, Json>> }> }).Statement) {
      const operands = s.Condition?.['ForAllValues:StringEquals'];
      const names = operands?.['route53:ChangeResourceRecordSetsNormalizedRecordNames'];
      // A condition left with no name would allow no change at all: replace it with another name instead.
      if (operands && Array.isArray(names)) operands['route53:ChangeResourceRecordSetsNormalizedRecordNames'] = names.length > 1 ? names.filter((n) => n !== removedName) : ['other.example.org'];
    }
    const denied = await denials(t, config, calls, functions);
    expect(denied).toEqual([
      expect.objectContaining({ caller: expect.stringMatching(/^SwitchDnsRecordFunction/), action: 'route53:ChangeResourceRecordSets', resource: `arn:aws:route53:::hostedzone/${config.route53.hostedZoneId}`, error: 'AccessDenied' }),
    ]);
  });

  it('denies the SNS publish with KMSAccessDenied when the publisher loses its grant on the topic key', async () => {
    const t = structuredClone(template);
    const policyId = Object.keys(t.Resources).find((k) => k.startsWith('NotifyFunctionRoleDefaultPolicy')) ?? '';
    const doc = t.Resources[policyId]?.Properties?.PolicyDocument as { Statement: Array<{ Action: Json }> };
    doc.Statement = doc.Statement.filter((s) => !JSON.stringify(s.Action).includes('kms:'));
    const denied = await denials(t, config, calls, functions);
    expect(denied).toEqual([
      expect.objectContaining({
        caller: expect.stringMatching(/^NotifyFunction/),
        action: 'kms:GenerateDataKey',
        resource: expect.stringMatching(new RegExp(`^arn:aws:kms:${config.standbyRegion}:123456789012:key/[0-9a-f-]{36}$`)),
        error: 'KMSAccessDeniedException',
      }),
    ]);
  });

  it('denies every publish to the encrypted topic when the key policy no longer delegates to IAM', async () => {
    const t = structuredClone(template);
    const keyId = Object.keys(t.Resources).find((k) => t.Resources[k]?.Type === 'AWS::KMS::Key') ?? '';
    const policy = t.Resources[keyId]?.Properties?.KeyPolicy as { Statement: Array<{ Principal?: Json }> };
    policy.Statement = policy.Statement.filter((s) => !JSON.stringify(s.Principal).includes(':root'));
    const denied = await denials(t, config, calls, functions);
    expect(denied.map((d) => [d.caller.replace(/Function\w+$/, ''), d.action, d.error])).toEqual([
      ['Notify', 'kms:GenerateDataKey', 'KMSAccessDeniedException'],
      ['RequestApproval', 'kms:GenerateDataKey', 'KMSAccessDeniedException'],
      ['ExecutionEnded', 'kms:GenerateDataKey', 'KMSAccessDeniedException'],
    ]);
    expect(denied[0]?.message).toContain('because no resource-based policy allows the kms:GenerateDataKey action');
  });

  it('authorizes SendTaskSuccess against the state machine ARN, as Step Functions does', async () => {
    const authorizer = IamAuthorizer.fromTemplate(template, { account: LOCAL_ACCOUNT, region: config.standbyRegion, stateMachineOfTaskToken: () => `arn:aws:states:${config.standbyRegion}:${LOCAL_ACCOUNT}:stateMachine:another-machine` });
    const decision = await authorizer.authorizeCall({ functionName: 'dr-cutover-approval-callback', command: 'SendTaskSuccessCommand', input: { taskToken: 't' }, region: config.standbyRegion });
    expect(decision).toMatchObject({ allowed: false, action: 'states:SendTaskSuccess', resource: expect.stringContaining(':stateMachine:another-machine'), error: { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } } });
  });

  it('refuses a Task its role may not invoke with Lambda.AWSLambdaException', async () => {
    const authorizer = IamAuthorizer.fromTemplate(template, { account: LOCAL_ACCOUNT, region: config.standbyRegion });
    const decision = await authorizer.authorizeInvoke(`dr-cutover-${config.name}`, 'SlackNotifierFunction');
    expect(decision).toMatchObject({ allowed: false, action: 'lambda:InvokeFunction', error: { name: 'Lambda.AWSLambdaException' } });
  });

  it('evaluates each distinct request once: repeated calls come from the cache', async () => {
    const authorizer = IamAuthorizer.fromTemplate(template, { account: LOCAL_ACCOUNT, region: config.standbyRegion });
    for (let run = 0; run < 5; run++) for (const c of calls) await authorizer.authorizeCall(c);
    const first = authorizer.stats.evaluations;
    expect(authorizer.stats.cacheHits).toBeGreaterThanOrEqual(4 * first);
    const started = performance.now();
    for (let run = 0; run < 20; run++) for (const c of calls) await authorizer.authorizeCall(c);
    const perCallMs = (performance.now() - started) / (20 * calls.length);
    expect(authorizer.stats.evaluations).toBe(first);
    expect(perCallMs).toBeLessThan(5);
  });
});
