// Solution regions: the course keeps one kernel tree with the reference
// solution inside marked regions, and a student's copy for lab N is made by
// cutting out the solutions of lab N and later while keeping the ones the
// student has already been through. The markers, in C or in .S files (which go
// through the C preprocessor, so C comments work there too):
//
//   /* BEGIN SOLUTION lab3 */ ...reference code... /* END SOLUTION */
//   /* STUDENT lab3: what to write here */
//
// A later lab may rewrite code an earlier lab's student already has (lab 4
// moves lab 3's lower-half kernel to the top gigabyte). Its region then also
// carries the code as it stood before that lab, which is what students of the
// earlier labs have and what the later lab's starter begins from:
//
//   /* BEGIN SOLUTION lab4 */ ...lab 4's code... /* BEFORE lab4 */
//   ...the code after lab 3, which may hold regions of earlier labs...
//   /* END SOLUTION */
//   /* STUDENT lab4: what to write here */
//
// A later lab may also change a few lines inside an earlier lab's solution
// (lab 5 gives each process a kernel stack inside lab 4's process code): its
// region then sits in that solution, and students of the earlier lab, who get
// the earlier solution only once they are past it, never see it:
//
//   /* BEGIN SOLUTION lab4 */ ...
//     /* BEGIN SOLUTION lab5 */ ...lab 5's lines... /* BEFORE lab5 */ ...lab 4's... /* END SOLUTION */
//     /* STUDENT lab5: what to write here */
//   ... /* END SOLUTION */
//   /* STUDENT lab4: what to write here */
//
// `// BEGIN SOLUTION lab3`, `// BEFORE lab4`, `// END SOLUTION` and
// `// STUDENT lab3: ...` work as well. `#` comments are not markers: in a .S
// file a line starting with # is a preprocessor directive, so
// `# BEGIN SOLUTION` would not even assemble.

/** A marker that is malformed or out of order; the message starts with file:line. */
export class RegionError extends Error {
  override name = 'RegionError';
}

type MarkerKind = 'begin' | 'before' | 'end' | 'student';

interface Marker {
  kind: MarkerKind;
  /** Offsets of the marker comment in the text. */
  start: number;
  end: number;
  /** The lab number (BEGIN, BEFORE and STUDENT only). */
  lab?: number;
  line: number;
}

// Each alternative is one marker; block comments may span lines (a long
// STUDENT hint), line comments end at the end of the line.
const MARKER =
  /\/\*\s*BEGIN\s+SOLUTION\b([^*]*?)\s*\*\/|\/\/[ \t]*BEGIN[ \t]+SOLUTION\b([^\n]*)|\/\*\s*BEFORE\b([^*]*?)\s*\*\/|\/\/[ \t]*BEFORE\b([^\n]*)|\/\*\s*END\s+SOLUTION\b([^*]*?)\s*\*\/|\/\/[ \t]*END[ \t]+SOLUTION\b([^\n]*)|\/\*\s*STUDENT\b(?:(?!\*\/)[\s\S])*\*\/|\/\/[ \t]*STUDENT\b[^\n]*/g;

/** What a BEGIN, BEFORE or STUDENT marker must say after its keyword: "lab3", "lab3:", "lab 3". */
const LAB_TAG = /^\s*lab\s*(\d+)\b/i;

/** The files that may hold regions: kernel and user-program sources, headers, assembly and linker scripts. */
export const REGION_FILE_KINDS = /\.(c|h|S|s|ld|inc)$/;

/** Whether a file mentions any marker at all (a cheap test before stripping). */
export function hasRegions(text: string): boolean {
  MARKER.lastIndex = 0;
  return MARKER.test(text);
}

/**
 * The text as a student of lab `lab` gets it: regions of that lab and later
 * become the code as it stood before them (their BEFORE part, itself
 * released the same way, or nothing) followed by their STUDENT comment;
 * regions of earlier labs keep their solution and lose every marker, their
 * BEFORE part and their STUDENT comment (the student has finished those).
 */
export function stripForLab(text: string, lab: number, file = '<text>'): string {
  return render(text, 0, text.length, parseRegions(text, file), (r) => r.lab >= lab);
}

/**
 * The course's text as it stands when lab `stage` is finished: what
 * `lab validate` and `lab grade` build as lab `stage`'s reference. It is the
 * starter of the next lab (solutions up to `stage`, earlier code and STUDENT
 * comments for the rest); a file without a BEGIN SOLUTION marker (a
 * student's file, or one already staged) is plain source and stays as it is.
 */
export function stageForLab(text: string, stage: number, file = '<text>'): string {
  return hasSolutions(text) ? stripForLab(text, stage + 1, file) : text;
}

/**
 * The text at stage `stage` with one more region, the one whose BEGIN marker
 * is on line `line`, given as its lab's starter has it (its BEFORE part and
 * STUDENT comment): the reference without that one solution.
 */
export function stageWithout(text: string, stage: number, line: number, file = '<text>'): string {
  return render(text, 0, text.length, parseRegions(text, file), (r) => r.lab > stage || r.begin.line === line);
}

/** Every region of a file in text order, those inside BEFORE parts too. */
export function allRegions(text: string, file = '<text>'): Region[] {
  const flat = (regions: Region[]): Region[] => regions.flatMap((r) => [r, ...flat(r.inner), ...flat(r.nested)]);
  return flat(parseRegions(text, file));
}

/** Whether a file still holds reference code: a BEGIN SOLUTION marker (STUDENT comments alone are a starter's). */
export function hasSolutions(text: string): boolean {
  return /BEGIN\s+SOLUTION/.test(text);
}

/**
 * The part [from, to) of the text with its regions resolved: those `starter`
 * picks become their BEFORE part (rendered the same way) and STUDENT
 * comment, the others their solution without markers.
 */
function render(text: string, from: number, to: number, regions: Region[], starter: (r: Region) => boolean): string {
  let out = '';
  let at = from;
  // Spans are in text order; a marker sharing a line with the next one must not be cut twice.
  const cut = ([start, stop]: [number, number]) => {
    out += text.slice(at, Math.max(at, start));
    at = Math.max(at, stop);
  };
  for (const r of regions) {
    if (!starter(r)) {
      cut(span(text, r.begin.start, r.begin.end));
      const [solutionEnd, endStop] = span(text, (r.before ?? r.end).start, r.end.end);
      out += render(text, at, Math.max(at, solutionEnd), r.inner, starter);
      at = Math.max(at, endStop);
      cut(span(text, r.student.start, r.student.end));
    } else if (r.before === undefined) {
      cut(span(text, r.begin.start, r.end.end));
    } else {
      cut(span(text, r.begin.start, r.before.end));
      const [endStart, endStop] = span(text, r.end.start, r.end.end);
      out += render(text, at, Math.max(at, endStart), r.nested, starter);
      at = Math.max(at, endStop);
    }
  }
  return out + text.slice(at, to);
}

export interface Region {
  lab: number;
  begin: Marker;
  /** Where the code as it stood before this lab starts, when the region carries it. */
  before?: Marker;
  end: Marker;
  student: Marker;
  /** Regions of earlier labs inside the BEFORE part. */
  nested: Region[];
  /** Regions of later labs inside the solution. */
  inner: Region[];
}

/** Where a region's solution lies in the text: between its BEGIN and its BEFORE (or END) marker. */
export function solutionSpan(r: Region): [number, number] {
  return [r.begin.end, (r.before ?? r.end).start];
}

/** The top-level regions of a file in order, every marker checked; throws RegionError naming file:line. */
export function parseRegions(text: string, file = '<text>'): Region[] {
  const markers = findMarkers(text, file);
  const where = (m: Marker) => `${file}:${m.line}`;
  let i = 0;

  // The regions from markers[i] on, up to the BEFORE or END that ends the
  // part of `inside` being read (left at markers[i] for the caller), or the
  // end of the file at top level. A solution part holds regions of later
  // labs only, a BEFORE part regions of earlier labs only.
  const regionsUntilEnd = (inside?: Region, part: 'solution' | 'before' = 'before'): Region[] => {
    const regions: Region[] = [];
    for (let m = markers[i]; m !== undefined; m = markers[i]) {
      if (m.kind === 'end' || m.kind === 'before') {
        if (inside !== undefined) return regions;
        if (m.kind === 'end') throw new RegionError(`${where(m)}: END SOLUTION without a BEGIN SOLUTION before it; add the BEGIN marker or remove this one`);
        throw new RegionError(`${where(m)}: BEFORE lab${m.lab} outside any region; it goes between a region's solution and its END SOLUTION`);
      }
      if (m.kind === 'student') {
        if (inside !== undefined && part === 'solution') throw new RegionError(`${where(m)}: STUDENT lab${m.lab} inside the region opened at line ${inside.begin.line}; close the region with /* END SOLUTION */ first`);
        throw new RegionError(`${where(m)}: STUDENT lab${m.lab} must follow an END SOLUTION marker; put it right after the region it describes`);
      }
      if (inside !== undefined && part === 'before' && m.lab! >= inside.lab) {
        throw new RegionError(`${where(m)}: BEGIN SOLUTION lab${m.lab} inside the BEFORE part of lab${inside.lab}'s region (line ${inside.begin.line}); the code before lab${inside.lab} can only hold regions of earlier labs`);
      }
      if (inside !== undefined && part === 'solution' && m.lab! <= inside.lab) {
        throw new RegionError(`${where(m)}: BEGIN SOLUTION lab${m.lab} inside the solution of lab${inside.lab}'s region opened at line ${inside.begin.line}; regions do not nest, except regions of later labs inside a solution and of earlier labs inside a BEFORE part`);
      }
      regions.push(region());
    }
    if (inside !== undefined) {
      const after = part === 'before' ? 'its BEFORE part' : 'the reference code';
      throw new RegionError(`${where(inside.begin)}: BEGIN SOLUTION lab${inside.lab} is never closed; add /* END SOLUTION */ after ${after}`);
    }
    return regions;
  };

  // One region, markers[i] being its BEGIN (regionsUntilEnd calls it only then).
  const region = (): Region => {
    const begin = markers[i++]!;
    const lab = begin.lab!;
    const r: Region = { lab, begin, end: begin, student: begin, nested: [], inner: [] };
    r.inner = regionsUntilEnd(r, 'solution');
    // regionsUntilEnd(r, ...) returns only where markers[i] is an END or a BEFORE; else it throws.
    let next = markers[i]!;
    if (next.kind === 'before') {
      if (next.lab !== lab) throw new RegionError(`${where(next)}: BEFORE lab${next.lab} in a region of lab${lab} (line ${begin.line}); the numbers must match`);
      r.before = next;
      i++;
      r.nested = regionsUntilEnd(r);
      // regionsUntilEnd(r) returns only where markers[i] is an END or a BEFORE; else it throws.
      next = markers[i]!;
      if (next.kind === 'before') throw new RegionError(`${where(next)}: a second BEFORE in the region of lab${lab} opened at line ${begin.line}; a region has one BEFORE part`);
    }
    r.end = next;
    i++;
    const student = markers[i];
    const between = student === undefined ? '' : text.slice(r.end.end, student.start);
    if (student === undefined || student.kind !== 'student' || between.trim() !== '') {
      throw new RegionError(`${where(r.end)}: the region of lab${lab} has no STUDENT comment after its END SOLUTION; add /* STUDENT lab${lab}: what to write here */ right after it`);
    }
    if (student.lab !== lab) {
      throw new RegionError(`${where(student)}: STUDENT lab${student.lab} follows a region of lab${lab} (line ${begin.line}); the numbers must match`);
    }
    r.student = student;
    i++;
    return r;
  };

  return regionsUntilEnd();
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
    const kind: MarkerKind = /^(\/\*|\/\/)\s*BEGIN/.test(body) ? 'begin' : /^(\/\*|\/\/)\s*BEFORE/.test(body) ? 'before' : /^(\/\*|\/\/)\s*END/.test(body) ? 'end' : 'student';
    const marker: Marker = { kind, start: m.index, end: m.index + body.length, line };
    if (kind === 'end') {
      const rest = (m[5] ?? m[6] ?? '').trim();
      if (rest !== '') throw new RegionError(`${file}:${line}: END SOLUTION takes nothing after it (found '${rest}'); write /* END SOLUTION */`);
    } else {
      const after = kind === 'begin' ? (m[1] ?? m[2] ?? '') : kind === 'before' ? (m[3] ?? m[4] ?? '') : body.replace(/^(\/\*|\/\/)\s*STUDENT/, '');
      const tag = LAB_TAG.exec(after);
      const name = { begin: 'BEGIN SOLUTION', before: 'BEFORE', student: 'STUDENT' }[kind];
      const example = { begin: '/* BEGIN SOLUTION lab3 */', before: '/* BEFORE lab4 */', student: '/* STUDENT lab3: what to write here */' }[kind];
      if (!tag) throw new RegionError(`${file}:${line}: ${name} must name its lab, as in ${example}`);
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
