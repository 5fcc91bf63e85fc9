/* The octopus arm's agent step with the arms as the innermost, contiguous axis.
 *
 * The same equations as the numba kernel in physics.py (docs/octopus-physics.md §2-§4), each
 * expression written in the numba kernel's operation order, so that every arm's arithmetic is
 * the same IEEE-754 sequence as there: no reassociation, no fused multiply-add
 * (-ffp-contract=off, no fast-math).  The speed comes from doing that sequence for W arms at
 * once: a block of arms is stored as a structure of arrays (value j of arm l at [j * w + l]),
 * and every loop over the arms of a block is one SIMD loop.  Square root and division are
 * correctly rounded in SIMD as in scalar code, so an arm's result does not depend on its
 * block, its lane or the instruction set (SSE2, AVX2 or AVX-512, chosen at run time on x86-64).
 *
 * One call advances every arm through the 25 RK4 substeps of an agent step, checks the result
 * (physics.py's failure codes) and measures the distance to the target; blocks of arms are
 * shared by a few threads (POSIX threads, see run()).  Only CPython's buffer protocol is used:
 * no NumPy headers at build time.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#ifndef _WIN32
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#define THREADS 1
#endif

#ifdef _MSC_VER
#define restrict __restrict
#define INLINE static __forceinline
#define ALIGNED(bytes) __declspec(align(bytes))
#define PRAGMA(text) /* MSVC builds without the omp simd pragmas (setup.py) */
#else
#define INLINE static inline __attribute__((always_inline))
#define ALIGNED(bytes) __attribute__((aligned(bytes)))
#define PRAGMA(text) _Pragma(text)
#endif

/* One build for every x86-64: GCC and clang compile the block step for each of these
 * instruction sets and pick the best one the CPU has when the module loads.  The blocks of
 * AVX-512 are wider than those of AVX2 and SSE2 (see W below), so those are separate
 * functions chosen in PyInit__simd; the one-arm step is cloned for all three. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define X86_CLONES
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define AVX512 __attribute__((target("avx512f")))
#define NOT_AVX512 __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef CLONES
#define CLONES
#define AVX512
#define NOT_AVX512
#endif

#define MAX_C 10 /* physics.MAX_COMPARTMENTS */
#define MAX_S (2 + 8 * MAX_C)
#define MAX_A (2 + 3 * MAX_C)
#define MAX_N (2 * MAX_C + 2)
/* Arms per block: W with AVX-512 (one register of 8 doubles), W_AVX2 without it (one AVX2
 * register).  What limits a block is its scratch (Block below: 4 state-sized arrays, the
 * actions, the node arrays and force terms, about 3.4 kB per arm at C = 6, 27 kB for 8 arms),
 * which should fit the 32 kB L1 data cache of a core.  On a Zen 4 EPYC (AVX-512 executed as
 * two 256-bit halves, 32 kB L1) 64 arms cost 7-14 % less CPU per arm-step in blocks of 8
 * than of 16, and 22 % less than in blocks of 4 (docs/benchmarks.md); on a Zen 3 EPYC (AVX2,
 * 32 kB L1) about 12 % less in blocks of 4 than of 16.  derivative() for Python uses blocks
 * of W. */
#define W 8
#define W_AVX2 4

/* physics.py's indices into par and its status codes */
enum { CX, CY, RADIUS, INERTIA, CT, CP, PRESSURE, GRAVITY, SURFACE, LMIN, TORQUE, H, SUBSTEPS,
       POSITION_BOUND, VELOCITY_BOUND, THETA_BOUND, N_PAR };
enum { OK, NON_FINITE, INVERTED, NAN_ACTION, OUT_OF_BOUNDS };

typedef struct {
    int C;
    const double *muscles; /* (3, C, 4): 1 / L0, K_active, K_passive, K_damping */
    const double *area0, *mass, *inv_mass, *par;
    /* muscles transposed to [muscle][coefficient][compartment], rows MAX_C long: contiguous
     * across compartments */
    double coefficients[3 * 4 * MAX_C];
} Model;

static void transpose_muscles(Model *m)
{
    for (int mu = 0; mu < 3; mu++)
        for (int k = 0; k < m->C; k++)
            for (int c = 0; c < 4; c++)
                m->coefficients[(mu * 4 + c) * MAX_C + k] = m->muscles[(mu * m->C + k) * 4 + c];
}

/* Scratch of one block: node positions, velocities and forces, flat node order; and the force
 * terms of every compartment, [k * w + l] for compartment k of arm l. */
enum { DORSAL_X, DORSAL_Y, TRANSVERSAL_X, TRANSVERSAL_Y, VENTRAL_X, VENTRAL_Y, /* f u of each muscle */
       PRESSURE_D, PRESSURE_DT = PRESSURE_D + 2, PRESSURE_TV = PRESSURE_D + 4, PRESSURE_V = PRESSURE_D + 6,
       DRAG_UPPER = PRESSURE_D + 8, DRAG_LOWER = DRAG_UPPER + 2, N_TERMS = DRAG_LOWER + 2 };
typedef struct {
    double px[MAX_N * W], py[MAX_N * W], vx[MAX_N * W], vy[MAX_N * W], fx[MAX_N * W], fy[MAX_N * W];
    double rx[W], ry[W];
    double term[N_TERMS][MAX_C * W];
} Nodes;

#define AT(array, node) array[(node) * w + l]

/* A block's actions: rows ccw torque, cw torque, then the dorsal, transversal and ventral
 * activations of compartments 0..C-1 (each row w arms), so that a compartment's activations
 * are contiguous across compartments as well as across arms. */
INLINE int action_row(int j, int C) { return j < 2 ? j : 2 + ((j - 2) % 3) * C + (j - 2) / 3; }

/* The force terms are computed apart from their sums, so that the sqrt and the division of every
 * compartment are independent SIMD work (across arms, or across the compartments of one arm),
 * and then added to the nodes in the numba kernel's order: each term is the same product, each
 * node's sum the same sequence of additions, so the forces are the same bits. */

/* §2 muscle m of compartment k between nodes i and j of arm l: its force f u on node i (-f u on
 * j) into term[out], term[out + 1]; returns the unit vector i -> j. */
INLINE void muscle(const int w, const int k, const int l, int i, int j, const double *restrict coeff, double a,
                   double lmin, Nodes *restrict nd, int out, double *ux_out, double *uy_out)
{
    double dx = AT(nd->px, j) - AT(nd->px, i);
    double dy = AT(nd->py, j) - AT(nd->py, i);
    double length = sqrt(dx * dx + dy * dy);
    double inv_length = 1.0 / length;
    double ux = dx * inv_length;
    double uy = dy * inv_length;
    double stretch = length * coeff[k]; /* coeff[c * MAX_C + k]: see Model.coefficients */
    double active = (coeff[MAX_C + k] * a + coeff[2 * MAX_C + k]) * (stretch - lmin); /* computed either way: a select */
    double f = stretch > lmin ? active : 0.0;
    f += coeff[3 * MAX_C + k] * ((AT(nd->vx, i) - AT(nd->vx, j)) * ux + (AT(nd->vy, i) - AT(nd->vy, j)) * uy);
    nd->term[out][k * w + l] = f * ux;
    nd->term[out + 1][k * w + l] = f * uy;
    *ux_out = ux;
    *uy_out = uy;
}

INLINE double signed_area(const int w, const int l, int d, int dt, int tv, int v,
                          const double *restrict px, const double *restrict py)
{
    return 0.5 * ((AT(px, tv) - AT(px, d)) * (AT(py, dt) - AT(py, v))
                  - (AT(py, tv) - AT(py, d)) * (AT(px, dt) - AT(px, v)));
}

/* §2 area-keeping force with its square-root law on the quad (d, dt, tv, v) of compartment k:
 * pf R270(next - prev) at each corner, as (x added, y subtracted) pairs. */
INLINE void pressure(const int w, const int k, const int l, int d, int dt, int tv, int v, double p, double area0,
                     Nodes *restrict nd)
{
    const double *restrict px = nd->px, *restrict py = nd->py;
    const int at = k * w + l;
    double area = signed_area(w, l, d, dt, tv, v, px, py);
    double q = p * (fabs(area) - area0);
    double pf = sqrt(fabs(q));
    pf = ((q < 0.0) != (area < 0.0)) ? -pf : pf;
    nd->term[PRESSURE_D][at] = pf * (AT(py, dt) - AT(py, v));
    nd->term[PRESSURE_D + 1][at] = pf * (AT(px, dt) - AT(px, v));
    nd->term[PRESSURE_DT][at] = pf * (AT(py, tv) - AT(py, d));
    nd->term[PRESSURE_DT + 1][at] = pf * (AT(px, tv) - AT(px, d));
    nd->term[PRESSURE_TV][at] = pf * (AT(py, v) - AT(py, dt));
    nd->term[PRESSURE_TV + 1][at] = pf * (AT(px, v) - AT(px, dt));
    nd->term[PRESSURE_V][at] = pf * (AT(py, d) - AT(py, tv));
    nd->term[PRESSURE_V + 1][at] = pf * (AT(px, d) - AT(px, tv));
}

/* §2 quadratic anisotropic drag on node n about the axis (ax, ay), still water: the force
 * subtracted from node n, into term[out], term[out + 1]. */
INLINE void drag(const int w, const int k, const int l, int n, double ax, double ay, double ct, double cp,
                 Nodes *restrict nd, int out)
{
    double s = AT(nd->vx, n) * ax + AT(nd->vy, n) * ay;
    double wx = AT(nd->vx, n) - s * ax;
    double wy = AT(nd->vy, n) - s * ay;
    double speed = sqrt(wx * wx + wy * wy);
    nd->term[out][k * w + l] = ct * s * fabs(s) * ax + cp * speed * wx;
    nd->term[out + 1][k * w + l] = ct * s * fabs(s) * ay + cp * speed * wy;
}

/* Every force term of compartment k of arm l. */
INLINE void compartment_terms(const int w, const int k, const int l, const Model *restrict m,
                              const double *restrict act, Nodes *restrict nd)
{
    const int C = m->C, lo = C + 1, u0 = k, u1 = k + 1, l0 = lo + k, l1 = lo + k + 1;
    const double *restrict par = m->par, *restrict coeff = m->coefficients;
    const int muscle_size = 4 * MAX_C;
    double dax, day, vax, vay, tx, ty;
    muscle(w, k, l, u0, u1, coeff, act[(2 + k) * w + l], par[LMIN], nd, DORSAL_X, &dax, &day);
    muscle(w, k, l, u1, l1, coeff + muscle_size, act[(2 + C + k) * w + l], par[LMIN], nd, TRANSVERSAL_X, &tx, &ty);
    muscle(w, k, l, l0, l1, coeff + 2 * muscle_size, act[(2 + 2 * C + k) * w + l], par[LMIN], nd, VENTRAL_X,
           &vax, &vay);
    pressure(w, k, l, u0, u1, l1, l0, par[PRESSURE], m->area0[k], nd);
    drag(w, k, l, u1, dax, day, par[CT], par[CP], nd, DRAG_UPPER);
    drag(w, k, l, l1, vax, vay, par[CT], par[CP], nd, DRAG_LOWER);
}

/* The terms of compartment k added to its nodes in two passes: first to its distal nodes u1
 * and l1, then to its proximal nodes u0 and l0.  A node is distal to compartment k - 1 and
 * proximal to k, so after both passes over every compartment each node's sum has taken the
 * terms of k - 1, then those of k, each in the order the numba kernel adds them: the same
 * additions in the same order, and neither pass's compartments touch the same node (SIMD
 * across the compartments of a lone arm). */
INLINE void add_distal_terms(const int w, const int k, const int l, int C, Nodes *restrict nd)
{
    const int u1 = k + 1, l1 = C + 2 + k, at = k * w + l;
    double(*restrict t)[MAX_C * W] = nd->term;
    AT(nd->fx, u1) = AT(nd->fx, u1) - t[DORSAL_X][at] + t[TRANSVERSAL_X][at] + t[PRESSURE_DT][at] - t[DRAG_UPPER][at];
    AT(nd->fy, u1) = AT(nd->fy, u1) - t[DORSAL_Y][at] + t[TRANSVERSAL_Y][at] - t[PRESSURE_DT + 1][at]
                     - t[DRAG_UPPER + 1][at];
    AT(nd->fx, l1) = AT(nd->fx, l1) - t[TRANSVERSAL_X][at] - t[VENTRAL_X][at] + t[PRESSURE_TV][at] - t[DRAG_LOWER][at];
    AT(nd->fy, l1) = AT(nd->fy, l1) - t[TRANSVERSAL_Y][at] - t[VENTRAL_Y][at] - t[PRESSURE_TV + 1][at]
                     - t[DRAG_LOWER + 1][at];
}

INLINE void add_proximal_terms(const int w, const int k, const int l, int C, Nodes *restrict nd)
{
    const int u0 = k, l0 = C + 1 + k, at = k * w + l;
    double(*restrict t)[MAX_C * W] = nd->term;
    AT(nd->fx, u0) = AT(nd->fx, u0) + t[DORSAL_X][at] + t[PRESSURE_D][at];
    AT(nd->fy, u0) = AT(nd->fy, u0) + t[DORSAL_Y][at] - t[PRESSURE_D + 1][at];
    AT(nd->fx, l0) = AT(nd->fx, l0) + t[VENTRAL_X][at] + t[PRESSURE_V][at];
    AT(nd->fy, l0) = AT(nd->fy, l0) + t[VENTRAL_Y][at] - t[PRESSURE_V + 1][at];
}

/* `statement` for every compartment k and arm l of a block: SIMD across the arms, or across
 * the compartments of a lone arm (in vectors of 4: C = 6 in vectors of 8 would leave every
 * compartment to the scalar remainder). */
#define FOR_EACH_COMPARTMENT(statement)                                                           \
    if (w == 1) {                                                                                  \
        const int l = 0;                                                                           \
        PRAGMA("omp simd simdlen(4)") for (int k = 0; k < C; k++) statement;                      \
    } else {                                                                                       \
        for (int k = 0; k < C; k++)                                                                \
            PRAGMA("omp simd") for (int l = 0; l < w; l++) statement;                             \
    }

/* dy = d/dt y for the w arms of a block under their held actions (§2, §3). */
INLINE void derivative(const int w, const Model *restrict m, const double *restrict y,
                       const double *restrict act, Nodes *restrict nd, double *restrict dy)
{
    const int C = m->C, lo = C + 1;
    const double *restrict par = m->par;
    /* libm's cos and sin, as numba calls them: not vectorised, once per arm and evaluation */
    for (int l = 0; l < w; l++) {
        nd->rx[l] = par[RADIUS] * cos(y[l]);
        nd->ry[l] = par[RADIUS] * sin(y[l]);
    }
#pragma omp simd
    for (int l = 0; l < w; l++) {
        double omega = y[w + l], rx = nd->rx[l], ry = nd->ry[l];
        AT(nd->px, 0) = par[CX] + rx;
        AT(nd->py, 0) = par[CY] + ry;
        AT(nd->px, lo) = par[CX] - rx;
        AT(nd->py, lo) = par[CY] - ry;
        AT(nd->vx, 0) = -omega * ry;
        AT(nd->vy, 0) = omega * rx;
        AT(nd->vx, lo) = omega * ry;
        AT(nd->vy, lo) = -omega * rx;
    }
    for (int i = 1; i <= C; i++) {
        const double *restrict up = y + (4 * i - 2) * w, *restrict down = y + (4 * (i + C) - 2) * w;
#pragma omp simd
        for (int l = 0; l < w; l++) {
            AT(nd->px, i) = up[l];
            AT(nd->py, i) = up[w + l];
            AT(nd->vx, i) = up[2 * w + l];
            AT(nd->vy, i) = up[3 * w + l];
            AT(nd->px, lo + i) = down[l];
            AT(nd->py, lo + i) = down[w + l];
            AT(nd->vx, lo + i) = down[2 * w + l];
            AT(nd->vy, lo + i) = down[3 * w + l];
        }
    }
    for (int n = 0; n < 2 * C + 2; n++) {
        double weight = -par[GRAVITY] * m->mass[n];
#pragma omp simd
        for (int l = 0; l < w; l++) {
            AT(nd->fx, n) = 0.0;
            /* gravity cancelled by buoyancy below the surface (§2) */
            AT(nd->fy, n) = AT(nd->py, n) >= par[SURFACE] ? weight : 0.0;
        }
    }
    FOR_EACH_COMPARTMENT(compartment_terms(w, k, l, m, act, nd))
    FOR_EACH_COMPARTMENT(add_distal_terms(w, k, l, C, nd))
    FOR_EACH_COMPARTMENT(add_proximal_terms(w, k, l, C, nd))
    /* §3: the base turns under the applied torque plus the moments of the forces on its nodes */
#pragma omp simd
    for (int l = 0; l < w; l++) {
        double rx = nd->rx[l], ry = nd->ry[l];
        double torque = par[TORQUE] * (act[l] - act[w + l]) + (rx * AT(nd->fy, 0) - ry * AT(nd->fx, 0))
                        - (rx * AT(nd->fy, lo) - ry * AT(nd->fx, lo));
        dy[l] = y[w + l];
        dy[w + l] = torque / par[INERTIA];
    }
    for (int i = 1; i <= C; i++) {
        double *restrict up = dy + (4 * i - 2) * w, *restrict down = dy + (4 * (i + C) - 2) * w;
        const double inv_up = m->inv_mass[i], inv_down = m->inv_mass[lo + i];
#pragma omp simd
        for (int l = 0; l < w; l++) {
            up[l] = AT(nd->vx, i);
            up[w + l] = AT(nd->vy, i);
            up[2 * w + l] = AT(nd->fx, i) * inv_up;
            up[3 * w + l] = AT(nd->fy, i) * inv_up;
            down[l] = AT(nd->vx, lo + i);
            down[w + l] = AT(nd->vy, lo + i);
            down[2 * w + l] = AT(nd->fx, lo + i) * inv_down;
            down[3 * w + l] = AT(nd->fy, lo + i) * inv_down;
        }
    }
}

/* Scratch of one block's RK4 step: the state y, the stage's state tmp and derivative k, and
 * sum = k1 + 2 k2 + 2 k3 accumulated stage by stage, the same additions in the same order as
 * the numba kernel's k1 + 2.0 * k2 + 2.0 * k3 + k4.  Aligned to a cache line, as the vector
 * loads are: a Block on a thread's stack at an address 16 bytes off took about 15 % longer
 * per step (every 64-byte load then spans two cache lines). */
typedef struct ALIGNED(64) {
    double y[MAX_S * W], tmp[MAX_S * W], k[MAX_S * W], sum[MAX_S * W];
    double act[MAX_A * W];
    Nodes nodes;
} Block;

INLINE double wrap_angle(double theta) /* into (-pi, pi] (§4: when each agent step starts) */
{
    return theta - 2.0 * M_PI * ceil((theta - M_PI) / (2.0 * M_PI));
}

INLINE double clip01(double a) { return a < 0.0 ? 0.0 : (a > 1.0 ? 1.0 : a); }

/* The failure code of arm l's new state y (OK if it may be kept), in physics.py's order. */
INLINE int check(const int w, const int l, const Model *m, const double *restrict y)
{
    const int C = m->C, S = 2 + 8 * C;
    const double *par = m->par;
    for (int j = 0; j < S; j++)
        if (!isfinite(y[j * w + l]))
            return NON_FINITE;
    if (fabs(y[l]) > par[THETA_BOUND] || fabs(y[w + l]) > par[VELOCITY_BOUND])
        return OUT_OF_BOUNDS;
    for (int j = 2; j < S; j += 4)
        if (fmax(fabs(y[j * w + l]), fabs(y[(j + 1) * w + l])) > par[POSITION_BOUND]
            || fmax(fabs(y[(j + 2) * w + l]), fabs(y[(j + 3) * w + l])) > par[VELOCITY_BOUND])
            return OUT_OF_BOUNDS;
    double px[MAX_N], py[MAX_N];
    double rx = par[RADIUS] * cos(y[l]), ry = par[RADIUS] * sin(y[l]);
    px[0] = par[CX] + rx, py[0] = par[CY] + ry;
    px[C + 1] = par[CX] - rx, py[C + 1] = par[CY] - ry;
    for (int i = 1; i <= C; i++) {
        px[i] = y[(4 * i - 2) * w + l], py[i] = y[(4 * i - 1) * w + l];
        px[C + 1 + i] = y[(4 * (C + i) - 2) * w + l], py[C + 1 + i] = y[(4 * (C + i) - 1) * w + l];
    }
    for (int k = 0; k < C; k++)
        if (signed_area(1, 0, k, k + 1, C + 2 + k, C + 1 + k, px, py) <= 0.0)
            return INVERTED;
    return OK;
}

/* One agent step of arms [first, first + count) (count <= w), in place; status per arm.
 * A block is always w arms wide: the lanes past count repeat the first arm and are dropped. */
INLINE void step_block(const int w, const Model *restrict m, double *restrict states,
                       const double *restrict actions, int64_t first, int count, int64_t *restrict status,
                       Block *restrict b)
{
    const int C = m->C, S = 2 + 8 * C, A = 2 + 3 * C;
    const double h = m->par[H];
    const int substeps = (int)m->par[SUBSTEPS];
    for (int l = 0; l < w; l++) {
        const int arm = (int)first + (l < count ? l : 0);
        const double *restrict s = states + (int64_t)arm * S, *restrict a = actions + (int64_t)arm * A;
        int nan_action = 0;
        for (int j = 0; j < A; j++) {
            nan_action |= isnan(a[j]);
            b->act[action_row(j, C) * w + l] = isnan(a[j]) ? 0.0 : clip01(a[j]);
        }
        if (l < count)
            status[first + l] = nan_action ? NAN_ACTION : OK;
        for (int j = 0; j < S; j++)
            b->y[j * w + l] = s[j];
        b->y[l] = wrap_angle(s[0]);
    }
    const int n = S * w;
    double *restrict y = b->y, *restrict tmp = b->tmp, *restrict k = b->k, *restrict sum = b->sum;
    for (int step = 0; step < substeps; step++) {
        derivative(w, m, y, b->act, &b->nodes, k);
#pragma omp simd
        for (int j = 0; j < n; j++) {
            sum[j] = k[j];
            tmp[j] = y[j] + 0.5 * h * k[j];
        }
        derivative(w, m, tmp, b->act, &b->nodes, k);
#pragma omp simd
        for (int j = 0; j < n; j++) {
            sum[j] = sum[j] + 2.0 * k[j];
            tmp[j] = y[j] + 0.5 * h * k[j];
        }
        derivative(w, m, tmp, b->act, &b->nodes, k);
#pragma omp simd
        for (int j = 0; j < n; j++) {
            sum[j] = sum[j] + 2.0 * k[j];
            tmp[j] = y[j] + h * k[j];
        }
        derivative(w, m, tmp, b->act, &b->nodes, k);
#pragma omp simd
        for (int j = 0; j < n; j++)
            y[j] += h / 6.0 * (sum[j] + k[j]);
    }
    for (int l = 0; l < count; l++) {
        if (status[first + l] != OK)
            continue;
        status[first + l] = check(w, l, m, y);
        if (status[first + l] == OK) {
            double *restrict s = states + (first + l) * S;
            for (int j = 0; j < S; j++)
                s[j] = y[j * w + l];
        }
    }
}

/* The instances the compiler vectorises: W arms with AVX-512, W_AVX2 arms without it, and one
 * arm (the single env). */
typedef void Step(const Model *m, double *states, const double *actions, int64_t first, int count, int64_t *status,
                  Block *b);

AVX512 static void step_avx512(const Model *m, double *states, const double *actions, int64_t first, int count,
                               int64_t *status, Block *b)
{
    step_block(W, m, states, actions, first, count, status, b);
}

NOT_AVX512 static void step_avx2(const Model *m, double *states, const double *actions, int64_t first, int count,
                                 int64_t *status, Block *b)
{
    step_block(W_AVX2, m, states, actions, first, count, status, b);
}

/* The block width of advance and its step, set in PyInit__simd for the CPU at hand. */
static struct {
    int64_t width;
    Step *step;
} blocks = {W, step_avx512};

CLONES static void step_one(const Model *m, double *states, const double *actions, int64_t first, int64_t *status,
                     Block *b)
{
    step_block(1, m, states, actions, first, 1, status, b);
}

CLONES static void derivative_wide(const Model *m, const double *y, const double *act, double *dy, Block *b)
{
    derivative(W, m, y, act, &b->nodes, dy);
}

/* Even-odd rule: is (x, y) inside the polygon (qx, qy) of 4 corners? */
static int inside_quad(double x, double y, const double *qx, const double *qy)
{
    int inside = 0;
    for (int i = 0; i < 4; i++) {
        int j = i > 0 ? i - 1 : 3;
        if ((qy[i] > y) != (qy[j] > y))
            if (x < qx[j] + (y - qy[j]) * (qx[i] - qx[j]) / (qy[i] - qy[j]))
                inside = !inside;
    }
    return inside;
}

/* Distance from the target to the nearest node or compartment centroid, and whether the
 * target lies inside a compartment (§6), of one arm's state s. */
static void distance_and_hit(const Model *m, const double *s, const double *target, double *distance, uint8_t *hit)
{
    const int C = m->C;
    const double *par = m->par;
    double px[MAX_N], py[MAX_N];
    double rx = par[RADIUS] * cos(s[0]), ry = par[RADIUS] * sin(s[0]);
    px[0] = par[CX] + rx, py[0] = par[CY] + ry;
    px[C + 1] = par[CX] - rx, py[C + 1] = par[CY] - ry;
    for (int i = 1; i <= C; i++) {
        px[i] = s[4 * i - 2], py[i] = s[4 * i - 1];
        px[C + 1 + i] = s[4 * (C + i) - 2], py[C + 1 + i] = s[4 * (C + i) - 1];
    }
    const double tx = target[0], ty = target[1];
    double best = INFINITY;
    for (int n = 0; n < 2 * C + 2; n++) {
        double d = sqrt((px[n] - tx) * (px[n] - tx) + (py[n] - ty) * (py[n] - ty));
        best = d < best ? d : best;
    }
    int inside = 0;
    for (int k = 0; k < C; k++) {
        const int corners[4] = {k, k + 1, C + 2 + k, C + 1 + k};
        double qx[4], qy[4];
        for (int c = 0; c < 4; c++)
            qx[c] = px[corners[c]], qy[c] = py[corners[c]];
        double cx = 0.25 * (qx[0] + qx[1] + qx[2] + qx[3]), cy = 0.25 * (qy[0] + qy[1] + qy[2] + qy[3]);
        double d = sqrt((cx - tx) * (cx - tx) + (cy - ty) * (cy - ty));
        best = d < best ? d : best;
        inside = inside || inside_quad(tx, ty, qx, qy);
    }
    *distance = best;
    *hit = (uint8_t)inside;
}

/* -- one agent step of all arms: blocks of arms as jobs, shared by up to `threads` threads ---- */

typedef struct {
    const Model *m;
    double *states;
    const double *actions, *targets;
    double *distance;
    uint8_t *hit;
    int64_t *status;
    int64_t n;
} Task;

/* Jobs: n / width full blocks; of the last n % width arms, one padded block if more than 2
 * remain, else one arm at a time (a lone arm costs about a quarter of a block of 8). */
static int64_t n_jobs(int64_t n)
{
    const int64_t rest = n % blocks.width;
    return n / blocks.width + (rest > 2 ? 1 : rest);
}

static void run_job(const Task *t, int64_t job)
{
    const int64_t full = t->n / blocks.width, start = full * blocks.width;
    const int rest = (int)(t->n - start);
    const int S = 2 + 8 * t->m->C;
    int64_t first;
    int count;
    Block b;
    if (job < full || rest > 2) {
        first = job * blocks.width, count = job < full ? (int)blocks.width : rest;
        blocks.step(t->m, t->states, t->actions, first, count, t->status, &b);
    } else {
        first = start + (job - full), count = 1;
        step_one(t->m, t->states, t->actions, first, t->status, &b);
    }
    for (int64_t arm = first; arm < first + count; arm++)
        distance_and_hit(t->m, t->states + arm * S, t->targets + 2 * arm, t->distance + arm, t->hit + arm);
}

#ifdef THREADS
/* A small pool instead of OpenMP: the caller never waits for a helper that has not started.
 * Helpers claim jobs under a mutex; when no job is left the caller waits only for the jobs in
 * progress, so a helper that the OS schedules late (other processes on the cores) finds no
 * work and costs nothing, where an OpenMP barrier would wait for it.  After fork() the child
 * starts without helpers (they do not survive the fork) and creates new ones on demand.
 *
 * A waiting thread spins (spin_while) for up to SPIN_US before it sleeps on a condition
 * variable, as OpenMP's GOMP_SPINCOUNT: a helper that worked on one step watches for the next
 * (a vector env calls again after its Python work, tens of microseconds), and the caller
 * watches for the last jobs to finish.  Waking a sleeping thread took 40-80 us on a 2-core
 * KVM guest, as long as a job of 8 arms; spinning costs an idle env at most SPIN_US of one
 * core per step.  Nobody spins when the threads outnumber the cores this process may use.
 * With jobs of 8 arms rather than 16 the caller's wait for the last job is shorter too
 * (docs/benchmarks.md, "Zen 4"). */
#define SPIN_US 200
#define MAX_HELPERS 63
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    const Task *task;
    int64_t next, jobs, finished, posted; /* finished and posted are read unlocked while spinning */
    int helpers, joined, allowed, spin;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* With pool.lock held: wait (the lock released meanwhile) until *word, which others change
 * under the lock, is no longer `seen` or the clock passes `deadline` (seconds_now());
 * returns with the lock held.
 * Each look is followed by sched_yield(), not a pause instruction: where the thread waited
 * for shares this core (other processes hold the rest), a spinner that does not yield holds
 * it off for the whole SPIN_US (64 arms on 2 threads at load 2: 9.6 us per arm-step
 * against 8.4 without spinning; yielding 8.6). */
static void spin_while(const int64_t *word, int64_t seen, double deadline)
{
    pthread_mutex_unlock(&pool.lock);
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == seen && seconds_now() < deadline)
        sched_yield();
    pthread_mutex_lock(&pool.lock);
}

static void *helper(void *unused)
{
    int worked = 0;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (!pool.task || pool.next >= pool.jobs || pool.joined >= pool.allowed) {
            const int64_t seen = pool.posted;
            if (worked && pool.spin)
                spin_while(&pool.posted, seen, seconds_now() + 1e-6 * SPIN_US);
            worked = 0;
            if (pool.posted == seen)
                pthread_cond_wait(&pool.wake, &pool.lock);
        }
        const Task *task = pool.task;
        pool.joined++, worked = 1;
        while (pool.next < pool.jobs) {
            int64_t job = pool.next++;
            pthread_mutex_unlock(&pool.lock);
            run_job(task, job);
            pthread_mutex_lock(&pool.lock);
            if (__atomic_add_fetch(&pool.finished, 1, __ATOMIC_RELEASE) == pool.jobs)
                pthread_cond_signal(&pool.done);
        }
    }
    return NULL;
}

static void forget_helpers(void) /* in the child after fork() */
{
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.done, NULL);
    pool.task = NULL, pool.helpers = 0;
}

/* The CPUs this process may run on (its affinity mask where the OS has one). */
static int usable_cpus(void)
{
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Start helpers up to `count`; returns how many there are. */
static int hire(int count)
{
    static int at_fork_registered;
    if (!at_fork_registered)
        at_fork_registered = pthread_atfork(NULL, NULL, forget_helpers) == 0;
    while (pool.helpers < count && pool.helpers < MAX_HELPERS) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 1 << 20); /* a Block is 44 kB */
        int failed = pthread_create(&thread, &attr, helper, NULL);
        pthread_attr_destroy(&attr);
        if (failed)
            break;
        pool.helpers++;
    }
    return pool.helpers;
}
#endif

/* Called without the GIL; the pool's state is guarded by its mutex, and one step at a time
 * uses it (a second caller waits for the lock's holder to finish its step). */
static void run(const Task *t, int threads)
{
    const int64_t jobs = n_jobs(t->n);
#ifdef THREADS
    if (threads > 1 && jobs > 1) {
        static pthread_mutex_t one_step_at_a_time = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&one_step_at_a_time);
        pthread_mutex_lock(&pool.lock);
        int want = (int)(jobs - 1 < threads - 1 ? jobs - 1 : threads - 1);
        pool.allowed = hire(want);
        pool.spin = pool.allowed < usable_cpus();
        pool.task = t, pool.next = 0, pool.jobs = jobs, pool.finished = 0, pool.joined = 0;
        __atomic_add_fetch(&pool.posted, 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&pool.wake);
        while (pool.next < pool.jobs) {
            int64_t job = pool.next++;
            pthread_mutex_unlock(&pool.lock);
            run_job(t, job);
            pthread_mutex_lock(&pool.lock);
            __atomic_add_fetch(&pool.finished, 1, __ATOMIC_RELEASE);
        }
        const double deadline = seconds_now() + 1e-6 * SPIN_US;
        while (pool.finished < pool.jobs && pool.spin && seconds_now() < deadline)
            spin_while(&pool.finished, pool.finished, deadline);
        while (pool.finished < pool.jobs)
            pthread_cond_wait(&pool.done, &pool.lock);
        pool.task = NULL;
        pthread_mutex_unlock(&pool.lock);
        pthread_mutex_unlock(&one_step_at_a_time);
        return;
    }
#endif
    for (int64_t job = 0; job < jobs; job++)
        run_job(t, job);
}

/* -- Python interface: every buffer checked for layout, element type and size -------------- */

typedef struct {
    Py_buffer view;
} Arg;

/* What an argument holds: its name, whether the kernel writes it, its element (F64, BOOL,
 * I64) and its length, a multiple of the arms or of the compartments. */
enum { F64, BOOL, I64 };
enum { STATE, ACTION, PAIR, ONE, MUSCLES, COMPARTMENTS, NODES, PARAMETERS };
typedef struct {
    const char *name;
    int writable, element, length;
} Spec;

static Py_ssize_t length_of(int length, Py_ssize_t n, int C)
{
    switch (length) {
    case STATE: return n * (2 + 8 * C);
    case ACTION: return n * (2 + 3 * C);
    case PAIR: return n * 2;
    case ONE: return n;
    case MUSCLES: return 12 * C;
    case COMPARTMENTS: return C;
    case NODES: return 2 * C + 2;
    default: return N_PAR;
    }
}

#define MODEL_SPECS {"muscles", 0, F64, MUSCLES}, {"area0", 0, F64, COMPARTMENTS}, {"mass", 0, F64, NODES}, \
                    {"inv_mass", 0, F64, NODES}, {"par", 0, F64, PARAMETERS}
#define N_MODEL 5

static void release(Arg *args, int count)
{
    for (int i = 0; i < count; i++)
        PyBuffer_Release(&args[i].view);
}

static int element_ok(const Py_buffer *view, int element)
{
    const char *f = view->format ? view->format : "B";
    if (*f == '<' || *f == '=' || *f == '@')
        f++;
    if (f[0] == 0 || f[1] != 0)
        return 0;
    if (element == BOOL)
        return f[0] == '?';
    return view->itemsize == 8 && (element == F64 ? f[0] == 'd' : (f[0] == 'l' || f[0] == 'q'));
}

/* Parse (n, C, buffers...): n arms, C compartments, then each buffer per its Spec as a
 * C-contiguous array of the right element type and length; the model follows from the first
 * N_MODEL.  On failure nothing stays acquired and a ValueError names the argument. */
static int parse(PyObject *const *objects, Py_ssize_t nargs, const char *function, const Spec *specs, int count,
                 Arg *args, Py_ssize_t *n, Model *m)
{
    static const char *const type_names[] = {"float64", "bool", "int64"};
    if (nargs != 2 + count) {
        PyErr_Format(PyExc_TypeError, "%s takes %d arguments, got %zd", function, 2 + count, nargs);
        return -1;
    }
    *n = PyLong_AsSsize_t(objects[0]);
    long C = PyLong_AsLong(objects[1]);
    if (PyErr_Occurred())
        return -1;
    if (*n < 0 || C < 1 || C > MAX_C) {
        PyErr_Format(PyExc_ValueError, "need n >= 0 arms and 1 <= C <= %d compartments, got n=%zd, C=%ld", MAX_C,
                     *n, C);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        const Spec *sp = &specs[i];
        const char *type = type_names[sp->element];
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (sp->writable ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objects[2 + i], &args[i].view, flags) < 0) {
            release(args, i);
            PyErr_Format(PyExc_ValueError, "%s must be a C-contiguous%s %s array", sp->name,
                         sp->writable ? ", writable" : "", type);
            return -1;
        }
        Py_ssize_t length = length_of(sp->length, *n, (int)C);
        const char *problem = !element_ok(&args[i].view, sp->element) ? "must hold"
                              : args[i].view.len != length * (sp->element == BOOL ? 1 : 8) ? "has the wrong size for"
                                                                                           : NULL;
        if (problem) {
            PyErr_Format(PyExc_ValueError, "%s %s %zd %s values (%zd arms, %ld compartments): got %zd bytes of "
                         "format '%s'", sp->name, problem, length, type, *n, C, args[i].view.len,
                         args[i].view.format ? args[i].view.format : "B");
            release(args, i + 1);
            return -1;
        }
    }
    Model model = {(int)C, args[0].view.buf, args[1].view.buf, args[2].view.buf, args[3].view.buf,
                   args[4].view.buf};
    *m = model;
    transpose_muscles(m);
    return 0;
}

PyDoc_STRVAR(advance_doc,
"advance(n, C, muscles, area0, mass, inv_mass, par, states, actions, targets, distance, hit, status, threads)\n"
"--\n\n"
"One agent step of n arms of C compartments, as physics.advance: states (n, 2 + 8C) float64 in\n"
"place, actions (n, 2 + 3C) float64 clipped to [0, 1], targets (n, 2); writes distance (n,)\n"
"float64, hit (n,) bool and status (n,) int64.  Blocks of arms run on up to `threads` threads.");

static PyObject *py_advance(PyObject *self, PyObject *const *objects, Py_ssize_t nargs)
{
    static const Spec specs[] = {MODEL_SPECS, {"states", 1, F64, STATE}, {"actions", 0, F64, ACTION},
                                 {"targets", 0, F64, PAIR}, {"distance", 1, F64, ONE}, {"hit", 1, BOOL, ONE},
                                 {"status", 1, I64, ONE}};
    enum { COUNT = sizeof specs / sizeof specs[0] };
    Arg args[COUNT];
    Py_ssize_t n;
    Model m;
    if (nargs != 2 + COUNT + 1) {
        PyErr_Format(PyExc_TypeError, "advance takes %d arguments, got %zd", 2 + COUNT + 1, nargs);
        return NULL;
    }
    long threads = PyLong_AsLong(objects[nargs - 1]);
    if (threads == -1 && PyErr_Occurred())
        return NULL;
    if (threads < 1) {
        PyErr_Format(PyExc_ValueError, "threads must be >= 1, got %ld", threads);
        return NULL;
    }
    if (parse(objects, nargs - 1, "advance", specs, COUNT, args, &n, &m) < 0)
        return NULL;
    const Task task = {&m, args[5].view.buf, args[6].view.buf, args[7].view.buf, args[8].view.buf,
                       args[9].view.buf, args[10].view.buf, n};
    Py_BEGIN_ALLOW_THREADS
    run(&task, (int)threads);
    Py_END_ALLOW_THREADS
    release(args, COUNT);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(measure_doc,
"measure(n, C, muscles, area0, mass, inv_mass, par, states, targets, distance, hit)\n"
"--\n\n"
"Distance to target and hit flag of every arm (no step), as physics.measure.");

static PyObject *py_measure(PyObject *self, PyObject *const *objects, Py_ssize_t nargs)
{
    static const Spec specs[] = {MODEL_SPECS, {"states", 0, F64, STATE}, {"targets", 0, F64, PAIR},
                                 {"distance", 1, F64, ONE}, {"hit", 1, BOOL, ONE}};
    enum { COUNT = sizeof specs / sizeof specs[0] };
    Arg args[COUNT];
    Py_ssize_t n;
    Model m;
    if (parse(objects, nargs, "measure", specs, COUNT, args, &n, &m) < 0)
        return NULL;
    const int S = 2 + 8 * m.C;
    const double *states = args[5].view.buf, *targets = args[6].view.buf;
    double *distance = args[7].view.buf;
    uint8_t *hit = args[8].view.buf;
    for (Py_ssize_t arm = 0; arm < n; arm++)
        distance_and_hit(&m, states + arm * S, targets + 2 * arm, distance + arm, hit + arm);
    release(args, COUNT);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(derivative_doc,
"derivative(n, C, muscles, area0, mass, inv_mass, par, states, actions, out)\n"
"--\n\n"
"The force evaluation d/dt of n states (n, 2 + 8C) under actions (n, 2 + 3C), taken as they\n"
"are (not clipped), into out (n, 2 + 8C), through the W-arm blocks of advance.");

static PyObject *py_derivative(PyObject *self, PyObject *const *objects, Py_ssize_t nargs)
{
    static const Spec specs[] = {MODEL_SPECS, {"states", 0, F64, STATE}, {"actions", 0, F64, ACTION},
                                 {"out", 1, F64, STATE}};
    enum { COUNT = sizeof specs / sizeof specs[0] };
    Arg args[COUNT];
    Py_ssize_t n;
    Model m;
    if (parse(objects, nargs, "derivative", specs, COUNT, args, &n, &m) < 0)
        return NULL;
    const int S = 2 + 8 * m.C, A = 2 + 3 * m.C;
    const double *states = args[5].view.buf, *actions = args[6].view.buf;
    double *out = args[7].view.buf;
    static Block b; /* under the GIL: one caller at a time */
    static double y[MAX_S * W], act[MAX_A * W], dy[MAX_S * W];
    for (Py_ssize_t first = 0; first < n; first += W) {
        for (int l = 0; l < W; l++) { /* into a block; padding lanes repeat the first arm */
            Py_ssize_t arm = first + l < n ? first + l : first;
            for (int j = 0; j < S; j++)
                y[j * W + l] = states[arm * S + j];
            for (int j = 0; j < A; j++)
                act[action_row(j, m.C) * W + l] = actions[arm * A + j];
        }
        derivative_wide(&m, y, act, dy, &b);
        for (int l = 0; l < W && first + l < n; l++)
            for (int j = 0; j < S; j++)
                out[(first + l) * S + j] = dy[j * W + l];
    }
    release(args, COUNT);
    Py_RETURN_NONE;
}

static PyObject *py_max_threads(PyObject *self, PyObject *unused)
{
#ifdef THREADS
    return PyLong_FromLong(MAX_HELPERS + 1);
#else
    return PyLong_FromLong(1);
#endif
}

static PyMethodDef methods[] = {
    {"advance", (PyCFunction)(void (*)(void))py_advance, METH_FASTCALL, advance_doc},
    {"measure", (PyCFunction)(void (*)(void))py_measure, METH_FASTCALL, measure_doc},
    {"derivative", (PyCFunction)(void (*)(void))py_derivative, METH_FASTCALL, derivative_doc},
    {"max_threads", py_max_threads, METH_NOARGS,
     "The most threads advance uses (1 where the module is built without POSIX threads)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_simd",
    "The octopus arm's agent step, SIMD across arms (see the comment at the top of _simd.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__simd(void)
{
#ifdef X86_CLONES
    if (!__builtin_cpu_supports("avx512f"))
        blocks.width = W_AVX2, blocks.step = step_avx2;
#endif
    PyObject *mod = PyModule_Create(&module);
    if (mod && PyModule_AddIntConstant(mod, "BLOCK", (long)blocks.width) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
