// How much RAM the lab PC may have (at most 3 GiB, from physical address 0).
// Every range check and every "run with --ram N" hint reads these numbers.

export const ONE_MIB = 0x100000;

/** Guest RAM in MiB: the smallest, the largest, and what a machine gets unless told. */
export const RAM_MIB = { min: 2, max: 3072, default: 32 } as const;
