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

