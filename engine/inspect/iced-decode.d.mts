// Types for iced-decode.mjs, which is plain JavaScript (see there why).

export const HEADER_INTS: number;
export const DATA_BYTES: number;
export const STATE: number;
export const REQUEST_LENGTH: number;
export const ADDRESS: number;
export const INSTRUCTION_LENGTH: number;
export const TEXT_LENGTH: number;
export const IDLE: number;
export const REQUEST: number;
export const ANSWER: number;
export const FAILED: number;

export type Iced = typeof import('iced-x86');

/** Loads iced-x86 (it throws if the package is missing or its WebAssembly does not load). */
export function loadIced(): Iced;

/** The first 32-bit instruction in `bytes`, at `address`, in AT&T syntax; length 0 and '(bad)' when it is none. */
export function decodeOne(iced: Iced, bytes: Uint8Array, address: number): { length: number; text: string };
