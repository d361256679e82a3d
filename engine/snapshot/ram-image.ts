// Guest RAM in a machine snapshot: a copy of each page that may have been
// written (memory/written-pages.ts knows which; every other page is still
// zero), where a page that is the same as in the previous snapshot is that
// snapshot's copy, not a new one. Snapshots taken a few hundred thousand
// instructions apart then cost the pages the guest wrote in between, not
// the whole RAM: a kernel's working set, not its 32 MiB.

import type { WrittenPages } from '../memory/written-pages.ts';

const PAGE = 4096;
const ZERO_PAGE = new Uint8Array(PAGE);

export class RamImage {
  /** Physical page number to its bytes; a page not here was zero. Copies are shared between images and never written. */
  readonly pages = new Map<number, Uint8Array>();

  /** Bytes held by this image's own copies, those it does not share with the image it was made after. */
  ownBytes = 0;

  /** The RAM now, sharing with `previous` (the same machine's last image) every page that has not changed since. */
  static capture(ram: Uint8Array, written: WrittenPages, previous: RamImage | null): RamImage {
    const image = new RamImage();
    for (const page of written.pages()) {
      const live = ram.subarray(page * PAGE, page * PAGE + PAGE);
      const before = previous?.pages.get(page);
      if (samePage(live, before ?? ZERO_PAGE)) {
        if (before !== undefined) image.pages.set(page, before);
        continue;
      }
      image.pages.set(page, live.slice());
      image.ownBytes += PAGE;
    }
    return image;
  }

  /**
   * Puts this image back into `ram`, which has been written since only in
   * pages `written` lists (the image's own pages among them: marks are never
   * taken back while the machine lives). Returns how many pages changed.
   */
  restore(ram: Uint8Array, written: WrittenPages): number {
    let changed = 0;
    for (const page of written.pages()) {
      const live = ram.subarray(page * PAGE, page * PAGE + PAGE);
      const saved = this.pages.get(page) ?? ZERO_PAGE;
      if (samePage(live, saved)) continue;
      live.set(saved);
      changed++;
    }
    return changed;
  }
}

function samePage(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, PAGE).equals(b);
}
