// The step cache: an edit recompiles what read the edited file and relinks
// what used that object, and nothing else; whatever could change a step's
// output (a header it includes, a new file that might shadow one, the flags)
// changes its key.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLab, type BuildOutcome } from '../../grader/toolchain/build.ts';
import { parseDependencies } from '../../grader/toolchain/step-cache.ts';
import { findLab } from '../../grader/course/labs.ts';
import { needs } from '../host-tools.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const COURSE = join(REPO, 'test', 'fixtures', 'course');

const scratch = mkdtempSync(join(tmpdir(), 'ringlab-stepcache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
/** A private course, and one build function whose builds share one step cache but never a whole-build output. */
function setUp(course = COURSE) {
  const root = join(scratch, `course-${n++}`);
  cpSync(course, root, { recursive: true });
  const cacheDir = join(scratch, `steps-${n++}`);
  return {
    root,
    build: async (lab = 1): Promise<BuildOutcome & { ok: true }> => {
      const outcome = await buildLab(root, findLab(root, lab).manifest, { cc: 'gcc', outDir: join(scratch, `out-${n++}`), cacheDir });
      if (!outcome.ok) throw new Error(outcome.log);
      return outcome;
    },
  };
}

function edit(file: string, change: (text: string) => string): void {
  writeFileSync(file, change(readFileSync(file, 'utf8')));
}

describe('the step cache', needs('gcc', 'bwrap'), () => {
  it('an edit to one kernel file recompiles that file and relinks the kernel only', async () => {
    const { root, build } = setUp();
    expect((await build()).steps).toEqual({ compiled: 3, linked: 2, reused: 0 });
    edit(join(root, 'kernel', 'kmain.c'), (t) => `${t}/* a comment */\n`);
    const edited = await build();
    // boot.S's object, hello.c's object and hello's link come from the cache.
    expect(edited.steps).toEqual({ compiled: 1, linked: 1, reused: 3 });
    const again = await build();
    expect(again.steps).toEqual({ compiled: 0, linked: 0, reused: 5 });
    expect(readFileSync(again.kernel).equals(readFileSync(edited.kernel))).toBe(true);
  });

  it('a header recompiles what includes it; a new file anywhere recompiles everything', async () => {
    const { root, build } = setUp();
    await build();
    edit(join(root, 'kernel', 'io.h'), (t) => `${t}\n/* edited */\n`);
    const header = await build();
    expect(header.steps.compiled).toBe(1); // kmain.c; boot.S does not include io.h
    // A new header can shadow a system one (-I. comes first), so a new file changes every key.
    edit(join(root, 'kernel', 'kmain.c'), (t) => `#include <stdint.h>\n${t}`);
    await build();
    writeFileSync(join(root, 'kernel', 'stdint.h'), '#error the new header is read\n');
    await expect(build()).rejects.toThrow('the new header is read');
    rmSync(join(root, 'kernel', 'stdint.h'));
    writeFileSync(join(root, 'kernel', 'notes.txt'), 'a new file\n');
    expect((await build()).steps).toEqual({ compiled: 3, linked: 2, reused: 0 });
  });

  it("a reused compile still shows its warnings", async () => {
    const { root, build } = setUp();
    edit(join(root, 'kernel', 'kmain.c'), (t) => `${t}static int unused_thing;\n`);
    const first = await build();
    expect(first.log).toContain("'unused_thing' defined but not used");
    edit(join(root, '01-hello', 'programs', 'hello', 'hello.c'), (t) => `${t}/* edited */\n`);
    const second = await build();
    expect(second.steps.compiled).toBe(1);
    expect(second.log).toContain("'unused_thing' defined but not used");
  });

  it("lab 3's user programs share their library's objects: each distinct source compiles once", async () => {
    const { root, build } = setUp(join(REPO, 'labs'));
    const manifest = findLab(root, 3).manifest;
    const programSources = new Set(Object.values(manifest.programs).flatMap((p) => p.sources));
    const cold = await build(3);
    expect(cold.steps).toEqual({ compiled: manifest.kernel.sources.length + programSources.size, linked: 1 + Object.keys(manifest.programs).length, reused: 0 });
    edit(join(root, 'kernel', 'main.c'), (t) => `${t}/* edited */\n`);
    expect((await build(3)).steps).toMatchObject({ compiled: 1, linked: 1 });
  });
});

describe('dependency files', () => {
  it('reads the files after each colon, across continuation lines, with escaped spaces', () => {
    expect(parseDependencies('x.o: x.c /usr/include/a.h \\\n  ./b\\ c.h\n\nt.ld:\n')).toEqual(['x.c', '/usr/include/a.h', './b c.h']);
    expect(parseDependencies('out.elf: \\\n  t.ld \\\n  /out/obj/a.o\n')).toEqual(['t.ld', '/out/obj/a.o']);
  });
});
