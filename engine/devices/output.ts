// Guest output (COM1 and the 0xE9 console) collected in chunks, so a guest
// printing one byte at a time costs one callback per chunk, not per byte.
// Only a watcher of the event stream sees each byte as it is written, because
// an event must carry the instruction count of the write, not of the flush.

export type OutputSource = 'com1' | 'debugcon';

export class OutputSink {
  private buffer = new Uint8Array(4096);
  private length = 0;
  private source: OutputSource = 'com1';
  /** Bytes written by the guest so far, across all sources. */
  total = 0;
  /** Called with each byte kept, as the guest writes it; null when nobody watches. */
  watch: ((byte: number, source: OutputSource) => void) | null = null;

  /**
   * @param limit bytes kept; past it the guest's output is dropped and `onLimit` is called once,
   *   so a guest that floods its console cannot exhaust the host.
   */
  constructor(
    private readonly deliver: (chunk: Uint8Array, source: OutputSource) => void,
    private readonly limit = Infinity,
    private readonly onLimit: () => void = () => {},
  ) {}

  put(byte: number, source: OutputSource): void {
    if (this.total >= this.limit) return;
    if (source !== this.source || this.length === this.buffer.length) {
      this.flush();
      this.source = source;
    }
    this.buffer[this.length++] = byte;
    if (this.watch !== null) this.watch(byte, source);
    if (++this.total === this.limit) this.onLimit();
  }

  flush(): void {
    if (this.length === 0) return;
    this.deliver(this.buffer.slice(0, this.length), this.source);
    this.length = 0;
  }
}
