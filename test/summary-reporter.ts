// One plain closing line for CI logs, "N passed, N failed, N skipped", after
// vitest's own report: machines that read test logs find it without parsing
// vitest's coloured table. Below it, one line per reason tests were skipped
// for (a missing tool, see test/host-tools.ts), with how many and where, so a
// green run on a poor machine says what it did not check.
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import type {} from './host-tools.ts'; // the TaskMeta field skipReason

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0, failed = 0, skipped = 0, broken = 0;
    const reasons = new Map<string, { tests: number; files: Set<string> }>();
    for (const m of modules) {
      // A file that failed before its tests ran (an import, a required tool) has no test to count.
      if (m.errors().length > 0) broken++;
      for (const t of m.children.allTests()) {
        const result = t.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') failed++;
        else {
          skipped++;
          const reason = (result.state === 'skipped' ? result.note : undefined) ?? t.meta().skipReason;
          if (reason === undefined) continue;
          const entry = reasons.get(reason) ?? { tests: 0, files: new Set<string>() };
          entry.tests++;
          entry.files.add(path.relative(process.cwd(), m.moduleId));
          reasons.set(reason, entry);
        }
      }
    }
    let text = `\n${passed} passed, ${failed} failed, ${skipped} skipped${broken > 0 ? `, ${broken} test file${broken === 1 ? '' : 's'} failed to run` : ''}\n`;
    for (const [reason, { tests, files }] of reasons) {
      text += `  ${tests} skipped: ${reason} (${[...files].sort().join(', ')})\n`;
    }
    process.stdout.write(text);
  }
}
