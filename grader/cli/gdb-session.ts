// `lab run ... --gdb[=HOST:PORT]`: the machine waits, stopped before its
// first instruction, for gdb to attach with `target remote`, then runs as gdb
// says (engine/debug/gdb-stub.ts). It listens on the loopback interface
// only: a debugger can read and change the machine, so nobody else may reach it.

import net from 'node:net';
import type { RunResult } from '../../engine/config.ts';
import type { Machine } from '../../engine/machine.ts';
import { InputError } from './run-command.ts';

/** The port `--gdb` listens on when none is given (QEMU's `-s` uses it too). */
export const GDB_DEFAULT_PORT = 1234;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** --gdb's value: true (the default address), PORT, HOST:PORT; the host must be loopback. */
export function parseGdbAddress(value: string | true): { host: string; port: number } {
  if (value === true || value === '') return { host: '127.0.0.1', port: GDB_DEFAULT_PORT };
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? '127.0.0.1';
  const port = Number(m?.[2]);
  if (m === null || port > 65535) throw new InputError(`--gdb takes PORT or HOST:PORT, such as ${GDB_DEFAULT_PORT} or 127.0.0.1:${GDB_DEFAULT_PORT}, not '${value}'`);
  if (!LOOPBACK.has(host)) throw new InputError(`--gdb listens on the loopback interface only (127.0.0.1, localhost or ::1), not ${host}: the debugger can read and change the machine`);
  return { host, port };
}

/**
 * Serves one gdb connection on `machine`; resolves to how the run ended (or
 * was left when gdb went away). `announce` is given the line that says where
 * it listens (the terminal's stderr, or a test).
 */
export async function serveGdb(
  machine: Machine,
  value: string | true,
  kernelFile: string | undefined,
  announce: (line: string) => void = (line) => process.stderr.write(line),
): Promise<RunResult> {
  const { GdbStub } = await import('../../engine/debug/gdb-stub.ts');
  const { host, port } = parseGdbAddress(value);
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new InputError(`--gdb: cannot listen on ${host}:${port} (${e.code ?? e.message}); pick another port`)));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as net.AddressInfo).port;
  const elf = kernelFile ?? 'KERNEL.elf';
  announce(`lab: waiting for gdb on ${host}:${bound}; in another terminal: gdb ${elf} -ex 'target remote ${host}:${bound}'\n`);
  const socket = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  server.close(); // one debugger per run
  return new Promise((resolve) => {
    const stub = new GdbStub(machine, {
      send: (bytes) => socket.write(bytes),
      close: () => socket.end(),
      defer: (fn) => setImmediate(fn),
    });
    socket.on('data', (data) => stub.receive(data));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      resolve(stub.result ?? { reason: 'stopped', message: `gdb detached or killed the run at ${machine.where()}`, instructions: machine.cpu.retired, budgetUsed: machine.cpu.budgetUsed() });
    });
  });
}
