/* The gateway's voice: the table of the reply lines ftpsgw writes itself
 * (VOICE_LIST in voice.h), each line built at compile time from its code
 * and text, so callers get static strings. Pure: no I/O. */
#include "proxy/voice.h"

#include <stddef.h>

struct voice_entry {
	const char *line;	/* "<code> <text>" */
	unsigned code;
	const char *advice;	/* or NULL */
};

static const struct voice_entry voice_table[V_COUNT] = {
#define VOICE_ENTRY(name, code, text, advice) \
	[V_##name] = { FTP_CODE_STR(code) " " text, code, advice },
	VOICE_LIST(VOICE_ENTRY)
#undef VOICE_ENTRY
};

const char *
voice_line(enum voice v)
{
	return (unsigned)v < V_COUNT ? voice_table[v].line : NULL;
}

unsigned
voice_code(enum voice v)
{
	return (unsigned)v < V_COUNT ? voice_table[v].code : 0;
}

const char *
voice_advice(enum voice v)
{
	return (unsigned)v < V_COUNT ? voice_table[v].advice : NULL;
}
