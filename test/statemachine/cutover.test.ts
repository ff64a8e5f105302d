import { Drill, type DrillRun } from '../../drill/drill';
import { findScenario } from '../../drill/scenarios';
import type { SimulatedWorld } from '../../drill/world';
import type { EnvironmentConfig } from '../../stacks/config';
import { testConfig } from '../support/config';
import { rpoText } from '../../functions/shared/rpo';
import type { SimulatePrincipalPolicyCommandInput } from '@aws-sdk/client-iam';
import type { CfnTemplate } from '../../drill/definition';

/**
 * Executes the synthesized definition (the one `cdk deploy` ships) in-process, every Task
 * bound to its real step handler, against the simulated standby world on simulated time.
 */
const config: EnvironmentConfig = testConfig('staging');
let drill: Drill;
let world: SimulatedWorld;

/** A world where the primary Region is down (emergency), or healthy (`primaryOutage: false`, planned runs). */
async function open(arrange?: (w: SimulatedWorld) => void | Promise<void>, options: { primaryOutage?: boolean } = {}): Promise<void> {
  drill = await Drill.create({ config, arrange, primaryOutage: options.primaryOutage ?? true });
  world = drill.world;
}

afterEach(async () => {
  await drill.close();
});

const emergency = { mode: 'emergency', dryRun: false, reason: 'Seoul Region outage drill', requestedBy: 'sre-oncall' };
const run = (input: unknown): Promise<DrillRun> => drill.run(input);
const publishedTypes = () => world.published.map((p) => (p.message as { type: string }).type);

/** The simulations the dry run's permission checks asked the world's IAM for, in order. */
const simulations = (): SimulatePrincipalPolicyCommandInput[] => world.callsOf('SimulatePrincipalPolicyCommand').map((c) => c.input as SimulatePrincipalPolicyCommandInput);

/** The synthesized template with one action taken out of the statements of the role policy whose logical id starts with `policy`. */
const withoutGrant = (policy: string, action: string) => (t: CfnTemplate): CfnTemplate => {
  const id = Object.keys(t.Resources).find((k) => k.startsWith(policy) && t.Resources[k]?.Type === 'AWS::IAM::Policy') ?? '';
  const doc = t.Resources[id]?.Properties?.PolicyDocument as { Statement: Array<{ Action?: unknown }> } | undefined;
  if (!doc) throw new Error(`no policy ${policy}* in the template`);
  doc.Statement = doc.Statement.flatMap((st) => {
    const actions = ([] as unknown[]).concat(st.Action ?? []).filter((a) => a !== action);
    return actions.length === 0 ? [] : [{ ...st, Action: actions }];
  });
  return t;
};

function indexOf(states: string[], name: string): number {
  const i = states.indexOf(name);
  if (i < 0) throw new Error(`state '${name}' was not entered; entered: ${states.join(' → ')}`);
  return i;
}

describe('the synthesized cutover state machine', () => {
  it('runs an emergency cutover end to end: promote, patch, roll, switch, verify, release', async () => {
    await open();
    const trafficSwitchedWhen: Array<{ command: string; standalone: boolean; authPatched: boolean }> = [];
    world.beforeCall = (command, input) => {
      const apiBehaviour = command === 'UpdateDistributionCommand' && JSON.stringify(input).includes('"PathPattern":"/api/*","TargetOriginId":"portforge-alb-tokyo"');
      if (command === 'ChangeResourceRecordSetsCommand' || apiBehaviour) {
        trafficSwitchedWhen.push({ command, standalone: world.databaseRole() === 'standalone (writable)', authPatched: world.authPatchedAndRolled() });
      }
    };

    const { result, report } = await run(emergency);

    expect(result.error).toBeNull();
    expect(result.status).toBe('SUCCEEDED');
    const s = result.statesEntered;
    expect(indexOf(s, 'Validate input')).toBeLessThan(indexOf(s, 'Acquire cutover lock'));
    expect(indexOf(s, 'Acquire cutover lock')).toBeLessThan(indexOf(s, 'Preflight'));
    expect(indexOf(s, 'Preflight')).toBeLessThan(indexOf(s, 'Recover'));
    expect(s.lastIndexOf('Check RDS promotion')).toBeLessThan(indexOf(s, 'Switch traffic'));
    expect(indexOf(s, 'Switch traffic')).toBeLessThan(indexOf(s, 'Verify DR endpoint'));
    expect(s.slice(-3)).toEqual(['Announce success', 'Release cutover lock', 'Cutover succeeded']);
    expect(s).toEqual(expect.arrayContaining(['Wait for RDS promotion', 'Wait for Auth rollout', 'Wait for DNS change', 'Report']));
    expect(s).not.toContain('Report failure');

    // The world converged: promoted, patched, rolled, switched.
    expect(world.databaseRole()).toBe('standalone (writable)');
    expect(world.callsOf('PromoteReadReplicaCommand')).toHaveLength(1);
    expect(world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data).toEqual({ ...config.eks.configMapData, LOG_LEVEL: 'info' });
    expect(world.dnsTargets()).toEqual({ 'api.staging.portforge.org': config.route53.aliasTarget.dnsName });
    expect(world.behaviorOrigins()).toEqual({ '*': 'portforge-front-dr', '/api/*': 'portforge-alb-tokyo' });

    // I1: no DNS record or API behaviour moved before the database was writable and Auth patched and rolled.
    expect(trafficSwitchedWhen).toEqual([
      expect.objectContaining({ standalone: true, authPatched: true }),
      expect.objectContaining({ standalone: true, authPatched: true }),
    ]);
    // The control plane never calls the failing Region: only the standby Region and the global (us-east-1) APIs.
    expect([...new Set(world.calls.map((c) => c.region))].sort()).toEqual([config.standbyRegion, 'us-east-1'].sort());
    // I4/I5: the lock is released; every stage was announced.
    expect(await world.lockItems()).toEqual([]);
    expect(publishedTypes()).toEqual(['cutover.started', 'cutover.stage-completed', 'cutover.stage-completed', 'cutover.succeeded']);
    // Seoul is down: replication had stopped, so the RPO is unknown, never "0 s" (ReplicaLag is apply lag).
    expect(report).toMatchObject({ status: 'succeeded', failure: null, rpoSeconds: null });
    expect(report?.rpo).toMatchObject({ state: 'unknown', replication: 'stopped', replicationStoppedAt: new Date(world.lastHealthyReplicaLagAt() ?? 0).toISOString() });
    expect(report?.steps.map((t) => t.step)).toEqual([
      'Preflight',
      'Promote RDS replica',
      'Verify DynamoDB replicas',
      'Patch Auth config and roll out',
      'Switch CloudFront static origins',
      'Switch DNS records',
      'Switch CloudFront API origins',
      'Verify DR endpoint',
    ]);
  });

  it('walks the same graph in a dry run with zero mutating calls and reports the plan', async () => {
    await open();
    const { result, report } = await run({ ...emergency, dryRun: true });

    expect(result.status).toBe('SUCCEEDED');
    expect(world.mutatingCalls()).toEqual([]);
    expect(world.kube.mutatingRequests()).toEqual([]);
    expect(result.statesEntered).toEqual(
      expect.arrayContaining(['Skip waiting for RDS promotion (dry run)', 'Skip waiting for Auth rollout (dry run)', 'Publish dry-run plan']),
    );
    expect(result.statesEntered).not.toContain('Wait for RDS promotion');
    expect(world.databaseRole()).toMatch(/^read replica/);

    expect(publishedTypes().at(-1)).toBe('cutover.dry-run-plan');
    const resources = report?.changes.map((c) => c.resource) ?? [];
    expect(resources).toEqual(
      expect.arrayContaining([
        `rds/${config.rds.replicaInstanceId}`,
        `configmap/${config.eks.namespace}/${config.eks.configMapName}`,
        `deployment/${config.eks.namespace}/${config.eks.deploymentName}`,
        `route53/${config.route53.hostedZoneId}/api.staging.portforge.org/A`,
        `cloudfront/${config.cloudfront.distributionId}/behavior/*`,
        `cloudfront/${config.cloudfront.distributionId}/behavior//api/*`,
      ]),
    );
  });

  it('proves in a dry run that each mutating step may make its change, asking IAM about the exact call', async () => {
    await open();
    const { result } = await run({ ...emergency, dryRun: true });

    expect(result.status).toBe('SUCCEEDED');
    const asked = simulations().map((s) => `${(s.ActionNames ?? []).join(',')} ${s.ResourceArns?.join(',') ?? ''}`);
    const lockTable = `arn:aws:dynamodb:${config.standbyRegion}:123456789012:table/${drill.cutover.stepEnvironments['cutover-lock']?.LOCK_TABLE_NAME ?? '?'}`;
    expect(asked.sort()).toEqual(
      [
        `dynamodb:DeleteItem ${lockTable}`,
        `dynamodb:PutItem ${lockTable}`,
        `cloudfront:UpdateDistribution arn:aws:cloudfront::123456789012:distribution/${config.cloudfront.distributionId}`,
        `cloudfront:UpdateDistribution arn:aws:cloudfront::123456789012:distribution/${config.cloudfront.distributionId}`,
        `rds:PromoteReadReplica arn:aws:rds:${config.standbyRegion}:123456789012:db:${config.rds.replicaInstanceId}`,
        `route53:ChangeResourceRecordSets arn:aws:route53:::hostedzone/${config.route53.hostedZoneId}`,
      ].sort(),
    );
    // PolicySourceArn is a role ARN (the function's role), never an assumed-role session ARN.
    expect(simulations().every((s) => /^arn:aws:iam::123456789012:role\//.test(s.PolicySourceArn ?? ''))).toBe(true);
    expect(world.mutatingCalls()).toEqual([]);
    // The world's IAM, the evaluator of the shipped stack, allowed every one of them and every call.
    expect(world.iamDenials).toEqual([]);
  });

  it('ends a dry run blocked when IAM says a step may not make its change, naming the role, action and resource; nothing is sent', async () => {
    // The stack without the DNS step's grant to change records: the world's IAM simulation denies it.
    drill = await Drill.create({ config, template: withoutGrant('SwitchDnsRecordFunctionRoleDefaultPolicy', 'route53:ChangeResourceRecordSets') });
    world = drill.world;
    const { result, report } = await run({ ...emergency, dryRun: true });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DryRunPermissionDeniedError');
    expect(result.statesEntered).toEqual(expect.arrayContaining(['Report failure', 'Announce failure', 'Release cutover lock after failure']));
    expect(result.statesEntered).not.toContain('Verify DR endpoint');
    expect(world.mutatingCalls()).toEqual([]);
    expect(world.kube.mutatingRequests()).toEqual([]);
    expect(await world.lockItem()).toBeUndefined();
    expect(report).toMatchObject({ dryRun: true, status: 'failed', failure: { stage: 'Switch traffic', error: 'DryRunPermissionDeniedError' } });
    expect(report?.failure?.cause).toMatch(
      new RegExp(`may not route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/${config.route53.hostedZoneId} for api\\.staging\\.portforge\\.org A \\(UPSERT\\): implicitDeny`),
    );
    expect(report?.failure?.nextSteps.join(' ')).toMatch(/dry run.*nothing was changed/i);
    expect(publishedTypes().at(-1)).toBe('cutover.failed');
  });

  it('dry-runs a failover record: the diff names the exact record set, and nothing is sent', async () => {
    const record = { name: 'api.staging.portforge.org', type: 'A' as const, setIdentifier: 'seoul', failover: 'PRIMARY' as const };
    drill = await Drill.create({ config: testConfig('staging', { route53: { records: [record] } }) });
    world = drill.world;

    const { result, report } = await run({ ...emergency, dryRun: true });

    expect(result.status).toBe('SUCCEEDED');
    expect(world.mutatingCalls()).toEqual([]);
    const dns = report?.changes.filter((c) => c.resource.startsWith('route53/')) ?? [];
    expect(dns).toEqual([
      {
        resource: `route53/${config.route53.hostedZoneId}/api.staging.portforge.org/A/seoul`,
        action: 'UPSERT alias',
        before: { aliasTarget: { dnsName: 'portforge-alb-seoul.ap-northeast-2.elb.amazonaws.com.', hostedZoneId: 'ZWKZPGTI48KDX', evaluateTargetHealth: true } },
        after: { aliasTarget: config.route53.aliasTarget },
      },
    ]);
  });

  it('lets an emergency cutover proceed past the failing Region\'s DynamoDB replica, but stops a planned one at preflight', async () => {
    await open((w) => {
      for (const table of config.dynamodb.tables) {
        w.tables.set(table, {
          status: 'ACTIVE',
          replicas: [
            { region: config.primaryRegion, status: 'INACCESSIBLE_ENCRYPTION_CREDENTIALS' },
            { region: config.standbyRegion, status: 'ACTIVE' },
          ],
        });
      }
    });
    const planned = await run({ ...emergency, mode: 'planned' });
    expect(planned.result.status).toBe('FAILED');
    expect(planned.result.error).toBe('PreflightBlockedError');
    expect(planned.result.cause).toContain('INACCESSIBLE_ENCRYPTION_CREDENTIALS');
    expect(world.callsOf('PromoteReadReplicaCommand')).toEqual([]);

    const urgent = await run(emergency);
    expect(urgent.result.status).toBe('SUCCEEDED');
    expect(world.databaseRole()).toBe('standalone (writable)');
  });

  it('waits in planned mode until replica lag is within the RPO budget before promoting (I7)', async () => {
    const scenario = findScenario('planned');
    await open(scenario?.arrange, { primaryOutage: false });
    const lagWhenPromoted: number[] = [];
    const lagAtFirstChange: number[] = [];
    world.beforeCall = (command) => {
      if (command === 'PromoteReadReplicaCommand') lagWhenPromoted.push(world.currentReplicaLag());
      if (['UpdateDistributionCommand', 'ChangeResourceRecordSetsCommand', 'PromoteReadReplicaCommand'].includes(command)) lagAtFirstChange.push(world.currentReplicaLag());
    };

    const { result, report } = await run({ ...emergency, mode: 'planned' });

    expect(result.status).toBe('SUCCEEDED');
    // It waits at preflight, before any change: nothing moved while the lag was above budget.
    expect(result.events.filter((e) => e.type === 'StateRetried' && e.state === 'Preflight').length).toBeGreaterThanOrEqual(1);
    expect(lagAtFirstChange.every((lag) => lag === 0)).toBe(true);
    expect(world.kube.mutatingRequests().length).toBeGreaterThan(0);
    expect(lagWhenPromoted).toEqual([0]);
    expect(report?.rpoSeconds).toBe(0);
    expect(report?.rpo).toMatchObject({ state: 'measured', replication: 'running', applyLagSeconds: 0 });
    expect(report && rpoText(report, { duration: (x) => `${x} s`, time: (iso) => iso })).toBe('RPO: apply lag 0 s at promotion (ReplicaLag; replication was running)');
  });

  it('promotes in emergency mode despite replica lag while replication runs, and reports that apply lag', async () => {
    await open(
      (w) => {
        w.replicaLagSeconds = 7;
      },
      { primaryOutage: false },
    );
    const { result, report } = await run(emergency);
    expect(result.status).toBe('SUCCEEDED');
    expect(report?.rpoSeconds).toBe(7);
    expect(report?.rpo).toMatchObject({ state: 'measured', applyLagSeconds: 7 });
  });

  it('reports the RPO as unknown since the last healthy datapoint when Seoul is down, with the last known apply lag', async () => {
    await open((w) => {
      w.replicaLagSeconds = 7;
    });
    const { result, report } = await run(emergency);
    expect(result.status).toBe('SUCCEEDED');
    const stoppedAt = new Date(world.lastHealthyReplicaLagAt() ?? 0).toISOString();
    expect(report?.rpoSeconds).toBeNull();
    expect(report?.rpo).toMatchObject({ state: 'unknown', replicationStoppedAt: stoppedAt, lastKnownApplyLagSeconds: 7 });
    const text = report ? rpoText(report, { duration: (x) => `${x} s`, time: (iso) => iso }) : '';
    expect(text).toBe(`RPO unknown: replication stopped at ${stoppedAt}; last known apply lag 7 s`);
    expect(text).not.toMatch(/(^|\s)(-1|0 s)\b/);
    // The operator reads it in Slack too.
    expect(JSON.stringify(world.slackPosts.at(-1))).toContain('*RPO unknown*\\nreplication stopped at');
  });

  it('reports the RPO as unknown when the replica publishes no ReplicaLag at all in the outage', async () => {
    await open((w) => {
      w.replicaLagMissingInOutage = true;
    });
    const { result, report } = await run(emergency);
    expect(result.status).toBe('SUCCEEDED');
    expect(report?.rpoSeconds).toBeNull();
    expect(report?.rpo).toMatchObject({ state: 'unknown', replication: 'stopped', replicationStoppedAt: new Date(world.lastHealthyReplicaLagAt() ?? 0).toISOString() });
  });

  it('waits for a replica that is modifying for its own reasons, then promotes it exactly once (replica-busy)', async () => {
    await open(findScenario('replica-busy')?.arrange);
    const statusWhenPromoted: string[] = [];
    world.beforeCall = (command) => {
      if (command === 'PromoteReadReplicaCommand') statusWhenPromoted.push(world.replicaStatus().status);
    };

    const { result } = await run(emergency);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.some((e) => e.type === 'StateRetried' && e.state === 'Promote RDS replica')).toBe(true);
    expect(world.callsOf('PromoteReadReplicaCommand')).toHaveLength(1);
    expect(statusWhenPromoted).toEqual(['available']);
    expect(world.databaseRole()).toBe('standalone (writable)');
  });

  it('promotes a replica without backups with the configured retention, and counts standalone + backing-up as done (replica-no-backups)', async () => {
    await open(findScenario('replica-no-backups')?.arrange);

    const { result } = await run(emergency);

    expect(result.status).toBe('SUCCEEDED');
    expect(world.callsOf('PromoteReadReplicaCommand').map((c) => c.input)).toEqual([
      { DBInstanceIdentifier: config.rds.replicaInstanceId, BackupRetentionPeriod: config.rds.backupRetentionDays },
    ]);
    // The first backup of a large database is still running: standalone, writable, serving.
    expect(world.replicaStatus()).toEqual({ status: 'backing-up', source: null });
    expect(world.drServing()).toBe(true);
  });

  it('neither sends twice nor takes for success a promotion an earlier run left starting', async () => {
    await open((w) => {
      // An earlier run's PromoteReadReplica was accepted a moment ago; the instance still reads as an available replica.
      w.replica.promotedAt = w.now();
      w.replica.promotedRetention = config.rds.backupRetentionDays;
    });
    const roleWhenTrafficMoved: string[] = [];
    world.beforeCall = (command) => {
      if (command === 'ChangeResourceRecordSetsCommand') roleWhenTrafficMoved.push(world.databaseRole());
    };

    const { result } = await run(emergency);

    expect(result.status).toBe('SUCCEEDED');
    expect(world.effects.filter((e) => e.kind === 'promote')).toEqual([]);
    expect(result.events.some((e) => e.type === 'StateRetried' && e.state === 'Promote RDS replica')).toBe(true);
    expect(roleWhenTrafficMoved.every((r) => r === 'standalone (writable)')).toBe(true);
    expect(roleWhenTrafficMoved.length).toBeGreaterThan(0);
  });

  it('refuses a second cutover while the lock is held, changing nothing', async () => {
    await open((w) => w.holdLock('arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-staging:first'));
    const { result } = await run(emergency);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CutoverLockHeldError');
    expect(result.cause).toContain('execution:dr-cutover-staging:first');
    expect(result.statesEntered).not.toContain('Preflight');
    expect(world.callsOf('PromoteReadReplicaCommand')).toEqual([]);
    expect(world.kube.mutatingRequests()).toEqual([]);
    expect((await world.lockItem())?.executionId?.S).toContain(':first');
  });

  it('ends a step that runs past its Lambda timeout with Sandbox.Timedout, retries it, and reports it when it keeps hanging', async () => {
    // Preflight's first DescribeDBInstances never answers, every time it is tried.
    await open((w) => w.hangNext('DescribeDBInstancesCommand', Number.POSITIVE_INFINITY));
    const { result, report } = await run(emergency);
    const lambdaTimeout = drill.cutover.stepLambdas.preflight?.timeoutSeconds;

    expect(lambdaTimeout).toBe(config.limits.taskTimeoutSeconds - 5);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Sandbox.Timedout');
    expect(result.cause).toContain(`Task timed out after ${lambdaTimeout?.toFixed(2)} seconds`);
    // Retried like any transient error (1 + 6 tries), each ended by the Lambda's timeout in simulated time.
    expect(result.taskCalls.filter((c) => c.state === 'Preflight')).toHaveLength(7);
    const preflightFailures = result.events.filter((e) => e.state === 'Preflight' && (e.type === 'StateRetried' || e.type === 'StateFailed'));
    const started = result.events.find((e) => e.state === 'Preflight' && e.type === 'StateEntered')?.at ?? 0;
    expect((preflightFailures[0]?.at ?? 0) - started).toBe((lambdaTimeout ?? 0) * 1000);
    expect(report?.failure).toMatchObject({ step: 'Preflight', error: 'Sandbox.Timedout' });
    expect(world.mutatingCalls().filter((c) => c.command !== 'PutItemCommand' && c.command !== 'DeleteItemCommand')).toEqual([]);
  });

  it('ends a completed cutover as a success when the lock cannot be released, and says when the lock expires', async () => {
    const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    await open((w) => w.failNext('DeleteItemCommand', Number.POSITIVE_INFINITY, throttled));
    const { result } = await run(emergency);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered.slice(-4)).toEqual(['Release cutover lock', 'Lock left to expire', 'Announce lock left to expire', 'Cutover succeeded']);
    expect(result.statesEntered).not.toContain('Report failure');
    // Nine tries (eight retries) before the release gives up.
    expect(world.callsOf('DeleteItemCommand')).toHaveLength(9);
    const expiresAt = new Date(Number((await world.lockItem())?.expiresAt?.N) * 1000).toISOString();
    const note = `The cutover lock could not be released: lock left to expire at ${expiresAt}. Another cutover of this environment can start after that time.`;
    expect((result.output as { lockRelease?: { note?: string } }).lockRelease?.note).toBe(note);
    const last = world.published.at(-1)?.message as { type: string; note?: string; report?: { status: string } };
    expect(last).toMatchObject({ type: 'cutover.succeeded', note, report: { status: 'succeeded' } });
    expect(JSON.stringify(drill.slackMessages.at(-1))).toContain(`lock left to expire at ${expiresAt}`);
  });

  it('refuses two cutovers started at the same moment: exactly one runs (I4)', async () => {
    await open();
    const [a, b] = await Promise.all([run(emergency), run(emergency)]);
    const statuses = [a.result.status, b.result.status].sort();
    expect(statuses).toEqual(['FAILED', 'SUCCEEDED']);
    expect([a.result.error, b.result.error]).toContain('CutoverLockHeldError');
    expect(world.callsOf('PromoteReadReplicaCommand')).toHaveLength(1);
    expect(await world.lockItems()).toEqual([]);
  });

  it('rejects invalid input at once with a clear cause and makes no call', async () => {
    await open();
    const { result } = await run({ mode: 'emergency', dryRun: false, targets: { cluster: 'other' } });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InputValidationError');
    expect(result.cause).toMatch(/reason/);
    expect(result.cause).toMatch(/targets/);
    expect(result.statesEntered).toEqual(['Validate input', 'Input rejected']);
    expect(world.calls).toEqual([]);
  });
});
