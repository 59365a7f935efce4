/*
 * One ywx call on a thread with a stack of a given size, for measuring the
 * smallest stack a call needs (tests/small_stacks.rs bisects over it; a
 * stack too small kills this process with SIGSEGV).
 *
 * usage: stack_probe STACK_BYTES WHERE CONFIG_JSON METHOD REQUEST_JSON WANT_STATUS
 *   WHERE: "thread" (ywx_init on the main thread, the call on the small
 *          one) or "init" (both on the small thread, the first thing it does)
 * Exits 0 when the call answered WANT_STATUS, 1 when it answered otherwise
 * (printed), 2 on a usage or thread error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ywx.h"

struct job {
    const char *config, *method, *request;
    int init_here;
    char answer[512];
};

static void keep(struct job *j, char *r) {
    snprintf(j->answer, sizeof j->answer, "%s", r ? r : "(NULL)");
    ywx_free(r);
}

static void *run(void *arg) {
    struct job *j = arg;
    if (j->init_here) {
        char *r = ywx_init(j->config);
        if (!r || !strstr(r, "\"status\":\"0\"")) {
            keep(j, r);
            return NULL;
        }
        ywx_free(r);
    }
    keep(j, ywx_call(j->method, j->request));
    return NULL;
}

int main(int argc, char **argv) {
    struct job j;
    pthread_attr_t attr;
    pthread_t t;
    char want[64];
    size_t size;
    if (argc != 7) {
        fprintf(stderr, "usage: stack_probe STACK_BYTES WHERE CONFIG METHOD REQUEST WANT\n");
        return 2;
    }
    size = (size_t)strtoul(argv[1], NULL, 10);
    j.init_here = strcmp(argv[2], "init") == 0;
    j.config = argv[3];
    j.method = argv[4];
    j.request = argv[5];
    j.answer[0] = 0;
    if (!j.init_here) {
        char *r = ywx_init(j.config);
        if (!strstr(r, "\"status\":\"0\"")) {
            printf("init: %s\n", r);
            return 2;
        }
        ywx_free(r);
    }
    pthread_attr_init(&attr);
    if (pthread_attr_setstacksize(&attr, size) != 0 || pthread_create(&t, &attr, run, &j) != 0) {
        fprintf(stderr, "cannot start a thread with a stack of %lu bytes\n", (unsigned long)size);
        return 2;
    }
    pthread_join(t, NULL);
    snprintf(want, sizeof want, "\"status\":\"%s\"", argv[6]);
    printf("%s\n", j.answer);
    return strstr(j.answer, want) ? 0 : 1;
}
