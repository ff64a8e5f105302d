import '../drill/polyfills';

// Step Lambdas read these at module load; tests run them in the standby Region.
process.env.AWS_REGION ??= 'ap-northeast-1';
// The function construct sets this from each Lambda's timeout; the steps' call timeouts derive from it.
process.env.LAMBDA_TIMEOUT_SECONDS ??= '55';
// The function construct sets this to each Lambda's role ARN; dry runs simulate that role's policy.
process.env.CUTOVER_ROLE_ARN ??= 'arn:aws:iam::111122223333:role/dr-cutover-step-role';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Node 20 runs the tests here; the Lambdas themselves run on Node.js 24, so the SDK's Node-version notice is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
