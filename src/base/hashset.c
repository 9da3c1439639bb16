#include "base/hashset.h"

#include <stdlib.h>

#include "base/mem.h"

bool mn_hashset_add(struct mn_hashset *h, uint64_t x)
{
	size_t i;

	if (x == 0)
		x = 1;
	/* grow at half full; written without (n + 1) * 2, which could wrap */
	if (h->cap == 0 || h->n + 1 > h->cap / 2) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct mn_hashset g = { mn_xcalloc(cap, sizeof(uint64_t)), cap, 0 };

		for (size_t k = 0; k < h->cap; k++)
			if (h->v[k])
				mn_hashset_add(&g, h->v[k]);
		free(h->v);
		h->v = g.v; /* field by field: the analyzer loses cap across *h = g */
		h->cap = g.cap;
		h->n = g.n;
	}
	for (i = (size_t)(x % h->cap); h->v[i]; i = (i + 1) % h->cap)
		if (h->v[i] == x)
			return false;
	h->v[i] = x;
	h->n++;
	return true;
}

bool mn_hashset_has(const struct mn_hashset *h, uint64_t x)
{
	if (x == 0)
		x = 1;
	if (!h->cap)
		return false;
	for (size_t i = (size_t)(x % h->cap); h->v[i]; i = (i + 1) % h->cap)
		if (h->v[i] == x)
			return true;
	return false;
}

void mn_hashset_release(struct mn_hashset *h)
{
	free(h->v);
	h->v = NULL;
	h->cap = h->n = 0;
}
