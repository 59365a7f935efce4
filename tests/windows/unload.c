/*
 * FreeLibrary while ywx's delivery thread waits on a gateway that never
 * answers — with and without ywx_shutdown first — must never crash the
 * host: the thread holds a reference to ywx.dll while it runs (DESIGN §5).
 * HIS programs that load and free the DLL for each use are common.
 *
 * usage: unload.exe DLL DEAD_URL SILENT_URL WORK_DIR shutdown|no-shutdown
 *   1. configure for a gateway that is down: a push is queued (YWX-4001);
 *   2. configure for a gateway that accepts and never answers: the
 *      delivery thread sends the queued push and waits;
 *   3. (shutdown) ywx_shutdown; FreeLibrary;
 *   4. live on 5 s — past the thread's timeout, when it wakes up — and
 *      exit 0. Prints "UNLOAD PASSED" at the end.
 */
#include <stdio.h>
#include <string.h>
#include <windows.h>

typedef char *(__stdcall *fn1)(const char *);
typedef char *(__stdcall *fn2)(const char *, const char *);
typedef char *(__stdcall *fn0)(void);
typedef void(__stdcall *freefn)(char *);

static const char *ORDER =
    "{\"signType\":\"0\",\"msg\":{\"head\":{\"templateId\":\"hash_001\"},"
    "\"body\":{\"urId\":\"unload%lu\",\"openId\":\"aa69bbd2b150006aq5164wfe4dybd786d1a\","
    "\"patientName\":\"x\",\"patientAge\":\"11\",\"patientSex\":\"M\","
    "\"patientCard\":\"1\",\"patientCardType\":\"SF\",\"recipeTime\":\"2017-06-11 11:32:33\","
    "\"hashValue\":\"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=\",\"hashType\":\"SHA256\"}}}";

static const char *CONFIG =
    "{\"baseUrl\":\"%s\",\"clientId\":\"2017070411003376\",\"clientSecret\":\"2017070411003360\","
    "\"log\":{\"dir\":null},\"timeoutMs\":1500,\"connectTimeoutMs\":500,"
    "\"outbox\":{\"path\":\"%s\\\\outbox-%s.db\",\"background\":%s,\"retryIntervalMs\":200}}";

int main(int argc, char **argv) {
    char config[2048], order[1024];
    HMODULE lib;
    fn1 init;
    fn2 call;
    fn0 shutdown;
    freefn ywx_free;
    char *r;
    int with_shutdown;
    if (argc != 6) {
        fprintf(stderr, "usage: unload.exe DLL DEAD_URL SILENT_URL WORK_DIR shutdown|no-shutdown\n");
        return 2;
    }
    with_shutdown = strcmp(argv[5], "shutdown") == 0;
    lib = LoadLibraryA(argv[1]);
    if (!lib) {
        printf("FAIL: LoadLibrary %s: %lu\n", argv[1], GetLastError());
        return 1;
    }
    init = (fn1)(void *)GetProcAddress(lib, "ywx_init");
    call = (fn2)(void *)GetProcAddress(lib, "ywx_call");
    shutdown = (fn0)(void *)GetProcAddress(lib, "ywx_shutdown");
    ywx_free = (freefn)(void *)GetProcAddress(lib, "ywx_free");
    if (!init || !call || !shutdown || !ywx_free) {
        printf("FAIL: GetProcAddress\n");
        return 1;
    }
    /* The patient's sex must be 男/女/未知: in UTF-8, the config's encoding. */
    snprintf(order, sizeof order, ORDER, (unsigned long)GetCurrentProcessId());
    {
        char *m = strstr(order, "\"M\"");
        if (m) {
            char fixed[1024];
            size_t at = (size_t)(m - order);
            snprintf(fixed, sizeof fixed, "%.*s\"\xe7\x94\xb7\"%s", (int)at, order, m + 3);
            strcpy(order, fixed);
        }
    }
    /* 1. The gateway is down: the push is queued. */
    snprintf(config, sizeof config, CONFIG, argv[2], argv[4], argv[5], "false");
    r = init(config);
    ywx_free(r);
    r = call("sign_data", order);
    printf("[queued] %.60s\n", r);
    if (!strstr(r, "YWX-4001")) {
        printf("FAIL: the push was not queued\n");
        return 1;
    }
    ywx_free(r);
    /* 2. A gateway that never answers: the thread sends it and waits. */
    snprintf(config, sizeof config, CONFIG, argv[3], argv[4], argv[5], "true");
    r = init(config);
    ywx_free(r);
    Sleep(700);
    /* 3. Unloaded while the thread waits. */
    if (with_shutdown) {
        r = shutdown();
        printf("[shutdown] %.50s\n", r);
        ywx_free(r);
    }
    if (!FreeLibrary(lib)) {
        printf("FAIL: FreeLibrary: %lu\n", GetLastError());
        return 1;
    }
    printf("[freed] %s\n", argv[5]);
    fflush(stdout);
    /* 4. Past the thread's timeout: a thread in unmapped code would crash here. */
    Sleep(5000);
    printf("UNLOAD PASSED (%s)\n", argv[5]);
    return 0;
}
