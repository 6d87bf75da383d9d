// The server log's lines as a test sees them: the logger's sink replaced for the test, each line parsed back.
import { setLogOutput, type LogThreshold } from "@/server/services/platform/log";

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLog {
  /** Every line written so far, parsed (JSON format). */
  lines(): LogLine[];
  /** The raw lines, as they would reach stdout and stderr. */
  raw(): string[];
  /** Puts the process's own output back. */
  restore(): void;
}

/** Captures the log at `level` (debug: every line) until `restore()`. */
export function captureLog(level: LogThreshold = "debug"): CapturedLog {
  const raw: string[] = [];
  const restore = setLogOutput({ level, format: "json", write: (line) => raw.push(line) });
  return { lines: () => raw.map((line) => JSON.parse(line) as LogLine), raw: () => [...raw], restore };
}
