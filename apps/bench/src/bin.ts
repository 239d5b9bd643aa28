#!/usr/bin/env node
import { parseArgs, USAGE } from './args.js';
import { runBench } from './run.js';

try {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) console.log(USAGE);
  else await runBench(args);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
