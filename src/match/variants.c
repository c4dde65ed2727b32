/*
 * variants.c
 *		The name variant dictionary, blocking keys of names (name_keys) and
 *		similarity of full names (name_similarity).
 *
 * The dictionary (view brent_mdm.name_variants: the seed shipped with the
 * extension, plus the DBA's additions, minus the DBA's removals) is read
 * once per backend into a hash table, and read again after a change: a
 * statement-level trigger on brent_mdm.name_variant invalidates the relcache
 * entry of the table, which every backend receives at commit, and the
 * relcache callback registered here drops the cached dictionary.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "brent_mdm.h"
#include "match/chars.h"
#include "match/compare.h"
#include "match/dmetaphone.h"
#include "match/normalise.h"
#include "match/variants.h"

PG_FUNCTION_INFO_V1(match_name_keys);
PG_FUNCTION_INFO_V1(match_name_similarity);
PG_FUNCTION_INFO_V1(match_name_variant_changed);

#define VARIANT_KEY_LEN 64		/* longer names are not in the dictionary */
#define MAX_TOKENS 16			/* tokens of a name looked at */

typedef struct VariantEntry
{
	char		name[VARIANT_KEY_LEN];	/* hash key: a normalised name */
	int			ncanonical;
	char	  **canonical;		/* the names it is a variant of (or itself) */
} VariantEntry;

static HTAB *variants = NULL;
static MemoryContext variants_cxt = NULL;
static bool callback_registered = false;
static uint64 variants_invalidations = 0;	/* bumped by the callback */
static uint64 variants_loaded_at = PG_UINT64_MAX;	/* its value when the table was read */
static Oid	variant_table_oid = InvalidOid;
static Oid	seed_table_oid = InvalidOid;

static void
variants_invalidate(Datum arg, Oid relid)
{
	/*
	 * Only marked stale: a caller may be reading the table (a lookup's
	 * names, or the load itself, whose query takes locks and so processes
	 * invalidations); the next load retires it.
	 */
	if (relid == InvalidOid || relid == variant_table_oid || relid == seed_table_oid)
		variants_invalidations++;
}

static void
variant_add(const char *variant, const char *canonical)
{
	VariantEntry *e;
	bool		found;

	if (strlen(variant) >= VARIANT_KEY_LEN || strlen(canonical) >= VARIANT_KEY_LEN)
		return;
	e = hash_search(variants, variant, HASH_ENTER, &found);
	if (!found)
	{
		e->ncanonical = 0;
		e->canonical = NULL;
	}
	for (int i = 0; i < e->ncanonical; i++)
		if (strcmp(e->canonical[i], canonical) == 0)
			return;
	e->canonical = e->canonical == NULL ?
		MemoryContextAlloc(variants_cxt, sizeof(char *)) :
		repalloc(e->canonical, sizeof(char *) * (e->ncanonical + 1));
	e->canonical[e->ncanonical++] = MemoryContextStrdup(variants_cxt, canonical);
}

static void
variants_load(void)
{
	HASHCTL		ctl;
	Oid			nsp;
	uint64		at = variants_invalidations;

	if (variants != NULL && variants_loaded_at == at)
		return;
	variants_loaded_at = PG_UINT64_MAX;	/* until read whole */
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(variants_invalidate, (Datum) 0);
		callback_registered = true;
	}
	nsp = get_namespace_oid("brent_mdm", false);
	variant_table_oid = get_relname_relid("name_variant", nsp);
	seed_table_oid = get_relname_relid("name_variant_seed", nsp);

	cache_retire(variants_cxt);
	variants_cxt = AllocSetContextCreate(CacheMemoryContext, "brent_mdm name variants",
										 ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = VARIANT_KEY_LEN;
	ctl.entrysize = sizeof(VariantEntry);
	ctl.hcxt = variants_cxt;
	variants = hash_create("brent_mdm name variants", 4096, &ctl,
						   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "name variants: SPI_connect failed");
	if (SPI_execute("SELECT name, variant FROM brent_mdm.name_variants", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "name variants: could not read brent_mdm.name_variants");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *variant = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		if (name == NULL || variant == NULL)
			continue;
		variant_add(variant, name);
		variant_add(name, name);
	}
	SPI_finish();
	/* read whole; an invalidation that came meanwhile makes the next call read it again */
	variants_loaded_at = at;
}

/* The canonical names of a token (NULL, 0 if it is in no variant group). */
char	  **
variant_canonical(const char *token, int len, int *n)
{
	char		key[VARIANT_KEY_LEN];
	VariantEntry *e;

	*n = 0;
	if (len >= VARIANT_KEY_LEN)
		return NULL;
	variants_load();
	memset(key, 0, sizeof(key));
	memcpy(key, token, len);
	e = hash_search(variants, key, HASH_FIND, NULL);
	if (e == NULL)
		return NULL;
	*n = e->ncanonical;
	return e->canonical;
}

/* strchr("aeiouy", c) != NULL: a vowel or y (or NUL, which strchr finds too) */
static inline bool
is_vowel_y(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y' || c == '\0';
}

/*
 * Consonant skeleton of a normalised token: its consonants, voiced and
 * unvoiced alike (b p, d t, g k c q, z s, v w f), without h, without w or y
 * after a vowel, a consonant repeated with nothing between counted once.
 * Catches what transliteration changes: vowels, which Arabic script does not
 * write (Mohammed, Muhammad, Mohamed and محمد, which ICU writes mhmd, all
 * give mmt; Ali and علي give l), aspiration (Rajesh, Rajes: rjs), ow/ou
 * (Chowdhury, Choudhury, Chaudhry: ktr), v for w (Jaswinder, Jasavindar:
 * jsfntr) and Tamil's single k/g letter (Ganesh, Kanes: kns).  Empty for a
 * token of vowels only.
 */
int
name_skeleton(const char *t, int len, char *out)
{
	int			k = 0;
	bool		separated = true;

	for (int i = 0; i < len; i++)
	{
		char		c = t[i];

		if (is_vowel_y(c) || c == 'h')
		{
			separated = true;
			continue;
		}
		if (c == 'w' && i > 0 && is_vowel_y(t[i - 1]))
			continue;
		switch (c)
		{
			case 'b':
				c = 'p';
				break;
			case 'd':
				c = 't';
				break;
			case 'g':
			case 'c':
			case 'q':
				c = 'k';
				break;
			case 'z':
				c = 's';
				break;
			case 'v':
			case 'w':
				c = 'f';
				break;
			default:
				break;
		}
		if (!separated && k > 0 && c == out[k - 1])
			continue;
		out[k++] = c;
		separated = false;
	}
	out[k] = '\0';
	return k;
}

/*
 * Skeletons of a token: the consonant skeleton, and, where it differs, the
 * skeleton as if the token were in Somali orthography (an initial c before a
 * vowel is the ayn that English spellings leave out, x is h: Cabdiraxmaan,
 * Abdirahman; Cusmaan, Osman).  out1 and out2 have len + 1 bytes; returns
 * how many skeletons there are (0 to 2).
 */
static int
token_skeletons(const char *t, int len, char *out1, char *out2)
{
	int			n = 0;
	char		local[64];
	char	   *alt = (len < (int) sizeof(local)) ? local : palloc(len + 1);
	int			alen = 0;
	char	   *first = out1;

	if (name_skeleton(t, len, out1) > 0)
		n++;
	else
		first = NULL;
	for (int i = (len > 1 && t[0] == 'c' && strchr("aeiou", t[1]) != NULL) ? 1 : 0; i < len; i++)
		alt[alen++] = (t[i] == 'x') ? 'h' : t[i];
	if (alen != len || memchr(t, 'x', len) != NULL)
	{
		char	   *dest = (n == 0) ? out1 : out2;

		if (name_skeleton(alt, alen, dest) > 0 && (first == NULL || strcmp(first, dest) != 0))
			n++;
	}
	if (alt != local)
		pfree(alt);
	return n;
}

#define TOKEN_LOCAL 24			/* skeletons of tokens shorter than this kept in place */

/*
 * What token_similarity needs of a token, found once for every token it is
 * compared with: its skeletons and its canonical names.
 */
typedef struct TokenFacts
{
	bool		have_skeletons;
	bool		have_canonical;
	int			nskel;
	char	   *skel[2];
	char		local[2][TOKEN_LOCAL];
	int			ncanonical;
	char	  **canonical;
} TokenFacts;

typedef struct NameTokens
{
	char	   *buf;			/* normalised name, tokens NUL-separated */
	int			n;
	char	   *tok[MAX_TOKENS];
	int			len[MAX_TOKENS];
	TokenFacts	facts[MAX_TOKENS];
} NameTokens;

/* Splits a normalised name (modified in place) at spaces and hyphens. */
static void
split_tokens(char *s, int len, NameTokens *nt)
{
	nt->buf = s;
	nt->n = 0;
	for (int i = 0; i < len && nt->n < MAX_TOKENS;)
	{
		int			start = i;

		while (i < len && s[i] != ' ' && s[i] != '-')
			i++;
		if (i > start)
		{
			nt->tok[nt->n] = s + start;
			nt->len[nt->n] = i - start;
			nt->facts[nt->n].have_skeletons = false;
			nt->facts[nt->n].have_canonical = false;
			nt->n++;
		}
		if (i < len)
			s[i++] = '\0';
	}
}

/* Normalises a name and splits it at spaces and hyphens. */
static void
name_tokens(text *t, NameTokens *nt)
{
	int			len;
	char	   *s = normalise_name_cstring(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &len);

	split_tokens(s, len, nt);
}

static void
add_key(ArrayBuildState **astate, const char *prefix, const char *s, int len)
{
	char	   *key = psprintf("%s%.*s", prefix, len, s);

	*astate = accumArrayResult(*astate, CStringGetTextDatum(key), false, TEXTOID,
							   CurrentMemoryContext);
}

/* Appends key to the result unless it is already there. */
static void
add_unique_key(ArrayBuildState **astate, char ***seen, int *nseen, int *capacity, char *key)
{
	for (int i = 0; i < *nseen; i++)
		if (strcmp((*seen)[i], key) == 0)
			return;
	if (*nseen == *capacity)
	{
		*capacity *= 2;
		*seen = repalloc(*seen, sizeof(char *) * *capacity);
	}
	(*seen)[(*nseen)++] = key;
	add_key(astate, "", key, strlen(key));
}

Datum
match_name_keys(PG_FUNCTION_ARGS)
{
	NameTokens	nt;
	ArrayBuildState *astate = NULL;
	int			capacity = 16,
				nseen = 0;
	char	  **seen = palloc(sizeof(char *) * capacity);

	name_tokens(PG_GETARG_TEXT_PP(0), &nt);
	for (int i = 0; i < nt.n; i++)
	{
		const char *tok = nt.tok[i];
		int			len = nt.len[i];
		char	   *skel = palloc(len + 1);
		char	   *skel2 = palloc(len + 1);
		int			nskel;
		char		primary[5],
					alternate[5];
		char	  **canonical;
		int			ncanonical;

		if (len < 2)
			continue;			/* initials are no blocking key */
		add_unique_key(&astate, &seen, &nseen, &capacity, psprintf("n:%.*s", len, tok));
		nskel = token_skeletons(tok, len, skel, skel2);
		if (nskel > 0)
			add_unique_key(&astate, &seen, &nseen, &capacity, psprintf("s:%s", skel));
		if (nskel > 1)
			add_unique_key(&astate, &seen, &nseen, &capacity, psprintf("s:%s", skel2));
		double_metaphone(tok, len, 4, primary, alternate);
		if (primary[0])
			add_unique_key(&astate, &seen, &nseen, &capacity, psprintf("p:%s", primary));
		if (alternate[0] && strcmp(alternate, primary) != 0)
			add_unique_key(&astate, &seen, &nseen, &capacity, psprintf("p:%s", alternate));
		canonical = variant_canonical(tok, len, &ncanonical);
		for (int c = 0; c < ncanonical; c++)
			add_unique_key(&astate, &seen, &nseen, &capacity, psprintf("v:%s", canonical[c]));
	}
	if (astate == NULL)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
	PG_RETURN_DATUM(makeArrayResult(astate, CurrentMemoryContext));
}

static TokenFacts *
token_canonical(NameTokens *nt, int i)
{
	TokenFacts *f = &nt->facts[i];

	if (!f->have_canonical)
	{
		f->canonical = variant_canonical(nt->tok[i], nt->len[i], &f->ncanonical);
		f->have_canonical = true;
	}
	return f;
}

static TokenFacts *
token_skeletons_of(NameTokens *nt, int i)
{
	TokenFacts *f = &nt->facts[i];

	if (!f->have_skeletons)
	{
		int			len = nt->len[i];

		for (int k = 0; k < 2; k++)
			f->skel[k] = (len < TOKEN_LOCAL) ? f->local[k] : palloc(len + 1);
		f->nskel = token_skeletons(nt->tok[i], len, f->skel[0], f->skel[1]);
		f->have_skeletons = true;
	}
	return f;
}

/* what token_skeletons_of took beyond the tokens' own space */
static void
tokens_free(NameTokens *nt)
{
	for (int i = 0; i < nt->n; i++)
		if (nt->facts[i].have_skeletons && nt->facts[i].skel[0] != nt->facts[i].local[0])
		{
			pfree(nt->facts[i].skel[0]);
			pfree(nt->facts[i].skel[1]);
		}
}

/*
 * Similarity of token i of pa and token j of pb: 1 if equal, 0.95 if
 * dictionary variants (they share a canonical name), 0.9 if the same
 * consonant skeleton (a transliteration), 0.85 if one is the other's
 * initial, else their Jaro-Winkler similarity.
 */
static double
token_similarity(NameTokens *pa, int i, NameTokens *pb, int j)
{
	const char *a = pa->tok[i],
			   *b = pb->tok[j];
	int			alen = pa->len[i],
				blen = pb->len[j];
	TokenFacts *fa,
			   *fb;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 1.0;
	if ((alen == 1 && blen > 1 && a[0] == b[0]) || (blen == 1 && alen > 1 && a[0] == b[0]))
		return 0.85;
	if (alen == 1 || blen == 1)
		return 0.0;
	fa = token_canonical(pa, i);
	if (fa->ncanonical > 0)
	{
		fb = token_canonical(pb, j);
		for (int x = 0; x < fa->ncanonical; x++)
			for (int y = 0; y < fb->ncanonical; y++)
				if (strcmp(fa->canonical[x], fb->canonical[y]) == 0)
					return 0.95;
	}
	fa = token_skeletons_of(pa, i);
	fb = token_skeletons_of(pb, j);
	for (int x = 0; x < fa->nskel; x++)
		for (int y = 0; y < fb->nskel; y++)
			if (strcmp(fa->skel[x], fb->skel[y]) == 0)
				return 0.9;
	return match_jaro_winkler_bytes(a, alen, b, blen, 0.1, true);
}

/*
 * Similarity of two full names, 0 to 1, whatever the order of their parts:
 * tokens are paired greedily, best pair first; the score is the mean of the
 * pairs over the shorter name's tokens, less 0.05 for each token of the
 * longer name left unpaired (a missing middle name, one half of a double
 * surname).  A one-token name against a longer one is scored over the
 * longer one.
 */
static double
similarity_of_tokens(NameTokens *pa, NameTokens *pb)
{
	double		score[MAX_TOKENS][MAX_TOKENS];
	bool		used_a[MAX_TOKENS] = {false},
				used_b[MAX_TOKENS] = {false};
	double		total = 0;
	int			pairs,
				shorter,
				longer;

	if (pa->n == 0 && pb->n == 0)
		return 1.0;
	if (pa->n == 0 || pb->n == 0)
		return 0.0;
	for (int i = 0; i < pa->n; i++)
		for (int j = 0; j < pb->n; j++)
			score[i][j] = token_similarity(pa, i, pb, j);
	shorter = Min(pa->n, pb->n);
	longer = Max(pa->n, pb->n);
	for (pairs = 0; pairs < shorter; pairs++)
	{
		int			bi = -1,
					bj = -1;
		double		best = -1;

		for (int i = 0; i < pa->n; i++)
			for (int j = 0; j < pb->n; j++)
				if (!used_a[i] && !used_b[j] && score[i][j] > best)
				{
					best = score[i][j];
					bi = i;
					bj = j;
				}
		if (bi < 0)
			break;				/* cannot happen: scores are never below 0 */
		used_a[bi] = used_b[bj] = true;
		total += best;
	}
	if (shorter == 1 && longer > 1)
		return total / longer;
	return Max(0.0, total / shorter - 0.05 * (longer - shorter));
}

double
name_similarity_text(text *ta, text *tb)
{
	NameTokens	a,
				b;

	double		r;

	name_tokens(ta, &a);
	name_tokens(tb, &b);
	r = similarity_of_tokens(&a, &b);
	tokens_free(&a);
	tokens_free(&b);
	return r;
}

/* The same for names already normalised (as linkage keeps them). */
double
name_similarity_cstring(const char *a, int alen, const char *b, int blen)
{
	NameTokens	ta,
				tb;
	char		la[128],
				lb[128];
	char	   *ca,
			   *cb;
	double		r;

	/* equal names have equal tokens, each paired with its equal: 1 */
	if (alen == blen && memcmp(a, b, alen) == 0)
		return 1.0;
	ca = (alen < (int) sizeof(la)) ? la : palloc(alen + 1);
	cb = (blen < (int) sizeof(lb)) ? lb : palloc(blen + 1);
	memcpy(ca, a, alen);
	ca[alen] = '\0';
	memcpy(cb, b, blen);
	cb[blen] = '\0';
	split_tokens(ca, alen, &ta);
	split_tokens(cb, blen, &tb);
	r = similarity_of_tokens(&ta, &tb);
	tokens_free(&ta);
	tokens_free(&tb);
	if (ca != la)
		pfree(ca);
	if (cb != lb)
		pfree(cb);
	return r;
}

Datum
match_name_similarity(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(name_similarity_text(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)));
}

/*
 * Statement trigger on brent_mdm.name_variant and name_variant_seed: every
 * backend's cached
 * dictionary is dropped when the change commits.
 */
Datum
match_name_variant_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be called as a trigger", get_func_name(fcinfo->flinfo->fn_oid)),
				 errhint("It drops cached data when the table it is attached to changes; it has nothing to do on its own.")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
