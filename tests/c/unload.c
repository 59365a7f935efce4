/*
 * ywx_shutdown and dlclose while the outbox's delivery thread is still
 * waiting on a gateway that accepted the connection and never answers
 * (ywx_shutdown leaves such a thread to finish on its own): when the
 * gateway finally hangs up, the process must not crash in unloaded code.
 * Both configs log into WORK_DIR/logs, so the log's writer thread is
 * stopped and unloaded too. Run by tests/lifecycle.rs, which hangs up
 * after "[unloaded]".
 *
 * usage: unload LIBYWX DEAD_URL BLACK_HOLE_URL WORK_DIR
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef char *(*fn1)(const char *);
typedef char *(*fn2)(const char *, const char *);
typedef char *(*fn0)(void);
typedef void (*freefn)(char *);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    char config[2048], order[1024];
    void *lib;
    fn1 init;
    fn2 call;
    fn0 shutdown;
    freefn ywx_free;
    char *r;
    double t;
    if (argc != 5) {
        fprintf(stderr, "usage: unload LIBYWX DEAD_URL BLACK_HOLE_URL WORK_DIR\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    init = (fn1)dlsym(lib, "ywx_init");
    call = (fn2)dlsym(lib, "ywx_call");
    shutdown = (fn0)dlsym(lib, "ywx_shutdown");
    ywx_free = (freefn)dlsym(lib, "ywx_free");
    snprintf(order, sizeof order,
             "{\"signType\":\"0\",\"msg\":{\"head\":{\"templateId\":\"hash_001\"},"
             "\"body\":{\"urId\":\"unload%ld\",\"openId\":\"aa69bbd2b150006aq5164wfe4dybd786d1a\","
             "\"patientName\":\"x\",\"patientAge\":\"11\",\"patientSex\":\"男\","
             "\"patientCard\":\"1\",\"patientCardType\":\"SF\",\"recipeTime\":\"2017-06-11 11:32:33\","
             "\"hashValue\":\"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=\",\"hashType\":\"SHA256\"}}}",
             (long)getpid());
    /* 1. The gateway is down: the push is queued. */
    snprintf(config, sizeof config,
             "{\"baseUrl\":\"%s\",\"clientId\":\"2017070411003376\",\"clientSecret\":\"2017070411003360\","
             "\"log\":{\"dir\":\"%s/logs\"},\"outbox\":{\"path\":\"%s/outbox.db\",\"background\":false}}",
             argv[2], argv[4], argv[4]);
    r = init(config);
    ywx_free(r);
    r = call("sign_data", order);
    printf("[queued] %.60s\n", r);
    ywx_free(r);
    /* 2. A gateway that never answers: the delivery thread sends the push
     *    and waits. */
    snprintf(config, sizeof config,
             "{\"baseUrl\":\"%s\",\"clientId\":\"2017070411003376\",\"clientSecret\":\"2017070411003360\","
             "\"log\":{\"dir\":\"%s/logs\"},\"outbox\":{\"path\":\"%s/outbox.db\",\"background\":true}}",
             argv[3], argv[4], argv[4]);
    r = init(config);
    ywx_free(r);
    sleep(1);
    t = now();
    r = shutdown();
    printf("[shutdown] %.3f s %.40s\n", now() - t, r);
    ywx_free(r);
    dlclose(lib);
    printf("[unloaded]\n");
    fflush(stdout);
    /* 3. The test hangs up now; a thread left in unloaded code would crash. */
    sleep(3);
    printf("[exit]\n");
    return 0;
}
