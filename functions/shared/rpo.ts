import type { CutoverReport } from './contracts';

export interface RpoFormat {
  duration: (seconds: number) => string;
  time: (iso: string) => string;
  /** Escapes text RDS wrote (StatusInfos) for the medium; default: as is. */
  text?: (raw: string) => string;
}

/** The RPO as a label and a value: `RPO` with the apply lag, or `RPO unknown` with why. */
export interface RpoField {
  label: 'RPO' | 'RPO unknown';
  value: string;
}

/**
 * The report's RPO in words, the same in Slack, the CLI and the drill. The figure is labelled
 * as apply lag (ReplicaLag), which is what it is; when replication had stopped the RPO is
 * unknown and the text says since when, never "0 s" or "-1".
 */
export function rpoField(report: Pick<CutoverReport, 'rpoSeconds' | 'rpo'>, format: RpoFormat): RpoField {
  const known = (value: string): RpoField => ({ label: 'RPO', value });
  const unknown = (value: string): RpoField => ({ label: 'RPO unknown', value });
  const rpo = report.rpo;
  if (rpo === undefined) {
    if (report.rpoSeconds !== null && report.rpoSeconds < 0) return unknown('replication was not running at promotion (ReplicaLag -1)');
    // No replication record: this run decided no promotion (it stopped before, or an earlier run promoted).
    return report.rpoSeconds === null ? known('none recorded: this run promoted no replica') : known(`apply lag ${format.duration(report.rpoSeconds)} at promotion (ReplicaLag)`);
  }
  if (rpo.state === 'measured' && rpo.applyLagSeconds !== null) {
    return known(`apply lag ${format.duration(rpo.applyLagSeconds)} at promotion (ReplicaLag; replication was running)`);
  }
  const lastKnown = rpo.lastKnownApplyLagSeconds === null ? '' : `; last known apply lag ${format.duration(rpo.lastKnownApplyLagSeconds)}`;
  if (rpo.replicationStoppedAt !== null) {
    return unknown(`replication stopped at ${format.time(rpo.replicationStoppedAt)}${lastKnown}`);
  }
  if (rpo.replication === 'stopped') {
    return unknown(`replication stopped before the oldest ReplicaLag datapoint read (3 hours back); status info: ${(format.text ?? ((t) => t))(rpo.statusInfo)}`);
  }
  return unknown(`no current ReplicaLag datapoint at promotion${lastKnown}`);
}

/** The RPO as one line: `RPO: apply lag 0 s …` or `RPO unknown: replication stopped at …`. */
export function rpoText(report: Pick<CutoverReport, 'rpoSeconds' | 'rpo'>, format: RpoFormat): string {
  const { label, value } = rpoField(report, format);
  return `${label}: ${value}`;
}
