// A real lab of the course as a golden-output grader sees it: for each test,
// the QEMU command line that boots it. The golden transcripts themselves are
// recorded under QEMU (grading.bench.ts), as a course that grades with QEMU
// records them: the lab's kernel prints the Multiboot information it was
// given, and QEMU gives different boot information than the lab PC (flags
// with a boot device, the kernel's path before its command line, a memory map
// with reserved areas at the top of RAM), so ringlab's transcripts would not
// be a QEMU course's golden files.

import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildLab } from '../../grader/toolchain/build.ts';
import { publicSpecFiles } from '../../grader/grade.ts';
import { loadHiddenSpecs } from '../../grader/course/hidden.ts';
import { findLab } from '../../grader/course/labs.ts';
import { loadSpecFile, type ModuleSpec } from '../../grader/api/spec.ts';

export interface LabBoot {
  name: string;
  /** Everything after `qemu-system-i386`, less the flags every boot shares. */
  bootArgs: string[];
  /** Where QEMU must run: -initrd names the programs relative to it. */
  cwd: string;
}

/**
 * A directory where each program is a link named after the program. QEMU
 * hands a module the whole `file args` text of -initrd as its command line,
 * so naming the file `hello` is what gives the guest `hello` or `hello args`,
 * the command line run-test.ts gives it on ringlab.
 */
function programLinks(programs: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringlab-bench-programs-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const [name, file] of Object.entries(programs)) symlinkSync(file, path.join(dir, name));
  return dir;
}

/** Each module as `program args`, comma-separated: QEMU's multiboot -initrd syntax. */
function initrdArg(modules: ModuleSpec[], programs: Record<string, string>): string {
  return modules.map((m) => {
    if (programs[m.program] === undefined) throw new Error(`module '${m.program}' is not a program of this lab`);
    const cmdline = m.args ? `${m.program} ${m.args}` : m.program;
    // QEMU splits -initrd on commas, so a comma in a command line would silently change the modules.
    if (cmdline.includes(',')) throw new Error(`module command line '${cmdline}' has a comma, which QEMU's -initrd cannot carry`);
    return cmdline;
  }).join(',');
}

/**
 * Builds lab `number` of the course (from the build cache when warm) and
 * turns its public tests and those in `hiddenDir` into boots, in the order
 * `lab grade` runs them.
 */
export async function loadLabBoots(courseRoot: string, number: number, hiddenDir: string): Promise<LabBoot[]> {
  const lab = findLab(courseRoot, number);
  const built = await buildLab(courseRoot, lab.manifest);
  if (!built.ok) throw new Error(`lab ${number} does not build (${built.stage}):\n${built.log}`);
  const m = lab.manifest;
  const specFiles = [...(await publicSpecFiles(lab)), ...(await loadHiddenSpecs(path.resolve(hiddenDir)))];
  const cwd = programLinks(built.programs);
  const boots: LabBoot[] = [];
  for (const file of specFiles) {
    for (const spec of await loadSpecFile(file.specFile)) {
      // QEMU has no way to feed these in the same place in the run, so the comparison would not be like for like.
      if (spec.serialInput) throw new Error(`'${spec.name}' types serial input, which this comparison does not support`);
      const bootArgs = ['-kernel', built.kernel, '-append', spec.cmdline, '-m', String(spec.ramMiB ?? m.ramMiB)];
      if (spec.modules.length > 0) bootArgs.push('-initrd', initrdArg(spec.modules, built.programs));
      boots.push({ name: spec.name, bootArgs, cwd });
    }
  }
  return boots;
}
