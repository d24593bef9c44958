/**
 * The `turbine` command: run | loadgen | verify | demo | query. Errors print their code and message;
 * exit 2 for invalid configuration, 1 for runtime failures.
 */
import { runDemo } from './demo.js';
import { generateLoad } from './loadgen.js';
import { LOADGEN_HELP, parseLoadgenArgs } from './loadgen-options.js';
import { QUERY_HELP, runQuery } from './query.js';
import { formatCliError, runCommand } from './run.js';
import { runVerify, verifyFailed } from './verify.js';
import { parseVerifyArgs, VERIFY_HELP } from './verify-options.js';

const HELP = `Usage: turbine <command> [options]

Commands:
  run       Run the engine: consume, process in worker threads, produce, commit (turbine run --help)
  loadgen   Produce synthetic records to a topic (turbine loadgen --help)
  verify    Check an output topic against its input: lost, duplicated, out of order (turbine verify --help)
  demo      Local end-to-end demo: load + engine + inventory worker + verify (expects Kafka on 127.0.0.1:9092)
  query     A key's committed keyed state, read from its store's changelog (turbine query --help)

Docs: README.md, docs/.`;

/** Each sub-command; those with a help text here print it for --help/-h, the others handle it themselves. */
const COMMANDS: Record<string, { help?: string; run: (argv: string[]) => Promise<number> }> = {
  run: { run: runCommand },
  loadgen: {
    help: LOADGEN_HELP,
    run: async (argv) => {
      await generateLoad(parseLoadgenArgs(argv));
      return 0;
    },
  },
  verify: {
    help: VERIFY_HELP,
    run: async (argv) => (verifyFailed(await runVerify(parseVerifyArgs(argv))) ? 1 : 0),
  },
  demo: { run: runDemo },
  query: {
    help: QUERY_HELP,
    run: async (argv) => {
      await runQuery(argv);
      return 0;
    },
  },
};

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || ['help', '--help', '-h'].includes(command)) {
    process.stdout.write(`${HELP}\n`);
    return command === undefined ? 2 : 0;
  }
  const chosen = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (chosen === undefined) {
    const accepted = Object.keys(COMMANDS).join(', ');
    process.stderr.write(`turbine: unknown command "${command}"; accepted: ${accepted}\n\n${HELP}\n`);
    return 2;
  }
  if (chosen.help !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${chosen.help}\n`);
    return 0;
  }
  return chosen.run(rest);
}

export function main(argv: string[]): void {
  dispatch(argv).then(
    (code) => {
      process.exitCode = code;
      // Native client handles can outlive a finished command by a few seconds; do not wait for them.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (error: unknown) => {
      const { message, exitCode } = formatCliError(error);
      process.stderr.write(`${message}\n`);
      process.exit(exitCode);
    },
  );
}
