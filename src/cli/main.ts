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

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'loadgen':
      if (wantsHelp) {
        process.stdout.write(`${LOADGEN_HELP}\n`);
        return 0;
      }
      await generateLoad(parseLoadgenArgs(rest));
      return 0;
    case 'verify': {
      if (wantsHelp) {
        process.stdout.write(`${VERIFY_HELP}\n`);
        return 0;
      }
      return verifyFailed(await runVerify(parseVerifyArgs(rest))) ? 1 : 0;
    }
    case 'demo':
      return runDemo(rest);
    case 'query':
      if (wantsHelp) {
        process.stdout.write(`${QUERY_HELP}\n`);
        return 0;
      }
      await runQuery(rest);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${HELP}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(
        `turbine: unknown command "${command}"; accepted: run, loadgen, verify, demo, query\n\n${HELP}\n`,
      );
      return 2;
  }
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
