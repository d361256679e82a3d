// Errors meant for people are one line (shared/STYLE.md). Whatever a
// failure throws, or a tool prints, comes down to that line the same way.

/** What was thrown, as text: an Error's message, anything else as it prints. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/** The first line of `text` (all of it when it has one line). */
export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}
