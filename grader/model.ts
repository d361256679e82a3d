// The grader's data model: what a lab declares, what a test run produced, and
// what a grading run hands to the reports. Everything here is plain data
// (structured-clone safe), so results can cross worker threads, and
// deterministic: no timestamps or host timings inside scored data.

/** Who may see a test and its details (Gradescope's visibility values plus ours). */
export type Visibility = 'visible' | 'hidden' | 'after_due_date' | 'after_published';

/** The lab manifest (labs/NN-slug/lab.json), as loaded and validated. */
export interface LabManifest {
  /** Lab number, e.g. 3. */
  number: number;
  /** Folder name, e.g. "03-usermode". */
  slug: string;
  title: string;
  /** Guest RAM for every test unless a test says otherwise. */
  ramMiB: number;
  /** Default per-test instruction budget. */
  maxInstructions: number;
  /** Default per-test output limit in bytes. */
  maxOutputBytes: number;
  /** Kernel sources relative to the kernel tree (labs/kernel/), and its linker script. */
  kernel: { sources: string[]; linkerScript: string; includeDirs?: string[] };
  /** User programs: name -> sources (relative to the lab folder), each built into an ELF loaded as a module. */
  programs: Record<string, { sources: string[]; linkerScript?: string }>;
  /** Points the starter code (before any student work) is expected to get. */
  starterScore: number;
  /** The lab's total points as the manifest states them, for listings before any test spec is loaded. */
  points?: number;
  /**
   * Course-relative globs of the files a student's submission supplies when
   * it is graded against the instructor's course (default: the kernel's .c,
   * .h, .S and .s files); every other input comes from the course.
   */
  studentFiles?: string[];
}

/**
 * The most instructions one test may be given: about ten seconds of guest
 * time on the lab PC, far beyond any lab's need, so that no manifest or spec
 * can make a run that outlasts the grader's patience.
 */
export const MAX_TEST_INSTRUCTIONS = 2_000_000_000;

/** Where in the guest something happened, for failure messages. */
export interface GuestLocation {
  /** Retired-instruction count. */
  icount: number;
  cs: number;
  eip: number;
  /** Disassembly of the instruction there, when known. */
  instruction?: string;
}

/**
 * Why a failed test failed (grader/scoring/diagnosis.ts): the decisive evidence of
 * its run, which is not always the first check that failed.
 */
export interface Diagnosis {
  /** One line: a panic line, the first unexpected exception with the CPU's reason, a triple fault's chain, ... */
  headline: string;
  /** The events that led to it, one report line each, oldest first. */
  events: string[];
  /** Where in the guest it happened, when one place says it. */
  where?: GuestLocation;
}

/** One check inside a test. */
export interface CheckResult {
  /** What the check wants, in a sentence: "serial output contains 'hello'". */
  name: string;
  passed: boolean;
  /** Points this check carries when the test gives partial credit; absent when the test is all or nothing. */
  points?: number;
  /** For a failure: what was expected and what was observed, one or two lines each. */
  expected?: string;
  observed?: string;
  where?: GuestLocation;
}

/** How the machine run of a test ended (engine stop reason, or a grader-side cause). */
export type RunEnd =
  | 'debug-exit' | 'halt' | 'budget' | 'output-limit' | 'triple-fault' | 'reset' | 'unsupported' | 'stopped'
  | 'wall-clock' // the host backstop fired: the engine took too long in real time
  | 'build-error' // the kernel or a program did not compile: nothing ran
  | 'boot-error' // the kernel built but cannot be loaded (no Multiboot header, no entry point, too big)
  | 'grader-error'; // the test itself is broken (an instructor's problem)

export interface TestResult {
  /** Stable identifier: the test's file and name. Results are sorted by it. */
  id: string;
  name: string;
  visibility: Visibility;
  /** Whether the test came from the hidden directory. */
  hidden: boolean;
  maxScore: number;
  score: number;
  status: 'passed' | 'failed' | 'error';
  /** One line: why it failed (empty when it passed); for a failed run, its diagnosis's headline. */
  reason: string;
  /** For a test whose run failed its checks: the decisive evidence and the events that led to it. */
  diagnosis?: Diagnosis;
  checks: CheckResult[];
  run: {
    end: RunEnd;
    message: string;
    exitStatus?: number;
    instructions: number;
  };
  /** COM1 + 0xE9 output as the guest wrote it (bounded), latin1-decoded. */
  serial: string;
  /** The VGA text screen at the end, 25 lines. */
  screen: string[];
  /** Events around the failure (formatted lines), for the report's timeline. */
  timeline: string[];
  /** Registers at the end of the run. */
  registers: Record<string, number>;
  /** For a failed test whose kernel had paging on: the address spaces ring 3 ran in, as the CPU saw them at the end. */
  addressSpaces?: AddressSpace[];
  /** For a failed test that ran, or one whose spec asks (showSchedule): what ran when, from the engine's events. */
  schedule?: Schedule;
  /** For a failed test that ran: commands that repeat its run by hand (grader/run/replay.ts). */
  replay?: Replay;
  /**
   * For a grader error that is a bug of ringlab's (an exception inside the
   * engine): the whole stack, for its maintainers. `lab grade` writes it to
   * stderr; no report shows it.
   */
  internalError?: string;
}

/** Pages with the same rights, next to each other in one address space. */
export interface AddressSpaceRun {
  linear: number;
  size: number;
  user: boolean;
  writable: boolean;
}

/** One page directory's present mappings at the end of a run (grader/run/address-spaces.ts). */
export interface AddressSpace {
  /** The directory's physical address. */
  cr3: number;
  runs: AddressSpaceRun[];
  /** More runs than a report shows. */
  truncated: boolean;
}

/**
 * What the CPU ran over a test's run (grader/run/schedule.ts): one row per
 * address space, each a list of spans in the ring that ran, on an axis of
 * timer ticks. Bounded, so results.json stays small whatever the run did.
 */
export interface Schedule {
  /**
   * What the axis counts: timer ticks (IRQ 0 on vector 0x20, between ticks
   * in proportion to virtual time), or virtual time in instructions when the
   * run had no timer interrupt.
   */
  unit: 'tick' | 'instruction';
  /** Where the run ended on the axis; it starts at 0. */
  end: number;
  rows: ScheduleRow[];
  marks: ScheduleMark[];
  /** Marks left out to keep the schedule small (timer marks first). */
  marksDropped: number;
  /**
   * Set when the run switched more often than a report keeps: the axis is
   * then cut in cells this wide, and a row's cell is drawn in the ring it
   * reached there at all, ring 3 first (grader/run/schedule-cells.ts).
   */
  cell?: number;
  /** Set when the run raised more events than the grader records: the schedule stops where they stop. */
  eventsStopped?: boolean;
}

export interface ScheduleRow {
  /**
   * 'space': time with this directory in CR3; 'boot': before the first CR3
   * load; 'idle': the CPU halted in HLT; 'other': the address spaces beyond
   * those a report draws.
   */
  kind: 'space' | 'boot' | 'idle' | 'other';
  /** The page directory's physical address (kind 'space'). */
  cr3?: number;
  /** Whether ring 3 ever ran with this directory loaded. */
  ranUser?: boolean;
  /** From the kernel's "exec pid N: NAME" lines, when their order matches the directories' first entries to ring 3. */
  pid?: number;
  name?: string;
  spans: ScheduleSpan[];
  /** Time in each ring on the axis, summed before any coarsening: a process's share of the CPU. */
  time: Record<ScheduleSpan['ring'], number>;
}

export interface ScheduleSpan {
  from: number;
  to: number;
  ring: 'user' | 'kernel' | 'idle';
}

export interface ScheduleMark {
  at: number;
  /** Index into Schedule.rows: where the CPU was when it happened. */
  row: number;
  /**
   * 'fault': an exception from ring 3 after which the process went on (ring 3
   * came back to its address space at or just past the faulting instruction);
   * 'kill': one after which it did not.
   */
  kind: 'timer' | 'syscall' | 'fault' | 'kill';
  /** The interrupt vector; absent for SYSENTER. */
  vector?: number;
}

/** Ready-to-paste commands that repeat one test's run, for a student to debug it. */
export interface Replay {
  /** `lab run N --test ID`: builds the lab as grading does and runs this test's machine, nothing else. */
  test: string;
  /** The same machine as a full `lab run --kernel ... --module ...` line, where it can be written so (no serial input). */
  run?: string;
  /** The same kernel and modules under QEMU, where the test's set-up allows it. */
  qemu?: string;
}

/** A whole grading run: what every report is made from. */
export interface GradeReport {
  lab: { number: number; slug: string; title: string };
  score: number;
  maxScore: number;
  tests: TestResult[];
  /** Set when grading could not run at all (exit status 2): e.g. a compiler is missing. */
  fatal?: string;
  /** Compiler output when the build failed (the tests then all fail with end 'build-error'). */
  buildLog?: string;
  /** Whether details of hidden tests are included (instructor mode, --reveal). */
  revealed: boolean;
  /** Set when only some tests ran (`--test`): the score and maximum count only those. */
  selection?: { patterns: string[]; of: number };
}
