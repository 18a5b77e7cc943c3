/* An intrusive doubly linked list: embed a struct list_link in the owner,
 * keep a struct list_link * as the head, and find the owner of a link with
 * container_of (proxy/loop.h). */
#ifndef FTPSGW_PROXY_LIST_H
#define FTPSGW_PROXY_LIST_H

#include <stddef.h>

struct list_link {
	struct list_link *prev, *next;
};

static inline void
list_push(struct list_link **head, struct list_link *l)
{
	l->prev = NULL;
	l->next = *head;
	if (*head != NULL)
		(*head)->prev = l;
	*head = l;
}

static inline void
list_unlink(struct list_link **head, struct list_link *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		*head = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	l->prev = l->next = NULL;
}

#endif
