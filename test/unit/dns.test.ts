import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  PriorRequestNotComplete,
  type Change as Route53Change,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SimulatedHostedZone } from '../../drill/world/route53-zone';
import { handler as checkHandler } from '../../functions/check-dns-change';
import { checkDnsChange } from '../../functions/check-dns-change/logic';
import type { DnsZoneTarget } from '../../functions/shared/contracts';
import { handler as switchHandler } from '../../functions/switch-dns-record';
import { normalizeDnsName, switchDnsRecord } from '../../functions/switch-dns-record/logic';
import { lambdaContext } from '../support/lambda';
import { allowAll, iamMock, permissions, ROLE_ARN, SimulateCommand, simulations } from '../support/permissions';

const r53 = mockClient(Route53Client);
const route53 = new Route53Client({ region: 'us-east-1' });

const ZONE = 'Z0PORTFORGE';
const TOKYO_ALB = 'dualstack.portforge-dr-alb-123456.ap-northeast-1.elb.amazonaws.com';
const TOKYO_ALB_ZONE = 'Z14GRHDCWA56QT';
const SEOUL_ALB = 'dualstack.portforge-alb-654321.ap-northeast-2.elb.amazonaws.com.';
const SEOUL_ALB_ZONE = 'ZWKZPGTI48KDX';
const TOKYO = { dnsName: TOKYO_ALB, hostedZoneId: TOKYO_ALB_ZONE, evaluateTargetHealth: true };
const SEOUL = { DNSName: SEOUL_ALB, HostedZoneId: SEOUL_ALB_ZONE, EvaluateTargetHealth: true };

const TARGET: DnsZoneTarget = {
  hostedZoneId: ZONE,
  aliasTarget: TOKYO,
  records: [{ name: 'api.portforge.org', type: 'A' }],
};
const zoneWith = (records: DnsZoneTarget['records']): DnsZoneTarget => ({ ...TARGET, records });

const seoulRecord = (name = 'api.portforge.org'): ResourceRecordSet => ({ Name: `${name}.`, Type: 'A', AliasTarget: SEOUL });

/** The one UPSERT a real run must send for the simple record. */
const EXPECTED_UPSERT = {
  Action: 'UPSERT',
  ResourceRecordSet: {
    Name: 'api.portforge.org.',
    Type: 'A',
    AliasTarget: { DNSName: TOKYO_ALB, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true },
  },
};

/**
 * A stateful zone behind the mock: ListResourceRecordSets sorts and pages as Route 53 does, and
 * ChangeResourceRecordSets applies a batch all or nothing with Route 53's record-set rules.
 */
function fakeZone(initial: ResourceRecordSet[]) {
  const zone = new SimulatedHostedZone(ZONE, 'portforge.org');
  for (const set of initial) zone.seed(set);
  const state = { zone, changes: 0 };
  r53.on(ListResourceRecordSetsCommand).callsFake((input: object) => zone.list(input));
  r53.on(ChangeResourceRecordSetsCommand).callsFake((input: { ChangeBatch?: { Changes?: Route53Change[] } }) => {
    zone.change(input.ChangeBatch?.Changes ?? []);
    state.changes += 1;
    return { ChangeInfo: { Id: `/change/C0${state.changes}`, Status: 'PENDING', SubmittedAt: new Date() } };
  });
  return state;
}

const sentBatches = () => r53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input);

const throttling = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'Throttling',
    $metadata: { httpStatusCode: 400 },
    $retryable: { throttling: true },
  });

beforeEach(() => {
  r53.reset();
  iamMock.reset();
  allowAll();
});

describe('normalizeDnsName', () => {
  it('ignores case, the trailing dot and Route 53 octal escapes', () => {
    expect(normalizeDnsName('API.Portforge.ORG.')).toBe('api.portforge.org');
    expect(normalizeDnsName('\\052.portforge.org.')).toBe('*.portforge.org');
  });
});

describe('Switch DNS zone', () => {
  it('reads the record, then sends one UPSERT of the alias with a dr-cutover comment, through the handler', async () => {
    fakeZone([seoulRecord()]);

    const result = await switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext());

    expect(r53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, { HostedZoneId: ZONE, StartRecordName: 'api.portforge.org' });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    const sent = sentBatches()[0];
    expect(sent?.ChangeBatch?.Comment).toContain('dr-cutover');
    expect(sent).toEqual({ HostedZoneId: ZONE, ChangeBatch: { Comment: sent?.ChangeBatch?.Comment, Changes: [EXPECTED_UPSERT] } });
    expect(result).toMatchObject({
      step: 'Switch DNS zone',
      outcome: 'changed',
      hostedZoneId: ZONE,
      changeId: '/change/C01',
      changes: [
        {
          resource: `route53/${ZONE}/api.portforge.org/A`,
          action: 'UPSERT alias',
          before: { aliasTarget: { dnsName: SEOUL_ALB, hostedZoneId: SEOUL_ALB_ZONE, evaluateTargetHealth: true } },
          after: { aliasTarget: TOKYO },
        },
      ],
    });
    expect(typeof result.finishedAt).toBe('string');
  });

  it('sends every record of the zone in one ChangeBatch', async () => {
    fakeZone([seoulRecord('api.portforge.org'), seoulRecord('auth.portforge.org'), { ...seoulRecord('auth.portforge.org'), Type: 'AAAA' }]);

    const result = await switchDnsRecord(
      { route53, permissions },
      { dryRun: false, target: zoneWith([{ name: 'api.portforge.org', type: 'A' }, { name: 'auth.portforge.org', type: 'A' }, { name: 'auth.portforge.org', type: 'AAAA' }]) },
    );

    expect(result.outcome).toBe('changed');
    expect(sentBatches()).toHaveLength(1);
    expect(sentBatches()[0]?.ChangeBatch?.Changes?.map((c) => `${c.Action} ${c.ResourceRecordSet?.Name} ${c.ResourceRecordSet?.Type}`)).toEqual([
      'UPSERT api.portforge.org. A',
      'UPSERT auth.portforge.org. A',
      'UPSERT auth.portforge.org. AAAA',
    ]);
    expect(result.changes.map((c) => c.resource)).toEqual([
      `route53/${ZONE}/api.portforge.org/A`,
      `route53/${ZONE}/auth.portforge.org/A`,
      `route53/${ZONE}/auth.portforge.org/AAAA`,
    ]);
  });

  it('switches the exact failover record set, keeping its failover role and health check, not its sibling', async () => {
    const zone = fakeZone([
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'seoul', Failover: 'PRIMARY', HealthCheckId: 'hc-seoul', AliasTarget: SEOUL },
      // Sorts first (secondary < seoul) and already points at Tokyo: reading by name and type alone would stop here.
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'secondary', Failover: 'SECONDARY', AliasTarget: { DNSName: `${TOKYO_ALB}.`, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true } },
    ]);

    const result = await switchDnsRecord({ route53, permissions }, { dryRun: false, target: zoneWith([{ name: 'api.portforge.org', type: 'A', setIdentifier: 'seoul', failover: 'PRIMARY' }]) });

    expect(result).toMatchObject({ outcome: 'changed', changes: [{ resource: `route53/${ZONE}/api.portforge.org/A/seoul` }] });
    expect(sentBatches()[0]?.ChangeBatch?.Changes).toEqual([
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'api.portforge.org.',
          Type: 'A',
          SetIdentifier: 'seoul',
          Failover: 'PRIMARY',
          HealthCheckId: 'hc-seoul',
          AliasTarget: { DNSName: TOKYO_ALB, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true },
        },
      },
    ]);
    expect(zone.zone.get('api.portforge.org', 'A', 'seoul')?.AliasTarget?.DNSName).toBe(`${TOKYO_ALB}.`);
    expect(zone.zone.get('api.portforge.org', 'A', 'secondary')?.Failover).toBe('SECONDARY');
  });

  it('switches one weighted record set and keeps its weight', async () => {
    fakeZone([
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'other', Weight: 0, AliasTarget: SEOUL },
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'seoul', Weight: 100, AliasTarget: SEOUL },
    ]);

    await switchDnsRecord({ route53, permissions }, { dryRun: false, target: zoneWith([{ name: 'api.portforge.org', type: 'A', setIdentifier: 'seoul', weight: 100 }]) });

    expect(sentBatches()[0]?.ChangeBatch?.Changes?.map((c) => [c.ResourceRecordSet?.SetIdentifier, c.ResourceRecordSet?.Weight])).toEqual([['seoul', 100]]);
  });

  it('reads past a full page of variants to find the configured set', async () => {
    const variants = Array.from({ length: 320 }, (_, i) => ({
      Name: 'api.portforge.org',
      Type: 'A' as const,
      SetIdentifier: `a${String(i).padStart(3, '0')}`,
      Weight: 1,
      AliasTarget: SEOUL,
    }));
    fakeZone([...variants, { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'seoul', Weight: 5, AliasTarget: SEOUL }]);

    const result = await switchDnsRecord({ route53, permissions }, { dryRun: false, target: zoneWith([{ name: 'api.portforge.org', type: 'A', setIdentifier: 'seoul', weight: 5 }]) });

    expect(result.outcome).toBe('changed');
    expect(r53.commandCalls(ListResourceRecordSetsCommand).length).toBeGreaterThan(1);
    expect(sentBatches()[0]?.ChangeBatch?.Changes?.[0]?.ResourceRecordSet?.SetIdentifier).toBe('seoul');
  });

  it('reads the zone\'s records in one sweep, and a name the sweep does not reach on its own', async () => {
    // 1,600 other records sort between api and zzz: five pages of 300 do not reach zzz.
    const filler = Array.from({ length: 1600 }, (_, i) => seoulRecord(`m${String(i).padStart(4, '0')}.portforge.org`));
    fakeZone([seoulRecord('api.portforge.org'), seoulRecord('auth.portforge.org'), ...filler, seoulRecord('zzz.portforge.org')]);

    const result = await switchDnsRecord(
      { route53, permissions },
      { dryRun: true, target: zoneWith([{ name: 'zzz.portforge.org', type: 'A' }, { name: 'api.portforge.org', type: 'A' }, { name: 'auth.portforge.org', type: 'A' }]) },
    );

    expect(result.changes.map((c) => c.resource)).toEqual([`route53/${ZONE}/zzz.portforge.org/A`, `route53/${ZONE}/api.portforge.org/A`, `route53/${ZONE}/auth.portforge.org/A`]);
    const reads = r53.commandCalls(ListResourceRecordSetsCommand).map((c) => [c.args[0].input.StartRecordName, c.args[0].input.MaxItems]);
    expect(reads[0]).toEqual(['api.portforge.org', 300]);
    expect(reads.filter(([, max]) => max === 300)).toHaveLength(5);
    expect(reads.at(-1)).toEqual(['zzz.portforge.org', 100]);
  });

  it('switches the record once even when retried: the second run reports already-done with no change id', async () => {
    const zone = fakeZone([seoulRecord()]);

    const first = await switchDnsRecord({ route53, permissions }, { dryRun: false, target: TARGET });
    const second = await switchDnsRecord({ route53, permissions }, { dryRun: false, target: TARGET });

    expect(first.outcome).toBe('changed');
    expect(second).toEqual({ step: 'Switch DNS zone', outcome: 'already-done', hostedZoneId: ZONE, changes: [], changeId: null });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(zone.changes).toBe(1);
  });

  it('leaves records already on the target out of the batch', async () => {
    fakeZone([{ ...seoulRecord('api.portforge.org'), AliasTarget: { DNSName: `${TOKYO_ALB}.`, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true } }, seoulRecord('auth.portforge.org')]);

    const result = await switchDnsRecord({ route53, permissions }, { dryRun: false, target: zoneWith([{ name: 'api.portforge.org', type: 'A' }, { name: 'auth.portforge.org', type: 'A' }]) });

    expect(result.changes.map((c) => c.resource)).toEqual([`route53/${ZONE}/auth.portforge.org/A`]);
    expect(sentBatches()[0]?.ChangeBatch?.Changes?.map((c) => c.ResourceRecordSet?.Name)).toEqual(['auth.portforge.org.']);
  });

  it('treats a record already aliased to the target, in other case and with a trailing dot, as already-done', async () => {
    fakeZone([{ Name: 'API.portforge.org.', Type: 'A', AliasTarget: { DNSName: `${TOKYO_ALB.toUpperCase()}.`, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true } }]);

    const result = await switchDnsRecord({ route53, permissions }, { dryRun: false, target: TARGET });

    expect(result).toMatchObject({ outcome: 'already-done', changeId: null });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('still upserts when only EvaluateTargetHealth differs from the target', async () => {
    fakeZone([{ Name: 'api.portforge.org.', Type: 'A', AliasTarget: { DNSName: `${TOKYO_ALB}.`, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: false } }]);

    const result = await switchDnsRecord({ route53, permissions }, { dryRun: false, target: TARGET });

    expect(result.outcome).toBe('changed');
    expect(r53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      ChangeBatch: expect.objectContaining({ Changes: [EXPECTED_UPSERT] }),
    });
  });

  it('dry run shows the current alias and the target and sends no change', async () => {
    fakeZone([seoulRecord()]);

    const result = await switchHandler({ dryRun: true, mode: 'planned', target: TARGET }, lambdaContext());

    expect(result).toMatchObject({
      outcome: 'would-change',
      changeId: null,
      changes: [
        {
          resource: `route53/${ZONE}/api.portforge.org/A`,
          action: 'UPSERT alias',
          before: { aliasTarget: { dnsName: SEOUL_ALB, hostedZoneId: SEOUL_ALB_ZONE, evaluateTargetHealth: true } },
          after: { aliasTarget: TOKYO },
        },
      ],
    });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('dry run shows plain record values as the before state, and a real run replaces them with the alias', async () => {
    fakeZone([{ Name: 'api.portforge.org.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.10' }] }]);

    const dry = await switchDnsRecord({ route53, permissions }, { dryRun: true, target: TARGET });
    expect(dry.changes[0]?.before).toEqual({ ttl: 60, values: ['203.0.113.10'] });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);

    await switchDnsRecord({ route53, permissions }, { dryRun: false, target: TARGET });
    // An alias record set carries neither TTL nor ResourceRecords.
    expect(sentBatches()[0]?.ChangeBatch?.Changes).toEqual([EXPECTED_UPSERT]);
  });

  it('refuses, changing nothing, when a configured record does not exist (it never creates one)', async () => {
    // ListResourceRecordSets starts at the name: with no such record it returns the next one in the zone.
    fakeZone([{ Name: 'www.portforge.org.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.20' }] }]);

    await expect(switchDnsRecord({ route53, permissions }, { dryRun: true, target: TARGET })).rejects.toMatchObject({
      name: 'DnsRecordMismatchError',
      message: expect.stringContaining('api.portforge.org A does not exist in the zone'),
    });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('does not mistake the AAAA record for the A record', async () => {
    // No A record: listing from the name returns the AAAA record, already on Tokyo.
    fakeZone([{ Name: 'api.portforge.org.', Type: 'AAAA', AliasTarget: { DNSName: `${TOKYO_ALB}.`, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true } }]);

    await expect(switchDnsRecord({ route53, permissions }, { dryRun: false, target: TARGET })).rejects.toMatchObject({ name: 'DnsRecordMismatchError' });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('refuses a record that is a CNAME in the zone, naming what to do, and changes no record of the zone', async () => {
    fakeZone([seoulRecord('api.portforge.org'), { Name: 'auth.portforge.org.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'x.portforge.org' }] }]);

    await expect(
      switchDnsRecord({ route53, permissions }, { dryRun: false, target: zoneWith([{ name: 'api.portforge.org', type: 'A' }, { name: 'auth.portforge.org', type: 'A' }]) }),
    ).rejects.toMatchObject({ name: 'DnsRecordMismatchError', message: expect.stringContaining('auth.portforge.org is a CNAME in the zone') });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('reports Route 53 refusing the batch as DnsChangeRejectedError with its message', async () => {
    fakeZone([seoulRecord()]);
    r53.on(ChangeResourceRecordSetsCommand).rejects(
      new InvalidChangeBatch({ message: '[RRSet with DNS name api.portforge.org., type A cannot be created as other RRSets exist with the same name and type.]', $metadata: { httpStatusCode: 400 } }),
    );

    await expect(switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext())).rejects.toMatchObject({
      name: 'DnsChangeRejectedError',
      message: expect.stringContaining('none of its records changed (InvalidChangeBatch: [RRSet with DNS name api.portforge.org., type A cannot be created'),
    });
  });

  it('fails with DnsChangeInProgressError while Route 53 is still applying an earlier change, through the handler', async () => {
    fakeZone([seoulRecord()]);
    r53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(new PriorRequestNotComplete({ message: 'The request was rejected because Route 53 was still processing a prior request.', $metadata: { httpStatusCode: 400 } }));

    await expect(switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext())).rejects.toMatchObject({ name: 'DnsChangeInProgressError' });
  });

  it('fails with DnsChangeInProgressError when the change itself is throttled', async () => {
    fakeZone([seoulRecord()]);
    r53.on(ChangeResourceRecordSetsCommand).rejects(throttling());

    await expect(switchDnsRecord({ route53, permissions }, { dryRun: false, target: TARGET })).rejects.toMatchObject({ name: 'DnsChangeInProgressError' });
  });

  it('turns a throttled read into AwsTransientError through the handler and changes nothing', async () => {
    r53.on(ListResourceRecordSetsCommand).rejects(throttling());

    await expect(switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext())).rejects.toMatchObject({ name: 'AwsTransientError' });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('rejects a record type other than A/AAAA with StepContractError', async () => {
    await expect(
      switchHandler({ dryRun: false, mode: 'emergency', target: { ...TARGET, records: [{ name: 'api.portforge.org', type: 'CNAME' }] } }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'StepContractError' });
    expect(r53.calls()).toHaveLength(0);
  });
});

describe('Check DNS change', () => {
  it('is not done while the change is PENDING and counts the attempt, through the handler', async () => {
    r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C01', Status: 'PENDING', SubmittedAt: new Date() } });

    const result = await checkHandler({ dryRun: false, mode: 'emergency', target: TARGET, changeId: '/change/C01' }, lambdaContext());

    expect(r53).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C01' });
    expect(result).toMatchObject({ step: 'Check DNS change', done: false, attempt: 1, status: 'PENDING' });
  });

  it('is done once the change is INSYNC', async () => {
    r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C01', Status: 'INSYNC', SubmittedAt: new Date() } });

    const result = await checkDnsChange({ route53 }, { dryRun: false, mode: 'emergency', attempt: 3, target: TARGET, changeId: '/change/C01' });

    expect(result).toEqual({ step: 'Check DNS change', done: true, attempt: 4, status: 'INSYNC' });
  });

  it('is done without an API call when the switch made no change', async () => {
    const result = await checkDnsChange({ route53 }, { dryRun: false, mode: 'emergency', attempt: 0, target: TARGET, changeId: null });

    expect(result).toMatchObject({ done: true, attempt: 1 });
    expect(r53.calls()).toHaveLength(0);
  });

  it('is done without an API call in a dry run', async () => {
    const result = await checkHandler({ dryRun: true, mode: 'planned', target: TARGET, changeId: null }, lambdaContext());

    expect(result).toMatchObject({ done: true, attempt: 1 });
    expect(r53.calls()).toHaveLength(0);
  });

  it('turns a throttled poll into AwsTransientError through the handler', async () => {
    r53.on(GetChangeCommand).rejects(throttling());

    await expect(
      checkHandler({ dryRun: false, mode: 'emergency', attempt: 2, target: TARGET, changeId: '/change/C01' }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'AwsTransientError' });
  });

  it('requires the changeId field in the payload', async () => {
    await expect(checkHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext())).rejects.toMatchObject({ name: 'StepContractError' });
  });
});

describe('Switch DNS zone: a dry run proves the role may send the change', () => {
  const TWO = zoneWith([{ name: 'API.portforge.org.', type: 'A' }, { name: '*.portforge.org', type: 'A' }]);

  it('asks IAM about the exact ChangeBatch (zone ARN, normalized names, types, UPSERT) and sends nothing when allowed', async () => {
    fakeZone([seoulRecord('api.portforge.org'), seoulRecord('\\052.portforge.org')]);
    const result = await switchDnsRecord({ route53, permissions }, { dryRun: true, target: TWO });
    expect(result.outcome).toBe('would-change');
    expect(simulations()).toEqual([
      {
        PolicySourceArn: ROLE_ARN,
        ActionNames: ['route53:ChangeResourceRecordSets'],
        ResourceArns: [`arn:aws:route53:::hostedzone/${ZONE}`],
        ContextEntries: [
          { ContextKeyName: 'route53:ChangeResourceRecordSetsNormalizedRecordNames', ContextKeyType: 'stringList', ContextKeyValues: ['api.portforge.org', '\\052.portforge.org'] },
          { ContextKeyName: 'route53:ChangeResourceRecordSetsRecordTypes', ContextKeyType: 'stringList', ContextKeyValues: ['A'] },
          { ContextKeyName: 'route53:ChangeResourceRecordSetsActions', ContextKeyType: 'stringList', ContextKeyValues: ['UPSERT'] },
        ],
      },
    ]);
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('blocks the dry run on implicitDeny, naming the role, the action, the zone and the record, and sends nothing', async () => {
    fakeZone([seoulRecord()]);
    iamMock.reset();
    iamMock.on(SimulateCommand).resolves({
      EvaluationResults: [{ EvalActionName: 'route53:ChangeResourceRecordSets', EvalResourceName: `arn:aws:route53:::hostedzone/${ZONE}`, EvalDecision: 'implicitDeny' }],
      IsTruncated: false,
    });
    const run = switchDnsRecord({ route53, permissions }, { dryRun: true, target: TARGET });
    await expect(run).rejects.toMatchObject({ name: 'DryRunPermissionDeniedError' });
    await expect(run).rejects.toThrow(
      `the cutover role dr-cutover-step-role may not route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/${ZONE} for api.portforge.org A (UPSERT): implicitDeny`,
    );
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('retries a throttled simulation as a transient error, then proves the change', async () => {
    fakeZone([seoulRecord()]);
    iamMock.reset();
    iamMock
      .on(SimulateCommand)
      .rejectsOnce(throttling())
      .resolves({ EvaluationResults: [{ EvalActionName: 'route53:ChangeResourceRecordSets', EvalDecision: 'allowed' }], IsTruncated: false });
    await expect(switchDnsRecord({ route53, permissions }, { dryRun: true, target: TARGET })).rejects.toMatchObject({ name: 'AwsTransientError' });
    const again = await switchDnsRecord({ route53, permissions }, { dryRun: true, target: TARGET });
    expect(again.outcome).toBe('would-change');
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('never simulates in a real run, nor when nothing would change', async () => {
    fakeZone([seoulRecord()]);
    await switchDnsRecord({ route53, permissions }, { dryRun: false, target: TARGET });
    await switchDnsRecord({ route53, permissions }, { dryRun: true, target: TARGET });
    expect(simulations()).toEqual([]);
  });
});
