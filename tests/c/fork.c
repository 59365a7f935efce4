/*
 * A HIS that forks after calling ywx (Python multiprocessing, a
 * pre-forking server): parent and child then call at the same time, and
 * each must get the answers to its own requests — never the other's over
 * a shared pooled connection. Three rounds; in each, both processes make
 * 500 calls: status queries of known orders (the answer must name the
 * order asked for) and pushes (the order answered must be the urId
 * pushed). Run by tests/lifecycle.rs.
 *
 * usage: fork LIBYWX BASE_URL WORK_DIR
 * prints "[round N parent|child] calls=… wrong=… errors=…", exit 0 when
 * nothing was wrong.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef char *(*fn1)(const char *);
typedef char *(*fn2)(const char *, const char *);
typedef void (*freefn)(char *);

#define ORDERS 16
#define CALLS 500

static fn1 init;
static fn2 call;
static freefn ywx_free;
static char unique_ids[ORDERS][64];

static const char *ORDER =
    "{\"signType\":\"0\",\"msg\":{\"head\":{\"templateId\":\"hash_001\"},"
    "\"body\":{\"urId\":\"%s\",\"openId\":\"aa69bbd2b150006aq5164wfe4dybd786d1a\","
    "\"patientName\":\"x\",\"patientAge\":\"11\",\"patientSex\":\"男\","
    "\"patientCard\":\"1\",\"patientCardType\":\"SF\",\"recipeTime\":\"2017-06-11 11:32:33\","
    "\"hashValue\":\"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=\",\"hashType\":\"SHA256\"}}}";

/* The value of "key":"..." in a JSON text, into out; 0 when absent. */
static int field(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    const char *at, *end;
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    at = strstr(json, pattern);
    if (!at) return 0;
    at += strlen(pattern);
    end = strchr(at, '"');
    if (!end || (size_t)(end - at) >= size) return 0;
    memcpy(out, at, (size_t)(end - at));
    out[end - at] = 0;
    return 1;
}

/* Pushes urId `ur`; its uniqueId into out. 0 on an error answer. */
static int push(const char *ur, char *out, size_t size) {
    char order[1024];
    char *r;
    int ok;
    snprintf(order, sizeof order, ORDER, ur);
    r = call("sign_data", order);
    ok = strstr(r, "\"status\":\"0\"") && field(r, "uniqueId", out, size);
    if (!ok) printf("[push] %s: %.200s\n", ur, r);
    ywx_free(r);
    return ok;
}

/* The urId the gateway has for a uniqueId (4.3.7), into out. */
static int status_of(const char *unique_id, char *out, size_t size) {
    char request[256], asked[64];
    char *r;
    int ok;
    snprintf(request, sizeof request, "{\"body\":{\"uniqueId\":\"%s\"}}", unique_id);
    r = call("sign_status", request);
    ok = strstr(r, "\"status\":\"0\"") && field(r, "uniqueid", asked, sizeof asked) &&
         strcmp(asked, unique_id) == 0 && field(r, "urid", out, size);
    if (!ok && strstr(r, "\"status\":\"0\"")) {
        printf("[wrong] asked %s, answered %.160s\n", unique_id, r);
    }
    ywx_free(r);
    return ok;
}

/* One process's share of a round: 500 calls, each answer checked. */
static int calls(int round, const char *who) {
    int i, wrong = 0, errors = 0;
    char ur[64], unique_id[64], got[64];
    for (i = 0; i < CALLS; i++) {
        if (i % 10 == 9) {
            /* A push: the order answered must be the urId pushed. */
            snprintf(ur, sizeof ur, "fork%ld%s%dn%d", (long)getpid(), who, round, i);
            if (!push(ur, unique_id, sizeof unique_id)) {
                errors++;
            } else if (!status_of(unique_id, got, sizeof got) || strcmp(got, ur) != 0) {
                wrong++;
            }
        } else if (!status_of(unique_ids[i % ORDERS], got, sizeof got)) {
            wrong++;
        }
    }
    printf("[round %d %s] calls=%d wrong=%d errors=%d\n", round, who, CALLS, wrong, errors);
    fflush(stdout);
    return wrong == 0 && errors == 0;
}

int main(int argc, char **argv) {
    char config[2048], ur[64];
    void *lib;
    char *r;
    int i, round, ok = 1;
    if (argc != 4) {
        fprintf(stderr, "usage: fork LIBYWX BASE_URL WORK_DIR\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    init = (fn1)dlsym(lib, "ywx_init");
    call = (fn2)dlsym(lib, "ywx_call");
    ywx_free = (freefn)dlsym(lib, "ywx_free");
    snprintf(config, sizeof config,
             "{\"baseUrl\":\"%s\",\"clientId\":\"2017070411003376\",\"clientSecret\":\"2017070411003360\","
             "\"log\":{\"dir\":null},\"outbox\":{\"path\":\"%s/outbox.db\",\"background\":true}}",
             argv[2], argv[3]);
    r = init(config);
    if (!strstr(r, "\"status\":\"0\"")) {
        printf("[init] %s\n", r);
        return 1;
    }
    ywx_free(r);
    /* Calls before the fork: pooled connections, the outbox open, its thread running. */
    for (i = 0; i < ORDERS; i++) {
        snprintf(ur, sizeof ur, "fork%ldbase%d", (long)getpid(), i);
        if (!push(ur, unique_ids[i], sizeof unique_ids[i])) {
            printf("[setup] push %d failed\n", i);
            return 1;
        }
    }
    for (round = 1; round <= 3; round++) {
        pid_t child = fork();
        if (child < 0) {
            perror("fork");
            return 1;
        }
        if (child == 0) {
            _exit(calls(round, "child") ? 0 : 1);
        }
        ok &= calls(round, "parent");
        {
            int status = 0;
            waitpid(child, &status, 0);
            ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
            printf("[round %d child exit] %d\n", round, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
    }
    printf("[done] %s\n", ok ? "ok" : "crossed");
    return ok ? 0 : 1;
}
