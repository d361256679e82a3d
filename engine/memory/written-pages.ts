// Which pages of guest RAM a machine has written, so that handing its RAM to
// the next machine zeroes only those: a lab test touches a few hundred KiB of
// its 32 MiB. Every way into RAM marks here: a TLB fill that allows writes
// (which covers the CPU's fast paths, compiled code and string instructions),
// the slow-path physical writes, and the boot loader.

export class WrittenPages {
  private readonly marked: Uint8Array;
  private readonly list: Int32Array;
  private count = 0;

  constructor(ramBytes: number) {
    const pages = Math.ceil(ramBytes / 4096);
    this.marked = new Uint8Array(pages);
    this.list = new Int32Array(pages);
  }

  /** Physical page `page` may be written from now on; pages past the end of RAM are ignored. */
  mark(page: number): void {
    if (page < this.marked.length && this.marked[page] === 0) {
      this.marked[page] = 1;
      this.list[this.count++] = page;
    }
  }

  /** Physical bytes [start, end). */
  markRange(start: number, end: number): void {
    for (let page = start >>> 12; page < Math.ceil(end / 4096); page++) this.mark(page);
  }

  /** The pages marked so far, in the order they were first marked (a view: valid until the next mark). */
  pages(): Int32Array {
    return this.list.subarray(0, this.count);
  }

  /** Zeroes every marked page of `ram` and forgets the marks. */
  zeroWritten(ram: Uint8Array): void {
    for (let i = 0; i < this.count; i++) {
      const page = this.list[i]!;
      ram.fill(0, page * 4096, page * 4096 + 4096);
      this.marked[page] = 0;
    }
    this.count = 0;
  }
}
