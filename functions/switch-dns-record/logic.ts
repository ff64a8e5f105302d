import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type Change as Route53Change,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { Change, DnsZoneTarget, RecordTarget, StepResult } from '../shared/contracts';
import { provePermissions, route53ChangeContext, type PermissionDeps } from '../shared/permissions';
import { AwsTransientError, DnsChangeInProgressError, DnsChangeRejectedError, DnsRecordMismatchError } from '../shared/errors';

export const STEP_NAME = 'Switch DNS zone';

export interface SwitchDnsRecordDeps {
  route53: Route53Client;
  /** Dry run only: proves the role may send the zone's ChangeBatch (iam:SimulatePrincipalPolicy). */
  permissions: PermissionDeps;
}

export interface SwitchDnsRecordInput {
  dryRun: boolean;
  target: DnsZoneTarget;
}

export type SwitchDnsRecordResult = StepResult & { hostedZoneId: string; changeId: string | null };

type AliasTarget = DnsZoneTarget['aliasTarget'];

/** What a record resolves to today, as shown in a Change's `before`/`after`. */
export type RecordState =
  | { aliasTarget: { dnsName: string; hostedZoneId: string; evaluateTargetHealth: boolean } }
  | { ttl: number | null; values: string[] }
  | null;

/**
 * Canonical form of a DNS name for comparison: lower case, no trailing dot, and Route 53's
 * octal escapes (`\052` for `*`) decoded.
 */
export function normalizeDnsName(name: string): string {
  return name
    .replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)))
    .toLowerCase()
    .replace(/\.$/, '');
}

export function describeRecord(record: ResourceRecordSet | undefined): RecordState {
  if (record === undefined) return null;
  if (record.AliasTarget !== undefined) {
    return {
      aliasTarget: {
        dnsName: record.AliasTarget.DNSName ?? '',
        hostedZoneId: record.AliasTarget.HostedZoneId ?? '',
        evaluateTargetHealth: record.AliasTarget.EvaluateTargetHealth ?? false,
      },
    };
  }
  return { ttl: record.TTL ?? null, values: (record.ResourceRecords ?? []).map((r) => r.Value ?? '') };
}

/** True when the record is already an alias to exactly the configured target. */
export function pointsAt(record: ResourceRecordSet | undefined, aliasTarget: AliasTarget): boolean {
  const alias = record?.AliasTarget;
  if (alias === undefined) return false;
  return (
    normalizeDnsName(alias.DNSName ?? '') === normalizeDnsName(aliasTarget.dnsName) &&
    alias.HostedZoneId === aliasTarget.hostedZoneId &&
    (alias.EvaluateTargetHealth ?? false) === aliasTarget.evaluateTargetHealth
  );
}

/** `api.portforge.org A` or `api.portforge.org A (set seoul)`: how messages name a record set. */
export function recordLabel(record: RecordTarget): string {
  return `${record.name} ${record.type}${record.setIdentifier ? ` (set ${record.setIdentifier})` : ''}`;
}

/** The Change's resource: the record set's identity, its set identifier included. */
export function recordResource(hostedZoneId: string, record: RecordTarget): string {
  return `route53/${hostedZoneId}/${record.name}/${record.type}${record.setIdentifier ? `/${record.setIdentifier}` : ''}`;
}

/** Every record set with the record's name (all types and set identifiers), as Route 53 lists them. */
export interface RecordsAtName {
  /** The record set with the configured name, type and set identifier, if there is one. */
  exact: ResourceRecordSet | undefined;
  /** All record sets of that name: variants of the same type, and other types such as a CNAME. */
  all: ResourceRecordSet[];
}

/** Where a ListResourceRecordSets page starts: a name, then optionally a type and a set identifier. */
interface ListStart {
  name?: string;
  type?: string;
  identifier?: string;
}

/** One page of a zone's record sets in Route 53's order, from `start`. */
function listPage(route53: Route53Client, hostedZoneId: string, start: ListStart, maxItems: number) {
  return route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      StartRecordName: start.name,
      ...(start.type ? { StartRecordType: start.type as RecordTarget['type'] } : {}),
      ...(start.identifier ? { StartRecordIdentifier: start.identifier } : {}),
      MaxItems: maxItems,
    }),
  );
}

/**
 * Reads every record set named like the record. ListResourceRecordSets (API reference) sorts by name, then
 * type, then set identifier, and starts at the first set at or after StartRecordName: listing from the name
 * and paging while the name still matches finds every variant, where MaxItems 1 by name and type would
 * return whichever variant sorts first.
 */
export async function readRecordsAtName(route53: Route53Client, hostedZoneId: string, record: RecordTarget): Promise<RecordsAtName> {
  const all: ResourceRecordSet[] = [];
  const wanted = normalizeDnsName(record.name);
  let start: ListStart = { name: record.name };
  for (;;) {
    const out = await listPage(route53, hostedZoneId, start, 100);
    const page = out.ResourceRecordSets ?? [];
    const same = page.filter((s) => normalizeDnsName(s.Name ?? '') === wanted);
    all.push(...same);
    // Past the name (or the end of the zone): nothing further can match.
    if (!out.IsTruncated || same.length < page.length || normalizeDnsName(out.NextRecordName ?? '') !== wanted) break;
    start = { name: out.NextRecordName, type: out.NextRecordType, identifier: out.NextRecordIdentifier };
  }
  const exact = all.find((s) => s.Type === record.type && (s.SetIdentifier ?? undefined) === record.setIdentifier);
  return { exact, all };
}

/** Route 53's sort position of a name: labels reversed, with the trailing dot (ListResourceRecordSets, "Sort order"). */
function sortName(name: string): string {
  return `${normalizeDnsName(name).split('.').reverse().join('.')}.`;
}

/** Pages of 300 (the most ListResourceRecordSets returns) read in one sweep before falling back to one read per name. */
const SWEEP_PAGES = 5;

/**
 * Reads every configured record's record sets with as few calls as it can (Route 53 allows five requests per
 * second per account): one sweep in Route 53's order from the first configured name, at most SWEEP_PAGES pages,
 * covers the names it passes; a name beyond the sweep is read on its own with `readRecordsAtName`.
 */
export async function readZoneRecords(route53: Route53Client, hostedZoneId: string, records: RecordTarget[]): Promise<RecordsAtName[]> {
  const names = [...new Set(records.map((r) => normalizeDnsName(r.name)))].sort((a, b) => (sortName(a) < sortName(b) ? -1 : sortName(a) > sortName(b) ? 1 : 0));
  const first = names[0];
  const last = names.at(-1);
  const swept: ResourceRecordSet[] = [];
  /** Every name that sorts before this has all its record sets in `swept`; null: the sweep reached the zone's end. */
  let coveredBefore: string | null = first === undefined ? null : sortName(first);
  let start: ListStart = { name: first };
  for (let page = 0; first !== undefined && last !== undefined && page < SWEEP_PAGES; page++) {
    const out = await listPage(route53, hostedZoneId, start, 300);
    swept.push(...(out.ResourceRecordSets ?? []));
    if (!out.IsTruncated || out.NextRecordName === undefined) {
      coveredBefore = null;
      break;
    }
    coveredBefore = sortName(out.NextRecordName);
    if (coveredBefore > sortName(last)) break;
    start = { name: out.NextRecordName, type: out.NextRecordType, identifier: out.NextRecordIdentifier };
  }
  const covered = (name: string) => coveredBefore === null || sortName(name) < coveredBefore;
  return mapLimited(records, 3, async (record) => {
    if (!covered(record.name)) return readRecordsAtName(route53, hostedZoneId, record);
    const all = swept.filter((s) => normalizeDnsName(s.Name ?? '') === normalizeDnsName(record.name));
    return { all, exact: all.find((s) => s.Type === record.type && (s.SetIdentifier ?? undefined) === record.setIdentifier) };
  });
}

/**
 * Why the zone does not hold the record in its configured form (null: it does): a CNAME of the same name,
 * no such record set, a simple record where a routing-policy one is configured (or the reverse), or a
 * different routing field.
 */
export function formProblem(record: RecordTarget, found: RecordsAtName): string | null {
  const label = recordLabel(record);
  if (found.all.some((s) => s.Type === 'CNAME')) {
    return `${record.name} is a CNAME in the zone: Route 53 refuses an ${record.type} record beside a CNAME of the same name. Replace the CNAME with the ${record.type} alias, or remove ${record.name} from route53.records`;
  }
  const variants = found.all.filter((s) => s.Type === record.type);
  const ids = variants.map((s) => s.SetIdentifier ?? '(simple)').join(', ');
  if (found.exact === undefined) {
    if (variants.length === 0) return `${label} does not exist in the zone; create it, or fix route53.records`;
    return `${label} does not exist; the zone has ${record.name} ${record.type} as ${ids}. Set route53.records[].setIdentifier to the record set to switch`;
  }
  const exact = found.exact;
  if (record.failover !== undefined && exact.Failover !== record.failover) {
    return `${label} is ${exact.Failover ? `a ${exact.Failover} failover record` : 'not a failover record'}, not ${record.failover} as configured`;
  }
  if (record.weight !== undefined && exact.Weight !== record.weight) {
    return `${label} has ${exact.Weight === undefined ? 'no weight' : `weight ${exact.Weight}`}, not ${record.weight} as configured`;
  }
  return null;
}

/**
 * The UPSERT that points the exact record set at the DR target: every field it has today (set identifier,
 * failover or weight, health check) kept as it is, and only the alias target changed. An UPSERT replaces
 * the record set with the same name, type and set identifier (API reference, ChangeResourceRecordSets).
 */
export function switchedRecordSet(current: ResourceRecordSet, aliasTarget: AliasTarget): ResourceRecordSet {
  // An alias record carries neither TTL nor ResourceRecords (API reference, ResourceRecordSet).
  const { TTL: _ttl, ResourceRecords: _values, ...kept } = current;
  return {
    ...kept,
    AliasTarget: { DNSName: aliasTarget.dnsName, HostedZoneId: aliasTarget.hostedZoneId, EvaluateTargetHealth: aliasTarget.evaluateTargetHealth },
  };
}

const IN_PROGRESS_NAMES = new Set(['PriorRequestNotComplete', 'Throttling', 'ThrottlingException']);

function isChangeInProgress(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; $retryable?: { throttling?: unknown } };
  return (typeof e.name === 'string' && IN_PROGRESS_NAMES.has(e.name)) || e.$retryable?.throttling === true;
}

/** Reads with a few at a time in flight: Route 53 allows five requests per second per account. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Points every configured record of one hosted zone at the DR alias target, in one ChangeBatch (atomic:
 * all of the zone's records or none, and one change for Route 53 to process). Each record set is read first
 * by its exact identity; records already there are left out, and a zone with nothing to change sends nothing.
 * Dry run: the diff per record, no write.
 */
export async function switchDnsRecord(deps: SwitchDnsRecordDeps, input: SwitchDnsRecordInput): Promise<SwitchDnsRecordResult> {
  const { hostedZoneId, aliasTarget, records } = input.target;
  const found = await readZoneRecords(deps.route53, hostedZoneId, records);
  const problems = records.flatMap((record, i) => {
    const problem = found[i] ? formProblem(record, found[i]) : `${recordLabel(record)} was not read`;
    return problem ? [problem] : [];
  });
  if (problems.length > 0) {
    throw new DnsRecordMismatchError(`zone ${hostedZoneId}: ${problems.join('; ')}`);
  }

  const upserts: Route53Change[] = [];
  const changes: Change[] = [];
  records.forEach((record, i) => {
    const current = found[i]?.exact;
    if (current === undefined || pointsAt(current, aliasTarget)) return;
    upserts.push({ Action: 'UPSERT', ResourceRecordSet: switchedRecordSet(current, aliasTarget) });
    changes.push({
      resource: recordResource(hostedZoneId, record),
      action: 'UPSERT alias',
      before: describeRecord(current),
      after: { aliasTarget: { ...aliasTarget } },
    });
  });
  if (upserts.length === 0) return { step: STEP_NAME, outcome: 'already-done', hostedZoneId, changes: [], changeId: null };
  if (input.dryRun) {
    // The exact ChangeBatch a real run sends: its names, types and actions are the condition keys.
    const sent = upserts.map((u) => ({ name: u.ResourceRecordSet?.Name ?? '', type: u.ResourceRecordSet?.Type ?? '', action: 'UPSERT' as const }));
    await provePermissions(deps.permissions, [
      {
        action: 'route53:ChangeResourceRecordSets',
        resourceArns: [`arn:aws:route53:::hostedzone/${hostedZoneId}`],
        context: route53ChangeContext(sent),
        purpose: `for ${[...new Set(sent.map((c) => `${normalizeDnsName(c.name)} ${c.type}`))].join(', ')} (UPSERT)`,
      },
    ]);
    return { step: STEP_NAME, outcome: 'would-change', hostedZoneId, changes, changeId: null };
  }

  try {
    const out = await deps.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: hostedZoneId,
        ChangeBatch: {
          Comment: `dr-cutover: point ${upserts.length} record${upserts.length === 1 ? '' : 's'} at the DR alias target`,
          Changes: upserts,
        },
      }),
    );
    const changeId = out.ChangeInfo?.Id;
    if (changeId === undefined) throw new AwsTransientError(`ChangeResourceRecordSets for zone ${hostedZoneId} returned no change id`);
    return { step: STEP_NAME, outcome: 'changed', hostedZoneId, changes, changeId };
  } catch (error) {
    if (isChangeInProgress(error)) {
      const name = (error as { name?: string }).name ?? 'Throttling';
      throw new DnsChangeInProgressError(`Route 53 zone ${hostedZoneId} is busy (${name}); its records are not changed yet`, { cause: error });
    }
    if (error instanceof Error && (error.name === 'InvalidChangeBatch' || error.name === 'InvalidInput')) {
      throw new DnsChangeRejectedError(
        `Route 53 refused the change to zone ${hostedZoneId}, so none of its records changed (${error.name}: ${error.message}). Fix the records named there and start the cutover again`,
        { cause: error },
      );
    }
    throw error;
  }
}
