import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  PriorRequestNotComplete,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler as checkHandler } from '../../functions/check-dns-change';
import { checkDnsChange } from '../../functions/check-dns-change/logic';
import type { RecordTarget } from '../../functions/shared/contracts';
import { handler as switchHandler } from '../../functions/switch-dns-record';
import { normalizeDnsName, switchDnsRecord } from '../../functions/switch-dns-record/logic';
import { lambdaContext } from '../support/lambda';

const r53 = mockClient(Route53Client);
const route53 = new Route53Client({ region: 'us-east-1' });

const ZONE = 'Z0PORTFORGE';
const TOKYO_ALB = 'dualstack.portforge-dr-alb-123456.ap-northeast-1.elb.amazonaws.com';
const TOKYO_ALB_ZONE = 'Z14GRHDCWA56QT';
const SEOUL_ALB = 'dualstack.portforge-alb-654321.ap-northeast-2.elb.amazonaws.com.';
const SEOUL_ALB_ZONE = 'ZWKZPGTI48KDX';

const TARGET: RecordTarget = {
  hostedZoneId: ZONE,
  name: 'api.portforge.org',
  type: 'A',
  aliasTarget: { dnsName: TOKYO_ALB, hostedZoneId: TOKYO_ALB_ZONE, evaluateTargetHealth: true },
};

const seoulRecord = (): ResourceRecordSet => ({
  Name: 'api.portforge.org.',
  Type: 'A',
  AliasTarget: { DNSName: SEOUL_ALB, HostedZoneId: SEOUL_ALB_ZONE, EvaluateTargetHealth: true },
});

/** The one UPSERT a real run must send. */
const EXPECTED_UPSERT = {
  Action: 'UPSERT',
  ResourceRecordSet: {
    Name: 'api.portforge.org',
    Type: 'A',
    AliasTarget: { DNSName: TOKYO_ALB, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true },
  },
};

/** A stateful fake zone holding one record set: List returns it, an UPSERT replaces it. */
function fakeZone(initial: ResourceRecordSet | undefined) {
  const state = { record: initial, changes: 0 };
  r53.on(ListResourceRecordSetsCommand).callsFake(() => ({
    ResourceRecordSets: state.record ? [structuredClone(state.record)] : [],
    IsTruncated: false,
    MaxItems: 1,
  }));
  r53.on(ChangeResourceRecordSetsCommand).callsFake(
    (input: { ChangeBatch?: { Changes?: { ResourceRecordSet?: ResourceRecordSet }[] } }) => {
      const rrs = input.ChangeBatch!.Changes![0]!.ResourceRecordSet!;
      // Route 53 stores names fully qualified, with the trailing dot.
      state.record = {
        ...rrs,
        Name: `${rrs.Name}.`,
        AliasTarget: { ...rrs.AliasTarget!, DNSName: `${rrs.AliasTarget!.DNSName}.` },
      };
      state.changes += 1;
      return { ChangeInfo: { Id: `/change/C0${state.changes}`, Status: 'PENDING', SubmittedAt: new Date() } };
    },
  );
  return state;
}

const throttling = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'Throttling',
    $metadata: { httpStatusCode: 400 },
    $retryable: { throttling: true },
  });

beforeEach(() => r53.reset());

describe('normalizeDnsName', () => {
  it('ignores case, the trailing dot and Route 53 octal escapes', () => {
    expect(normalizeDnsName('API.Portforge.ORG.')).toBe('api.portforge.org');
    expect(normalizeDnsName('\\052.portforge.org.')).toBe('*.portforge.org');
  });
});

describe('Switch DNS record', () => {
  it('reads the record, then sends one UPSERT of the alias with a dr-cutover comment, through the handler', async () => {
    fakeZone(seoulRecord());

    const result = await switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext());

    expect(r53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, {
      HostedZoneId: ZONE,
      StartRecordName: 'api.portforge.org',
      StartRecordType: 'A',
      MaxItems: 1,
    });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    const sent = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input;
    expect(sent.ChangeBatch?.Comment).toContain('dr-cutover');
    expect(sent).toEqual({ HostedZoneId: ZONE, ChangeBatch: { Comment: sent.ChangeBatch?.Comment, Changes: [EXPECTED_UPSERT] } });
    expect(result).toMatchObject({
      step: 'Switch DNS record',
      outcome: 'changed',
      changeId: '/change/C01',
      changes: [
        {
          resource: `route53/${ZONE}/api.portforge.org/A`,
          action: 'UPSERT alias',
          before: { aliasTarget: { dnsName: SEOUL_ALB, hostedZoneId: SEOUL_ALB_ZONE, evaluateTargetHealth: true } },
          after: { aliasTarget: TARGET.aliasTarget },
        },
      ],
    });
    expect(typeof result.finishedAt).toBe('string');
  });

  it('switches the record once even when retried: the second run reports already-done with no change id', async () => {
    const zone = fakeZone(seoulRecord());

    const first = await switchDnsRecord({ route53 }, { dryRun: false, target: TARGET });
    const second = await switchDnsRecord({ route53 }, { dryRun: false, target: TARGET });

    expect(first.outcome).toBe('changed');
    expect(second).toEqual({ step: 'Switch DNS record', outcome: 'already-done', changes: [], changeId: null });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(zone.changes).toBe(1);
  });

  it('treats a record already aliased to the target, in other case and with a trailing dot, as already-done', async () => {
    fakeZone({
      Name: 'API.portforge.org.',
      Type: 'A',
      AliasTarget: { DNSName: `${TOKYO_ALB.toUpperCase()}.`, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true },
    });

    const result = await switchDnsRecord({ route53 }, { dryRun: false, target: TARGET });

    expect(result).toMatchObject({ outcome: 'already-done', changeId: null });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('still upserts when only EvaluateTargetHealth differs from the target', async () => {
    fakeZone({
      Name: 'api.portforge.org.',
      Type: 'A',
      AliasTarget: { DNSName: `${TOKYO_ALB}.`, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: false },
    });

    const result = await switchDnsRecord({ route53 }, { dryRun: false, target: TARGET });

    expect(result.outcome).toBe('changed');
    expect(r53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      ChangeBatch: expect.objectContaining({ Changes: [EXPECTED_UPSERT] }),
    });
  });

  it('dry run shows the current alias and the target and sends no change', async () => {
    fakeZone(seoulRecord());

    const result = await switchHandler({ dryRun: true, mode: 'planned', target: TARGET }, lambdaContext());

    expect(result).toMatchObject({
      outcome: 'would-change',
      changeId: null,
      changes: [
        {
          resource: `route53/${ZONE}/api.portforge.org/A`,
          action: 'UPSERT alias',
          before: { aliasTarget: { dnsName: SEOUL_ALB, hostedZoneId: SEOUL_ALB_ZONE, evaluateTargetHealth: true } },
          after: { aliasTarget: TARGET.aliasTarget },
        },
      ],
    });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('dry run shows plain record values as the before state', async () => {
    fakeZone({ Name: 'api.portforge.org.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.10' }] });

    const result = await switchDnsRecord({ route53 }, { dryRun: true, target: TARGET });

    expect(result.changes[0]?.before).toEqual({ ttl: 60, values: ['203.0.113.10'] });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('dry run shows null as the before state when the record does not exist yet', async () => {
    // ListResourceRecordSets starts at the name: with no such record it returns the next one in the zone.
    fakeZone({ Name: 'www.portforge.org.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.20' }] });

    const result = await switchDnsRecord({ route53 }, { dryRun: true, target: TARGET });

    expect(result).toMatchObject({ outcome: 'would-change', changes: [{ before: null }] });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('does not mistake the AAAA record for the A record', async () => {
    // No A record yet: listing from (name, A) returns the AAAA record, already on Tokyo.
    fakeZone({
      Name: 'api.portforge.org.',
      Type: 'AAAA',
      AliasTarget: { DNSName: `${TOKYO_ALB}.`, HostedZoneId: TOKYO_ALB_ZONE, EvaluateTargetHealth: true },
    });

    const result = await switchDnsRecord({ route53 }, { dryRun: false, target: TARGET });

    expect(result.outcome).toBe('changed');
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
  });

  it('fails with DnsChangeInProgressError while Route 53 is still applying an earlier change, through the handler', async () => {
    fakeZone(seoulRecord());
    r53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(new PriorRequestNotComplete({ message: 'The request was rejected because Route 53 was still processing a prior request.', $metadata: { httpStatusCode: 400 } }));

    await expect(
      switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'DnsChangeInProgressError' });
  });

  it('fails with DnsChangeInProgressError when the change itself is throttled', async () => {
    fakeZone(seoulRecord());
    r53.on(ChangeResourceRecordSetsCommand).rejects(throttling());

    await expect(switchDnsRecord({ route53 }, { dryRun: false, target: TARGET })).rejects.toMatchObject({
      name: 'DnsChangeInProgressError',
    });
  });

  it('turns a throttled read into AwsTransientError through the handler and changes nothing', async () => {
    r53.on(ListResourceRecordSetsCommand).rejects(throttling());

    await expect(
      switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'AwsTransientError' });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
  });

  it('rejects a record type other than A/AAAA with StepContractError', async () => {
    await expect(
      switchHandler({ dryRun: false, mode: 'emergency', target: { ...TARGET, type: 'CNAME' } }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'StepContractError' });
    expect(r53.calls()).toHaveLength(0);
  });
});

describe('Check DNS change', () => {
  it('is not done while the change is PENDING and counts the attempt, through the handler', async () => {
    r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C01', Status: 'PENDING', SubmittedAt: new Date() } });

    const result = await checkHandler(
      { dryRun: false, mode: 'emergency', target: TARGET, changeId: '/change/C01' },
      lambdaContext(),
    );

    expect(r53).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C01' });
    expect(result).toMatchObject({ step: 'Check DNS change', done: false, attempt: 1, status: 'PENDING' });
  });

  it('is done once the change is INSYNC', async () => {
    r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C01', Status: 'INSYNC', SubmittedAt: new Date() } });

    const result = await checkDnsChange(
      { route53 },
      { dryRun: false, mode: 'emergency', attempt: 3, target: TARGET, changeId: '/change/C01' },
    );

    expect(result).toEqual({ step: 'Check DNS change', done: true, attempt: 4, status: 'INSYNC' });
  });

  it('is done without an API call when the switch made no change', async () => {
    const result = await checkDnsChange(
      { route53 },
      { dryRun: false, mode: 'emergency', attempt: 0, target: TARGET, changeId: null },
    );

    expect(result).toMatchObject({ done: true, attempt: 1 });
    expect(r53.calls()).toHaveLength(0);
  });

  it('is done without an API call in a dry run', async () => {
    const result = await checkHandler(
      { dryRun: true, mode: 'planned', target: TARGET, changeId: null },
      lambdaContext(),
    );

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
    await expect(
      checkHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'StepContractError' });
  });
});
