import type { ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';

/** Slack's documented limits, and our own caps for readable messages. */
export const LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  contextElements: 10,
  blocks: 50,
  /** The notification `text` (Slack allows 40k; phones show a line or two). */
  fallbackText: 3000,
  /** How much of an unreadable SNS message is shown. */
  rawMessage: 2500,
  /** How much of a failure cause is shown. */
  cause: 1500,
  /** Change and step lines listed before "+N more". */
  listLines: 20,
  /** One before/after value in a change line. */
  value: 80,
} as const;

/** The webhook payload: `text` is the notification fallback, `blocks` the rendered message. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Cuts text to `max` characters with an ellipsis, never splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Escapes the three characters Slack mrkdwn treats as control characters (this also defuses <!channel>). */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code: literal in Slack (no bold/link parsing), so identifiers like `*` or `a_b_c` show as they are. */
export function code(text: string): string {
  const clean = text.replace(/`/g, "'").replace(/\s+/g, ' ').trim();
  return `\`${esc(clean || ' ')}\``;
}

/** A fenced code block whose content is cut to `max` before fencing, so the fence always closes. */
export function codeBlock(text: string, max: number): string {
  const clean = truncate(text.replace(/```/g, "'''"), max);
  return `\`\`\`${esc(clean || ' ')}\`\`\``;
}

export function link(url: string, label: string): string {
  return `<${url}|${esc(label).replace(/\|/g, '¦')}>`;
}

const two = (n: number) => String(n).padStart(2, '0');

/** "2026-11-27 03:00:00 UTC", or the input itself when it is not a date. */
export function utc(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`;
}

/** A time each reader sees in their own time zone (Slack date token), with UTC as the fallback text. */
export function slackTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${utc(iso)}>`;
}

/** 42.3 s, 12 m 05 s, 1 h 02 m. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'n/a';
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} m ${two(whole % 60)} s`;
  return `${Math.floor(whole / 3600)} h ${two(Math.floor((whole % 3600) / 60))} m`;
}

// ---- blocks ----------------------------------------------------------------

export function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true } };
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
}

/** A labelled field: `*Label*` on the first line, the (already escaped) value below. */
export function field(label: string, value: string): MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(`*${label}*\n${value || ' '}`, LIMITS.fieldText) };
}

export function fields(items: MrkdwnElement[]): SectionBlock[] {
  const out: SectionBlock[] = [];
  for (let i = 0; i < items.length; i += LIMITS.fields) out.push({ type: 'section', fields: items.slice(i, i + LIMITS.fields) });
  return out;
}

export function context(parts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: parts.slice(0, LIMITS.contextElements).map((text) => ({ type: 'mrkdwn', text: truncate(text, LIMITS.fieldText) })),
  };
}

/** Bulleted lines capped at `max`, with "+N more" for the rest, and the whole list within a section's limit. */
export function bulletList(lines: string[], max: number = LIMITS.listLines, budget = LIMITS.sectionText - 200): string {
  const shown: string[] = [];
  let used = 0;
  for (const line of lines.slice(0, max)) {
    const bullet = `• ${line}`;
    if (used + bullet.length + 1 > budget) break;
    shown.push(bullet);
    used += bullet.length + 1;
  }
  const rest = lines.length - shown.length;
  return rest > 0 ? [...shown, `+${rest} more`].join('\n') : shown.join('\n');
}

/**
 * A last guard on Slack's limits, whatever the renderer produced: at most 50 blocks, header ≤ 150,
 * section text ≤ 3000, ≤ 10 fields of ≤ 2000, ≤ 10 context elements, and a bounded fallback text.
 */
export function withinLimits(message: SlackMessage): SlackMessage {
  let blocks = message.blocks.map((block): KnownBlock => {
    switch (block.type) {
      case 'header':
        return { ...block, text: { ...block.text, text: truncate(block.text.text, LIMITS.headerText) } };
      case 'section':
        return {
          ...block,
          ...(block.text ? { text: { ...block.text, text: truncate(block.text.text, LIMITS.sectionText) } } : {}),
          ...(block.fields ? { fields: block.fields.slice(0, LIMITS.fields).map((f) => ({ ...f, text: truncate(f.text, LIMITS.fieldText) })) } : {}),
        };
      case 'context':
        return { ...block, elements: block.elements.slice(0, LIMITS.contextElements) };
      default:
        return block;
    }
  });
  if (blocks.length > LIMITS.blocks) {
    const omitted = blocks.length - (LIMITS.blocks - 1);
    blocks = [...blocks.slice(0, LIMITS.blocks - 1), context([`+${omitted} more blocks not shown`])];
  }
  return { text: truncate(message.text, LIMITS.fallbackText), blocks };
}
