/**
 * Number and time formatting shared by the commands: short, phone-width, units shown.
 */
import type { Control } from '../engine/control.js';
import type { CommandChoice, CommandReply, Tone } from './types.js';

/** 1234.5 → "1,234.50 USDT"; null → "n/a". */
export function usdt(value: number | null, digits = 2): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} USDT`;
}

/** A signed amount: "+12.30 USDT", "-4.00 USDT". */
export function signedUsdt(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  return `${value > 0 ? '+' : value < 0 ? '-' : '±'}${usdt(Math.abs(value))}`;
}

/** A price with enough significant digits for any symbol (115000.1, 3.4521, 0.0001234). */
export function price(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 4 : 6;
  return value.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

/** A fraction as a percent: 0.0123 → "1.23 %". */
export function pctOfRate(rate: number, digits = 2): string {
  return `${(rate * 100).toFixed(digits)} %`;
}

export function quantity(value: number): string {
  return Number(value.toPrecision(8)).toString();
}

/** 93_784_000 → "1d 2h 3m". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'n/a';
  const totalMinutes = Math.floor(ms / 60_000);
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return `${days}d ${hours}h ${minutes}m`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (ms < 60_000) return `${Math.floor(ms / 1000)}s`;
  return `${minutes}m`;
}

/** "2026-11-30 21:04 UTC". */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

export function toneOfPnl(pnlUsdt: number | null): Tone {
  if (pnlUsdt === null || pnlUsdt === 0) return 'neutral';
  return pnlUsdt > 0 ? 'profit' : 'loss';
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** The configured symbols that start with (or contain) what was typed; `extra` first (e.g. "all"). */
export function symbolChoices(control: Control, partial: string, extra: readonly string[] = []): CommandChoice[] {
  const typed = partial.trim().toUpperCase();
  const candidates = [...extra, ...control.symbols()];
  const starts = candidates.filter((s) => s.toUpperCase().startsWith(typed));
  const contains = candidates.filter((s) => !s.toUpperCase().startsWith(typed) && s.toUpperCase().includes(typed));
  // Discord shows at most 25 suggestions.
  return [...starts, ...contains].slice(0, 25).map((s) => ({ name: s, value: s }));
}

/** A short acknowledgement or result of a control action. */
export function actionReply(title: string, lines: readonly string[], ephemeral: boolean, tone: Tone = 'success'): CommandReply {
  return { title, lines, fields: [], tone, ephemeral };
}

export function stringOption(options: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = options[name];
  // Discord option values are strings, numbers or booleans; anything else is no value.
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}
