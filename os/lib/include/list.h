/**
 * @file list.h
 * @brief Intrusive doubly linked circular list (as in Linux and LiteOS-A).
 *
 * A list head is a node whose next/prev point at itself when empty. Every
 * operation is O(1); nothing here allocates.
 */
#ifndef PAGODA_LIST_H
#define PAGODA_LIST_H

#include <stddef.h>

/** @brief One link of a list, embedded in the structure it links. */
struct list_node {
	struct list_node *next; /**< following node, or the head */
	struct list_node *prev; /**< preceding node, or the head */
};

/** @brief Make @p head an empty list. */
static inline void list_init(struct list_node *head)
{
	head->next = head;
	head->prev = head;
}

/** @brief True when @p head has no members. */
static inline int list_empty(const struct list_node *head)
{
	return head->next == head;
}

/** @brief Insert @p node right after @p head (at the front). */
static inline void list_push_front(struct list_node *head, struct list_node *node)
{
	node->next = head->next;
	node->prev = head;
	head->next->prev = node;
	head->next = node;
}

/** @brief Insert @p node right before @p head (at the back). */
static inline void list_push_back(struct list_node *head, struct list_node *node)
{
	node->prev = head->prev;
	node->next = head;
	head->prev->next = node;
	head->prev = node;
}

/** @brief Unlink @p node from whatever list holds it. */
static inline void list_remove(struct list_node *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->next = node;
	node->prev = node;
}

/**
 * @brief Visit every node of the list at @p head, front to back: @p node
 *        (a `struct list_node *` the caller declares) is each one in turn.
 *        The body must not remove @p node.
 */
#define list_for_each(node, head) \
	for ((node) = (head)->next; (node) != (head); (node) = (node)->next)

/** @brief The structure of type @p type whose member @p member is @p ptr. */
#define list_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#endif
