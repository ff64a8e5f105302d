import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { SimulatedHostedZone } from '../../drill/world/route53-zone';

/** The drill's Route 53 hosted zone follows Route 53's documented record-set rules. */
const SEOUL = { DNSName: 'seoul-alb.example.com.', HostedZoneId: 'ZSEOUL', EvaluateTargetHealth: true };
const TOKYO = { DNSName: 'tokyo-alb.example.com.', HostedZoneId: 'ZTOKYO', EvaluateTargetHealth: true };
const upsert = (set: ResourceRecordSet): Change => ({ Action: 'UPSERT', ResourceRecordSet: set });

/** What `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function zone(sets: ResourceRecordSet[] = []): SimulatedHostedZone {
  const z = new SimulatedHostedZone('Z0', 'portforge.org');
  for (const s of sets) z.seed(s);
  return z;
}

describe('simulated Route 53 hosted zone', () => {
  it('lists by reversed name, then type, then set identifier, from the start position, with the next position when truncated', () => {
    const z = zone([
      { Name: 'www.portforge.org', Type: 'A', AliasTarget: SEOUL },
      { Name: 'api.portforge.org', Type: 'AAAA', AliasTarget: SEOUL },
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'seoul', Failover: 'PRIMARY', AliasTarget: SEOUL },
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'secondary', Failover: 'SECONDARY', AliasTarget: TOKYO },
      { Name: 'b.api.portforge.org', Type: 'A', AliasTarget: SEOUL },
    ]);
    const label = (s: ResourceRecordSet) => `${s.Name} ${s.Type}${s.SetIdentifier ? ` ${s.SetIdentifier}` : ''}`;

    expect(z.list({}).ResourceRecordSets.map(label)).toEqual([
      'api.portforge.org. A secondary',
      'api.portforge.org. A seoul',
      'api.portforge.org. AAAA',
      'b.api.portforge.org. A',
      'www.portforge.org. A',
    ]);
    // MaxItems 1 by name and type returns whichever variant sorts first.
    const first = z.list({ StartRecordName: 'api.portforge.org', StartRecordType: 'A', MaxItems: 1 });
    expect(first.ResourceRecordSets.map(label)).toEqual(['api.portforge.org. A secondary']);
    expect(first).toMatchObject({ IsTruncated: true, NextRecordName: 'api.portforge.org.', NextRecordType: 'A', NextRecordIdentifier: 'seoul' });
    expect(z.list({ StartRecordName: 'api.portforge.org', StartRecordType: 'A', StartRecordIdentifier: 'seoul', MaxItems: 1 }).ResourceRecordSets.map(label)).toEqual(['api.portforge.org. A seoul']);
    expect(thrown(() => z.list({ StartRecordType: 'A' }))).toMatchObject({ name: 'InvalidInput' });
  });

  it('replaces a record set on UPSERT only by its whole identity, keeping the sibling', () => {
    const z = zone([
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'seoul', Failover: 'PRIMARY', AliasTarget: SEOUL },
      { Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'secondary', Failover: 'SECONDARY', AliasTarget: TOKYO },
    ]);
    z.change([upsert({ Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'seoul', Failover: 'PRIMARY', AliasTarget: TOKYO })]);
    expect(z.get('api.portforge.org', 'A', 'seoul')?.AliasTarget).toEqual(TOKYO);
    expect(z.get('api.portforge.org', 'A', 'secondary')?.Failover).toBe('SECONDARY');
  });

  it('refuses a simple record beside routing-policy records of the same name and type, and the reverse', () => {
    const routed = zone([{ Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'seoul', Failover: 'PRIMARY', AliasTarget: SEOUL }]);
    expect(thrown(() => routed.change([upsert({ Name: 'api.portforge.org', Type: 'A', AliasTarget: TOKYO })]))).toMatchObject({
      name: 'InvalidChangeBatch',
      message: '[RRSet with DNS name api.portforge.org., type A cannot be created as other RRSets exist with the same name and type.]',
    });
    const simple = zone([{ Name: 'api.portforge.org', Type: 'A', AliasTarget: SEOUL }]);
    expect(thrown(() => simple.change([upsert({ Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'x', Weight: 1, AliasTarget: TOKYO })]))).toMatchObject({
      name: 'InvalidChangeBatch',
    });
    expect(() => routed.change([upsert({ Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'w', Weight: 1, AliasTarget: TOKYO })])).toThrow(/different routing policy/);
    expect(() => routed.change([upsert({ Name: 'api.portforge.org', Type: 'A', SetIdentifier: 'p2', Failover: 'PRIMARY', AliasTarget: TOKYO })])).toThrow(/a PRIMARY failover RRSet already exists/);
  });

  it('refuses an A record beside a CNAME of the same name, with Route 53\'s message', () => {
    const z = zone([{ Name: 'auth.portforge.org', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'x.portforge.org' }] }]);
    expect(() => z.change([upsert({ Name: 'auth.portforge.org', Type: 'A', AliasTarget: TOKYO })])).toThrow(
      '[RRSet of type A with DNS name auth.portforge.org. is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone portforge.org.]',
    );
    // In one batch, deleting the CNAME first makes room for the A record.
    z.change([
      { Action: 'DELETE', ResourceRecordSet: { Name: 'auth.portforge.org', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'x.portforge.org' }] } },
      upsert({ Name: 'auth.portforge.org', Type: 'A', AliasTarget: TOKYO }),
    ]);
    expect(z.get('auth.portforge.org', 'CNAME')).toBeUndefined();
    expect(z.get('auth.portforge.org', 'A')?.AliasTarget).toEqual(TOKYO);
  });

  it('applies a batch all or nothing and names every problem', () => {
    const z = zone([{ Name: 'api.portforge.org', Type: 'A', AliasTarget: SEOUL }, { Name: 'auth.portforge.org', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x' }] }]);
    const error = thrown(() =>
      z.change([
        upsert({ Name: 'api.portforge.org', Type: 'A', AliasTarget: TOKYO }),
        upsert({ Name: 'auth.portforge.org', Type: 'A', AliasTarget: TOKYO }),
        upsert({ Name: 'api.other.org', Type: 'A', AliasTarget: TOKYO }),
      ]),
    );
    expect(error).toMatchObject({ name: 'InvalidChangeBatch', messages: [expect.stringContaining('CNAME'), 'RRSet with DNS name api.other.org. is not permitted in zone portforge.org.'] });
    expect(z.get('api.portforge.org', 'A')?.AliasTarget).toEqual(SEOUL);
  });

  it('refuses a batch naming one record set twice, a malformed record set, and one over the ResourceRecord quota', () => {
    const z = zone();
    const set = { Name: 'api.portforge.org', Type: 'A' as const, AliasTarget: TOKYO };
    expect(() => z.change([upsert(set), upsert(set)])).toThrow("The request contains an invalid set of changes for a resource record set 'A api.portforge.org.'");
    expect(thrown(() => z.change([upsert({ ...set, SetIdentifier: 'x' })]))).toMatchObject({ name: 'InvalidInput' });
    expect(thrown(() => z.change([upsert({ ...set, TTL: 60 })]))).toMatchObject({ name: 'InvalidInput' });
    // An UPSERT counts each ResourceRecord twice: 501 values make 1,002.
    const values = Array.from({ length: 501 }, (_, i) => ({ Value: `192.0.2.${i % 250}` }));
    expect(() => z.change([upsert({ Name: 'many.portforge.org', Type: 'A', TTL: 60, ResourceRecords: values })])).toThrow('Number of records limit of 1000 exceeded');
  });
});
