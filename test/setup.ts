import '../drill/polyfills';

// Step Lambdas read these at module load; tests run them in the standby Region.
process.env.AWS_REGION ??= 'ap-northeast-1';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
