/*
 * dmetaphone.h
 *		Double Metaphone phonetic codes (Lawrence Philips, C/C++ Users
 *		Journal, June 2000), clean-room implementation.
 *
 * The function is pure: it allocates nothing, keeps no state between calls
 * and only writes to the two buffers the caller passes, so it may be called
 * from any backend and re-entrantly.
 */
#ifndef BRENT_MATCH_DMETAPHONE_H
#define BRENT_MATCH_DMETAPHONE_H

/*
 * Double Metaphone codes of a word.  The word is bytes; letters a-z/A-Z are
 * used case-insensitively, every other byte is treated as a non-letter (as the
 * published algorithm does with punctuation; callers pass ASCII-transliterated
 * names).  primary and alternate must each have room for max_length + 1 bytes;
 * codes are cut at max_length (max_length >= 1).  When a word has no alternate
 * encoding, alternate equals primary.
 */
extern void double_metaphone(const char *word, int len, int max_length,
							 char *primary, char *alternate);

#endif							/* BRENT_MATCH_DMETAPHONE_H */
