// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Node's outbound HTTP calls: the BPF side sends the head of the request
 * (bpf/node_client.bpf.h); the call is named by its method and Host. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "node_attach.h"
#include "weft/events.h"

/* "GET /x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n..." -> "GET 127.0.0.1:8080";
 * the header matched in any case (undici writes "host:"). Without a Host
 * in the bytes seen, the method alone: never a guess. */
void node__name_call(struct weft_event *e)
{
	char head[sizeof(e->name)], *host = NULL, *p;
	size_t m;

	memcpy(head, e->name, sizeof(head));
	head[sizeof(head) - 1] = 0;
	m = strcspn(head, " ");
	for (p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (p[2] == '\r')
			break; /* the end of the head */
		if (!strncasecmp(p + 2, "host:", 5)) {
			host = p + 7;
			break;
		}
	}
	while (host && (*host == ' ' || *host == '\t'))
		host++;
	if (host && host[strcspn(host, "\r")] == '\r' && strcspn(host, "\r") > 0)
		snprintf(e->name, sizeof(e->name), "%.*s %.*s", (int)m, head,
			 (int)strcspn(host, "\r"), host);
	else
		snprintf(e->name, sizeof(e->name), "%.*s", (int)m, head);
	e->nr_frames = strlen(e->name) / 8 + 1;
	e->flags &= ~WEFT_F_HTTP;
}
