// QEMU's two debug devices, which test kernels use to talk and to stop:
// port 0xE9 (debugcon: each byte written is console output; reads return 0xE9,
// as QEMU's does, so a kernel can detect it) and isa-debug-exit at 0xF4 (a
// write of v ends the run with status (v << 1) | 1).

import type { PortDevice } from './ports.ts';
import type { OutputSink } from './output.ts';

export class DebugConsole implements PortDevice {
  constructor(private readonly sink: OutputSink) {}

  read8(): number {
    return 0xe9;
  }

  write8(_port: number, value: number): void {
    this.sink.put(value, 'debugcon');
  }
}

export class DebugExit implements PortDevice {
  /** The status the run ends with, once the guest has written the port. */
  status: number | null = null;

  constructor(private readonly onExit: () => void) {}

  read8(): number {
    return 0xff;
  }

  write8(_port: number, value: number): void {
    this.status = ((value & 0xff) << 1) | 1;
    this.onExit();
  }
}
