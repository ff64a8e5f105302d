import type { CfnTemplate } from '../../drill/definition';
import { Drill, type DrillRun } from '../../drill/drill';
import { normalizeRecordName } from '../../drill/iam';
import { withinInvocation } from '../../drill/invocation';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import type { IamDenial } from '../../drill/world';
import type { EnvironmentConfig } from '../../stacks/config';
import { testConfig } from '../support/config';

/**
 * IAM is enforced in the drill as on AWS: with one grant taken out of the synthesized stack, the
 * happy-path cutover no longer succeeds as before, and the drill names the Lambda, the action and
 * the resource refused.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Statement = { Effect?: string; Action?: Json; Resource?: Json; Condition?: Record<string, Record<string, Json>> };

const config: EnvironmentConfig = testConfig('prod');
const emergency = { mode: 'emergency', dryRun: false, reason: 'IAM drill', requestedBy: 'sre-oncall' };

/** The statements of the role policy whose logical id starts with `prefix`. */
function statementsOf(template: CfnTemplate, prefix: string): Statement[] {
  const id = Object.keys(template.Resources).find((k) => k.startsWith(prefix) && template.Resources[k]?.Type === 'AWS::IAM::Policy');
  const doc = id ? (template.Resources[id]?.Properties?.PolicyDocument as { Statement: Statement[] } | undefined) : undefined;
  if (!doc) throw new Error(`no policy ${prefix}* in the template`);
  return doc.Statement;
}

const actions = (s: Statement): string[] => ([] as Json[]).concat(s.Action ?? []).map(String);

async function drillWithout(alter: (template: CfnTemplate) => void): Promise<{ run: DrillRun; denials: IamDenial[]; drill: Drill }> {
  const drill = await Drill.create({
    config,
    template: (t) => {
      alter(t);
      return t;
    },
  });
  try {
    const run = await drill.run(emergency);
    expect(run.iamDenials).toEqual(drill.world.iamDenials);
    return { run, denials: [...drill.world.iamDenials], drill };
  } finally {
    await drill.close();
  }
}

/** What the run tells the operator: the execution's error and cause, and the report's failure. */
const told = (run: DrillRun): string => JSON.stringify([run.result.error, run.result.cause, run.report]);

describe('the drill with one grant removed from the synthesized stack', () => {
  it('fails the CloudFront switch when switch-cloudfront may not GetDistributionConfig', async () => {
    const { run, denials, drill } = await drillWithout((t) => {
      for (const s of statementsOf(t, 'SwitchCloudfrontFunctionRoleDefaultPolicy')) {
        if (Array.isArray(s.Action)) s.Action = s.Action.filter((a) => a !== 'cloudfront:GetDistributionConfig');
        else if (s.Action === 'cloudfront:GetDistributionConfig') s.Action = [];
      }
    });
    const resource = `arn:aws:cloudfront::123456789012:distribution/${config.cloudfront.distributionId}`;
    expect(run.result.status).toBe('FAILED');
    expect(denials).toContainEqual(
      expect.objectContaining({ caller: 'dr-cutover-switch-cloudfront', action: 'cloudfront:GetDistributionConfig', resource, error: 'AccessDenied', state: expect.stringMatching(/^Switch CloudFront/) }),
    );
    // Nothing after the refused read: no distribution update was sent.
    expect(drill.world.callsOf('UpdateDistributionCommand')).toEqual([]);
    expect(drill.world.callsOf('GetDistributionConfigCommand').some((c) => c.outcome === 'denied' && c.action === 'cloudfront:GetDistributionConfig' && c.resource === resource)).toBe(true);
    expect(told(run)).toContain('cloudfront:GetDistributionConfig');
    expect(told(run)).toContain(resource);
  });

  it('fails the DNS switch when one record name is taken out of the Route 53 condition', async () => {
    const removed = normalizeRecordName(config.route53.records.at(-1)?.name ?? '');
    const { run, denials, drill } = await drillWithout((t) => {
      for (const s of statementsOf(t, 'SwitchDnsRecordFunctionRoleDefaultPolicy')) {
        const operands = s.Condition?.['ForAllValues:StringEquals'];
        const names = operands?.['route53:ChangeResourceRecordSetsNormalizedRecordNames'];
        if (operands && Array.isArray(names)) {
          operands['route53:ChangeResourceRecordSetsNormalizedRecordNames'] = names.length > 1 ? names.filter((n) => n !== removed) : ['other.example.org'];
        }
      }
    });
    expect(run.result.status).toBe('FAILED');
    const denial = denials.find((d) => d.action === 'route53:ChangeResourceRecordSets');
    expect(denial).toMatchObject({ caller: 'dr-cutover-switch-dns-record', resource: expect.stringMatching(/^arn:aws:route53:::hostedzone\//), error: 'AccessDenied' });
    expect(drill.world.callsOf('ChangeResourceRecordSetsCommand').filter((c) => c.outcome === 'denied').length).toBeGreaterThan(0);
    expect(told(run)).toContain('route53:ChangeResourceRecordSets');
    expect(told(run)).toContain(denial?.resource ?? '?');
  });

  it('refuses the SNS publish when the notifier loses its grant on the topic key, naming the key', async () => {
    const { run, denials, drill } = await drillWithout((t) => {
      const statements = statementsOf(t, 'NotifyFunctionRoleDefaultPolicy');
      const kept = statements.filter((s) => !actions(s).some((a) => a.startsWith('kms:')));
      statements.splice(0, statements.length, ...kept);
    });
    const denial = denials.find((d) => d.caller === 'dr-cutover-notify');
    expect(denial).toMatchObject({
      action: 'kms:GenerateDataKey',
      resource: expect.stringMatching(new RegExp(`^arn:aws:kms:${config.standbyRegion}:123456789012:key/`)),
      error: 'KMSAccessDeniedException',
      command: 'PublishCommand',
    });
    // Announcements are best effort, so Step Functions absorbs the refusal and the cutover goes on, as
    // on AWS; the drill still fails on it (the run's IAM denials), and the announcement never reached SNS.
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.iamDenials).toContainEqual(expect.objectContaining({ caller: 'dr-cutover-notify', action: 'kms:GenerateDataKey', resource: denial?.resource }));
    expect(denial?.message).toContain('kms:GenerateDataKey');
    expect(denial?.message).toContain(denial?.resource ?? '?');
    expect(drill.world.published.some((p) => (p.message as { type?: string }).type === 'cutover.started')).toBe(false);
  });

  it("fails a Task with Lambda.AWSLambdaException when the state machine's role may not invoke its function", async () => {
    let removedFrom = '';
    const { run, denials, drill } = await drillWithout((t) => {
      const functionId = Object.keys(t.Resources).find((k) => k.startsWith('PreflightFunction') && t.Resources[k]?.Type === 'AWS::Lambda::Function') ?? '';
      removedFrom = functionId;
      for (const s of statementsOf(t, 'CutoverStateMachineRoleDefaultPolicy')) {
        if (!actions(s).includes('lambda:InvokeFunction')) continue;
        const resources: Json[] = Array.isArray(s.Resource) ? s.Resource : s.Resource === undefined ? [] : [s.Resource];
        // A statement left with no resource grants nothing: IAM requires one, so it names none that exists.
        const kept = resources.filter((r) => !JSON.stringify(r).includes(`"${functionId}"`));
        s.Resource = kept.length > 0 ? kept : 'arn:aws:lambda:ap-northeast-1:123456789012:function:none';
      }
    });
    expect(removedFrom).not.toBe('');
    expect(run.result.status).toBe('FAILED');
    expect(denials).toContainEqual(expect.objectContaining({ action: 'lambda:InvokeFunction', error: 'Lambda.AWSLambdaException', state: 'Preflight', command: 'Invoke' }));
    const preflight = run.result.taskCalls.filter((c) => c.state === 'Preflight');
    expect(preflight.length).toBeGreaterThan(0);
    expect(preflight.every((c) => c.error === 'Lambda.AWSLambdaException')).toBe(true);
    // The handler never ran: preflight made no AWS call.
    expect(drill.world.callsOf('DescribeCertificateCommand')).toEqual([]);
    expect(told(run)).toContain('lambda:InvokeFunction');
  });
});

describe("the world's IAM policy simulator and attribution", () => {
  it('answers SimulatePrincipalPolicy per action and resource with allowed, explicitDeny or implicitDeny; refuses a call no invocation sent', async () => {
    const replicaArn = `arn:aws:rds:${config.standbyRegion}:123456789012:db:${config.rds.replicaInstanceId}`;
    const drill = await Drill.create({
      config,
      template: (t) => {
        statementsOf(t, 'PromoteReplicaFunctionRoleDefaultPolicy').push({ Effect: 'Deny', Action: 'rds:PromoteReadReplica', Resource: '*' });
        return t;
      },
    });
    try {
      const roleArn = drill.cutover.stepEnvironments['promote-replica']?.CUTOVER_ROLE_ARN ?? '';
      expect(roleArn).toMatch(/^arn:aws:iam::123456789012:role\//);
      const client = new IAMClient({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
      const simulate = new SimulatePrincipalPolicyCommand({ PolicySourceArn: roleArn, ActionNames: ['rds:DescribeDBInstances', 'rds:PromoteReadReplica', 'rds:DeleteDBInstance'], ResourceArns: [replicaArn] });
      const as = (step: string) => ({ executionId: null, state: null, step, functionName: `dr-cutover-${step}` });
      const out = await withinInvocation(as('promote-replica'), () => client.send(simulate));
      expect(out.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision])).toEqual([
        ['rds:DescribeDBInstances', replicaArn, 'allowed'],
        ['rds:PromoteReadReplica', replicaArn, 'explicitDeny'],
        ['rds:DeleteDBInstance', replicaArn, 'implicitDeny'],
      ]);
      // Another Lambda's role may not simulate the promote role: IAM refuses the simulation itself.
      await expect(withinInvocation(as('preflight'), () => client.send(simulate))).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining(`iam:SimulatePrincipalPolicy on resource: ${roleArn}`) });
      expect(drill.world.iamDenials.at(-1)).toMatchObject({ caller: 'dr-cutover-preflight', action: 'iam:SimulatePrincipalPolicy', resource: roleArn });
      // Outside any invocation the drill cannot tell whose role calls: the call fails, it is not allowed.
      await expect(client.send(simulate)).rejects.toMatchObject({ name: 'UnattributedCallError' });
      expect(drill.world.calls.at(-1)).toMatchObject({ command: 'SimulatePrincipalPolicyCommand', outcome: 'unattributed' });
    } finally {
      await drill.close();
    }
  });
});
