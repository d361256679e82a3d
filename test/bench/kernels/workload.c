/*
 * The CPU-bound work both benchmark kernels run: the kind of code gcc -O2
 * makes of a small kernel's own C. Loops over arrays and structs, calls that
 * cannot be inlined, a recursive sort, table-driven CRC, hashing into an open
 * table, string building, and multiply/divide by values gcc cannot turn into
 * shifts. Every phase folds its result into one checksum, so an emulator that
 * gets any of it wrong prints a different number from QEMU.
 *
 * The data lives in .bss and spans a few hundred KiB, so with paging on the
 * work touches well over a hundred distinct pages each round.
 */
#include "runtime.h"

#define NOINLINE __attribute__((noinline))

/* How many rounds; the benchmarks pass -DWORKLOAD_ROUNDS to tune the length. */
#ifndef WORKLOAD_ROUNDS
#define WORKLOAD_ROUNDS 40
#endif

uint32_t run_workload(void);

/* ---- pseudo-random numbers and mixing ------------------------------------- */

static uint32_t rng_state;

static inline uint32_t xorshift32(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* Order-sensitive, so a phase that runs in the wrong order also shows. */
static inline uint32_t mix(uint32_t h, uint32_t v)
{
    h ^= v + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h;
}

/* ---- sorting: recursive quicksort with an insertion-sort tail -------------- */

#define SORT_N 8192

static uint32_t sort_src[SORT_N];
static uint32_t sort_buf[SORT_N];

static NOINLINE void insertion_sort(uint32_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static NOINLINE void quicksort(uint32_t *a, int n)
{
    while (n > 16) {
        /* Median of three keeps the recursion shallow on the random input. */
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
        uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            uint32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* Recurse into the smaller half, loop on the larger. */
        int left = j + 1;
        if (left < n - left) {
            quicksort(a, left);
            a += left;
            n -= left;
        } else {
            quicksort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static NOINLINE uint32_t phase_sort(uint32_t seed)
{
    rng_state = seed | 1;
    for (int i = 0; i < SORT_N; i++)
        sort_src[i] = xorshift32() % 1000003u;
    memcpy(sort_buf, sort_src, sizeof sort_buf);
    quicksort(sort_buf, SORT_N);

    uint32_t h = 0;
    for (int i = 1; i < SORT_N; i++) {
        if (sort_buf[i - 1] > sort_buf[i])
            return 0xdead0000u | (uint32_t)i; /* unsorted: the checksum says so */
    }
    for (int i = 0; i < SORT_N; i += 97)
        h = mix(h, sort_buf[i]);
    return h;
}

/* ---- structs: a small particle system in integer fixed point --------------- */

struct particle {
    int32_t x, y;        /* position, 16.16 */
    int32_t vx, vy;      /* velocity, 16.16 per step */
    uint16_t mass;       /* 1..256 */
    uint8_t bounces;
    uint8_t alive;
    uint32_t tag;
};

#define PARTICLES 2048
#define WORLD (1 << 24)  /* 256.0 in 16.16 */

static struct particle particles[PARTICLES];

static NOINLINE void particle_init(struct particle *p, uint32_t r)
{
    p->x = (int32_t)(r & (WORLD - 1));
    p->y = (int32_t)((r >> 7) & (WORLD - 1));
    p->vx = (int32_t)(r % 40000u) - 20000;
    p->vy = (int32_t)((r >> 3) % 40000u) - 20000;
    p->mass = (uint16_t)(1 + (r >> 24));
    p->bounces = 0;
    p->alive = 1;
    p->tag = r;
}

/* Gravity divided by mass: a real divide every call. */
static NOINLINE void particle_step(struct particle *p, int32_t gravity)
{
    p->vy += gravity / (int32_t)p->mass;
    p->x += p->vx;
    p->y += p->vy;
    if (p->x < 0 || p->x >= WORLD) {
        p->vx = -p->vx;
        p->x = p->x < 0 ? -p->x : 2 * WORLD - p->x - 1;
        p->bounces++;
    }
    if (p->y < 0 || p->y >= WORLD) {
        p->vy = -(p->vy * 7) / 8;
        p->y = p->y < 0 ? -p->y : 2 * WORLD - p->y - 1;
        p->bounces++;
    }
    if (p->bounces > 200)
        p->alive = 0;
}

static NOINLINE uint32_t phase_particles(uint32_t seed)
{
    rng_state = seed ^ 0x5bd1e995u;
    for (int i = 0; i < PARTICLES; i++)
        particle_init(&particles[i], xorshift32());

    for (int step = 0; step < 24; step++) {
        int32_t gravity = -(int32_t)(600 + step * 13);
        for (int i = 0; i < PARTICLES; i++) {
            if (particles[i].alive)
                particle_step(&particles[i], gravity);
        }
    }

    uint32_t h = 0;
    for (int i = 0; i < PARTICLES; i++) {
        const struct particle *p = &particles[i];
        h = mix(h, (uint32_t)p->x ^ ((uint32_t)p->y << 1) ^ p->bounces ^ ((uint32_t)p->alive << 31));
    }
    return h;
}

/* ---- checksums: CRC-32 with a 256-entry table, and FNV-1a ------------------- */

#define CRC_BYTES (64 * 1024)

static uint32_t crc_table[256];
static uint8_t crc_data[CRC_BYTES];

static void crc32_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static NOINLINE uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static NOINLINE uint32_t fnv1a(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static NOINLINE uint32_t phase_checksums(uint32_t seed)
{
    rng_state = seed ^ 0xc2b2ae35u;
    uint32_t *words = (uint32_t *)crc_data;
    for (size_t i = 0; i < CRC_BYTES / 4; i++)
        words[i] = xorshift32();
    uint32_t h = crc32(crc_data, CRC_BYTES);
    /* Unaligned, odd-length slices, as a packet or a file block would be. */
    for (size_t off = 3; off + 1500 < CRC_BYTES; off += 4099)
        h = mix(h, fnv1a(crc_data + off, 1499));
    return h;
}

/* ---- strings: formatting numbers, copying and comparing -------------------- */

#define LINE 96
#define LINES 512

static char lines[LINES][LINE];
static char scratch[LINES * LINE];

static NOINLINE size_t kstrlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static NOINLINE int kstrcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

/* The base is a run-time value, so these are real DIVs, as in a printf. */
static NOINLINE char *format_uint(char *out, uint32_t v, uint32_t base)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char tmp[33];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v != 0);
    while (n > 0)
        *out++ = tmp[--n];
    *out = '\0';
    return out;
}

static NOINLINE char *append(char *out, const char *s)
{
    size_t n = kstrlen(s);
    memcpy(out, s, n + 1);
    return out + n;
}

static NOINLINE uint32_t phase_strings(uint32_t seed)
{
    static volatile uint32_t bases[4] = {10, 16, 8, 36};
    rng_state = seed ^ 0x27d4eb2fu;
    memset(lines, 0, sizeof lines);
    for (int i = 0; i < LINES; i++) {
        char *p = lines[i];
        p = append(p, "pid ");
        p = format_uint(p, (uint32_t)i, bases[0]);
        p = append(p, " eip=0x");
        p = format_uint(p, xorshift32(), bases[1]);
        p = append(p, " mode ");
        p = format_uint(p, xorshift32() & 0777, bases[2]);
        p = append(p, " key ");
        format_uint(p, xorshift32(), bases[i & 3]);
    }

    /* Copy the whole block, then compare every line with a neighbour. */
    memset(scratch, 0, sizeof scratch);
    memcpy(scratch, lines, sizeof lines);
    uint32_t h = 0;
    for (int i = 0; i < LINES; i++) {
        const char *a = &scratch[i * LINE];
        const char *b = lines[(i * 7 + 1) % LINES];
        h = mix(h, (uint32_t)kstrcmp(a, b) ^ (uint32_t)kstrlen(a) << 8);
    }
    return mix(h, fnv1a(scratch, sizeof scratch));
}

/* ---- a hash table with open addressing ------------------------------------- */

#define TABLE_SLOTS 4093  /* prime */

struct entry {
    uint32_t key;
    uint32_t value;
    uint32_t hits;
};

static struct entry table[TABLE_SLOTS];

static NOINLINE uint32_t table_slot(uint32_t key, uint32_t slots)
{
    return (key * 2654435761u) % slots;
}

static NOINLINE void table_put(uint32_t key, uint32_t value, uint32_t slots)
{
    uint32_t i = table_slot(key, slots);
    while (table[i].key != 0 && table[i].key != key)
        i = i + 1 == slots ? 0 : i + 1;
    table[i].key = key;
    table[i].value += value;
}

static NOINLINE const struct entry *table_get(uint32_t key, uint32_t slots)
{
    uint32_t i = table_slot(key, slots);
    while (table[i].key != 0) {
        if (table[i].key == key) {
            table[i].hits++;
            return &table[i];
        }
        i = i + 1 == slots ? 0 : i + 1;
    }
    return 0;
}

static NOINLINE uint32_t phase_table(uint32_t seed)
{
    static volatile uint32_t slots_v = TABLE_SLOTS;
    uint32_t slots = slots_v;
    memset(table, 0, sizeof table);
    rng_state = seed ^ 0x165667b1u;
    /* Fill to three quarters with keys from a small range, so some repeat. */
    for (int i = 0; i < 3000; i++)
        table_put(1 + xorshift32() % 5000u, (uint32_t)i, slots);
    uint32_t h = 0, found = 0;
    for (uint32_t k = 1; k <= 6000; k++) {
        const struct entry *e = table_get(k, slots);
        if (e) {
            found++;
            h = mix(h, e->value ^ k);
        }
    }
    return mix(h, found);
}

/* ---- arithmetic: gcd, modular powers, 64-bit products ---------------------- */

static NOINLINE uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b != 0) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/*
 * (a * b) mod m through a 64-bit product and one DIVL, as Linux's do_div
 * does; there is no libgcc here for a 64-bit '%'. a and b are below m, so the
 * quotient fits in 32 bits and DIVL cannot fault.
 */
static inline uint32_t mulmod(uint32_t a, uint32_t b, uint32_t m)
{
    uint64_t p = (uint64_t)a * b;
    uint32_t q, r;
    __asm__("divl %4" : "=a"(q), "=d"(r) : "a"((uint32_t)p), "d"((uint32_t)(p >> 32)), "rm"(m));
    (void)q;
    return r;
}

static NOINLINE uint32_t powmod(uint32_t base, uint32_t exp, uint32_t m)
{
    uint32_t result = 1 % m;
    base %= m;
    while (exp) {
        if (exp & 1)
            result = mulmod(result, base, m);
        base = mulmod(base, base, m);
        exp >>= 1;
    }
    return result;
}

static NOINLINE uint32_t phase_arith(uint32_t seed)
{
    rng_state = seed ^ 0x85ebca6bu;
    uint32_t h = 0;
    for (int i = 0; i < 1500; i++) {
        uint32_t a = xorshift32(), b = xorshift32() | 1;
        h = mix(h, gcd(a, b));
    }
    for (int i = 0; i < 600; i++) {
        uint32_t m = (xorshift32() | 0x80000001u);
        h = mix(h, powmod(xorshift32(), xorshift32(), m));
    }
    /* Signed divide and the 64-bit products gcc makes of long long arithmetic. */
    int32_t acc = 1;
    int64_t wide = 7;
    for (int i = 0; i < 4000; i++) {
        int32_t d = (int32_t)(xorshift32() % 1999u) - 999;
        if (d == 0)
            d = 1;
        acc = acc * 31 + (int32_t)(xorshift32() >> 4) / d;
        wide = wide * 3 + (int64_t)acc * (int64_t)d;
    }
    h = mix(h, (uint32_t)acc);
    h = mix(h, (uint32_t)wide ^ (uint32_t)(wide >> 32));
    return h;
}

/* ---- the whole run ----------------------------------------------------------- */

uint32_t run_workload(void)
{
    crc32_init();
    uint32_t h = 0x12345678u;
    for (uint32_t round = 0; round < WORKLOAD_ROUNDS; round++) {
        uint32_t seed = 0x9e3779b9u * (round + 1);
        h = mix(h, phase_sort(seed));
        h = mix(h, phase_particles(seed));
        h = mix(h, phase_checksums(seed));
        h = mix(h, phase_strings(seed));
        h = mix(h, phase_table(seed));
        h = mix(h, phase_arith(seed));
    }
    return h;
}
