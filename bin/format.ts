import { z } from 'zod';
import { CutoverReportSchema, type Change, type CutoverReport } from '../functions/shared/contracts';
import { rpoField } from '../functions/shared/rpo';
import { causeMessage } from '../functions/report/logic';

/** Plain-text rendering for the terminal. Pure functions: lines in, lines out. */

/** `HH:MM:SS` in UTC (the execution names are UTC too). */
export function clock(at: Date | undefined): string {
  return at ? at.toISOString().slice(11, 19) : '--:--:--';
}

/** `2026-11-27 03:00:00 UTC` */
export function timestamp(at: Date | string | undefined): string {
  if (at === undefined) return '-';
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return String(at);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** 1.2 s · 2 min 3 s · 1 h 2 min */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 60) return `${(Math.round(seconds * 10) / 10).toFixed(1)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const min = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h} h ${min} min` : `${min} min ${s} s`;
}

/** Lambda failures carry a JSON cause with `errorMessage`; Step Functions' own errors carry plain text. */
export { causeMessage };

function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** `ReplicaBackingUpError — the replica is backing up` (one line, for the timeline). */
export function errorLine(details: { error?: string | undefined; cause?: string | undefined }): string {
  const message = oneLine(causeMessage(details.cause));
  const error = details.error ?? 'Error';
  return message ? `${error} — ${message}` : error;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[]) =>
    `  ${cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')}`.trimEnd();
  return [render(header), ...rows.map(render)];
}

function compact(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return oneLine(text ?? String(value), 160);
}

function changeLines(changes: Change[]): string[] {
  if (changes.length === 0) return ['  (none)'];
  return changes.flatMap((c, i) => [
    `  ${i + 1}. ${c.action} ${c.resource}`,
    ...(c.before !== undefined ? [`       before: ${compact(c.before)}`] : []),
    ...(c.after !== undefined ? [`       after:  ${compact(c.after)}`] : []),
  ]);
}

export interface ExecutionView {
  executionArn: string;
  name?: string | undefined;
  status: string;
  startDate?: Date | undefined;
  stopDate?: Date | undefined;
  input?: string | undefined;
  output?: string | undefined;
  error?: string | undefined;
  cause?: string | undefined;
}

function field(label: string, value: string): string {
  return `  ${label.padEnd(12)} ${value}`;
}

/** The cutover report as an SRE reads it after a run. */
export function renderReport(report: CutoverReport, execution: Pick<ExecutionView, 'name' | 'status'>): string[] {
  const title = `Cutover report: ${report.environment}, ${report.mode}${report.dryRun ? ', DRY RUN' : ''}`;
  const lines = [
    title,
    field('Execution', execution.name ?? report.executionId),
    field('Status', execution.status),
    field('Mode', report.mode),
    field('Dry run', report.dryRun ? 'yes (nothing was changed)' : 'no'),
    field('Started', timestamp(report.startedAt)),
    field('Finished', timestamp(report.finishedAt)),
    field('RTO', formatDuration(report.rtoSeconds)),
    ((rpo) => field(rpo.label, rpo.value))(rpoField(report, { duration: formatDuration, time: timestamp })),
    '',
    'Steps',
    ...(report.steps.length === 0
      ? ['  (no step finished)']
      : table(
          ['STEP', 'DURATION', 'OUTCOMES'],
          report.steps.map((s) => [s.step, formatDuration(s.durationSeconds), s.outcomes.join(', ') || '-']),
        )),
    '',
    report.dryRun ? `Changes it would make (dry run: ${report.changes.length})` : `Changes made (${report.changes.length})`,
    ...changeLines(report.changes),
  ];
  if (report.failure) {
    lines.push(
      '',
      'Failure',
      field('Stage', report.failure.stage),
      field('Step', report.failure.step ?? report.failure.stage),
      field('Error', report.failure.error),
      field('Cause', oneLine(report.failure.cause, 500) || '-'),
      '',
      'Next steps',
      ...report.failure.nextSteps.map((s) => `  - ${s}`),
    );
  }
  return lines;
}

const SucceededOutputSchema = z.looseObject({ report: CutoverReportSchema });

/** The report inside a succeeded execution's output, or why there is none. */
export function reportFromOutput(output: string | undefined): { report: CutoverReport } | { problem: string } {
  if (!output) return { problem: 'the execution has no output' };
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch {
    return { problem: 'the execution output is not JSON' };
  }
  const parsed = SucceededOutputSchema.safeParse(json);
  if (parsed.success) return { report: parsed.data.report };
  const issue = parsed.error.issues[0];
  return { problem: `the output does not hold a cutover report (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown shape'})` };
}

const InputViewSchema = z.looseObject({
  mode: z.string().optional(),
  dryRun: z.boolean().optional(),
  reason: z.string().optional(),
  requestedBy: z.string().optional(),
});

/** What the execution was asked to do, read leniently from its raw input. */
function inputLines(input: string | undefined): string[] {
  if (!input) return [];
  try {
    const parsed = InputViewSchema.safeParse(JSON.parse(input));
    if (!parsed.success) return [];
    const i = parsed.data;
    return [
      ...(i.mode !== undefined ? [field('Mode', i.mode)] : []),
      ...(i.dryRun !== undefined ? [field('Dry run', i.dryRun ? 'yes (nothing was changed)' : 'no')] : []),
      ...(i.reason !== undefined ? [field('Reason', oneLine(i.reason))] : []),
      ...(i.requestedBy !== undefined ? [field('Requested by', i.requestedBy)] : []),
    ];
  } catch {
    return [];
  }
}

/** Status header for an execution without a readable report (running, failed early, odd output). */
export function renderExecutionSummary(execution: ExecutionView, note?: string): string[] {
  const stopped = execution.stopDate && execution.startDate ? (execution.stopDate.getTime() - execution.startDate.getTime()) / 1000 : undefined;
  return [
    `Execution ${execution.name ?? execution.executionArn}`,
    field('Status', execution.status),
    ...inputLines(execution.input),
    field('Started', timestamp(execution.startDate)),
    ...(execution.stopDate ? [field('Stopped', `${timestamp(execution.stopDate)}${stopped !== undefined ? ` (after ${formatDuration(stopped)})` : ''}`)] : []),
    ...(note ? ['', `Note: ${note}`] : []),
  ];
}

/** Error and cause of a failed, timed-out or aborted execution. */
export function renderExecutionError(execution: ExecutionView): string[] {
  return [
    '',
    `Execution ${execution.status}`,
    field('Error', execution.error ?? '-'),
    field('Cause', oneLine(causeMessage(execution.cause), 1000) || '-'),
  ];
}
