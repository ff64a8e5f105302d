import { InvalidChangeBatch, InvalidInput, type Change, type ResourceRecordSet } from '@aws-sdk/client-route-53';

/**
 * One simulated Route 53 hosted zone: its record sets and the rules ChangeResourceRecordSets
 * enforces on them, as the Route 53 API reference and developer guide describe them.
 */

/** Route 53 API reference, ResourceRecordSet: the fields that make a record set a routing-policy record. */
const ROUTING_FIELDS = ['Failover', 'Weight', 'Region', 'GeoLocation', 'MultiValueAnswer', 'CidrRoutingConfig', 'GeoProximityLocation'] as const;
type RoutingField = (typeof ROUTING_FIELDS)[number];

/**
 * Route 53 developer guide, Quotas ("Quotas on API requests"): a ChangeResourceRecordSets request holds at most
 * 1,000 ResourceRecord elements and 32,000 characters in all Value elements; for an UPSERT each counts twice.
 */
export const MAX_RESOURCE_RECORDS_PER_BATCH = 1000;
export const MAX_VALUE_CHARACTERS_PER_BATCH = 32_000;

/** Lower case, without the trailing dot: Route 53 names are case-insensitive and fully qualified. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

const fqdn = (name: string) => `${canonicalName(name)}.`;

/** The identity of a record set: name, type and (routing policies only) set identifier. */
export function recordSetKey(name: string, type: string, setIdentifier?: string): string {
  return `${canonicalName(name)}|${type}|${setIdentifier ?? ''}`;
}

/**
 * ListResourceRecordSets API reference, "Sort order": by DNS name with the labels reversed
 * (com.example.www.), in ASCII order, then by record type. Record sets of one name and type
 * differ by SetIdentifier, which StartRecordIdentifier/NextRecordIdentifier page through in order.
 */
function sortKey(set: { name: string; type: string; setIdentifier?: string | undefined }): [string, string, string] {
  return [`${canonicalName(set.name).split('.').reverse().join('.')}.`, set.type, set.setIdentifier ?? ''];
}

function compareKeys(a: [string, string, string], b: [string, string, string]): number {
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function routingKind(set: ResourceRecordSet): RoutingField | 'simple' {
  return ROUTING_FIELDS.find((f) => set[f] !== undefined) ?? 'simple';
}

const setIdOf = (set: ResourceRecordSet) => (set.SetIdentifier ? `, SetIdentifier ${set.SetIdentifier}` : '');

export interface ListInput {
  StartRecordName?: string;
  StartRecordType?: string;
  StartRecordIdentifier?: string;
  MaxItems?: number;
}

export class SimulatedHostedZone {
  private readonly sets = new Map<string, ResourceRecordSet>();

  constructor(
    readonly id: string,
    /** The zone's domain, e.g. portforge.org (no trailing dot). */
    readonly name: string,
  ) {}

  /** Puts a record set in place as the zone's owner made it (outside any change batch). */
  seed(set: ResourceRecordSet): void {
    this.sets.set(recordSetKey(set.Name ?? '', set.Type ?? '', set.SetIdentifier), { ...structuredClone(set), Name: fqdn(set.Name ?? '') });
  }

  remove(name: string, type: string, setIdentifier?: string): void {
    this.sets.delete(recordSetKey(name, type, setIdentifier));
  }

  get(name: string, type: string, setIdentifier?: string): ResourceRecordSet | undefined {
    return this.sets.get(recordSetKey(name, type, setIdentifier));
  }

  all(): ResourceRecordSet[] {
    return [...this.sets.values()].sort((a, b) => compareKeys(sortKey(keyOf(a)), sortKey(keyOf(b))));
  }

  /**
   * ListResourceRecordSets API reference: up to MaxItems (at most 300) record sets in sort order, starting at the
   * first whose (name, type[, set identifier]) is at or after the given start; a type without a name is
   * InvalidInput. IsTruncated and NextRecordName/Type/Identifier say where the next page begins.
   */
  list(input: ListInput): { ResourceRecordSets: ResourceRecordSet[]; IsTruncated: boolean; MaxItems: number; NextRecordName?: string; NextRecordType?: string; NextRecordIdentifier?: string } {
    if (input.StartRecordType !== undefined && input.StartRecordName === undefined) {
      throw new InvalidInput({ message: 'The input is not valid: StartRecordType requires StartRecordName', $metadata: { httpStatusCode: 400 } });
    }
    const maxItems = Math.min(Math.max(1, input.MaxItems ?? 300), 300);
    const sorted = this.all();
    const start =
      input.StartRecordName === undefined
        ? 0
        : sorted.findIndex((s) => {
            const [name, type, id] = sortKey(keyOf(s));
            const [startName, startType, startId] = sortKey({ name: input.StartRecordName ?? '', type: input.StartRecordType ?? '', setIdentifier: input.StartRecordIdentifier });
            if (name !== startName) return name > startName;
            if (input.StartRecordType === undefined) return true;
            if (type !== startType) return type > startType;
            return id >= startId;
          });
    const from = start < 0 ? sorted.length : start;
    const page = sorted.slice(from, from + maxItems).map((s) => structuredClone(s));
    const next = sorted[from + maxItems];
    return {
      ResourceRecordSets: page,
      IsTruncated: next !== undefined,
      MaxItems: maxItems,
      ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type, ...(next.SetIdentifier ? { NextRecordIdentifier: next.SetIdentifier } : {}) } : {}),
    };
  }

  /**
   * ChangeResourceRecordSets API reference, "Change batches and transactional changes": Route 53 validates the
   * whole batch and makes all of its changes or none. Returns the problems found (InvalidChangeBatch lists
   * them all), or applies the batch and returns what changed.
   */
  change(changes: Change[]): ResourceRecordSet[] {
    this.checkQuotas(changes);
    for (const change of changes) checkShape(change.ResourceRecordSet);
    const working = new Map([...this.sets].map(([k, v]) => [k, structuredClone(v)]));
    const problems: string[] = [];
    const seen = new Set<string>();
    const applied: ResourceRecordSet[] = [];
    for (const change of changes) {
      const set = setOf(change);
      const name = fqdn(set.Name ?? '');
      const type = set.Type ?? '';
      const key = recordSetKey(name, type, set.SetIdentifier);
      // A batch that names the same record set twice is refused as a whole.
      if (seen.has(key)) {
        problems.push(`The request contains an invalid set of changes for a resource record set '${type} ${name}'`);
        continue;
      }
      seen.add(key);
      const problem = this.problemWith(change, working);
      if (problem) {
        problems.push(problem);
        continue;
      }
      if (change.Action === 'DELETE') working.delete(key);
      else {
        // Route 53 keeps names fully qualified: it lists them, and alias targets, with the trailing dot.
        const stored = normalized(structuredClone(set));
        working.set(key, stored);
        applied.push(structuredClone(stored));
      }
    }
    if (problems.length > 0) {
      throw new InvalidChangeBatch({ message: `[${problems.join(', ')}]`, messages: problems, $metadata: { httpStatusCode: 400 } });
    }
    this.sets.clear();
    for (const [k, v] of working) this.sets.set(k, v);
    return applied;
  }

  private checkQuotas(changes: Change[]): void {
    let records = 0;
    let characters = 0;
    for (const change of changes) {
      const weight = change.Action === 'UPSERT' ? 2 : 1;
      for (const r of change.ResourceRecordSet?.ResourceRecords ?? []) {
        records += weight;
        characters += weight * (r.Value ?? '').length;
      }
    }
    if (records > MAX_RESOURCE_RECORDS_PER_BATCH) {
      throw new InvalidChangeBatch({ message: `[Number of records limit of ${MAX_RESOURCE_RECORDS_PER_BATCH} exceeded.]`, $metadata: { httpStatusCode: 400 } });
    }
    if (characters > MAX_VALUE_CHARACTERS_PER_BATCH) {
      throw new InvalidChangeBatch({ message: `[Number of characters limit of ${MAX_VALUE_CHARACTERS_PER_BATCH} exceeded.]`, $metadata: { httpStatusCode: 400 } });
    }
  }

  /** The rules one change must meet against the zone as the batch has left it so far. */
  private problemWith(change: Change, working: Map<string, ResourceRecordSet>): string | undefined {
    const set = setOf(change);
    const name = fqdn(set.Name ?? '');
    const type = set.Type ?? '';
    const key = recordSetKey(name, type, set.SetIdentifier);
    const zone = `${this.name}.`;
    if (name !== zone && !name.endsWith(`.${zone}`)) return `RRSet with DNS name ${name} is not permitted in zone ${zone}`;
    const sameName = [...working.values()].filter((s) => canonicalName(s.Name ?? '') === canonicalName(name));
    const existing = working.get(key);
    if (change.Action === 'DELETE') {
      // API reference, ChangeResourceRecordSets: to delete a record set, every value must match the one created.
      if (!existing || JSON.stringify(normalized(existing)) !== JSON.stringify(normalized({ ...set, Name: name }))) {
        return `Tried to delete resource record set [name='${name}', type='${type}'${set.SetIdentifier ? `, set-identifier='${set.SetIdentifier}'` : ''}] but it was not found`;
      }
      return undefined;
    }
    if (change.Action === 'CREATE' && existing) {
      return `Tried to create resource record set [name='${name}', type='${type}'${set.SetIdentifier ? `, set-identifier='${set.SetIdentifier}'` : ''}] but it already exists`;
    }
    // Developer guide, "Choosing between alias and non-alias records" / CNAME rules: a CNAME cannot share its
    // name with any other record, and no record can be created beside a CNAME of the same name.
    const cname = sameName.find((s) => s.Type === 'CNAME');
    if (type !== 'CNAME' && cname) {
      return `RRSet of type ${type} with DNS name ${name} is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone ${zone}`;
    }
    if (type === 'CNAME' && sameName.some((s) => s.Type !== 'CNAME')) {
      return `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone}`;
    }
    // Developer guide, "Choosing a routing policy" and ResourceRecordSet.SetIdentifier: record sets of one name and
    // type either are a single simple record, or all share one routing policy and differ by SetIdentifier.
    const siblings = sameName.filter((s) => s.Type === type && recordSetKey(s.Name ?? '', s.Type ?? '', s.SetIdentifier) !== key);
    const kind = routingKind(set);
    if (kind === 'simple' && siblings.length > 0) {
      return `RRSet with DNS name ${name}, type ${type} cannot be created as other RRSets exist with the same name and type.`;
    }
    const simpleSibling = siblings.find((s) => routingKind(s) === 'simple');
    if (kind !== 'simple' && simpleSibling) {
      return `RRSet with DNS name ${name}, type ${type}${setIdOf(set)} cannot be created because a non-${kind.toLowerCase()} RRSet exists with the same name and type.`;
    }
    const otherPolicy = siblings.find((s) => routingKind(s) !== kind);
    if (kind !== 'simple' && otherPolicy) {
      return `RRSet with DNS name ${name}, type ${type}${setIdOf(set)} cannot be created because an RRSet with a different routing policy (${routingKind(otherPolicy)}) exists with the same name and type.`;
    }
    // Developer guide, "Configuring active-passive failover": one PRIMARY and one SECONDARY record per name and type.
    if (set.Failover && siblings.some((s) => s.Failover === set.Failover)) {
      return `RRSet with DNS name ${name}, type ${type}${setIdOf(set)}: a ${set.Failover} failover RRSet already exists with the same name and type.`;
    }
    return undefined;
  }
}

function setOf(change: Change): ResourceRecordSet {
  const set = change.ResourceRecordSet;
  if (!set) throw new InvalidInput({ message: 'Invalid request: a Change needs a ResourceRecordSet', $metadata: { httpStatusCode: 400 } });
  return set;
}

function keyOf(set: ResourceRecordSet): { name: string; type: string; setIdentifier?: string | undefined } {
  return { name: set.Name ?? '', type: set.Type ?? '', setIdentifier: set.SetIdentifier };
}

/** A record set with Route 53's normalisations, for comparing a DELETE against what exists. */
function normalized(set: ResourceRecordSet): ResourceRecordSet {
  const alias = set.AliasTarget ? { ...set.AliasTarget, DNSName: fqdn(set.AliasTarget.DNSName ?? '') } : undefined;
  return { ...set, Name: fqdn(set.Name ?? ''), ...(alias ? { AliasTarget: alias } : {}) };
}

/**
 * ResourceRecordSet API reference: an alias record has AliasTarget and neither TTL nor ResourceRecords; a
 * SetIdentifier comes with exactly one routing field, and a routing field needs a SetIdentifier. Route 53
 * answers a malformed record set with InvalidInput before it looks at the zone.
 */
function checkShape(set: ResourceRecordSet | undefined): void {
  const invalid = (why: string) => new InvalidInput({ message: `Invalid request: ${why}`, $metadata: { httpStatusCode: 400 } });
  if (!set?.Name || !set.Type) throw invalid('a ResourceRecordSet needs a Name and a Type');
  if (set.AliasTarget && (set.TTL !== undefined || (set.ResourceRecords ?? []).length > 0)) {
    throw invalid(`Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]], but found more than one in Change with [Name=${set.Name}, Type=${set.Type}]`);
  }
  const routing = ROUTING_FIELDS.filter((f) => set[f] !== undefined);
  if (routing.length > 1) throw invalid(`more than one routing policy (${routing.join(', ')}) in Change with [Name=${set.Name}, Type=${set.Type}]`);
  if (routing.length === 1 && !set.SetIdentifier) throw invalid(`${routing[0] ?? ''} requires a SetIdentifier in Change with [Name=${set.Name}, Type=${set.Type}]`);
  if (routing.length === 0 && set.SetIdentifier) throw invalid(`SetIdentifier requires a routing policy in Change with [Name=${set.Name}, Type=${set.Type}]`);
}
