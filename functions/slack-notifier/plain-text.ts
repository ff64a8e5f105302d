import type { KnownBlock } from '@slack/types';
import type { SlackMessage } from './format';

const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Links, dates and bold in a run of mrkdwn outside code. */
function inline(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => {
      if (i % 2 === 1) return unescape(part.slice(1, -1));
      return unescape(
        part
          .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
          .replace(/<!(here|channel|everyone)>/g, '@$1')
          .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
          .replace(/<([^|>]+)>/g, '$1')
          .replace(/\*([^*\n]+)\*/g, '$1'),
      );
    })
    .join('');
}

/** Slack mrkdwn as readable plain text: code blocks indented, links as "label (url)", dates as their UTC fallback. */
export function mrkdwnToPlain(text: string): string {
  return text
    .split('```')
    .map((part, i) =>
      i % 2 === 1
        ? `\n${unescape(part.replace(/^\n+|\n+$/g, ''))
            .split('\n')
            .map((line) => `    ${line}`)
            .join('\n')}\n`
        : inline(part),
    )
    .join('')
    .replace(/\n{2,}/g, '\n')
    .replace(/^\n+|\n+$/g, '');
}

/** "*Label*\nvalue" (a field, or a titled section) becomes "Label: value", or "Label:" above a multi-line value. */
function labelled(text: string): string {
  const match = /^\*([^*\n]+)\*( \([^)\n]*\))?\n([\s\S]*)$/.exec(text);
  if (!match) return mrkdwnToPlain(text);
  const label = `${unescape(match[1] ?? '')}${match[2] ?? ''}`;
  const value = mrkdwnToPlain(match[3] ?? '');
  return value.includes('\n') || value.startsWith('• ') ? `${label}:\n${value}` : `${label}: ${value.trim()}`;
}

function blockLines(block: KnownBlock): string[] {
  switch (block.type) {
    case 'header':
      return [block.text.text, ''];
    case 'section': {
      const lines: string[] = [];
      if (block.text) lines.push(block.text.type === 'mrkdwn' ? labelled(block.text.text) : block.text.text);
      for (const f of block.fields ?? []) lines.push(f.type === 'mrkdwn' ? labelled(f.text) : f.text);
      return lines;
    }
    case 'context':
      return [
        block.elements
          .map((e) => ('text' in e && typeof e.text === 'string' ? (e.type === 'mrkdwn' ? mrkdwnToPlain(e.text) : e.text) : ''))
          .filter(Boolean)
          .join('  ·  '),
      ];
    case 'actions':
      return [
        block.elements
          .map((e) => (e.type === 'button' ? `[ ${e.text.text} ]` : ''))
          .filter(Boolean)
          .join('  '),
      ];
    case 'divider':
      return ['---'];
    default:
      return [];
  }
}

/**
 * A rendered Slack message as readable multi-line text (the local drill prints messages with it,
 * and the README shows samples). Pure; the notification `text` is used when there are no blocks.
 */
export function toPlainText(message: SlackMessage | { text: string; blocks?: KnownBlock[] }): string {
  const blocks = message.blocks ?? [];
  if (blocks.length === 0) return mrkdwnToPlain(message.text);
  return blocks
    .flatMap(blockLines)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd();
}
