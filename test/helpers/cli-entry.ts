// Runs the CLI from source (under tsx) for tests that need a real child process.
import { main } from '../../src-main/cli/main';

process.exitCode = await main(process.argv.slice(2));
