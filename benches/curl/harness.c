/*
 * An independent check against libcurl: libcurl keep-alive POSTs of
 * the same bytes against ywx_sign_status through the C ABI, both against
 * one ywx-sim process on loopback, interleaved.
 *
 *   scripts/curl-bench.sh            (builds everything, starts ywx-sim)
 *   cargo bench --bench ywx -- curl  (the same, in the bench suite's table)
 *   harness BASE_URL [SECONDS] [--dir DIR] [--log LEVEL]
 *   harness BASE_URL count N [--dir DIR] [--log LEVEL]
 *                                N calls of each, untimed: for
 *                                scripts/curl-bench.sh --callgrind
 *
 * SECONDS is the length of a throughput window (default 1).
 *
 * ywx runs in the configuration a user gets from the README (outbox on,
 * its delivery thread running; logging at `info`, one line a call), with
 * its files under DIR: DIR/logs and DIR/outbox.db. Without --dir, a new
 * directory under $TMPDIR (or /tmp) is made and removed at the end; it
 * never writes in the current directory. `--log off` runs without a log
 * (`"log":{"dir":null}`), `--log error` logs failures only. The first line
 * printed says which configuration ran.
 *
 * Prints the median/p99 latency ratio (1 thread, calls interleaved one by
 * one) and the throughput ratio at 1, 2, 4, 8 and 16 threads (windows
 * alternated, three rounds each).
 */
#define _XOPEN_SOURCE 700
#include <curl/curl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ywx.h"

static char url[512];
static char body[512];
static double window_s = 1.0;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

struct buf {
    char data[8192];
    size_t len;
};

static size_t sink(char *p, size_t size, size_t n, void *user) {
    struct buf *b = user;
    size_t k = size * n;
    if (b->len + k < sizeof b->data) {
        memcpy(b->data + b->len, p, k);
        b->len += k;
    }
    return k;
}

struct curl_client {
    CURL *h;
    struct curl_slist *headers;
    struct buf out;
};

static void curl_client_init(struct curl_client *c) {
    c->h = curl_easy_init();
    c->headers = curl_slist_append(NULL, "Content-Type: application/json;charset=UTF-8");
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->out);
    curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
}

static void curl_call(struct curl_client *c) {
    c->out.len = 0;
    CURLcode rc = curl_easy_perform(c->h);
    long code = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK || code != 200) {
        fprintf(stderr, "curl: %s (HTTP %ld)\n", curl_easy_strerror(rc), code);
        exit(1);
    }
}

static void ours_call(void) {
    char *r = ywx_sign_status(body);
    if (!r || !strstr(r, "\"status\":\"0\"")) {
        fprintf(stderr, "ywx: %s\n", r ? r : "(null)");
        exit(1);
    }
    ywx_free(r);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
    qsort(v, n, sizeof *v, cmp);
    return v[(int)(p * (n - 1))];
}

enum which { CURL_SIDE, YWX_SIDE };
struct worker {
    pthread_t t;
    enum which side;
    double until;
    long calls;
};

static void *work(void *arg) {
    struct worker *w = arg;
    struct curl_client c;
    if (w->side == CURL_SIDE) {
        curl_client_init(&c);
        curl_call(&c); /* connect outside the window */
    } else {
        ours_call();
    }
    while (now() < w->until) {
        if (w->side == CURL_SIDE)
            curl_call(&c);
        else
            ours_call();
        w->calls++;
    }
    if (w->side == CURL_SIDE) {
        curl_slist_free_all(c.headers);
        curl_easy_cleanup(c.h);
    }
    return NULL;
}

static long window(enum which side, int threads) {
    struct worker w[64];
    double start = now() + 0.05;
    for (int i = 0; i < threads; i++) {
        w[i].side = side;
        w[i].calls = 0;
        w[i].until = start + window_s;
        pthread_create(&w[i].t, NULL, work, &w[i]);
    }
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].t, NULL);
        total += w[i].calls;
    }
    return total;
}

static void usage(void) {
    fprintf(stderr, "usage: harness BASE_URL [SECONDS | count N] [--dir DIR] [--log off|error|info|debug]\n");
    exit(2);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes a directory this program made, with what ywx wrote into it. */
static void remove_work_dir(const char *dir) {
    if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv) {
    if (argc < 2)
        usage();
    const char *base = argv[1];
    long count = -1; /* count mode: N untimed calls of each */
    const char *dir = NULL;
    const char *level = "info";
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "count") == 0 && i + 1 < argc) {
            count = atol(argv[++i]);
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
            level = argv[++i];
        } else if (argv[i][0] != '-' && atof(argv[i]) > 0) {
            window_s = atof(argv[i]);
        } else {
            usage();
        }
    }
    if (strcmp(level, "off") && strcmp(level, "error") && strcmp(level, "info") && strcmp(level, "debug"))
        usage();
    static char made[512];
    if (!dir) {
        const char *tmp = getenv("TMPDIR");
        snprintf(made, sizeof made, "%s/ywx-curl-harness.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(made)) {
            perror("mkdtemp");
            return 1;
        }
        dir = made;
    }
    curl_global_init(CURL_GLOBAL_ALL);

    char log[700];
    if (strcmp(level, "off") == 0)
        snprintf(log, sizeof log, "{\"dir\":null}");
    else
        snprintf(log, sizeof log, "{\"dir\":\"%s/logs\",\"level\":\"%s\"}", dir, level);
    char config[2048];
    snprintf(config, sizeof config,
             "{\"baseUrl\":\"%s\",\"clientId\":\"2017070411003376\","
             "\"clientSecret\":\"2017070411003360\",\"log\":%s,"
             "\"outbox\":{\"path\":\"%s/outbox.db\"}}",
             base, log, dir);
    if (strcmp(level, "off") == 0)
        printf("config: README defaults, outbox on (%s/outbox.db), logging off\n", dir);
    else
        printf("config: README defaults, outbox on (%s/outbox.db), logging at %s into %s/logs\n", dir,
               level, dir);
    fflush(stdout);
    char *r = ywx_init(config);
    if (!strstr(r, "\"status\":\"0\"")) {
        fprintf(stderr, "init: %s\n", r);
        return 1;
    }
    ywx_free(r);

    /* The document's 4.3.5 example, with a urId of this run. */
    char order[2048];
    snprintf(order, sizeof order,
             "{\"signType\":\"0\",\"msg\":{\"head\":{\"templateId\":\"hash_023\",\"sysTag\":\"his\"},"
             "\"body\":{\"urId\":\"curl%ld\",\"openId\":\"aa69bbd2b150006aq5164wfe4dybd786d1a\","
             "\"patientName\":\"天猫\",\"patientAge\":\"11\",\"patientSex\":\"男\","
             "\"patientCard\":\"535689193101071814\",\"patientCardType\":\"SF\","
             "\"recipeTime\":\"2017-06-11 11:32:33\","
             "\"hashValue\":\"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=\",\"hashType\":\"SHA-256\"}}}",
             (long)time(NULL));
    r = ywx_sign_data(order);
    char *u = strstr(r, "\"uniqueId\":\"");
    if (!strstr(r, "\"status\":\"0\"") || !u) {
        fprintf(stderr, "sign_data: %s\n", r);
        return 1;
    }
    u += strlen("\"uniqueId\":\"");
    char uid[128];
    size_t k = strcspn(u, "\"");
    memcpy(uid, u, k);
    uid[k] = 0;
    ywx_free(r);
    snprintf(url, sizeof url, "%s/gateway/recipe/querySignDataByUniqueId", base);
    snprintf(body, sizeof body,
             "{\"head\":{\"clientId\":\"2017070411003376\"},\"body\":{\"uniqueId\":\"%s\"}}", uid);

    struct curl_client c;
    curl_client_init(&c);
    if (count >= 0) {
        for (long i = count; i > 0; i--) {
            ours_call();
            curl_call(&c);
        }
        ywx_free(ywx_shutdown());
        if (dir == made)
            remove_work_dir(dir);
        return 0;
    }

    /* Latency, one thread, interleaved call by call. */
    for (int i = 0; i < 500; i++) {
        curl_call(&c);
        ours_call();
    }
    enum { N = 4000 };
    static double a[N], b[N];
    for (int i = 0; i < N; i++) {
        double t = now();
        ours_call();
        a[i] = now() - t;
        t = now();
        curl_call(&c);
        b[i] = now() - t;
    }
    double am = pct(a, N, 0.5), bm = pct(b, N, 0.5);
    double a99 = pct(a, N, 0.99), b99 = pct(b, N, 0.99);
    printf("latency median: ywx %.1f us, libcurl %.1f us, ratio %.3f\n", am * 1e6, bm * 1e6, am / bm);
    printf("latency p99:    ywx %.1f us, libcurl %.1f us, ratio %.3f\n", a99 * 1e6, b99 * 1e6, a99 / b99);
    fflush(stdout);

    int counts[] = {1, 2, 4, 8, 16};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        long ours = 0, theirs = 0;
        for (int round = 0; round < 3; round++) {
            theirs += window(CURL_SIDE, counts[i]);
            ours += window(YWX_SIDE, counts[i]);
        }
        printf("throughput %2d thread(s): ywx %.0f/s, libcurl %.0f/s, ratio %.3f\n", counts[i],
               ours / (3 * window_s), theirs / (3 * window_s), (double)ours / theirs);
        fflush(stdout);
    }
    curl_slist_free_all(c.headers);
    curl_easy_cleanup(c.h);
    ywx_free(ywx_shutdown());
    if (dir == made)
        remove_work_dir(dir);
    return 0;
}
