/**
 * The `pma` command line: global options, and one module per subcommand under cli/commands/.
 */
import { Command, Option } from 'commander';
import { registerAll } from './commands/index.ts';
import { PACKAGE_VERSION } from './version.ts';

/** The program with its global options and the subcommands `args` (the user's arguments) need. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('pma')
    .description('PolyMarketAnalytics: ingest, process and store Polymarket data through Avro topics')
    .version(`pma ${PACKAGE_VERSION} (node ${process.version})`, '-V, --version', 'print versions and exit')
    .addOption(new Option('--transport <kind>', 'log transport').choices(['embedded', 'kafka']))
    .option('--brokers <list>', 'Kafka bootstrap brokers, comma-separated (kafka transport)')
    .option('--registry <url>', 'schema registry URL, or "embedded"')
    .option('--data-dir <dir>', 'where the embedded log, Bronze, Silver and state live (default ./data)')
    .option('--config <file>', 'JSON or YAML config file (settings as keys; command sections by name)')
    .addOption(new Option('--log-format <format>', 'log line format').choices(['text', 'json']))
    .addOption(new Option('--log-level <level>', 'lowest level logged').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']))
    .option('--check-config', 'validate the settings of the command (flags, PMA_* variables, config file) and exit without running it')
    .enablePositionalOptions(false);
  await registerAll(program, args);
  return program;
}
