import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { Change, RecordTarget, StepResult } from '../shared/contracts';
import { AwsTransientError, DnsChangeInProgressError } from '../shared/errors';

export const STEP_NAME = 'Switch DNS record';

export interface SwitchDnsRecordDeps {
  route53: Route53Client;
}

export interface SwitchDnsRecordInput {
  dryRun: boolean;
  target: RecordTarget;
}

export type SwitchDnsRecordResult = StepResult & { changeId: string | null };

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
export function pointsAt(record: ResourceRecordSet | undefined, target: RecordTarget): boolean {
  const alias = record?.AliasTarget;
  if (alias === undefined) return false;
  return (
    normalizeDnsName(alias.DNSName ?? '') === normalizeDnsName(target.aliasTarget.dnsName) &&
    alias.HostedZoneId === target.aliasTarget.hostedZoneId &&
    (alias.EvaluateTargetHealth ?? false) === target.aliasTarget.evaluateTargetHealth
  );
}

/** Reads the one record set with the target's name and type, or undefined when there is none. */
export async function readRecord(route53: Route53Client, target: RecordTarget): Promise<ResourceRecordSet | undefined> {
  const out = await route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: target.hostedZoneId,
      StartRecordName: target.name,
      StartRecordType: target.type,
      MaxItems: 1,
    }),
  );
  const first = out.ResourceRecordSets?.[0];
  if (first === undefined) return undefined;
  const sameName = normalizeDnsName(first.Name ?? '') === normalizeDnsName(target.name);
  return sameName && first.Type === target.type ? first : undefined;
}

const IN_PROGRESS_NAMES = new Set(['PriorRequestNotComplete', 'Throttling', 'ThrottlingException']);

function isChangeInProgress(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; $retryable?: { throttling?: unknown } };
  return (typeof e.name === 'string' && IN_PROGRESS_NAMES.has(e.name)) || e.$retryable?.throttling === true;
}

/**
 * Points one A/AAAA record at the DR alias target with an UPSERT, after reading it first:
 * already there → 'already-done' with no write; dry run → the diff, no write.
 */
export async function switchDnsRecord(
  deps: SwitchDnsRecordDeps,
  input: SwitchDnsRecordInput,
): Promise<SwitchDnsRecordResult> {
  const { target } = input;
  const current = await readRecord(deps.route53, target);
  if (pointsAt(current, target)) {
    return { step: STEP_NAME, outcome: 'already-done', changes: [], changeId: null };
  }
  const changes: Change[] = [
    {
      resource: `route53/${target.hostedZoneId}/${target.name}/${target.type}`,
      action: 'UPSERT alias',
      before: describeRecord(current),
      after: { aliasTarget: { ...target.aliasTarget } },
    },
  ];
  if (input.dryRun) return { step: STEP_NAME, outcome: 'would-change', changes, changeId: null };

  try {
    const out = await deps.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: target.hostedZoneId,
        ChangeBatch: {
          Comment: `dr-cutover: point ${target.name} ${target.type} at the DR alias target`,
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: target.name,
                Type: target.type,
                AliasTarget: {
                  DNSName: target.aliasTarget.dnsName,
                  HostedZoneId: target.aliasTarget.hostedZoneId,
                  EvaluateTargetHealth: target.aliasTarget.evaluateTargetHealth,
                },
              },
            },
          ],
        },
      }),
    );
    const changeId = out.ChangeInfo?.Id;
    if (changeId === undefined) {
      throw new AwsTransientError(`ChangeResourceRecordSets for ${target.name} ${target.type} returned no change id`);
    }
    return { step: STEP_NAME, outcome: 'changed', changes, changeId };
  } catch (error) {
    if (isChangeInProgress(error)) {
      const name = (error as { name?: string }).name ?? 'Throttling';
      throw new DnsChangeInProgressError(
        `Route 53 zone ${target.hostedZoneId} is busy (${name}); ${target.name} ${target.type} not changed yet`,
        { cause: error },
      );
    }
    throw error;
  }
}
