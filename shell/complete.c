/**
 * @file complete.c
 * @brief Tab completion's candidates (see complete.h).
 */
#include "commands.h"
#include "complete.h"
#include "kprintf.h"
#include "kstring.h"

/* A set id is a candidate if "#<id>" starts with the word. */
struct id_match {
	const char *word;
	size_t length;
	void (*each)(const char *candidate, void *ctx);
	void *ctx;
};

static void match_id(unsigned id, void *ctx)
{
	struct id_match *m = ctx;
	char name[16];
	ksnprintf(name, sizeof name, "#%u", id);
	if (strncmp(name, m->word, m->length) == 0)
		m->each(name, m->ctx);
}

void complete_each(const char *word, size_t length, int first,
		   void (*each)(const char *candidate, void *ctx), void *ctx)
{
	if (first) {
		for (const struct command *cmd = shell_commands; cmd->name; cmd++)
			if (strncmp(cmd->name, word, length) == 0)
				each(cmd->name, ctx);
		return;
	}
	if (length == 0 || word[0] != '#')
		return;
	struct id_match m = { word, length, each, ctx };
	shell_each_set_id(match_id, &m);
}
