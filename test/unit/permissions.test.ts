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
