// The `lab` command line. Each command lives in its own module and registers
// itself here; main turns every way a command can end into an exit status and
// at most one line on stderr, never a stack trace.

import { Command, CommanderError } from 'commander';
import { SANDBOX_ENV } from '../toolchain/sandbox.ts';
import { ConfigError, hostStack, InternalEngineError } from '../../engine/config.ts';
import { registerBuildCommand } from './build-command.ts';
import { registerGradeCommand } from './grade-command.ts';
import { registerGradeAllCommands } from './grade-all-command.ts';
import { registerListCommand } from './list-command.ts';
import { registerHandoutCommand } from './handout-command.ts';
import { registerPackageCommand } from './package-command.ts';
import { registerCheckSpecCommand } from './check-spec-command.ts';
import { registerNewCommand } from './new-command.ts';
import { registerReleaseCommand } from './release-command.ts';
import { registerValidateCommand } from './validate-command.ts';
import { EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR, InputError, registerRunCommand } from './run-command.ts';
import { firstLine, messageOf } from '../messages.ts';

export function buildProgram(done: (status: number) => void): Command {
  const program = new Command('lab')
    .description('ringlab: run and grade operating-system lab kernels on an emulated 32-bit PC')
    // Commands inherit these two settings only if they are made after them.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`lab: ${text.replace(/^error: /, '')}`) })
    // Every command that builds takes --no-sandbox; the environment carries it to child graders too.
    .hook('preAction', (_program, command) => {
      if (command.opts().sandbox === false) process.env[SANDBOX_ENV] = 'off';
    });
  registerRunCommand(program, done);
  registerListCommand(program, done);
  registerBuildCommand(program, done);
  registerGradeCommand(program, done);
  registerGradeAllCommands(program, done);
  registerValidateCommand(program, done);
  registerReleaseCommand(program, done);
  registerHandoutCommand(program, done);
  registerPackageCommand(program, done);
  registerCheckSpecCommand(program, done);
  registerNewCommand(program, done);
  return program;
}

/** Run the command line `argv` (process.argv layout) and return the exit status. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  try {
    await buildProgram((s) => (status = s)).parseAsync(argv);
    return status;
  } catch (e) {
    // Commander has already printed its message (or the help) by the time it throws.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    if (e instanceof InputError || e instanceof ConfigError) {
      process.stderr.write(`lab: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    process.stderr.write(`lab: internal error: ${firstLine(messageOf(e))}\n`);
    // A bug inside the engine keeps its whole stack, for the maintainers.
    if (e instanceof InternalEngineError) process.stderr.write(`${hostStack(e)}\n`);
    return EXIT_INTERNAL_ERROR;
  }
}
