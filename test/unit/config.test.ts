import { App } from 'aws-cdk-lib';
import { buildApp } from '../../stacks/app';
import { ConfigError, parseConfig, toRuntimeTargets } from '../../stacks/config';
import { ENVIRONMENTS, loadEnvironment } from '../../stacks/environments';

describe('environment config', () => {
  it('validates both shipped environments', () => {
    expect(loadEnvironment('staging').name).toBe('staging');
    expect(loadEnvironment('prod')).toMatchObject({ primaryRegion: 'ap-northeast-2', standbyRegion: 'ap-northeast-1' });
  });

  it('commits no account id: it comes from context or the environment', () => {
    expect(loadEnvironment('prod').account).toBeUndefined();
    expect(loadEnvironment('prod', '210987654321').account).toBe('210987654321');
    expect(JSON.stringify(ENVIRONMENTS)).not.toMatch(/\b\d{12}\b/);
  });

  it('names the environment and every bad field', () => {
    const raw = structuredClone(ENVIRONMENTS.prod) as Record<string, unknown> & { rds: Record<string, unknown> };
    delete raw.rds.replicaInstanceId;
    raw.standbyRegion = 'tokyo';
    raw.unexpected = true;
    expect(() => parseConfig('prod', raw)).toThrow(ConfigError);
    try {
      parseConfig('prod', raw);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("Invalid config for environment 'prod'");
      expect(message).toContain('rds.replicaInstanceId');
      expect(message).toContain('standbyRegion');
      expect(message).toContain('unexpected');
    }
  });

  it('verifies the endpoint by the x-served-region header unless the config names another signal', () => {
    const base = ENVIRONMENTS.staging as Record<string, unknown>;
    const endpoint = base.endpoint as Record<string, unknown>;
    const withSignal = (regionSignal: unknown) => parseConfig('staging', { ...base, endpoint: { ...endpoint, regionSignal } });
    const { regionSignal: _omitted, ...withoutSignal } = endpoint;
    const defaults = parseConfig('staging', { ...base, endpoint: withoutSignal });

    expect(defaults.endpoint.regionSignal).toEqual({ type: 'header', name: 'x-served-region' });
    expect(toRuntimeTargets(defaults, 'arn').endpoint).toMatchObject({ expectRegion: 'ap-northeast-1', regionSignal: { type: 'header', name: 'x-served-region' } });
    expect(withSignal({ type: 'body-field', path: 'meta.region' }).endpoint.regionSignal).toEqual({ type: 'body-field', path: 'meta.region' });
    expect(() => withSignal({ type: 'header', name: 'not a header' })).toThrow(/endpoint\.regionSignal\.name: must be an HTTP header name/);
  });

  it('derives the Auth ConfigMap\'s Region and Cognito keys from standbyRegion and cognito, and rejects a value that differs', () => {
    const base = ENVIRONMENTS.prod as Record<string, unknown>;
    const eks = base.eks as Record<string, unknown>;
    const config = parseConfig('prod', { ...base, eks: { ...eks, configMapData: { LOG_LEVEL: 'debug' } } });

    expect(config.eks.configMapData).toEqual({
      LOG_LEVEL: 'debug',
      AWS_REGION: 'ap-northeast-1',
      COGNITO_REGION: 'ap-northeast-1',
      COGNITO_USER_POOL_ID: config.cognito.userPoolId,
      COGNITO_APP_CLIENT_ID: config.cognito.appClientId,
    });
    expect(toRuntimeTargets(config, 'arn').eks.configMapData).toEqual(config.eks.configMapData);
    // The parsed config parses again unchanged (derived values equal their sources).
    expect(parseConfig('prod', config).eks.configMapData).toEqual(config.eks.configMapData);
    expect(() => parseConfig('prod', { ...base, eks: { ...eks, configMapData: { COGNITO_USER_POOL_ID: 'ap-northeast-1_Other' } } })).toThrow(
      /eks\.configMapData\.COGNITO_USER_POOL_ID: is derived \(ap-northeast-1_PortforgeDR, from cognito\)/,
    );
    expect(() => parseConfig('prod', { ...base, eks: { ...eks, configMapData: { AWS_REGION: 'ap-northeast-2' } } })).toThrow(
      /eks\.configMapData\.AWS_REGION: is derived \(ap-northeast-1, from standbyRegion\)/,
    );
  });

  it('hands preflight every record name and where the Lambdas reach the cluster from', () => {
    const config = loadEnvironment('prod');
    expect(toRuntimeTargets(config, 'arn').preflight).toMatchObject({
      recordNames: ['api.portforge.org', 'auth.portforge.org'],
      eksAccess: { mode: 'public' },
      primaryRegion: 'ap-northeast-2',
    });
    const base = ENVIRONMENTS.prod as Record<string, unknown>;
    const eks = base.eks as Record<string, unknown>;
    expect(() => parseConfig('prod', { ...base, eks: { ...eks, lambdaEgressCidrs: ['203.0.113.300/32'] } })).toThrow(/eks\.lambdaEgressCidrs\.0: must be an IPv4 CIDR/);
    // The stack deploys the Kubernetes steps outside any VPC: settings it cannot honour are refused, not checked and then broken.
    expect(() => parseConfig('prod', { ...base, eks: { ...eks, lambdaAccess: 'vpc' } })).toThrow(/eks\.lambdaAccess: 'vpc' is not supported yet/);
    expect(() => parseConfig('prod', { ...base, eks: { ...eks, lambdaEgressCidrs: ['203.0.113.10/32'] } })).toThrow(/eks\.lambdaEgressCidrs: not supported yet/);
  });

  it('requires the primary\'s backup retention: no default may differ from it silently', () => {
    const raw = structuredClone(ENVIRONMENTS.prod) as Record<string, unknown> & { rds: Record<string, unknown> };
    delete raw.rds.backupRetentionDays;
    expect(() => parseConfig('prod', raw)).toThrow(/rds\.backupRetentionDays/);
    raw.rds.backupRetentionDays = 0;
    expect(() => parseConfig('prod', raw)).toThrow(/rds\.backupRetentionDays/);
  });

  it('refuses a standby Region equal to the primary', () => {
    const raw = { ...ENVIRONMENTS.staging, standbyRegion: 'ap-northeast-2' };
    expect(() => parseConfig('staging', raw)).toThrow(/standbyRegion: primaryRegion and standbyRegion must differ/);
  });

  it('fails synth for an unknown environment with the valid names', () => {
    expect(() => buildApp(new App({ context: { env: 'qa', 'aws:cdk:bundling-stacks': [] } }))).toThrow(
      "Unknown environment 'qa'. Use -c env=<staging|prod>.",
    );
  });

  it('splits CloudFront behaviours into those switched with recovery and those that wait for the API', () => {
    const targets = toRuntimeTargets(loadEnvironment('prod'), 'arn:aws:acm:ap-northeast-1:123456789012:certificate/x');
    expect(targets.staticEdge.behaviors.map((b) => b.pathPattern)).toEqual(['*', '/assets/*']);
    expect(targets.apiEdge.behaviors.map((b) => b.pathPattern)).toEqual(['/api/*']);
    expect(targets.dnsZones.map((z) => z.hostedZoneId)).toEqual(['Z0PORTFORGEORG']);
  });

  describe('route53.records with a routing policy', () => {
    const withRecords = (records: unknown[]) => ({ ...ENVIRONMENTS.prod, route53: { ...ENVIRONMENTS.prod?.route53, records } });

    it('accepts failover and weighted records with their set identifier, and groups records by hosted zone', () => {
      const config = parseConfig('prod', withRecords([
        { name: 'api.portforge.org', type: 'A', setIdentifier: 'seoul', failover: 'PRIMARY' },
        { name: 'auth.portforge.org', type: 'A', setIdentifier: 'seoul', weight: 100 },
        { name: 'www.other.org', type: 'AAAA', hostedZoneId: 'Z0OTHER' },
      ]));
      const targets = toRuntimeTargets(config, 'arn:aws:acm:ap-northeast-1:123456789012:certificate/x');
      expect(targets.dnsZones.map((z) => [z.hostedZoneId, z.records.map((r) => `${r.name} ${r.setIdentifier ?? '-'} ${r.failover ?? r.weight ?? '-'}`)])).toEqual([
        ['Z0PORTFORGEORG', ['api.portforge.org seoul PRIMARY', 'auth.portforge.org seoul 100']],
        ['Z0OTHER', ['www.other.org - -']],
      ]);
      expect(targets.preflight.dnsZones).toEqual(targets.dnsZones);
    });

    it.each([
      [{ name: 'api.portforge.org', type: 'A', setIdentifier: 'tokyo', region: 'ap-northeast-1' }, 'route53.records.0.region: latency routing is not supported; only failover and weighted records can be switched'],
      [{ name: 'api.portforge.org', type: 'A', setIdentifier: 'x', geoLocation: { CountryCode: 'KR' } }, 'geolocation routing is not supported'],
      [{ name: 'api.portforge.org', type: 'A', failover: 'PRIMARY' }, 'route53.records.0.setIdentifier: a failover record needs the setIdentifier of the record set to switch'],
      [{ name: 'api.portforge.org', type: 'A', setIdentifier: 'seoul' }, 'setIdentifier needs its routing policy: set failover (PRIMARY|SECONDARY) or weight'],
      [{ name: 'api.portforge.org', type: 'A', setIdentifier: 'seoul', failover: 'PRIMARY', weight: 1 }, 'set failover or weight, not both'],
    ])('rejects %j with a clear config error', (record, message) => {
      expect(() => parseConfig('prod', withRecords([record]))).toThrow(message);
    });

    it('rejects a simple and a routing-policy record of one name and type, and a record set listed twice', () => {
      expect(() => parseConfig('prod', withRecords([{ name: 'api.portforge.org', type: 'A' }, { name: 'api.portforge.org', type: 'A', setIdentifier: 's', weight: 1 }]))).toThrow(
        'api.portforge.org A cannot be both a simple record and a routing-policy record',
      );
      expect(() => parseConfig('prod', withRecords([{ name: 'api.portforge.org', type: 'A' }, { name: 'API.portforge.org.', type: 'A' }]))).toThrow('API.portforge.org. A is listed twice');
    });
  });
});

