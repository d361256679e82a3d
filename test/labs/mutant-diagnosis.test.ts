// Every mutant of labs 1-3, graded on the tests it must fail: each failed
// test's headline (its reason, the diagnosis a student reads first) must name
// the mutant's cause, not a symptom such as a missing line of output. Each
// mutant is built once, and only the tests it must fail are run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, assert, describe, expect, it } from 'vitest';
import { buildForTests, publicSpecFiles } from '../../grader/grade.ts';
import { loadHiddenSpecs } from '../../grader/course/hidden.ts';
import { findLab, type Lab } from '../../grader/course/labs.ts';
import { applyMutant, loadMutants } from '../../grader/authoring/mutants.ts';
import { runTest } from '../../grader/run/run-test.ts';
import { testsOfFile, type ListedTest } from '../../grader/run/test-list.ts';
import { needs } from '../host-tools.ts';

const COURSE = fileURLToPath(new URL('../../labs', import.meta.url));

/** What each mutant's headline must say: the cause of its failures, in the words of the evidence. */
const CAUSES: Record<string, RegExp> = {
  '01-boot/mmap-skips-last': /^only 3 mmap line\(s\) printed; expected mmap line 4 of 4: "mmap: base 0x00100000 length 0x01f00000 type 1"$/,
  '01-boot/module-size-assumed': /^"module 0: start 0x[0-9a-f]{8} end 0x[0-9a-f]{8} cmdline \\"hello one two\\"": end - start = 4096; expected module 0's end = start \+ \d+ \(the file's size/,
  '01-boot/no-far-jump': /^no far jump, call or return ran after the LGDT at instruction \d+; CS still holds the loader's segment/,
  '01-boot/reserved-counted-usable': /^"memory: 32448 KiB usable"; expected one line "memory: 32383 KiB usable" \(the sum of the type 1 regions\)$/,
  '01-boot/user-code-dpl0': /^slot 3 \(user code, selector 0x1b\) is DPL 0, not 3 /,

  '02-interrupts/gp-no-error-code': /^the first trap line is "trap 13 #GP general protection: err 0x00000000 \(index=0 table=GDT ext=0\) at 0x[0-9a-f]{4}:0x00000050"; expected the line "trap 13 #GP general protection: err 0x00000050 \(index=10 table=GDT ext=0\) at 0x0008:/,
  '02-interrupts/no-eoi': /^the kernel waits in HLT at 0008:[0-9a-f]{8} hlt with interrupts enabled, but no interrupt can come: IRQ 0 is still in service at the PIC \(no EOI was sent since its interrupt on vector 0x20 at instruction \d+\)/,
  '02-interrupts/pic-not-remapped': /^a device interrupt \(IRQ 0\) arrived on vector 0x08, which the CPU reserves for #DF double fault: .*remap it above 0x1f \(ICW2\); then the kernel printed "panic: #DF double fault in the kernel"$/,
  '02-interrupts/syscall-gate-dpl0': /^gate 0x80 has DPL 0; expected gate 0x80 with DPL 3/,

  '03-usermode/fault-skips-instruction': /^the process printed "cli: survived": the kernel resumed it after its exception \(vector 13 at 0x001b:0x[0-9a-f]{8}, instruction \d+\)/,
  '03-usermode/kernel-pages-user': /^in the page directory at 0x[0-9a-f]{8}, ring 3 can read 0x00000000: .*allowed.*\(user, writable, 4 MiB page\)/,
  '03-usermode/no-esp0': /^triple fault at 001b:[0-9a-f]{8} int \$0x80 \(ring 3\): delivering vector 128, then #PF page fault, then #DF double fault failed each time: pushing the interrupt frame on the ring-0 stack from the TSS \(ESP0 = 0x00000000\) faulted/,
  '03-usermode/no-pointer-validation': /^the kernel took #PF page fault in ring 0 at 0008:[0-9a-f]{8} \(.*\), error code 0x0000, CR2 0x[0-9a-f]{8}: .*, while handling a system call \(INT 0x80\) from ring 3 at 001b:[0-9a-f]{8}; then the kernel printed "panic: #PF page fault in the kernel"$/,
  '03-usermode/syscall-gate-dpl0': /^a program raised #GP general protection in ring 3 at 001b:[0-9a-f]{8}, error code 0x0402: delivering vector 128: INT 128 from CPL 3 through a gate with DPL 0$/,
  '03-usermode/user-code-at-ring0': /^at instruction \d+ INT 0x80 came from ring 0 code at 0x0008:0x0804[0-9a-f]{4}, in user memory/,
  '03-usermode/user-pages-supervisor': /^a program raised #PF page fault in ring 3 at 001b:08048000, error code 0x0005, CR2 0x08048000: the page is supervisor-only \(U\/S = 0\)$/,
};

const work = await mkdtemp(join(tmpdir(), 'ringlab-mutant-diagnosis-'));
afterAll(() => rm(work, { recursive: true, force: true }));

/** Every test of the lab, public and hidden, by the id mutants name it with. */
async function testsById(lab: Lab): Promise<Map<string, ListedTest>> {
  const files = [...(await publicSpecFiles(lab)), ...(await loadHiddenSpecs(join(lab.dir, 'hidden')))];
  const byId = new Map<string, ListedTest>();
  for (const file of files) for (const test of await testsOfFile(file)) byId.set(test.id, test);
  return byId;
}

for (const number of [1, 2, 3]) {
  const lab = findLab(COURSE, number);
  const slug = lab.manifest.slug;
  const mutants = loadMutants(lab);

  describe(`lab ${number} (${slug}): each mutant's headline names its cause`, needs('gcc', 'bwrap'), () => {
    it('every mutant has a cause to check', () => {
      expect(mutants.map((m) => `${slug}/${m.name}`).filter((k) => !(k in CAUSES))).toEqual([]);
    });

    for (const mutant of mutants) {
      it(mutant.name, async () => {
        const cause = CAUSES[`${slug}/${mutant.name}`];
        assert(cause, `no cause listed for ${slug}/${mutant.name}`);
        const copy = await applyMutant(COURSE, mutant, join(work, `${slug}-${mutant.name}`), number);
        // The step cache makes this a compile of the edited file and a link.
        const built = await buildForTests(copy, lab, { outDir: join(work, 'build') });
        if (!built.ok) throw new Error(`${mutant.name} does not build: ${built.log}`);
        const tests = await testsById(lab);
        for (const id of mutant.mustFail) {
          const test = tests.get(id);
          assert(test, `${mutant.file} names ${id}, which is not a test of the lab`);
          const result = runTest(test.spec, built.inputs, test);
          expect({ id, status: result.status }).toEqual({ id, status: 'failed' });
          expect(result.reason, id).toMatch(cause);
          expect(result.diagnosis?.headline, id).toBe(result.reason);
          expect(result.diagnosis?.events.length, `${id}: the events that led to it`).toBeGreaterThan(0);
        }
      });
    }
  });
}
