export declare const EXIT_BAD_INPUT: 2;
export declare const EXIT_INTERNAL_ERROR: 70;
