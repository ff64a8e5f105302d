import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface CutoverFunctionProps {
  /** The step folder under functions/, e.g. `promote-replica`. */
  readonly step: string;
  readonly timeout: Duration;
  readonly environment?: Record<string, string>;
  /** A role shared by several steps (the Kubernetes steps share one EKS access entry). */
  readonly role?: iam.Role;
  readonly memorySize?: number;
  /** A fixed name, only where another stack, Region or tool must find the function by name. */
  readonly functionName?: string;
}

const FUNCTIONS_DIR = path.join(__dirname, '..', 'functions');

/**
 * The one place the step Lambdas' defaults live: local esbuild bundling (no Docker),
 * arm64, Node.js 24, source maps, X-Ray, JSON logs with a retention, a role that may
 * write only its own log group, the CUTOVER_STEP marker the local drill uses to
 * bind each Task to its handler, and CUTOVER_ROLE_ARN (the function's role).
 */
export class CutoverFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: CutoverFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = props.role ?? CutoverFunction.role(scope, `${id}Role`, `dr-cutover step ${props.step}`);
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: path.join(FUNCTIONS_DIR, props.step, 'index.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      functionName: props.functionName,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      environment: {
        CUTOVER_STEP: props.step,
        POWERTOOLS_SERVICE_NAME: `dr-cutover-${props.step}`,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        // Every SDK and Kubernetes call gets a timeout well below this (functions/shared/aws-client.ts).
        LAMBDA_TIMEOUT_SECONDS: String(props.timeout.toSeconds()),
        // The function's own role: a dry run asks IAM to simulate its policy (iam:SimulatePrincipalPolicy
        // takes the role ARN, not the assumed-role session ARN the Lambda runs as).
        CUTOVER_ROLE_ARN: role.roleArn,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        // Error class names are the state machine's Retry/Catch contract: minification must keep them.
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node24',
        format: nodejs.OutputFormat.CJS,
        // The Lambda runtime ships the AWS SDK v3, but bundling pins the version the tests ran against.
        externalModules: [],
      },
    });
  }

  /**
   * What a grant to invoke this function covers: the function itself. The state machine invokes
   * each step by its unqualified ARN (no Qualifier), so no version or alias (`<arn>:*`, the
   * NodejsFunction default) is granted.
   */
  public override get resourceArnsForGrantInvoke(): string[] {
    return [this.functionArn];
  }

  /** A Lambda role with no managed policy: each step's grants are added by the stack. */
  static role(scope: Construct, id: string, description: string): iam.Role {
    const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only actions without resource-level permissions get Resource "*": X-Ray PutTraceSegments/PutTelemetryRecords (tracing) and the read-only cloudwatch:GetMetricData.',
    });
    return role;
  }
}
