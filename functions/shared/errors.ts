/**
 * Named errors. A Lambda error's `name` becomes the Step Functions `Error`,
 * so the state machine's Retry and Catch refer to these classes by name.
 * Keep the names stable: they are part of the state machine's contract.
 */
export class CutoverError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The execution input failed validation. Never retried. */
export class InputValidationError extends CutoverError {}
/** Another cutover holds the lock for this environment. Never retried. */
export class CutoverLockHeldError extends CutoverError {}
/** A standby readiness check failed before any change was made. */
export class PreflightBlockedError extends CutoverError {}
/** The replica is `backing-up`; RDS refuses promotion until the backup ends. Retried. */
export class ReplicaBackingUpError extends CutoverError {}
/**
 * The replica is busy for reasons of its own (modifying, rebooting, storage-optimization…), or RDS
 * refused the promotion as "not now" (InvalidDBInstanceState) while a promotion from an earlier
 * run is starting. Retried until it can be promoted; nothing was sent or the refusal changed nothing.
 */
export class ReplicaNotPromotableError extends CutoverError {}
/** The promotion poll found a replica that no step ever asked RDS to promote: a definition bug. Never retried. */
export class PromotionNotRequestedError extends CutoverError {}
/** Planned mode: replica lag is above the RPO budget, so promotion must wait (I7). Retried. */
export class ReplicaLagTooHighError extends CutoverError {}
/** The replica cannot be promoted (missing, wrong state, not a replica of the configured source). */
export class PromotionFailedError extends CutoverError {}
/** A DynamoDB table or replica in the standby Region is not ACTIVE. */
export class DynamoReplicaNotActiveError extends CutoverError {}
/** The Kubernetes API refused the bearer token (401). Retried: each attempt mints a fresh token. */
export class KubernetesAuthError extends CutoverError {}
/**
 * The Kubernetes API authenticated the caller but RBAC forbids the request (403). Permanent:
 * never retried, the run fails at once (fix the Role/RoleBinding or the access entry's group).
 */
export class KubernetesForbiddenError extends CutoverError {}
/** The Kubernetes object changed under us (409). Retried: the step re-reads first. */
export class KubernetesConflictError extends CutoverError {}
/** The Kubernetes API answered 5xx or could not be reached. Retried. */
export class KubernetesUnavailableError extends CutoverError {}
/** A configured Kubernetes object does not exist (404). Never retried. */
export class KubernetesNotFoundError extends CutoverError {}
/** The rollout reported ProgressDeadlineExceeded or lost replicas. */
export class RolloutFailedError extends CutoverError {}
/** The distribution config changed between read and update (PreconditionFailed). Retried: the step re-reads. */
export class DistributionConfigChangedError extends CutoverError {}
/** A configured behaviour or DR origin does not exist in the distribution. */
export class DistributionMisconfiguredError extends CutoverError {}
/** Route 53 is still applying an earlier change to the zone (PriorRequestNotComplete). Retried. */
export class DnsChangeInProgressError extends CutoverError {}
/** A configured DNS record is not in the zone in its configured form (missing, another variant, or a CNAME). Never retried. */
export class DnsRecordMismatchError extends CutoverError {}
/** Route 53 refused the zone's ChangeBatch (InvalidChangeBatch/InvalidInput); none of its records changed. Never retried. */
export class DnsChangeRejectedError extends CutoverError {}
/**
 * Dry run: IAM's policy simulation (iam:SimulatePrincipalPolicy) says a step's role may not make the
 * change a real run would make, or the role cannot run the simulation. The dry run ends blocked, as a
 * preflight blocker ends a run; nothing was changed. Never retried.
 */
export class DryRunPermissionDeniedError extends CutoverError {}
/** The DR endpoint did not answer as expected. Retried, then fails the run. */
export class EndpointUnhealthyError extends CutoverError {}
/** An AWS API throttled or answered 5xx after the SDK's own retries. Retried by the state machine. */
export class AwsTransientError extends CutoverError {}

/** Error names the state machine retries as transient, with backoff and jitter. */
export const TRANSIENT_ERRORS = [
  AwsTransientError.name,
  KubernetesAuthError.name,
  KubernetesConflictError.name,
  KubernetesUnavailableError.name,
  DistributionConfigChangedError.name,
  DnsChangeInProgressError.name,
] as const;

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/** A call that ran past its connection or request timeout, or whose connection broke: worth another try. */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_ERROR_CODES = new Set(['ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN']);

interface SdkLikeError {
  name?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The `name` of anything thrown (SDK exceptions, DOMExceptions, plain objects), or 'Error'. */
export function errorName(error: unknown): string {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : 'Error';
}

/** True when an AWS SDK error is throttling, a timeout or broken connection, or a server-side fault worth retrying. */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkLikeError;
  if (typeof e.name === 'string' && (THROTTLING_NAMES.has(e.name) || TIMEOUT_NAMES.has(e.name))) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

/**
 * Maps an unknown thrown value to the error the state machine should see:
 * named cutover errors pass through, transient AWS errors become AwsTransientError,
 * anything else keeps its own name.
 */
export function toStepError(error: unknown): Error {
  if (error instanceof CutoverError) return error;
  if (isTransientAwsError(error)) {
    const name = (error as { name?: string }).name ?? 'UnknownError';
    const message = error instanceof Error ? error.message : String(error);
    return new AwsTransientError(`${name}: ${message}`, { cause: error });
  }
  if (error instanceof Error) return error;
  return new Error(String(error));
}

/** A step received a payload that does not match its contract: a definition bug. Never retried. */
export class StepContractError extends CutoverError {}
