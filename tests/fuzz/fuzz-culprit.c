/* fuzz-culprit: any bytes as error messages, each line read for the host it
 * names; a host found is a name that fits, never an address or a part of
 * the text longer than asked for. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "analysis/symptom.h"
#include "analysis/culprit.h"
int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	bi_symptoms *set = bi_symptoms_new(NULL, 0);
	char *text = bi_strndup((const char *)data, n);
	char out[64];

	bi_symptoms_depend(set, "web", "db");	/* known names, for NAME:PORT */
	for (char *p = text, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		int found = bi_culprit_host(set, p, out, sizeof out);
		if (found && (!out[0] || strlen(out) >= sizeof out || !isalpha((unsigned char)out[0]) ||
			      !strstr(p, out)))
			__builtin_trap();
		if (!found && out[0])
			__builtin_trap();	/* none found: nothing left behind */
	}
	free(text);
	bi_symptoms_free(set);
	return 0;
}
