/**
 * Report files (BLUEPRINT "Daily report"): `<dir>/daily/model_report_YYYY-MM-DD.json` and
 * `.md`, and `<dir>/latest_report.json`. Each file is written to a temporary name and
 * renamed, so a reader never sees half a report. `latest_report.json` only moves forward:
 * re-running an older day does not make it "latest".
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DailyReport } from '../engine/reports.js';

export interface ReportPaths {
  readonly json: string;
  readonly markdown: string;
  readonly latest: string;
}

export function reportPaths(dir: string, day: string): ReportPaths {
  return {
    json: join(dir, 'daily', `model_report_${day}.json`),
    markdown: join(dir, 'daily', `model_report_${day}.md`),
    latest: join(dir, 'latest_report.json'),
  };
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, 'utf8');
  await rename(temporary, path);
}

async function latestDay(path: string): Promise<string | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { day?: unknown };
    return typeof parsed.day === 'string' ? parsed.day : null;
  } catch {
    return null; // absent or unreadable: the new report replaces it
  }
}

/** Writes the report's files; returns their paths and whether `latest_report.json` moved. */
export async function writeReportFiles(dir: string, report: DailyReport, markdown: string): Promise<ReportPaths & { readonly latestUpdated: boolean }> {
  const paths = reportPaths(dir, report.day);
  await mkdir(join(dir, 'daily'), { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeAtomic(paths.json, json);
  await writeAtomic(paths.markdown, markdown);
  const current = await latestDay(paths.latest);
  const latestUpdated = current === null || current <= report.day;
  if (latestUpdated) await writeAtomic(paths.latest, json);
  return { ...paths, latestUpdated };
}
