import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53Client,
  type ChangeResourceRecordSetsCommandInput,
  type ChangeResourceRecordSetsCommandOutput,
  type GetChangeCommandInput,
  type GetChangeCommandOutput,
  type ListResourceRecordSetsCommandInput,
  type ListResourceRecordSetsCommandOutput,
} from '@aws-sdk/client-route-53';
import { stubClient, type Answer } from './dispatch';
import { canonicalName, type SimulatedHostedZone } from './route53-zone';
import type { SimulatedWorld } from './simulated-world';

export function installRoute53(world: SimulatedWorld): void {
  const on = stubClient(world, Route53Client);
  const zoneFor = (id: string | undefined) => {
    const zone = world.zones.get((id ?? '').replace(/^\/hostedzone\//, ''));
    if (!zone) throw new NoSuchHostedZone({ message: `No hosted zone found with ID: ${id ?? ''}`, $metadata: { httpStatusCode: 404 } });
    return zone;
  };
  on(ListResourceRecordSetsCommand, (input: ListResourceRecordSetsCommandInput): Answer<ListResourceRecordSetsCommandOutput> =>
    zoneFor(input.HostedZoneId).list(input) as Answer<ListResourceRecordSetsCommandOutput>,
  );
  on(ChangeResourceRecordSetsCommand, (input: ChangeResourceRecordSetsCommandInput): Answer<ChangeResourceRecordSetsCommandOutput> => {
    const zone = zoneFor(input.HostedZoneId);
    // Route 53 API reference, PriorRequestNotComplete: while Route 53 is still processing a request for a
    // hosted zone it rejects the next request for the same zone. (It does not publish how long processing takes.)
    const busy = [...world.changes.values()].some((c) => c.zoneId === zone.id && world.now() - c.submittedAt < world.timing.route53ProcessingSeconds * 1000);
    if (busy) {
      throw new PriorRequestNotComplete({ message: 'The request was rejected because Route 53 was still processing a prior request.', $metadata: { httpStatusCode: 400 } });
    }
    // All or nothing: an InvalidChangeBatch leaves the zone as it was.
    const applied = zone.change(input.ChangeBatch?.Changes ?? []);
    for (const set of applied) {
      world.effects.push({ kind: 'dns-upsert', detail: `${set.Name ?? ''} ${set.Type ?? ''}${set.SetIdentifier ? ` ${set.SetIdentifier}` : ''}` });
    }
    const id = `/change/C${String(world.nextChange++).padStart(6, '0')}`;
    world.changes.set(id.replace('/change/', ''), { submittedAt: world.now(), zoneId: zone.id });
    return { ChangeInfo: { Id: id, Status: 'PENDING', SubmittedAt: new Date() } };
  });
  on(GetChangeCommand, (input: GetChangeCommandInput): Answer<GetChangeCommandOutput> => {
    const key = (input.Id ?? '').replace('/change/', '');
    const change = world.changes.get(key);
    if (!change) throw Object.assign(new Error(`No change ${key}`), { name: 'NoSuchChange', $metadata: {} });
    const insync = !world.dnsNeverInsync && world.now() - change.submittedAt >= world.timing.route53InsyncSeconds * 1000;
    const status = insync ? 'INSYNC' : 'PENDING';
    return { ChangeInfo: { Id: input.Id, Status: status, SubmittedAt: new Date() } };
  });
}

/** The hosted zone a configured record lives in. */
export function zoneOf(world: SimulatedWorld, record: { hostedZoneId?: string | undefined }): SimulatedHostedZone {
  const id = record.hostedZoneId ?? world.config.route53.hostedZoneId;
  const zone = world.zones.get(id);
  if (!zone) throw new Error(`no simulated hosted zone ${id}`);
  return zone;
}

/** Where each configured record set (its exact name, type and set identifier) points now. */
export function dnsTargets(world: SimulatedWorld): Record<string, string | undefined> {
  return Object.fromEntries(
    world.config.route53.records.map((r) => {
      const target = world.zoneOf(r).get(r.name, r.type, r.setIdentifier)?.AliasTarget?.DNSName;
      return [r.name, target === undefined ? undefined : canonicalName(target)];
    }),
  );
}
