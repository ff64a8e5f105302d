import { parseSimulateResponse, simulateRequestForm, IAMClient, SimulatePrincipalPolicyCommand } from '../../functions/shared/iam-client';
import {
  permissionBlockers,
  provePermissions,
  roleArnFromEnv,
  route53ChangeContext,
  simulationRequest,
  type PlannedCall,
} from '../../functions/shared/permissions';
import { iamMock, permissions, ROLE_ARN, SimulateCommand, simulations } from '../support/permissions';

const ZONE_ARN = 'arn:aws:route53:::hostedzone/Z0PORTFORGE';
const DNS_CALL: PlannedCall = {
  action: 'route53:ChangeResourceRecordSets',
  resourceArns: [ZONE_ARN],
  context: route53ChangeContext([{ name: 'api.portforge.org.', type: 'A', action: 'UPSERT' }]),
  purpose: 'for api.portforge.org A (UPSERT)',
};
const decision = (EvalDecision: 'allowed' | 'implicitDeny' | 'explicitDeny', extra: object = {}) => ({
  EvaluationResults: [{ EvalActionName: DNS_CALL.action, EvalResourceName: ZONE_ARN, EvalDecision, ...extra }],
  IsTruncated: false,
});

beforeEach(() => iamMock.reset());

describe('the dry-run permission check', () => {
  it('asks about the role ARN, the action, the resources and the context entries of the planned call', () => {
    expect(simulationRequest(ROLE_ARN, DNS_CALL)).toEqual({
      PolicySourceArn: ROLE_ARN,
      ActionNames: ['route53:ChangeResourceRecordSets'],
      ResourceArns: [ZONE_ARN],
      ContextEntries: [
        { ContextKeyName: 'route53:ChangeResourceRecordSetsNormalizedRecordNames', ContextKeyType: 'stringList', ContextKeyValues: ['api.portforge.org'] },
        { ContextKeyName: 'route53:ChangeResourceRecordSetsRecordTypes', ContextKeyType: 'stringList', ContextKeyValues: ['A'] },
        { ContextKeyName: 'route53:ChangeResourceRecordSetsActions', ContextKeyType: 'stringList', ContextKeyValues: ['UPSERT'] },
      ],
    });
  });

  it('gives Route 53 record names as its condition keys compare them: lower case, no trailing dot, octal escapes, once each', () => {
    const [names] = route53ChangeContext([
      { name: '*.Portforge.org.', type: 'A', action: 'UPSERT' },
      { name: '\\052.portforge.org', type: 'AAAA', action: 'UPSERT' },
    ]);
    expect(names?.ContextKeyValues).toEqual(['\\052.portforge.org']);
  });

  it('finds no blocker when every evaluation is allowed', async () => {
    iamMock.on(SimulateCommand).resolves(decision('allowed'));
    await expect(permissionBlockers(permissions, [DNS_CALL])).resolves.toEqual([]);
    await expect(provePermissions(permissions, [DNS_CALL])).resolves.toBeUndefined();
  });

  it('turns implicitDeny into a blocker naming the role, action, resource and record, with the missing context it reports', async () => {
    iamMock.on(SimulateCommand).resolves(decision('implicitDeny', { MissingContextValues: ['route53:ChangeResourceRecordSetsRecordTypes'] }));
    const [blocker] = await permissionBlockers(permissions, [DNS_CALL]);
    expect(blocker).toBe(
      'the cutover role dr-cutover-step-role may not route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/Z0PORTFORGE for api.portforge.org A (UPSERT): implicitDeny ' +
        '(the policy needs context route53:ChangeResourceRecordSetsRecordTypes). A real run would fail here; grant route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/Z0PORTFORGE with the conditions the call carries to the role (redeploy the stack)',
    );
    await expect(provePermissions(permissions, [DNS_CALL])).rejects.toMatchObject({
      name: 'DryRunPermissionDeniedError',
      message: expect.stringMatching(/^dry run blocked: 1 permission missing; nothing was changed\. \(1\) the cutover role dr-cutover-step-role may not/),
    });
  });

  it('reads every page of a truncated answer (IsTruncated/Marker) and finds a denial on a later page', async () => {
    iamMock
      .on(SimulateCommand)
      .resolvesOnce({ EvaluationResults: [{ EvalActionName: DNS_CALL.action, EvalResourceName: ZONE_ARN, EvalDecision: 'allowed' }], IsTruncated: true, Marker: 'page-2' })
      .resolvesOnce(decision('explicitDeny'));
    const blockers = await permissionBlockers(permissions, [DNS_CALL]);
    expect(blockers).toHaveLength(1);
    expect(blockers[0]).toContain('explicitDeny');
    expect(simulations().map((s) => s.Marker)).toEqual([undefined, 'page-2']);
  });

  it('never takes a failed simulation for allowed: throttling is retried, AccessDenied says the role cannot prove its permissions', async () => {
    iamMock.on(SimulateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await expect(permissionBlockers(permissions, [DNS_CALL])).rejects.toMatchObject({ name: 'AwsTransientError' });

    iamMock.reset();
    iamMock.on(SimulateCommand).rejects(Object.assign(new Error('not authorized to perform iam:SimulatePrincipalPolicy'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    await expect(provePermissions(permissions, [DNS_CALL])).rejects.toThrow(
      `the cutover role dr-cutover-step-role cannot prove its permissions: it may not iam:SimulatePrincipalPolicy on itself (AccessDenied). Grant iam:SimulatePrincipalPolicy on ${ROLE_ARN}`,
    );

    iamMock.reset();
    iamMock.on(SimulateCommand).resolves({ EvaluationResults: [], IsTruncated: false });
    await expect(permissionBlockers(permissions, [DNS_CALL])).resolves.toEqual([expect.stringContaining('its permission is not proven')]);
  });

  it('reads the role ARN from CUTOVER_ROLE_ARN and refuses anything that is not a role ARN (an assumed-role session ARN)', () => {
    expect(roleArnFromEnv({ CUTOVER_ROLE_ARN: ROLE_ARN })).toBe(ROLE_ARN);
    expect(() => roleArnFromEnv({ CUTOVER_ROLE_ARN: 'arn:aws:sts::111122223333:assumed-role/dr-cutover-step-role/fn' })).toThrow(/must be an IAM role ARN/);
  });
});

describe('the IAM client (Query API)', () => {
  it('writes lists and context entries as Query members', () => {
    const form = simulateRequestForm(simulationRequest(ROLE_ARN, DNS_CALL, 'm1'));
    expect(form.get('Action')).toBe('SimulatePrincipalPolicy');
    expect(form.get('Version')).toBe('2010-05-08');
    expect(form.get('PolicySourceArn')).toBe(ROLE_ARN);
    expect(form.get('ActionNames.member.1')).toBe('route53:ChangeResourceRecordSets');
    expect(form.get('ResourceArns.member.1')).toBe(ZONE_ARN);
    expect(form.get('ContextEntries.member.1.ContextKeyName')).toBe('route53:ChangeResourceRecordSetsNormalizedRecordNames');
    expect(form.get('ContextEntries.member.1.ContextKeyType')).toBe('stringList');
    expect(form.get('ContextEntries.member.1.ContextKeyValues.member.1')).toBe('api.portforge.org');
    expect(form.get('ContextEntries.member.3.ContextKeyValues.member.1')).toBe('UPSERT');
    expect(form.get('Marker')).toBe('m1');
  });

  it('reads each result\'s own action, resource and decision, not those of nested resource-specific results', () => {
    const xml = `<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult>
      <IsTruncated>true</IsTruncated><Marker>next&amp;1</Marker>
      <EvaluationResults>
        <member><EvalActionName>rds:PromoteReadReplica</EvalActionName><EvalResourceName>arn:aws:rds:ap-northeast-1:111122223333:db:r</EvalResourceName><EvalDecision>implicitDeny</EvalDecision>
          <MatchedStatements/><MissingContextValues><member>aws:SourceIp</member></MissingContextValues>
          <ResourceSpecificResults><member><EvalResourceName>other</EvalResourceName><EvalResourceDecision>allowed</EvalResourceDecision></member></ResourceSpecificResults>
        </member>
        <member><EvalActionName>cloudfront:UpdateDistribution</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision></member>
      </EvaluationResults></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>`;
    expect(parseSimulateResponse(xml)).toEqual({
      IsTruncated: true,
      Marker: 'next&1',
      EvaluationResults: [
        { EvalActionName: 'rds:PromoteReadReplica', EvalResourceName: 'arn:aws:rds:ap-northeast-1:111122223333:db:r', EvalDecision: 'implicitDeny', MissingContextValues: ['aws:SourceIp'] },
        { EvalActionName: 'cloudfront:UpdateDistribution', EvalResourceName: '*', EvalDecision: 'allowed' },
      ],
    });
  });

  it('reports an unreachable IAM endpoint as a transient error, never as allowed', async () => {
    iamMock.restore();
    const fetchMock = jest.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('fetch failed'));
    try {
      const client = new IAMClient({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
      await expect(permissionBlockers({ iam: client, roleArn: ROLE_ARN }, [DNS_CALL])).rejects.toMatchObject({ name: 'AwsTransientError' });
    } finally {
      fetchMock.mockRestore();
    }
  });

  it('sends a SigV4-signed POST to the global endpoint and names IAM\'s errors by their Code', async () => {
    iamMock.restore();
    const fetchMock = jest.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized</Message></Error></ErrorResponse>', { status: 403 }),
    );
    try {
      const client = new IAMClient({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
      await expect(client.send(new SimulatePrincipalPolicyCommand(simulationRequest(ROLE_ARN, DNS_CALL)))).rejects.toMatchObject({
        name: 'AccessDenied',
        message: 'User is not authorized',
        $metadata: { httpStatusCode: 403 },
      });
      const [url, init] = fetchMock.mock.calls[0] ?? [];
      expect(url).toBe('https://iam.amazonaws.com/');
      const headers = (init?.headers ?? {}) as Record<string, string>;
      expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/iam\/aws4_request/);
    } finally {
      fetchMock.mockRestore();
    }
  });
});
