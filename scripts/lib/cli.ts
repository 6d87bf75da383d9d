// What every command-line script shares: options with --help/-h, usage errors (exit 2), and one line for a
// failure someone can expect at a terminal (input a service refuses, a database that cannot be reached), where
// a stack trace would only hide the message. Other errors are bugs: their stack is printed.
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A failure the user can act on: printed as its message alone. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
const helpOption = { help: { type: "boolean", short: "h" } } as const;
type OptionValues<Options extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: Options; strict: true; allowPositionals: false }>
>["values"];

/**
 * Parses this process's options strictly: `--help`/`-h` prints `usage` and exits 0; an unknown option, a
 * missing value or a stray argument prints one line and the usage, and exits 2.
 */
export function parseOptions<const Options extends OptionsConfig>(
  usage: string,
  options: Options,
  args: string[] = process.argv.slice(2),
): OptionValues<Options> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, ...helpOption }, strict: true, allowPositionals: false });
  } catch (error) {
    usageError(usage, parseErrorLine(error));
  }
  // parseArgs types its values only for a literal config; Options is generic here.
  const { help, ...values } = parsed.values as OptionValues<Options> & { help?: boolean };
  if (help) {
    console.log(usage);
    process.exit(0);
  }
  return values as OptionValues<Options>;
}

/** A command used wrongly: the reason, the usage, exit 2. */
export function usageError(usage: string, message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

/** Node's parseArgs messages are long and suggest `--` tricks; the option's name is what matters. */
function parseErrorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const quoted = /'([^']+)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted) return `Unknown option ${quoted}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && quoted) return `Unexpected argument "${quoted}"`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && quoted) {
    return /argument missing/.test(message) ? `${quoted.split(" ")[0]} needs a value` : `${quoted} takes no value`;
  }
  return message.split(/\.\s/)[0] ?? message;
}

/** Runs a script's main function and exits: 0, or the failure's code with its message on stderr. */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => process.exit(typeof process.exitCode === "number" ? process.exitCode : 0),
    (error: unknown) => {
      console.error(describeFailure(error));
      process.exit(error instanceof CliError ? error.exitCode : 1);
    },
  );
}

/** Driver codes meaning "the database is not there for us", on PostgreSQL (pg) and SQLite (better-sqlite3). */
const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "28P01", // password authentication failed
  "28000", // no such role / not allowed
  "3D000", // database does not exist
  "SQLITE_CANTOPEN",
  "SQLITE_READONLY",
  "SQLITE_BUSY",
]);

export function describeFailure(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (!(error instanceof Error)) return String(error);
  // AppError (server/domain/errors.ts), told by name so this file loads before the environment is complete.
  if (error.name === "AppError") {
    const issues = Object.values((error as { details?: { issues?: Record<string, string> } }).details?.issues ?? {});
    const extra = issues.filter((issue) => !error.message.includes(issue));
    return extra.length > 0 ? `${error.message}: ${extra.join("; ")}` : error.message;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && unreachableCodes.has(code)) return `Cannot reach the database: ${error.message}`;
  if (error.message.startsWith("Invalid environment variables")) return error.message;
  return error.stack ?? error.message;
}
