/*
 * ywx called where a host program's thread-local storage is already gone:
 * from an atexit handler (after the main thread's thread-local destructors
 * ran) and from a pthread key destructor (after the thread's Rust
 * thread-locals were destroyed). Every export must answer normally there:
 * no abort, no INTERNAL error. Run by tests/atexit.rs.
 *
 * usage: atexit BASE_URL UNIQUE_ID WORK_DIR
 * Prints "[where] what -> status" for each call and "[where] done";
 * exits 0 unless a call answered wrongly (then 1) or the process died.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ywx.h"

static char config[2048];
static char status_req[256];
static const char *digest_req = "{\"originData\":\"abc\",\"hashAlg\":\"SM3\"}";
static int failures = 0;

/* The status of an envelope, or "?" */
static void status_of(const char *env, char *out, size_t size) {
    const char *p = env ? strstr(env, "\"status\":\"") : NULL;
    size_t n = 0;
    if (!p) {
        snprintf(out, size, "?");
        return;
    }
    p += strlen("\"status\":\"");
    while (p[n] && p[n] != '"' && n + 1 < size) {
        out[n] = p[n];
        n++;
    }
    out[n] = 0;
}

static void expect(const char *where, const char *what, const char *env, const char *want) {
    char st[64];
    status_of(env, st, sizeof st);
    printf("[%s] %s -> %s\n", where, what, st);
    if (strcmp(st, want) != 0) {
        printf("[%s] FAIL %s: %s\n", where, what, env ? env : "(NULL)");
        failures++;
    }
    fflush(stdout);
}

static void take(const char *where, const char *what, char *env, const char *want) {
    expect(where, what, env, want);
    ywx_free(env);
}

/* Every kind of export: the buffer one (too small, then the kept result),
 * ywx_call, a gateway export, a local one; then init, the outbox, shutdown. */
static void exercise(const char *where, int lifecycle) {
    char small[8];
    int need = ywx_call_buf("sign_status", status_req, small, (int)sizeof small);
    if (need <= (int)sizeof small) {
        printf("[%s] FAIL ywx_call_buf small: %d\n", where, need);
        failures++;
    } else {
        char *buf = malloc((size_t)need + 1);
        int got = ywx_call_buf("sign_status", status_req, buf, need + 1);
        if (got != need) {
            printf("[%s] FAIL ywx_call_buf kept: %d != %d\n", where, got, need);
            failures++;
        }
        expect(where, "ywx_call_buf(sign_status)", buf, "0");
        free(buf);
    }
    {
        char buf[512];
        int got = ywx_call_buf("digest", digest_req, buf, (int)sizeof buf);
        expect(where, "ywx_call_buf(digest)", got > 0 ? buf : NULL, "0");
    }
    take(where, "ywx_call(sign_status)", ywx_call("sign_status", status_req), "0");
    take(where, "ywx_sign_status", ywx_sign_status(status_req), "0");
    take(where, "ywx_digest", ywx_digest(digest_req), "0");
    if (lifecycle) {
        take(where, "ywx_init", ywx_init(config), "0");
        take(where, "ywx_sign_status after init", ywx_sign_status(status_req), "0");
        take(where, "ywx_outbox_list", ywx_outbox_list(NULL), "0");
        take(where, "ywx_shutdown", ywx_shutdown(), "0");
    }
    printf("[%s] done\n", where);
    fflush(stdout);
}

static pthread_key_t key;

static void destructor(void *value) {
    (void)value;
    exercise("tls-destructor", 0);
}

static void *thread_main(void *arg) {
    char small[4];
    (void)arg;
    pthread_setspecific(key, (void *)1);
    /* Rust thread-locals of this thread in use (a kept ywx_call_buf result,
     * the HTTP and log machinery), so that they are destroyed before the key
     * destructor runs. */
    ywx_call_buf("sign_status", status_req, small, (int)sizeof small);
    take("thread", "ywx_sign_status", ywx_sign_status(status_req), "0");
    return NULL;
}

static void at_exit(void) {
    exercise("atexit", 1);
    if (failures) {
        printf("FAILURES %d\n", failures);
        fflush(stdout);
        _Exit(1);
    }
}

int main(int argc, char **argv) {
    pthread_t t;
    char small[4];
    if (argc != 4) {
        fprintf(stderr, "usage: atexit BASE_URL UNIQUE_ID WORK_DIR\n");
        return 2;
    }
    snprintf(config, sizeof config,
             "{\"baseUrl\":\"%s\",\"clientId\":\"2017070411003376\","
             "\"clientSecret\":\"2017070411003360\","
             "\"log\":{\"dir\":\"%s/logs\",\"level\":\"debug\"},"
             "\"outbox\":{\"path\":\"%s/outbox.db\",\"background\":true}}",
             argv[1], argv[3], argv[3]);
    snprintf(status_req, sizeof status_req, "{\"body\":{\"uniqueId\":\"%s\"}}", argv[2]);
    atexit(at_exit);
    take("main", "ywx_init", ywx_init(config), "0");
    /* The main thread's Rust thread-locals in use too. */
    ywx_call_buf("sign_status", status_req, small, (int)sizeof small);
    take("main", "ywx_sign_status", ywx_sign_status(status_req), "0");

    pthread_key_create(&key, destructor);
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    printf("[main] exit\n");
    fflush(stdout);
    return 0;
}
