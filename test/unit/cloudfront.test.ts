import {
  CloudFrontClient,
  type DistributionConfig,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  NoSuchDistribution,
  PreconditionFailed,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler as checkHandler } from '../../functions/check-cloudfront';
import { checkCloudFront } from '../../functions/check-cloudfront/logic';
import type { BehaviorTarget, DistributionTarget } from '../../functions/shared/contracts';
import { handler as switchHandler } from '../../functions/switch-cloudfront';
import { MAX_UPDATE_ATTEMPTS, switchBehaviors, switchCloudFront } from '../../functions/switch-cloudfront/logic';
import { lambdaContext } from '../support/lambda';
import { allowAll, iamMock, permissions, ROLE_ARN, SimulateCommand, simulations } from '../support/permissions';

const cf = mockClient(CloudFrontClient);
const cloudfront = new CloudFrontClient({ region: 'us-east-1' });
const DIST = 'E2PORTFORGE123';

/** A realistic portforge distribution: Seoul and Tokyo origins, a failover group, API and static behaviours. */
function seoulConfig(): DistributionConfig {
  return {
    CallerReference: 'portforge-front-2024-03-01',
    Aliases: { Quantity: 2, Items: ['portforge.org', 'www.portforge.org'] },
    DefaultRootObject: 'index.html',
    Origins: {
      Quantity: 4,
      Items: [
        {
          Id: 'front-seoul',
          DomainName: 'portforge-front.s3.ap-northeast-2.amazonaws.com',
          OriginPath: '',
          CustomHeaders: { Quantity: 0, Items: [] },
          S3OriginConfig: { OriginAccessIdentity: '' },
          OriginAccessControlId: 'E1OACSEOUL',
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: false },
        },
        {
          Id: 'front-tokyo',
          DomainName: 'portforge-front-dr.s3.ap-northeast-1.amazonaws.com',
          OriginPath: '',
          CustomHeaders: { Quantity: 0, Items: [] },
          S3OriginConfig: { OriginAccessIdentity: '' },
          OriginAccessControlId: 'E1OACTOKYO',
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: false },
        },
        {
          Id: 'api-seoul',
          DomainName: 'api-seoul.portforge.org',
          OriginPath: '',
          CustomHeaders: { Quantity: 1, Items: [{ HeaderName: 'X-Origin-Verify', HeaderValue: 'from-cloudfront' }] },
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'https-only',
            OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
            OriginReadTimeout: 30,
            OriginKeepaliveTimeout: 5,
          },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: true, OriginShieldRegion: 'ap-northeast-2' },
        },
        {
          Id: 'api-tokyo',
          DomainName: 'api-tokyo.portforge.org',
          OriginPath: '',
          CustomHeaders: { Quantity: 1, Items: [{ HeaderName: 'X-Origin-Verify', HeaderValue: 'from-cloudfront' }] },
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'https-only',
            OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
            OriginReadTimeout: 30,
            OriginKeepaliveTimeout: 5,
          },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: false },
        },
      ],
    },
    OriginGroups: {
      Quantity: 1,
      Items: [
        {
          Id: 'front-failover',
          FailoverCriteria: { StatusCodes: { Quantity: 3, Items: [500, 502, 503] } },
          Members: { Quantity: 2, Items: [{ OriginId: 'front-seoul' }, { OriginId: 'front-tokyo' }] },
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: 'front-failover',
      TrustedSigners: { Enabled: false, Quantity: 0 },
      TrustedKeyGroups: { Enabled: false, Quantity: 0 },
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: {
        Quantity: 2,
        Items: ['GET', 'HEAD'],
        CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
      },
      SmoothStreaming: false,
      Compress: true,
      LambdaFunctionAssociations: { Quantity: 0 },
      FunctionAssociations: {
        Quantity: 1,
        Items: [{ FunctionARN: 'arn:aws:cloudfront::000000000000:function/spa-rewrite', EventType: 'viewer-request' }],
      },
      FieldLevelEncryptionId: '',
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      ResponseHeadersPolicyId: '67f7725c-6f97-4210-82d7-5512b31e9d03',
    },
    CacheBehaviors: {
      Quantity: 3,
      Items: [
        {
          PathPattern: '/api/*',
          TargetOriginId: 'api-seoul',
          TrustedSigners: { Enabled: false, Quantity: 0 },
          TrustedKeyGroups: { Enabled: false, Quantity: 0 },
          ViewerProtocolPolicy: 'https-only',
          AllowedMethods: {
            Quantity: 7,
            Items: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
            CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
          },
          SmoothStreaming: false,
          Compress: true,
          LambdaFunctionAssociations: { Quantity: 0 },
          FunctionAssociations: { Quantity: 0 },
          FieldLevelEncryptionId: '',
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
        },
        {
          PathPattern: '/static/*',
          TargetOriginId: 'front-seoul',
          TrustedSigners: { Enabled: false, Quantity: 0 },
          TrustedKeyGroups: { Enabled: false, Quantity: 0 },
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: {
            Quantity: 2,
            Items: ['GET', 'HEAD'],
            CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
          },
          SmoothStreaming: false,
          Compress: true,
          LambdaFunctionAssociations: { Quantity: 0 },
          FunctionAssociations: { Quantity: 0 },
          FieldLevelEncryptionId: '',
          CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
        },
        {
          PathPattern: '/legacy/*',
          TargetOriginId: 'front-seoul',
          TrustedSigners: { Enabled: false, Quantity: 0 },
          TrustedKeyGroups: { Enabled: false, Quantity: 0 },
          ViewerProtocolPolicy: 'allow-all',
          AllowedMethods: {
            Quantity: 2,
            Items: ['GET', 'HEAD'],
            CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
          },
          SmoothStreaming: false,
          Compress: false,
          LambdaFunctionAssociations: { Quantity: 0 },
          FunctionAssociations: { Quantity: 0 },
          FieldLevelEncryptionId: '',
          ForwardedValues: {
            QueryString: false,
            Cookies: { Forward: 'none' },
            Headers: { Quantity: 0 },
            QueryStringCacheKeys: { Quantity: 0 },
          },
          MinTTL: 0,
          DefaultTTL: 86400,
          MaxTTL: 31536000,
        },
      ],
    },
    CustomErrorResponses: {
      Quantity: 1,
      Items: [{ ErrorCode: 403, ResponsePagePath: '/index.html', ResponseCode: '200', ErrorCachingMinTTL: 10 }],
    },
    Comment: 'portforge front',
    Logging: { Enabled: true, IncludeCookies: false, Bucket: 'portforge-logs.s3.amazonaws.com', Prefix: 'cloudfront/' },
    PriceClass: 'PriceClass_200',
    Enabled: true,
    ViewerCertificate: {
      CloudFrontDefaultCertificate: false,
      ACMCertificateArn: 'arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555',
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
      Certificate: 'arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555',
      CertificateSource: 'acm',
    },
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
    WebACLId: 'arn:aws:wafv2:us-east-1:000000000000:global/webacl/portforge/abcd',
    HttpVersion: 'http2and3',
    IsIPV6Enabled: true,
    ContinuousDeploymentPolicyId: '',
    Staging: false,
  };
}

const BEHAVIORS: BehaviorTarget[] = [
  { pathPattern: '*', drOriginId: 'front-tokyo', dependsOnApi: false },
  { pathPattern: '/static/*', drOriginId: 'front-tokyo', dependsOnApi: false },
  { pathPattern: '/api/*', drOriginId: 'api-tokyo', dependsOnApi: true },
];
const TARGET: DistributionTarget = { distributionId: DIST, behaviors: BEHAVIORS };

/** The Seoul config with only the configured TargetOriginIds changed: what UpdateDistribution must receive. */
function expectedTokyoConfig(): DistributionConfig {
  const c = seoulConfig();
  c.DefaultCacheBehavior!.TargetOriginId = 'front-tokyo';
  c.CacheBehaviors!.Items![0]!.TargetOriginId = 'api-tokyo';
  c.CacheBehaviors!.Items![1]!.TargetOriginId = 'front-tokyo';
  return c;
}

/** A stateful fake distribution: GetDistributionConfig returns what the last UpdateDistribution wrote. */
function fakeDistribution(initial: DistributionConfig = seoulConfig()) {
  const state = { config: initial, etag: 'E1', version: 1 };
  cf.on(GetDistributionConfigCommand).callsFake(() => ({
    DistributionConfig: structuredClone(state.config),
    ETag: state.etag,
  }));
  cf.on(UpdateDistributionCommand).callsFake((input: { IfMatch?: string; DistributionConfig?: DistributionConfig }) => {
    if (input.IfMatch !== state.etag) throw new PreconditionFailed({ message: 'stale ETag', $metadata: {} });
    state.config = structuredClone(input.DistributionConfig!);
    state.version += 1;
    state.etag = `E${state.version}`;
    return { ETag: state.etag, Distribution: { Id: DIST, Status: 'InProgress' } };
  });
  return state;
}

function updateInputs(): DistributionConfig[] {
  return cf.commandCalls(UpdateDistributionCommand).map((c) => c.args[0].input.DistributionConfig!);
}

beforeEach(() => {
  cf.reset();
  iamMock.reset();
  allowAll();
});

describe('switchBehaviors', () => {
  it('changes only the configured TargetOriginIds and round-trips everything else unchanged', () => {
    const original = seoulConfig();
    const { config, changes } = switchBehaviors(original, BEHAVIORS);

    expect(config).toStrictEqual(expectedTokyoConfig());
    expect(original).toStrictEqual(seoulConfig()); // input not mutated
    expect(changes).toEqual([
      { pathPattern: '*', before: 'front-failover', after: 'front-tokyo' },
      { pathPattern: '/static/*', before: 'front-seoul', after: 'front-tokyo' },
      { pathPattern: '/api/*', before: 'api-seoul', after: 'api-tokyo' },
    ]);
  });

  it('reports no changes when every behaviour already targets its DR origin', () => {
    const { config, changes } = switchBehaviors(expectedTokyoConfig(), BEHAVIORS);
    expect(changes).toEqual([]);
    expect(config).toStrictEqual(expectedTokyoConfig());
  });

  it('accepts an origin group id as the DR origin', () => {
    const { config, changes } = switchBehaviors(seoulConfig(), [
      { pathPattern: '/static/*', drOriginId: 'front-failover', dependsOnApi: false },
    ]);
    expect(changes).toEqual([{ pathPattern: '/static/*', before: 'front-seoul', after: 'front-failover' }]);
    expect(config.CacheBehaviors?.Items?.[1]?.TargetOriginId).toBe('front-failover');
  });

  /** What switchBehaviors throws for these behaviours on the Seoul config. */
  function refusal(behaviors: BehaviorTarget[]): unknown {
    try {
      switchBehaviors(seoulConfig(), behaviors);
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it('refuses a behaviour that does not exist in the distribution', () => {
    const error = refusal([{ pathPattern: '/missing/*', drOriginId: 'api-tokyo', dependsOnApi: true }]);
    expect(error).toMatchObject({ name: 'DistributionMisconfiguredError' });
    expect((error as Error).message).toContain('cache behaviour /missing/* does not exist');
  });

  it('refuses a DR origin that is neither an origin nor an origin group', () => {
    const error = refusal([{ pathPattern: '/api/*', drOriginId: 'api-osaka', dependsOnApi: true }]);
    expect(error).toMatchObject({ name: 'DistributionMisconfiguredError' });
    expect((error as Error).message).toContain('DR origin api-osaka');
  });

  it('refuses the same behaviour configured with two different DR origins', () => {
    const error = refusal([
      { pathPattern: '/api/*', drOriginId: 'api-tokyo', dependsOnApi: true },
      { pathPattern: '/api/*', drOriginId: 'front-tokyo', dependsOnApi: true },
    ]);
    expect(error).toMatchObject({ name: 'DistributionMisconfiguredError' });
    expect((error as Error).message).toContain('/api/* is configured twice');
  });
});

describe('Switch CloudFront origins', () => {
  it('updates the distribution once with the read ETag and the full config, through the handler', async () => {
    fakeDistribution();

    const result = await switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext());

    expect(cf).toHaveReceivedCommandWith(GetDistributionConfigCommand, { Id: DIST });
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    expect(cf).toHaveReceivedCommandWith(UpdateDistributionCommand, { Id: DIST, IfMatch: 'E1' });
    expect(updateInputs()[0]).toStrictEqual(expectedTokyoConfig());
    expect(result).toMatchObject({
      step: 'Switch CloudFront origins',
      outcome: 'changed',
      distributionId: DIST,
      changes: [
        { resource: `cloudfront/${DIST}/behavior/*`, action: 'set origin', before: 'front-failover', after: 'front-tokyo' },
        { resource: `cloudfront/${DIST}/behavior//static/*`, action: 'set origin', before: 'front-seoul', after: 'front-tokyo' },
        { resource: `cloudfront/${DIST}/behavior//api/*`, action: 'set origin', before: 'api-seoul', after: 'api-tokyo' },
      ],
    });
    expect(typeof result.startedAt).toBe('string');
    expect(typeof result.finishedAt).toBe('string');
  });

  it('switches only once even when retried: the second run reports already-done and sends no update', async () => {
    const state = fakeDistribution();

    const first = await switchCloudFront({ cloudfront, permissions }, { dryRun: false, target: TARGET });
    const second = await switchCloudFront({ cloudfront, permissions }, { dryRun: false, target: TARGET });

    expect(first.outcome).toBe('changed');
    expect(second).toEqual({ step: 'Switch CloudFront origins', outcome: 'already-done', changes: [], distributionId: DIST });
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    expect(state.config).toStrictEqual(expectedTokyoConfig());
  });

  it('dry run lists one change per behaviour and sends no update', async () => {
    fakeDistribution();

    const result = await switchCloudFront({ cloudfront, permissions }, { dryRun: true, target: TARGET });

    expect(result.outcome).toBe('would-change');
    expect(result.changes).toEqual([
      { resource: `cloudfront/${DIST}/behavior/*`, action: 'set origin', before: 'front-failover', after: 'front-tokyo' },
      { resource: `cloudfront/${DIST}/behavior//static/*`, action: 'set origin', before: 'front-seoul', after: 'front-tokyo' },
      { resource: `cloudfront/${DIST}/behavior//api/*`, action: 'set origin', before: 'api-seoul', after: 'api-tokyo' },
    ]);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 0);
  });

  it('dry run after the switch reports already-done and sends no update', async () => {
    fakeDistribution(expectedTokyoConfig());

    const result = await switchCloudFront({ cloudfront, permissions }, { dryRun: true, target: TARGET });

    expect(result).toMatchObject({ outcome: 'already-done', changes: [] });
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 0);
  });

  it('lists only the behaviours that still need to move', async () => {
    const partly = seoulConfig();
    partly.DefaultCacheBehavior!.TargetOriginId = 'front-tokyo';
    fakeDistribution(partly);

    const result = await switchCloudFront({ cloudfront, permissions }, { dryRun: false, target: TARGET });

    expect(result.changes.map((c) => c.resource)).toEqual([
      `cloudfront/${DIST}/behavior//static/*`,
      `cloudfront/${DIST}/behavior//api/*`,
    ]);
    expect(updateInputs()[0]).toStrictEqual(expectedTokyoConfig());
  });

  it('makes no API call at all when no behaviours are configured', async () => {
    const result = await switchHandler(
      { dryRun: false, mode: 'planned', target: { distributionId: DIST, behaviors: [] } },
      lambdaContext(),
    );

    expect(result).toMatchObject({ outcome: 'already-done', changes: [], distributionId: DIST });
    expect(cf.calls()).toHaveLength(0);
  });

  it('fails with DistributionMisconfiguredError before any change when a behaviour is missing', async () => {
    fakeDistribution();
    const target: DistributionTarget = {
      distributionId: DIST,
      behaviors: [...BEHAVIORS, { pathPattern: '/ws/*', drOriginId: 'api-tokyo', dependsOnApi: true }],
    };

    await expect(switchHandler({ dryRun: false, mode: 'emergency', target }, lambdaContext())).rejects.toMatchObject({
      name: 'DistributionMisconfiguredError',
    });
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 0);
  });

  it('reports a missing distribution as DistributionMisconfiguredError', async () => {
    cf.on(GetDistributionConfigCommand).rejects(new NoSuchDistribution({ message: 'no such distribution', $metadata: {} }));

    await expect(switchCloudFront({ cloudfront, permissions }, { dryRun: false, target: TARGET })).rejects.toMatchObject({
      name: 'DistributionMisconfiguredError',
    });
  });

  it('recovers from a stale ETag by re-reading and updating with the new ETag', async () => {
    cf.on(GetDistributionConfigCommand)
      .resolvesOnce({ DistributionConfig: seoulConfig(), ETag: 'E1' })
      .resolvesOnce({ DistributionConfig: seoulConfig(), ETag: 'E2' });
    cf.on(UpdateDistributionCommand)
      .rejectsOnce(new PreconditionFailed({ message: 'The If-Match version is stale', $metadata: {} }))
      .resolvesOnce({ ETag: 'E3' });

    const result = await switchCloudFront({ cloudfront, permissions }, { dryRun: false, target: TARGET });

    expect(result.outcome).toBe('changed');
    expect(cf).toHaveReceivedCommandTimes(GetDistributionConfigCommand, 2);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 2);
    expect(cf).toHaveReceivedNthSpecificCommandWith(1, UpdateDistributionCommand, { IfMatch: 'E1' });
    expect(cf).toHaveReceivedNthSpecificCommandWith(2, UpdateDistributionCommand, { IfMatch: 'E2' });
    expect(updateInputs()[1]).toStrictEqual(expectedTokyoConfig());
  });

  it('reports already-done when the re-read after a stale ETag shows the switch already made', async () => {
    cf.on(GetDistributionConfigCommand)
      .resolvesOnce({ DistributionConfig: seoulConfig(), ETag: 'E1' })
      .resolvesOnce({ DistributionConfig: expectedTokyoConfig(), ETag: 'E2' });
    cf.on(UpdateDistributionCommand).rejects(new PreconditionFailed({ message: 'stale', $metadata: {} }));

    const result = await switchCloudFront({ cloudfront, permissions }, { dryRun: false, target: TARGET });

    expect(result.outcome).toBe('already-done');
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
  });

  it('gives up with DistributionConfigChangedError when the ETag keeps going stale', async () => {
    let n = 0;
    cf.on(GetDistributionConfigCommand).callsFake(() => ({ DistributionConfig: seoulConfig(), ETag: `E${++n}` }));
    cf.on(UpdateDistributionCommand).rejects(new PreconditionFailed({ message: 'stale', $metadata: {} }));

    await expect(
      switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'DistributionConfigChangedError' });
    expect(cf).toHaveReceivedCommandTimes(GetDistributionConfigCommand, MAX_UPDATE_ATTEMPTS);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, MAX_UPDATE_ATTEMPTS);
    expect(cf).toHaveReceivedNthSpecificCommandWith(MAX_UPDATE_ATTEMPTS, UpdateDistributionCommand, {
      IfMatch: `E${MAX_UPDATE_ATTEMPTS}`,
    });
  });

  it('turns throttling into AwsTransientError through the handler', async () => {
    cf.on(GetDistributionConfigCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'Throttling',
        $metadata: { httpStatusCode: 400 },
        $retryable: { throttling: true },
      }),
    );

    await expect(
      switchHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'AwsTransientError' });
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 0);
  });

  it('rejects a payload that breaks the contract with StepContractError', async () => {
    await expect(
      switchHandler({ dryRun: false, mode: 'emergency', target: { distributionId: DIST } }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'StepContractError' });
    expect(cf.calls()).toHaveLength(0);
  });
});

describe('Check CloudFront deployed', () => {
  it('is not done while the distribution is InProgress and counts the attempt, through the handler', async () => {
    cf.on(GetDistributionCommand).resolves({ Distribution: { Status: 'InProgress' } as never, ETag: 'E2' });

    const result = await checkHandler({ dryRun: false, mode: 'emergency', target: TARGET }, lambdaContext());

    expect(cf).toHaveReceivedCommandWith(GetDistributionCommand, { Id: DIST });
    expect(result).toMatchObject({ step: 'Check CloudFront deployed', done: false, attempt: 1, status: 'InProgress' });
  });

  it('is done once the distribution is Deployed', async () => {
    cf.on(GetDistributionCommand).resolves({ Distribution: { Status: 'Deployed' } as never });

    const result = await checkCloudFront({ cloudfront }, { dryRun: false, attempt: 4, target: TARGET });

    expect(result).toEqual({ step: 'Check CloudFront deployed', done: true, attempt: 5, status: 'Deployed' });
  });

  it('skips the poll without an API call in a dry run', async () => {
    const result = await checkCloudFront({ cloudfront }, { dryRun: true, attempt: 0, target: TARGET });

    expect(result).toMatchObject({ done: true, attempt: 1 });
    expect(cf.calls()).toHaveLength(0);
  });

  it('skips the poll without an API call when no behaviours are configured', async () => {
    const result = await checkCloudFront(
      { cloudfront },
      { dryRun: false, attempt: 2, target: { distributionId: DIST, behaviors: [] } },
    );

    expect(result).toMatchObject({ done: true, attempt: 3 });
    expect(cf.calls()).toHaveLength(0);
  });

  it('reports a missing distribution as DistributionMisconfiguredError', async () => {
    cf.on(GetDistributionCommand).rejects(new NoSuchDistribution({ message: 'gone', $metadata: {} }));

    await expect(checkCloudFront({ cloudfront }, { dryRun: false, attempt: 0, target: TARGET })).rejects.toMatchObject({
      name: 'DistributionMisconfiguredError',
    });
  });
});

describe('Switch CloudFront origins: a dry run proves the role may update the distribution', () => {
  const denied = (decision: 'implicitDeny' | 'explicitDeny') => {
    iamMock.reset();
    iamMock.on(SimulateCommand).resolves({
      EvaluationResults: [{ EvalActionName: 'cloudfront:UpdateDistribution', EvalResourceName: `arn:aws:cloudfront::111122223333:distribution/${DIST}`, EvalDecision: decision }],
      IsTruncated: false,
    });
  };

  it('asks IAM about UpdateDistribution on the distribution ARN in the role\'s account, and sends no update when allowed', async () => {
    fakeDistribution();
    const result = await switchCloudFront({ cloudfront, permissions }, { dryRun: true, target: TARGET });
    expect(result.outcome).toBe('would-change');
    expect(simulations()).toEqual([
      { PolicySourceArn: ROLE_ARN, ActionNames: ['cloudfront:UpdateDistribution'], ResourceArns: [`arn:aws:cloudfront::111122223333:distribution/${DIST}`] },
    ]);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 0);
  });

  it('blocks the dry run on implicitDeny, naming the role, the action and the distribution, and sends no update', async () => {
    fakeDistribution();
    denied('implicitDeny');
    const run = switchCloudFront({ cloudfront, permissions }, { dryRun: true, target: TARGET });
    await expect(run).rejects.toMatchObject({ name: 'DryRunPermissionDeniedError' });
    await expect(run).rejects.toThrow(`the cutover role dr-cutover-step-role may not cloudfront:UpdateDistribution on arn:aws:cloudfront::111122223333:distribution/${DIST}: implicitDeny`);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 0);
  });

  it('says an explicit deny must be removed, not granted', async () => {
    fakeDistribution();
    denied('explicitDeny');
    await expect(switchCloudFront({ cloudfront, permissions }, { dryRun: true, target: TARGET })).rejects.toThrow(/explicitDeny\. A real run would fail here; remove or narrow the Deny statement/);
  });

  it('never simulates in a real run', async () => {
    fakeDistribution();
    await switchCloudFront({ cloudfront, permissions }, { dryRun: false, target: TARGET });
    expect(simulations()).toEqual([]);
  });
});
