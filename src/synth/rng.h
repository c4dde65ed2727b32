/*
 * rng.h
 *		Deterministic pseudo-random numbers for the synthetic borough.
 *
 * SplitMix64 (Steele, Lea & Flood 2014): 64 bits of state, passes BigCrush,
 * and -- what matters here -- every household gets its own stream derived
 * from (seed, household number), so the output does not depend on the order
 * or batching of the work.
 */
#ifndef BRENT_SYNTH_RNG_H
#define BRENT_SYNTH_RNG_H

#include "postgres.h"

typedef struct SynthRng
{
	uint64		state;
} SynthRng;

static inline uint64
synth_mix64(uint64 z)
{
	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64
rng_next(SynthRng *r)
{
	r->state += UINT64CONST(0x9e3779b97f4a7c15);
	return synth_mix64(r->state);
}

/* Stream for one (seed, stream, index) triple. */
static inline void
rng_init(SynthRng *r, int32 seed, uint32 stream, uint64 index)
{
	r->state = synth_mix64(((uint64) (uint32) seed << 32) ^ stream) ^
		synth_mix64(index + UINT64CONST(0x632be59bd9b4e019));
}

/* Uniform integer in [0, n). */
static inline uint32
rng_int(SynthRng *r, uint32 n)
{
	return (uint32) (((rng_next(r) >> 32) * (uint64) n) >> 32);
}

/* Uniform integer in [lo, hi]. */
static inline int
rng_range(SynthRng *r, int lo, int hi)
{
	return lo + (int) rng_int(r, (uint32) (hi - lo + 1));
}

/* Uniform double in [0, 1). */
static inline double
rng_double(SynthRng *r)
{
	return (double) (rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline bool
rng_chance(SynthRng *r, double p)
{
	return rng_double(r) < p;
}

/* Index drawn from integer weights (sum given). */
static inline int
rng_weighted(SynthRng *r, const int *weights, int n, int total)
{
	int			x = (int) rng_int(r, (uint32) total);

	for (int i = 0; i < n; i++)
	{
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

#endif							/* BRENT_SYNTH_RNG_H */
