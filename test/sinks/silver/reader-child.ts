/**
 * Holds a Silver file open read-only, as `pma status` or `pma query` do for a moment, until its
 * stdin ends. Argument: the file's path. Prints "held" once DuckDB opened it.
 */
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(process.argv[2]!, { access_mode: 'READ_ONLY' });
process.stdout.write('held\n');
process.stdin.resume();
await new Promise((resolve) => process.stdin.once('end', resolve));
instance.closeSync();
