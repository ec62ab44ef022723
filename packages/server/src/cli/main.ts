// Entry of the `v4h` command (bin/v4h.js imports the compiled file): dispatches to the table in commands.ts.
import { runCli } from './commands.js';

const status = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
// Exit at once on failure (a half-started server may hold handles); on success let pending output drain.
if (status !== 'running' && status !== 0) process.exit(status);
