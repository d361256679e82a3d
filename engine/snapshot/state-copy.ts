// Copies of the CPU's and the devices' state for machine snapshots, made
// field by field from the objects themselves rather than from a hand-kept
// list: a field added to a device next year is in every snapshot without
// anyone remembering to add it, and a reverse step that forgot one would
// silently replay a different run.
//
// Two kinds of field are not state and are left as they are on restore:
// functions (the wiring between a device and its machine: IRQ lines, the
// event stream's listener) and the objects the caller names as shared (guest
// RAM and the TLB, which have snapshots of their own; the port bus and the
// code cache, which a run never changes or which only make it faster).

/** A copy of an object's state; opaque outside this module. */
export interface StateCopy {
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The state held in `source`'s fields, deeply copied, leaving out functions and `shared` objects. */
export function copyState(source: object, shared: ReadonlySet<object>): StateCopy {
  return { fields: copyFields(source, shared) };
}

/**
 * Puts `saved` back into `target`, the object it was copied from: typed
 * arrays, maps and nested objects are refilled in place, so that aliases of
 * them (the register file's dword, word and byte views) stay aliases.
 */
export function restoreState(target: object, saved: StateCopy, shared: ReadonlySet<object>): void {
  restoreFields(target, saved.fields, shared);
}

function copyFields(source: object, shared: ReadonlySet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(source));
  for (const [key, value] of Object.entries(source)) {
    if (typeof value === 'function' || (typeof value === 'object' && value !== null && shared.has(value))) continue;
    out[key] = copyValue(value, shared);
  }
  return out;
}

function copyValue(value: unknown, shared: ReadonlySet<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value)) return (value as unknown as { slice(): unknown }).slice();
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (Array.isArray(value)) return value.map((v) => copyValue(v, shared));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, copyValue(v, shared)]));
  if (value instanceof Set) return new Set([...value].map((v) => copyValue(v, shared)));
  return copyFields(value, shared);
}

function restoreFields(target: object, saved: Readonly<Record<string, unknown>>, shared: ReadonlySet<object>): void {
  const fields = target as Record<string, unknown>;
  for (const [key, value] of Object.entries(saved)) fields[key] = restoreValue(fields[key], value, shared);
}

/** `saved` as the new value of a field that now holds `current`: `current` refilled when it can be, else a fresh copy. */
function restoreValue(current: unknown, saved: unknown, shared: ReadonlySet<object>): unknown {
  if (typeof saved !== 'object' || saved === null) return saved;
  if (typeof current === 'object' && current !== null && !shared.has(current)) {
    if (ArrayBuffer.isView(saved) && sameKindAndLength(current, saved)) {
      (current as unknown as { set(from: unknown): void }).set(saved);
      return current;
    }
    if (saved instanceof ArrayBuffer && current instanceof ArrayBuffer && current.byteLength === saved.byteLength) {
      new Uint8Array(current).set(new Uint8Array(saved));
      return current;
    }
    if (saved instanceof Map && current instanceof Map) {
      current.clear();
      for (const [k, v] of saved) current.set(k, copyValue(v, shared));
      return current;
    }
    if (!Array.isArray(saved) && !(saved instanceof Set) && !ArrayBuffer.isView(saved) && !(saved instanceof ArrayBuffer)
      && Object.getPrototypeOf(current) === Object.getPrototypeOf(saved)) {
      restoreFields(current, saved as Record<string, unknown>, shared);
      return current;
    }
  }
  // A snapshot may be restored many times: the live machine never gets the snapshot's own objects.
  return copyValue(saved, shared);
}

function sameKindAndLength(current: object, saved: ArrayBufferView): boolean {
  return ArrayBuffer.isView(current) && current.constructor === saved.constructor && current.byteLength === saved.byteLength;
}
