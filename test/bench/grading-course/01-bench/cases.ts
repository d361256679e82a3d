// The benchmark lab's tests as plain data, so that the ringlab specs in tests/
// and the QEMU + regex grader in grading.bench.ts grade exactly the same
// expectations. It sits outside tests/ because the grader loads every module
// there as a spec.
//
// Two cases fail on purpose, as a half-finished student kernel would (an
// unhandled double fault, an unimplemented vm_map): the benchmark checks that
// both graders agree on failures too, not only on passes.

export interface BenchCase {
  name: string;
  /** Which spec file in tests/ holds it. */
  group: 'bringup' | 'traps' | 'compute' | 'unfinished';
  cmdline: string;
  /** Plain text the serial output must contain. */
  contains: string[];
  /** Patterns the serial output must match. */
  matches: RegExp[];
  /** The isa-debug-exit code the run must end with. */
  exit: number;
}

export const CASES: BenchCase[] = [
  { name: 'boots and prints its banner', group: 'bringup', cmdline: 'task=boot', contains: ['ringbench kernel', 'task: boot'], matches: [], exit: 0 },
  { name: 'loads a flat GDT', group: 'bringup', cmdline: 'task=gdt', contains: [], matches: [/gdt: cs=0x0008 ds=0x0010 ss=0x0010/], exit: 0 },
  { name: 'loads an IDT with 20 gates', group: 'bringup', cmdline: 'task=idt', contains: [], matches: [/idt: 20 gates at 0x[0-9a-f]{8}/], exit: 0 },
  { name: 'exit code comes from the command line', group: 'bringup', cmdline: 'task=boot exit=5', contains: ['done after 0 traps'], matches: [], exit: 5 },
  { name: 'prints numbers in every format', group: 'bringup', cmdline: 'task=printf', contains: ['printf: [-12345] [4000000000] [deadbeef] [0000001f] [   42] [text] [Z]'], matches: [], exit: 0 },

  { name: 'handles a divide error', group: 'traps', cmdline: 'task=de', contains: [], matches: [/#DE handled at eip=0x[0-9a-f]{8}/], exit: 0 },
  { name: 'handles an invalid opcode', group: 'traps', cmdline: 'task=ud', contains: [], matches: [/#UD handled at eip=0x[0-9a-f]{8}/], exit: 0 },
  { name: 'handles a breakpoint', group: 'traps', cmdline: 'task=bp', contains: ['#BP handled'], matches: [], exit: 0 },
  { name: 'handles a general protection fault with its error code', group: 'traps', cmdline: 'task=gp', contains: ['#GP handled, err=0x000000f8'], matches: [], exit: 0 },
  { name: 'handles a page fault on a null pointer', group: 'traps', cmdline: 'task=pf', contains: ['#PF handled, cr2=0x00000010 err=0x0'], matches: [], exit: 0 },
  { name: 'handles five kinds of trap in order', group: 'traps', cmdline: 'task=traps', contains: ['traps: 5 handled'], matches: [/#DE[^]*#UD[^]*#BP[^]*#GP[^]*#PF/], exit: 0 },
  { name: 'handles 2000 traps', group: 'traps', cmdline: 'task=traps n=400', contains: ['traps: 2000 handled'], matches: [], exit: 0 },

  { name: 'counts primes below 300000', group: 'compute', cmdline: 'task=sieve n=300000', contains: ['primes below 300000: 25997'], matches: [], exit: 0 },
  { name: 'counts primes below 100000', group: 'compute', cmdline: 'task=sieve n=100000', contains: ['primes below 100000: 9592'], matches: [], exit: 0 },
  { name: 'computes CRC-32 of 64 KiB', group: 'compute', cmdline: 'task=crc n=64', contains: ['crc32 of 64 KiB: 0xd5071031'], matches: [], exit: 0 },
  { name: 'heap-sorts 20000 words', group: 'compute', cmdline: 'task=sort n=20000', contains: [], matches: [/sort: 20000 words in order, checksum 0x17ba8de0/], exit: 0 },
  { name: 'solves 9 queens', group: 'compute', cmdline: 'task=queens n=9', contains: ['queens(9) = 352'], matches: [], exit: 0 },
  { name: 'finds the longest Collatz chain below 10000', group: 'compute', cmdline: 'task=collatz n=10000', contains: [], matches: [/collatz below 10000: 6171 takes 261 steps/], exit: 0 },
  { name: 'multiplies 64x64 matrices', group: 'compute', cmdline: 'task=matmul n=64', contains: ['matmul 64x64: trace 66467459'], matches: [], exit: 0 },
  { name: 'computes Fibonacci modulo a prime', group: 'compute', cmdline: 'task=fib n=500000', contains: ['fib(500000) mod 1000000007 = 316366708'], matches: [], exit: 0 },

  { name: 'survives a double fault', group: 'unfinished', cmdline: 'task=df', contains: ['#DF handled'], matches: [], exit: 0 },
  { name: 'maps a page with vm_map', group: 'unfinished', cmdline: 'task=vm', contains: [], matches: [/vm: mapped 0x[0-9a-f]+/], exit: 0 },
];
