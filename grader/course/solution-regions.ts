// Solution regions: the course keeps one kernel tree with the reference
// solution inside marked regions, and a student's copy for lab N is made by
// cutting out the solutions of lab N and later while keeping the ones the
// student has already been through. The markers, in C or in .S files (which go
// through the C preprocessor, so C comments work there too):
//
//   /* BEGIN SOLUTION lab3 */ ...reference code... /* END SOLUTION */
//   /* STUDENT lab3: what to write here */
//
// `// BEGIN SOLUTION lab3`, `// END SOLUTION` and `// STUDENT lab3: ...` work
// as well. `#` comments are not markers: in a .S file a line starting with #
// is a preprocessor directive, so `# BEGIN SOLUTION` would not even assemble.

/** A marker that is malformed or out of order; the message starts with file:line. */
export class RegionError extends Error {
  override name = 'RegionError';
}

type MarkerKind = 'begin' | 'end' | 'student';

interface Marker {
  kind: MarkerKind;
  /** Offsets of the marker comment in the text. */
  start: number;
  end: number;
  /** The lab number (BEGIN and STUDENT only). */
  lab?: number;
  line: number;
}

// Each alternative is one marker; block comments may span lines (a long
// STUDENT hint), line comments end at the end of the line.
const MARKER =
  /\/\*\s*BEGIN\s+SOLUTION\b([^*]*?)\s*\*\/|\/\/[ \t]*BEGIN[ \t]+SOLUTION\b([^\n]*)|\/\*\s*END\s+SOLUTION\b([^*]*?)\s*\*\/|\/\/[ \t]*END[ \t]+SOLUTION\b([^\n]*)|\/\*\s*STUDENT\b(?:(?!\*\/)[\s\S])*\*\/|\/\/[ \t]*STUDENT\b[^\n]*/g;

/** What a BEGIN or STUDENT marker must say after its keyword: "lab3", "lab3:", "lab 3". */
const LAB_TAG = /^\s*lab\s*(\d+)\b/i;

/** Whether a file mentions any marker at all (a cheap test before stripping). */
export function hasRegions(text: string): boolean {
  MARKER.lastIndex = 0;
  return MARKER.test(text);
}

/**
 * The text as a student of lab `lab` gets it: regions of that lab and later
 * lose their solution and keep their STUDENT comment; regions of earlier labs
 * keep their solution and lose every marker (the student has finished those).
 */
export function stripForLab(text: string, lab: number, file = '<text>'): string {
  const regions = parseRegions(text, file);
  const cuts: [number, number][] = [];
  for (const r of regions) {
    if (r.lab >= lab) {
      cuts.push(span(text, r.begin.start, r.end.end));
    } else {
      cuts.push(span(text, r.begin.start, r.begin.end), span(text, r.end.start, r.end.end), span(text, r.student.start, r.student.end));
    }
  }
  let out = '';
  let at = 0;
  for (const [from, to] of cuts) {
    // Spans are in text order; a marker sharing a line with the next one must not be cut twice.
    out += text.slice(at, Math.max(at, from));
    at = Math.max(at, to);
  }
  return out + text.slice(at);
}

export interface Region {
  lab: number;
  begin: Marker;
  end: Marker;
  student: Marker;
}

/** The regions of a file in order, every marker checked; throws RegionError naming file:line. */
export function parseRegions(text: string, file = '<text>'): Region[] {
  const markers = findMarkers(text, file);
  const regions: Region[] = [];
  const where = (m: Marker) => `${file}:${m.line}`;
  for (let i = 0; i < markers.length; ) {
    const begin = markers[i]!;
    if (begin.kind === 'end') throw new RegionError(`${where(begin)}: END SOLUTION without a BEGIN SOLUTION before it; add the BEGIN marker or remove this one`);
    if (begin.kind === 'student') throw new RegionError(`${where(begin)}: STUDENT lab${begin.lab} must follow an END SOLUTION marker; put it right after the region it describes`);
    const end = markers[i + 1];
    if (end === undefined) throw new RegionError(`${where(begin)}: BEGIN SOLUTION lab${begin.lab} is never closed; add /* END SOLUTION */ after the reference code`);
    if (end.kind === 'begin') throw new RegionError(`${where(end)}: BEGIN SOLUTION lab${end.lab} inside the region of lab${begin.lab} opened at line ${begin.line}; regions do not nest, close the first one with /* END SOLUTION */`);
    if (end.kind === 'student') throw new RegionError(`${where(end)}: STUDENT lab${end.lab} inside the region opened at line ${begin.line}; close the region with /* END SOLUTION */ first`);
    const student = markers[i + 2];
    const between = student === undefined ? '' : text.slice(end.end, student.start);
    if (student === undefined || student.kind !== 'student' || between.trim() !== '') {
      throw new RegionError(`${where(end)}: the region of lab${begin.lab} has no STUDENT comment after its END SOLUTION; add /* STUDENT lab${begin.lab}: what to write here */ right after it`);
    }
    if (student.lab !== begin.lab) {
      throw new RegionError(`${where(student)}: STUDENT lab${student.lab} follows a region of lab${begin.lab} (line ${begin.line}); the numbers must match`);
    }
    regions.push({ lab: begin.lab!, begin, end, student });
    i += 3;
  }
  return regions;
}

function findMarkers(text: string, file: string): Marker[] {
  const markers: Marker[] = [];
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1; // lo < mid <= hi: an index of lineStarts
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(text); m !== null; m = MARKER.exec(text)) {
    const line = lineOf(m.index);
    const body = m[0];
    const kind: MarkerKind = /^(\/\*|\/\/)\s*BEGIN/.test(body) ? 'begin' : /^(\/\*|\/\/)\s*END/.test(body) ? 'end' : 'student';
    const marker: Marker = { kind, start: m.index, end: m.index + body.length, line };
    if (kind === 'end') {
      const rest = (m[3] ?? m[4] ?? '').trim();
      if (rest !== '') throw new RegionError(`${file}:${line}: END SOLUTION takes nothing after it (found '${rest}'); write /* END SOLUTION */`);
    } else {
      const after = kind === 'begin' ? (m[1] ?? m[2] ?? '') : body.replace(/^(\/\*|\/\/)\s*STUDENT/, '');
      const tag = LAB_TAG.exec(after);
      const name = kind === 'begin' ? 'BEGIN SOLUTION' : 'STUDENT';
      if (!tag) throw new RegionError(`${file}:${line}: ${name} must name its lab, as in ${kind === 'begin' ? '/* BEGIN SOLUTION lab3 */' : '/* STUDENT lab3: what to write here */'}`);
      marker.lab = Number(tag[1]);
    }
    markers.push(marker);
  }
  return markers;
}

/**
 * The span to cut for the text between `from` and `to`: when it has its lines
 * to itself (only blanks around it), the whole lines go, so no empty line is
 * left where a marker or a solution was; otherwise the blanks after it go,
 * so an inline region leaves no double space.
 */
function span(text: string, from: number, to: number): [number, number] {
  const lineStart = text.lastIndexOf('\n', from - 1) + 1;
  const newline = text.indexOf('\n', to);
  const lineEnd = newline === -1 ? text.length : newline + 1;
  const before = text.slice(lineStart, from);
  const after = text.slice(to, newline === -1 ? text.length : newline);
  if (/^[ \t]*$/.test(before) && /^[ \t\r]*$/.test(after)) return [lineStart, lineEnd];
  let end = to;
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  return [from, end];
}
