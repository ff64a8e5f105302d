/**
 * After `cdk synth`, lists each step Lambda's bundle from cdk.out with its size and
 * loads it in a fresh Node.js process with its deployed environment, to prove that
 * the bundle starts and exports `handler` (no AWS call is made at load).
 *
 *   npx tsx scripts/bundles.ts [cdk.out/DrCutover-staging.template.json]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

type Fn = { Type: string; Metadata?: Record<string, string>; Properties: { Environment?: { Variables?: Record<string, unknown> } } };
const templatePath = process.argv[2] ?? 'cdk.out/DrCutover-staging.template.json';
const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as { Resources: Record<string, Fn> };
const outDir = path.dirname(templatePath);

const rows: Array<{ step: string; kib: number; loads: string }> = [];
for (const resource of Object.values(template.Resources)) {
  if (resource.Type !== 'AWS::Lambda::Function') continue;
  const vars = resource.Properties.Environment?.Variables ?? {};
  const step = typeof vars.CUTOVER_STEP === 'string' ? vars.CUTOVER_STEP : '?';
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (!assetPath) throw new Error(`${step}: no bundled asset (was bundling skipped?)`);
  const bundle = path.join(outDir, assetPath, 'index.js');
  // Unresolved CloudFormation references become placeholders with the shape the handler validates.
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    AWS_REGION: 'ap-northeast-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const [key, value] of Object.entries(vars)) {
    env[key] = typeof value === 'string' ? value : key.endsWith('_ARN') ? 'arn:aws:sns:ap-northeast-1:123456789012:placeholder' : 'placeholder';
  }
  delete env.NODE_OPTIONS;
  execFileSync(process.execPath, ['-e', `const m=require(${JSON.stringify(path.resolve(bundle))}); if (typeof m.handler !== 'function') { process.exit(3); }`], { env, stdio: 'inherit' });
  rows.push({ step, kib: fs.statSync(bundle).size / 1024, loads: 'ok' });
}
rows.sort((a, b) => b.kib - a.kib);
console.log('step Lambda                 bundle (KiB)  loads on Node ' + process.versions.node);
for (const r of rows) console.log(`${r.step.padEnd(28)}${r.kib.toFixed(1).padStart(12)}  ${r.loads}`);
