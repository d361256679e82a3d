// The exit statuses `lab` gives for its own failures, in plain JavaScript:
// lab.js needs them before any TypeScript can be loaded (a checkout whose
// packages are missing, a grader that does not compile).

/** Bad input: a usage error, a file that cannot be used, a checkout not set up yet. */
export const EXIT_BAD_INPUT = 2;
/** An internal error in lab itself (sysexits' EX_SOFTWARE). */
export const EXIT_INTERNAL_ERROR = 70;
