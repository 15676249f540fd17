/**
 * A command reply (the same transport-neutral reply Discord renders as an embed) as
 * terminal text: a title coloured by tone, the lines, then either the table (aligned
 * columns) or, when the reply has none, the fields as aligned "name  value" rows
 * (multi-line values indented); the footer, and one line per attachment (where the
 * console saved it). A terminal is a wide screen: a reply's table is its wide form of
 * the per-item fields a phone shows, so the console shows one of them, not both.
 */
import type { CommandReply, Tone } from '../commands/registry.js';

const ANSI = { reset: '\u001b[0m', bold: '\u001b[1m', dim: '\u001b[2m', red: '\u001b[31m', green: '\u001b[32m', yellow: '\u001b[33m' };

const TONE_COLOUR: Record<Tone, string> = {
  neutral: '',
  profit: ANSI.green,
  success: ANSI.green,
  loss: ANSI.red,
  danger: ANSI.red,
  warning: ANSI.yellow,
};

export interface RenderOptions {
  readonly color: boolean;
  /** How each attachment is mentioned, e.g. "chart saved to /tmp/…/score.png". */
  readonly attachmentNote?: (name: string, bytes: number) => string;
}

/** The widest a field name column gets; longer names go on their own line. */
const NAME_COLUMN_MAX = 22;

function displayWidth(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

export function renderReply(reply: CommandReply, options: RenderOptions): string {
  const paint = (code: string, text: string): string => (options.color && code !== '' ? `${code}${text}${ANSI.reset}` : text);
  const out: string[] = [];
  out.push(paint(`${ANSI.bold}${TONE_COLOUR[reply.tone]}`, `■ ${reply.title}`));
  for (const line of reply.lines) out.push(`  ${line}`);
  const hasTable = reply.table !== undefined && reply.table.columns.length > 0;
  if (!hasTable && reply.fields.length > 0) {
    const width = Math.min(NAME_COLUMN_MAX, Math.max(...reply.fields.map((f) => displayWidth(f.name))));
    for (const field of reply.fields) {
      const valueLines = field.value.split('\n');
      if (displayWidth(field.name) > width) {
        out.push(`  ${paint(ANSI.dim, field.name)}`);
        for (const value of valueLines) out.push(`  ${' '.repeat(width)}  ${value}`);
        continue;
      }
      out.push(`  ${paint(ANSI.dim, pad(field.name, width))}  ${valueLines[0] ?? ''}`);
      for (const value of valueLines.slice(1)) out.push(`  ${' '.repeat(width)}  ${value}`);
    }
  }
  if (hasTable && reply.table !== undefined) {
    const { columns, rows } = reply.table;
    const widths = columns.map((c, i) => Math.max(displayWidth(c), ...rows.map((r) => displayWidth(r[i] ?? ''))));
    const row = (cells: readonly string[]): string =>
      `  ${cells
        .map((cell, i) => pad(cell, widths[i] ?? 0))
        .join('  ')
        .trimEnd()}`;
    out.push(paint(ANSI.dim, row(columns)));
    for (const cells of rows) out.push(row(cells));
    if (rows.length === 0) out.push('  (none)');
  }
  for (const attachment of reply.attachments ?? []) {
    const note =
      options.attachmentNote?.(attachment.name, attachment.data.byteLength) ??
      `attachment ${attachment.name} (${attachment.data.byteLength} bytes)`;
    out.push(`  ${note}`);
  }
  if (reply.footer !== undefined) out.push(paint(ANSI.dim, `  ${reply.footer}`));
  return out.join('\n');
}
