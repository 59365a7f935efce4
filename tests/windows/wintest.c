/*
 * wintest.c — the Windows DLL test, run under wine by ci/windows.sh for each
 * of the four DLLs (win-x86, win-x64, win7-x86, win7-x64).
 *
 *   wintest DLL HEADER BASE_URL ENCODING VERSION [LOOPS]
 *
 *   DLL       the ywx.dll to test (loaded with LoadLibraryA)
 *   HEADER    include/ywx.h: every function it declares is looked up with
 *             GetProcAddress under its plain name and called, so a new export
 *             is covered without touching this file
 *   BASE_URL  a ywx-sim on 127.0.0.1 (http://127.0.0.1:PORT); the doctor's
 *             signature is given through its control API (POST /sim/sign)
 *   ENCODING  utf-8 or gbk: the strings this program passes and expects
 *   VERSION   the expected ywx_version() (CARGO_PKG_VERSION), also checked
 *             against the DLL's version resource
 *   LOOPS     calls in the stack-balance loop (default 5000)
 *
 * Built with -DYWX_LINKED it also links through the import library
 * (libywx.dll.a made from ywx.def): the generated ywx_linked.inc lists every
 * declared function, and each one is called through the import library too.
 *
 * The calls go through pointers of the header's own types
 * (__typeof__(&ywx_x)), so the calling convention is the one include/ywx.h
 * declares: on 32-bit Windows a caller/callee mismatch would show as a
 * drifting stack pointer in the loop of step [6].
 *
 * ASCII source: GBK and UTF-8 test strings are written as byte escapes.
 * Exit status 0 and "WINTEST PASSED" only when every check held.
 */
#include <winsock2.h>
#include <windows.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ywx.h"

/* The stack pointer, to prove that calls leave it where it was. */
#if defined(__i386__)
#define READ_SP(var) __asm__ volatile("movl %%esp, %0" : "=r"(var))
#elif defined(__x86_64__)
#define READ_SP(var) __asm__ volatile("movq %%rsp, %0" : "=r"(var))
#else
#define READ_SP(var) ((var) = NULL)
#endif

#define CLIENT_ID "2017070411003376"
#define CLIENT_SECRET "2017070411003360"
#define DOCTOR "aa69bbd2b150006aq5164wfe4dybd786d1a"

/* Test strings in both encodings. */
#define GBK_ZHANGSAN "\xD5\xC5\xC8\xFD"               /* 张三 */
#define UTF8_ZHANGSAN "\xE5\xBC\xA0\xE4\xB8\x89"
#define GBK_MALE "\xC4\xD0"                           /* 男 */
#define UTF8_MALE "\xE7\x94\xB7"
#define GBK_SUBJECT "\xC3\xC5\xD5\xEF\xB2\xA1\xC0\xFA" /* 门诊病历 */
#define UTF8_SUBJECT "\xE9\x97\xA8\xE8\xAF\x8A\xE7\x97\x85\xE5\x8E\x86"
#define GBK_ORIGIN "\xD6\xF7\xCB\xDF\xA3\xBA\xB7\xA2\xC8\xC8\xC8\xFD\xCC\xEC" /* 主诉：发热三天 */
#define UTF8_ORIGIN "\xE4\xB8\xBB\xE8\xAF\x89\xEF\xBC\x9A\xE5\x8F\x91\xE7\x83\xAD\xE4\xB8\x89\xE5\xA4\xA9"
#define GBK_CONFIG_OK "\xC5\xE4\xD6\xC3\xD2\xD1\xC9\xFA\xD0\xA7" /* 配置已生效 */
#define UTF8_CONFIG_OK "\xE9\x85\x8D\xE7\xBD\xAE\xE5\xB7\xB2\xE7\x94\x9F\xE6\x95\x88"
#define GBK_LETTERS "\xD7\xD6\xC4\xB8\xBB\xF2\xCA\xFD\xD7\xD6" /* 字母或数字 */
#define UTF8_LETTERS "\xE5\xAD\x97\xE6\xAF\x8D\xE6\x88\x96\xE6\x95\xB0\xE5\xAD\x97"

static int failures;

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    failures++;
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail(__VA_ARGS__);                                                                     \
    } while (0)

/* ---- the functions, typed by the header ------------------------------- */

static struct {
    __typeof__(&ywx_version) version;
    __typeof__(&ywx_init) init;
    __typeof__(&ywx_shutdown) shutdown;
    __typeof__(&ywx_free) free_;
    __typeof__(&ywx_call) call;
    __typeof__(&ywx_call_buf) call_buf;
    __typeof__(&ywx_digest) digest;
    __typeof__(&ywx_doctor_search) doctor_search;
    __typeof__(&ywx_sign_data) sign_data;
    __typeof__(&ywx_sign_wait) sign_wait;
    __typeof__(&ywx_sign_status) sign_status;
    __typeof__(&ywx_sign_result) sign_result;
    __typeof__(&ywx_verify_data) verify_data;
    __typeof__(&ywx_verify_timestamp) verify_timestamp;
} api;

typedef __typeof__(&ywx_sign_data) json_fn; /* char *f(const char *) */
typedef __typeof__(&ywx_shutdown) void_fn;  /* char *f(void) */

static HMODULE dll;
static char cfg[2048]; /* the test config: ywx-sim, the chosen encoding */

static FARPROC need(const char *name)
{
    FARPROC p = GetProcAddress(dll, name);
    if (p == NULL)
        fail("GetProcAddress(%s) = NULL: not exported under its plain name", name);
    return p;
}

#define LOAD(field, name) api.field = (__typeof__(api.field))(void *)need(name)

/* "status" of an envelope, or "" when it is not one. */
static const char *status_of(const char *env, char *out, size_t cap)
{
    const char *p;
    size_t n = 0;
    out[0] = '\0';
    if (env == NULL || env[0] != '{' || (p = strstr(env, "\"status\":\"")) == NULL)
        return out;
    p += 10;
    while (p[n] && p[n] != '"' && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static int is_envelope(const char *env)
{
    char st[64];
    return env != NULL && env[0] == '{' && env[strlen(env) - 1] == '}' &&
           status_of(env, st, sizeof st)[0] != '\0';
}

/* Copies the string value of the first "key":"..." after `from`. */
static int str_value(const char *json, const char *key, char *out, size_t cap)
{
    char pat[128];
    const char *p;
    size_t n = 0;
    out[0] = '\0';
    snprintf(pat, sizeof pat, "\"%s\":", key);
    if (json == NULL || (p = strstr(json, pat)) == NULL)
        return 0;
    p += strlen(pat);
    if (*p == '"')
        p++;
    while (p[n] && p[n] != '"' && p[n] != ',' && p[n] != '}' && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

/* ---- POST to the simulator's control API over Winsock ------------------ */

static int sim_post(const char *base_url, const char *path, const char *body, char *reply,
                    int cap)
{
    char host[64] = "127.0.0.1", req[2048];
    int port = 80, got = 0, n;
    const char *p = strstr(base_url, "://");
    struct sockaddr_in sa;
    SOCKET s;
    p = p ? p + 3 : base_url;
    if (sscanf(p, "%63[^:/]:%d", host, &port) < 1)
        return -1;
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = inet_addr(host);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        closesocket(s);
        return -1;
    }
    n = snprintf(req, sizeof req,
                 "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                 "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                 path, host, port, (int)strlen(body), body);
    send(s, req, n, 0);
    while (got < cap - 1 && (n = recv(s, reply + got, cap - 1 - got, 0)) > 0)
        got += n;
    reply[got] = '\0';
    closesocket(s);
    return strncmp(reply, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}

/* ---- [2] every function the header declares ----------------------------- */

static int exports_seen;

static void call_every_export(const char *header_path)
{
    FILE *h = fopen(header_path, "rb");
    char line[1024];
    if (h == NULL) {
        fail("cannot open %s", header_path);
        return;
    }
    while (fgets(line, sizeof line, h)) {
        char name[128], st[64];
        const char *at = strstr(line, "YWX_CALL ywx_");
        const char *paren;
        FARPROC f;
        char *r = NULL;
        size_t n;
        if (at == NULL || line[0] == ' ' || line[0] == '/' || line[0] == '#')
            continue;
        at += strlen("YWX_CALL ");
        paren = strchr(at, '(');
        if (paren == NULL || (n = (size_t)(paren - at)) >= sizeof name)
            continue;
        memcpy(name, at, n);
        name[n] = '\0';
        exports_seen++;
        f = need(name);
        if (f == NULL)
            continue;
        if (strstr(line, "(const char *request_json)") || strstr(line, "(const char *config_json)")) {
            json_fn fn = (json_fn)(void *)f;
            int is_init = strcmp(name, "ywx_init") == 0;
            int is_wait = strstr(name, "_wait") != NULL;
            if (!is_init) {
                /* NULL: an error envelope (or {} for the optional ones), never a crash */
                r = fn(NULL);
                CHECK(is_envelope(r), "%s(NULL) is not an envelope: %s", name, r ? r : "(null)");
                api.free_(r);
                r = fn("{\"timeoutSeconds\":1,");
                CHECK(is_envelope(r), "%s(bad JSON) is not an envelope: %s", name, r ? r : "(null)");
                CHECK(strcmp(status_of(r, st, sizeof st), "YWX-1001") == 0 ||
                          strstr(name, "outbox") != NULL,
                      "%s(bad JSON): status %s, want YWX-1001", name, st);
                api.free_(r);
            }
            r = fn(is_init ? "{\"baseUrl\":\"not a url\"}" : is_wait ? "{\"timeoutSeconds\":1}" : "{}");
            CHECK(is_envelope(r), "%s({}) is not an envelope: %s", name, r ? r : "(null)");
            printf("    %-22s ok  %s -> status %s\n", name, is_init ? "(bad config)" : "{}",
                   status_of(r, st, sizeof st));
            api.free_(r);
            if (is_init) /* configured again: later calls reach ywx-sim, nothing else */
                api.free_(api.init(cfg));
        } else if (strstr(line, "const char *YWX_CALL ywx_version(void)")) {
            const char *v = ((__typeof__(&ywx_version))(void *)f)();
            CHECK(v != NULL && v[0] != '\0', "ywx_version() empty");
            printf("    %-22s ok  \"%s\"\n", name, v);
        } else if (strstr(line, "char *YWX_CALL ywx_shutdown(void)")) {
            r = ((void_fn)(void *)f)();
            CHECK(is_envelope(r), "%s() is not an envelope: %s", name, r ? r : "(null)");
            printf("    %-22s ok  status %s\n", name, status_of(r, st, sizeof st));
            api.free_(r);
            api.free_(api.init(cfg)); /* configured again, as after ywx_init */
        } else if (strstr(line, "void YWX_CALL ywx_free(char *s)")) {
            ((__typeof__(&ywx_free))(void *)f)(NULL);
            printf("    %-22s ok  (NULL)\n", name);
        } else if (strstr(line, "char *YWX_CALL ywx_call(const char *method, const char *request_json)")) {
            __typeof__(&ywx_call) c = (__typeof__(&ywx_call))(void *)f;
            r = c("no_such_method", "{}");
            CHECK(strcmp(status_of(r, st, sizeof st), "YWX-1006") == 0, "ywx_call(unknown): %s", r);
            api.free_(r);
            r = c("digest", "{\"originData\":\"abc\",\"hashAlg\":\"SHA256\"}");
            CHECK(strstr(r, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=") != NULL,
                  "ywx_call(digest abc): %s", r);
            printf("    %-22s ok  digest + unknown method\n", name);
            api.free_(r);
        } else if (strstr(line, "int YWX_CALL ywx_call_buf(const char *method, const char *request_json, char *out, int out_size)")) {
            __typeof__(&ywx_call_buf) c = (__typeof__(&ywx_call_buf))(void *)f;
            char small[8], big[512];
            const char *req = "{\"originData\":\"abc\",\"hashAlg\":\"SHA256\"}";
            int need_n = c("digest", req, small, (int)sizeof small);
            int got = c("digest", req, big, (int)sizeof big);
            CHECK(need_n > 8 && need_n == got && (int)strlen(big) == got && small[0] == '\0',
                  "ywx_call_buf: %d then %d: %s", need_n, got, big);
            CHECK(c("digest", req, NULL, 5) == -1, "ywx_call_buf(NULL, 5) != -1");
            printf("    %-22s ok  small buffer -> %d, then the kept result\n", name, need_n);
        } else {
            fail("%s: signature not covered by wintest.c, add it: %s", name, line);
        }
    }
    fclose(h);
}

/* ---- main ------------------------------------------------------------ */

int main(int argc, char **argv)
{
    const char *dll_path, *header, *base_url, *enc, *want_version;
    int gbk, loops;
    char req[4096], body[2048], ur_id[64], unique_id[128], v[256], st[64];
    char reply[4096];
    char *r;
    WSADATA wsa;

    if (argc < 6) {
        fprintf(stderr, "usage: wintest DLL HEADER BASE_URL utf-8|gbk VERSION [LOOPS]\n");
        return 2;
    }
    dll_path = argv[1];
    header = argv[2];
    base_url = argv[3];
    enc = argv[4];
    want_version = argv[5];
    loops = argc > 6 ? atoi(argv[6]) : 5000;
    gbk = strcmp(enc, "gbk") == 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    WSAStartup(MAKEWORD(2, 2), &wsa);

    printf("wintest: %d-bit, %s, encoding %s\n", (int)(sizeof(void *) * 8), dll_path, enc);

    /* ---- [1] load, version, version resource --------------------------- */
    dll = LoadLibraryA(dll_path);
    if (dll == NULL) {
        printf("FAIL: LoadLibrary(%s): error %lu\n", dll_path, (unsigned long)GetLastError());
        return 1;
    }
    LOAD(version, "ywx_version");
    LOAD(init, "ywx_init");
    LOAD(shutdown, "ywx_shutdown");
    LOAD(free_, "ywx_free");
    LOAD(call, "ywx_call");
    LOAD(call_buf, "ywx_call_buf");
    LOAD(digest, "ywx_digest");
    LOAD(doctor_search, "ywx_doctor_search");
    LOAD(sign_data, "ywx_sign_data");
    LOAD(sign_wait, "ywx_sign_wait");
    LOAD(sign_status, "ywx_sign_status");
    LOAD(sign_result, "ywx_sign_result");
    LOAD(verify_data, "ywx_verify_data");
    LOAD(verify_timestamp, "ywx_verify_timestamp");
    if (failures)
        return 1;
    printf("[1] ywx_version() = %s\n", api.version());
    CHECK(strcmp(api.version(), want_version) == 0, "ywx_version %s, want %s", api.version(),
          want_version);
    {
        DWORD unused = 0, size = GetFileVersionInfoSizeA(dll_path, &unused);
        char *info = size ? (char *)malloc(size) : NULL;
        char *val = NULL;
        UINT len = 0;
        VS_FIXEDFILEINFO *fixed = NULL;
        if (info == NULL || !GetFileVersionInfoA(dll_path, 0, size, info)) {
            fail("the DLL has no version resource");
        } else {
            if (VerQueryValueA(info, "\\StringFileInfo\\080404b0\\ProductVersion", (void **)&val,
                               &len) && val) {
                printf("    version resource: ProductVersion %s", val);
                CHECK(strcmp(val, api.version()) == 0, "ProductVersion %s != ywx_version %s", val,
                      api.version());
            } else {
                fail("no StringFileInfo\\080404b0\\ProductVersion");
            }
            if (VerQueryValueA(info, "\\StringFileInfo\\080404b0\\ProductName", (void **)&val,
                               &len) && val) {
                printf(", ProductName %s", val);
                CHECK(strcmp(val, "ywx") == 0, "ProductName %s", val);
            } else {
                fail("no ProductName");
            }
            {
                static const char *const names[] = {"CompanyName", "FileDescription",
                                                    "FileVersion", "OriginalFilename"};
                size_t k;
                for (k = 0; k < sizeof names / sizeof names[0]; k++) {
                    char path[96];
                    snprintf(path, sizeof path, "\\StringFileInfo\\080404b0\\%s", names[k]);
                    val = NULL;
                    CHECK(VerQueryValueA(info, path, (void **)&val, &len) && val && val[0],
                          "version resource lacks %s", names[k]);
                }
            }
            if (VerQueryValueA(info, "\\", (void **)&fixed, &len) && fixed) {
                char fv[64];
                snprintf(fv, sizeof fv, "%u.%u.%u", (unsigned)HIWORD(fixed->dwFileVersionMS),
                         (unsigned)LOWORD(fixed->dwFileVersionMS),
                         (unsigned)HIWORD(fixed->dwFileVersionLS));
                printf(", FILEVERSION %s.%u\n", fv, (unsigned)LOWORD(fixed->dwFileVersionLS));
                CHECK(strncmp(fv, api.version(), strlen(fv)) == 0, "FILEVERSION %s vs %s", fv,
                      api.version());
            } else {
                fail("no VS_FIXEDFILEINFO");
            }
        }
        free(info);
    }

    /* the sample ywx.json shipped beside the DLL in dist/ is a valid config */
    r = api.init(NULL);
    printf("    ywx_init(NULL) with the sample ywx.json beside the DLL: status %s\n",
           status_of(r, st, sizeof st));
    CHECK(strcmp(st, "0") == 0, "ywx_init(NULL) with dist's ywx.json: %s", r);
    api.free_(r);

    /* ---- [2] every declared function, with NULL, bad JSON and {} ---------- */
    printf("[2] every function in %s\n", header);
    /* configured first, so that the {} calls reach the simulator */
    snprintf(cfg, sizeof cfg,
             "{\"baseUrl\":\"%s\",\"clientId\":\"" CLIENT_ID "\",\"clientSecret\":\"" CLIENT_SECRET
             "\",\"encoding\":\"%s\",\"log\":{\"dir\":\"work\\\\logs\"},"
             "\"outbox\":{\"path\":\"work\\\\ywx-outbox.db\",\"background\":false},"
             "\"retry\":{\"attempts\":1,\"backoffMs\":10}}",
             base_url, enc);
    CreateDirectoryA("work", NULL);
    r = api.init(cfg);
    CHECK(strcmp(status_of(r, st, sizeof st), "0") == 0, "ywx_init: %s", r);
    api.free_(r);
    call_every_export(header);
    CHECK(exports_seen >= 27, "only %d functions found in %s", exports_seen, header);
    printf("    %d functions called\n", exports_seen);

#ifdef YWX_LINKED
    /* ---- [2b] the same through the import library ------------------------ */
    {
#include "ywx_linked.inc"
        printf("[2b] through the import library (libywx.dll.a): %d functions linked\n",
               linked_count);
    }
#endif

    /* ---- [3] init in the chosen encoding ------------------------------ */
    r = api.init(cfg);
    printf("[3] ywx_init (%s): status %s\n", enc, status_of(r, st, sizeof st));
    CHECK(strcmp(st, "0") == 0, "ywx_init: %s", r);
    if (gbk) {
        CHECK(strstr(r, GBK_CONFIG_OK) != NULL, "init answer lacks GBK 配置已生效: %s", r);
        CHECK(strstr(r, UTF8_CONFIG_OK) == NULL, "init answer has UTF-8 text in gbk mode");
    } else {
        CHECK(strstr(r, UTF8_CONFIG_OK) != NULL, "init answer lacks UTF-8 配置已生效: %s", r);
    }
    api.free_(r);

    /* Chinese error message, in the configured encoding */
    r = api.sign_data("{\"signType\":\"0\",\"msg\":{\"head\":{\"templateId\":\"hash\"},"
                      "\"body\":{\"urId\":\"x-1\"}}}");
    CHECK(strcmp(status_of(r, st, sizeof st), "YWX-1002") == 0, "bad urId: %s", r);
    CHECK(strstr(r, gbk ? GBK_LETTERS : UTF8_LETTERS) != NULL,
          "the message lacks 字母或数字 in %s: %s", enc, r);
    api.free_(r);
    if (gbk) {
        /* bytes that are not GBK: YWX-1003 */
        r = api.digest("{\"originData\":\"\x81\x20\"}");
        CHECK(strcmp(status_of(r, st, sizeof st), "YWX-1003") == 0, "invalid GBK: %s", r);
        api.free_(r);
    }

    /* ---- [4] the flow over HTTP against ywx-sim -------------------------- */
    r = api.doctor_search("{\"body\":{\"openId\":\"" DOCTOR "\"}}");
    str_value(r, "process", v, sizeof v);
    printf("[4] doctor_search: status %s process %s\n", status_of(r, st, sizeof st), v);
    CHECK(strcmp(st, "0") == 0 && strcmp(v, "2") == 0, "doctor_search: %s", r);
    api.free_(r);

    {
        /* unique across runs: the time in 100 ns units */
        FILETIME ft;
        GetSystemTimeAsFileTime(&ft);
        snprintf(ur_id, sizeof ur_id, "w%08lx%08lx%lu", (unsigned long)ft.dwHighDateTime,
                 (unsigned long)ft.dwLowDateTime, (unsigned long)GetCurrentProcessId());
    }
    snprintf(body, sizeof body,
             "\"urId\":\"%s\",\"openId\":\"" DOCTOR "\",\"patientName\":\"%s\","
             "\"patientAge\":\"11\",\"patientSex\":\"%s\",\"patientCard\":\"535689193101071814\","
             "\"patientCardType\":\"SF\",\"recipeTime\":\"2024-05-01 08:30:00\","
             "\"originData\":\"%s\",\"subject\":\"%s\"",
             ur_id, gbk ? GBK_ZHANGSAN : UTF8_ZHANGSAN, gbk ? GBK_MALE : UTF8_MALE,
             gbk ? GBK_ORIGIN : UTF8_ORIGIN, gbk ? GBK_SUBJECT : UTF8_SUBJECT);
    snprintf(req, sizeof req,
             "{\"signType\":0,\"msg\":{\"head\":{\"templateId\":\"hash_001\"},\"body\":{%s}}}", body);
    r = api.sign_data(req);
    str_value(r, "uniqueId", unique_id, sizeof unique_id);
    printf("    sign_data urId=%s: status %s uniqueId %s\n", ur_id, status_of(r, st, sizeof st),
           unique_id);
    CHECK(strcmp(st, "0") == 0 && unique_id[0], "sign_data: %s", r);
    api.free_(r);

    snprintf(req, sizeof req, "{\"uniqueId\":\"%s\",\"action\":\"sign\"}", unique_id);
    CHECK(sim_post(base_url, "/sim/sign", req, reply, sizeof reply) == 0,
          "POST /sim/sign failed: %s", reply);
    printf("    the doctor signs: POST /sim/sign\n");

    snprintf(req, sizeof req, "{\"uniqueId\":\"%s\",\"timeoutSeconds\":30,\"intervalMs\":100}",
             unique_id);
    r = api.sign_wait(req);
    str_value(r, "status", v, sizeof v); /* the envelope's */
    {
        const char *d = r ? strstr(r, "\"data\"") : NULL;
        str_value(d, "status", v, sizeof v);
    }
    printf("    sign_wait: status %s, order status %s\n", status_of(r, st, sizeof st), v);
    CHECK(strcmp(st, "0") == 0 && strcmp(v, "2") == 0, "sign_wait: %s", r);
    api.free_(r);

    snprintf(req, sizeof req, "{\"body\":{\"uniqueId\":\"%s\",\"isP1\":false}}", unique_id);
    r = api.sign_result(req);
    str_value(r, "signedData", v, sizeof v);
    printf("    sign_result: status %s signedData %.16s...\n", status_of(r, st, sizeof st), v);
    CHECK(strcmp(st, "0") == 0 && strncmp(v, "MII", 3) == 0, "sign_result: %s", r);
    api.free_(r);

    snprintf(req, sizeof req, "{\"head\":{\"templateId\":\"hash_001\",\"uniqueId\":\"%s\"},\"body\":{%s}}",
             unique_id, body);
    r = api.verify_data(req);
    str_value(r, "verifyResult", v, sizeof v);
    printf("    verify_data: status %s verifyResult %s\n", status_of(r, st, sizeof st), v);
    CHECK(strcmp(st, "0") == 0 && strcmp(v, "true") == 0, "verify_data: %s", r);
    api.free_(r);

    snprintf(req, sizeof req, "{\"body\":{\"uniqueId\":\"%s\"}}", unique_id);
    r = api.verify_timestamp(req);
    str_value(r, "verifyResult", v, sizeof v);
    printf("    verify_timestamp: status %s verifyResult %s\n", status_of(r, st, sizeof st), v);
    CHECK(strcmp(st, "0") == 0 && strcmp(v, "true") == 0, "verify_timestamp: %s", r);
    api.free_(r);

    if (gbk) {
        /* The GBK bytes pushed were read as the right characters: the same
         * fields sent as UTF-8 (after switching the encoding) verify true,
         * and a different name verifies false. */
        snprintf(cfg, sizeof cfg,
                 "{\"baseUrl\":\"%s\",\"clientId\":\"" CLIENT_ID "\",\"clientSecret\":\"" CLIENT_SECRET
                 "\",\"encoding\":\"utf-8\",\"log\":{\"dir\":null},\"outbox\":{\"enabled\":false}}",
                 base_url);
        api.free_(api.init(cfg));
        snprintf(body, sizeof body,
                 "\"urId\":\"%s\",\"openId\":\"" DOCTOR "\",\"patientName\":\"%s\","
                 "\"patientAge\":\"11\",\"patientSex\":\"%s\",\"patientCard\":\"535689193101071814\","
                 "\"patientCardType\":\"SF\",\"recipeTime\":\"2024-05-01 08:30:00\","
                 "\"originData\":\"%s\",\"subject\":\"%s\"",
                 ur_id, UTF8_ZHANGSAN, UTF8_MALE, UTF8_ORIGIN, UTF8_SUBJECT);
        snprintf(req, sizeof req,
                 "{\"head\":{\"templateId\":\"hash_001\",\"uniqueId\":\"%s\"},\"body\":{%s}}",
                 unique_id, body);
        r = api.verify_data(req);
        str_value(r, "verifyResult", v, sizeof v);
        printf("    GBK pushed, verified as UTF-8: verifyResult %s\n", v);
        CHECK(strcmp(v, "true") == 0, "GBK push not read as 张三/门诊病历: %s", r);
        api.free_(r);
        /* tamper: 张三 -> 张四 */
        {
            char *at = strstr(req, "\xE4\xB8\x89"); /* 三 */
            if (at)
                memcpy(at, "\xE5\x9B\x9B", 3); /* 四 */
        }
        r = api.verify_data(req);
        str_value(r, "verifyResult", v, sizeof v);
        CHECK(strcmp(v, "false") == 0, "tampered name verified: %s", r);
        api.free_(r);
        api.free_(api.init(cfg)); /* stays utf-8 for the loop */
    }

    /* ---- [5] ywx_call_buf keeps the result -------------------------------- */
    {
        char small[16], *big;
        int n1, n2;
        snprintf(req, sizeof req, "{\"body\":{\"uniqueId\":\"%s\",\"isP1\":true}}", unique_id);
        n1 = api.call_buf("sign_result", req, small, (int)sizeof small);
        big = (char *)malloc((size_t)n1 + 1);
        n2 = api.call_buf("last_result", NULL, big, n1 + 1);
        printf("[5] ywx_call_buf: 16 bytes -> %d, then the kept result: %d bytes\n", n1, n2);
        CHECK(n1 > 16 && n1 == n2 && strstr(big, "\"p1\"") != NULL, "call_buf: %d %d %s", n1, n2,
              big);
        free(big);
    }

    /* ---- [6] stack balance over many calls --------------------------------- */
    {
        volatile unsigned canary = 0x5157u;
        void *sp_before, *sp_after;
        int i, bad = 0;
        char buf[256];
        READ_SP(sp_before);
        for (i = 0; i < loops; i++) {
            const char *ver = api.version();
            char *d = api.digest("{\"originData\":\"abc\",\"hashAlg\":\"SM3\"}");
            int n = api.call_buf("digest", "{\"originData\":\"abc\",\"hashAlg\":\"SHA1\"}", buf,
                                 (int)sizeof buf);
            char *c = api.call("digest", "{\"originData\":\"abc\"}");
            if (ver[0] == '\0' || strstr(d, "\"hashValue\"") == NULL || n <= 0 ||
                strstr(c, "\"hashValue\"") == NULL)
                bad++;
            api.free_(d);
            api.free_(c);
            api.free_(NULL);
        }
        READ_SP(sp_after);
        printf("[6] stack balance: %d x 6 calls, stack pointer %p -> %p, canary %s\n", loops,
               sp_before, sp_after, canary == 0x5157u ? "intact" : "BROKEN");
        CHECK(sp_before == sp_after, "stack pointer moved: %p -> %p", sp_before, sp_after);
        CHECK(canary == 0x5157u, "canary overwritten");
        CHECK(bad == 0, "%d loop iterations gave wrong answers", bad);
    }
#ifdef YWX_LINKED
    /* the same loop calling the header's declarations directly (import library) */
    {
        void *sp_before, *sp_after;
        int i, bad = 0;
        char buf[256];
        READ_SP(sp_before);
        for (i = 0; i < loops; i++) {
            const char *ver = ywx_version();
            char *d = ywx_digest("{\"originData\":\"abc\",\"hashAlg\":\"SM3\"}");
            int n = ywx_call_buf("digest", "{\"originData\":\"abc\"}", buf, (int)sizeof buf);
            char *c = ywx_call("digest", "{\"originData\":\"abc\"}");
            if (ver[0] == '\0' || strstr(d, "\"hashValue\"") == NULL || n <= 0 ||
                strstr(c, "\"hashValue\"") == NULL)
                bad++;
            ywx_free(d);
            ywx_free(c);
        }
        READ_SP(sp_after);
        printf("[6b] stack balance, direct calls through the import library: %d x 6 calls, "
               "stack pointer %p -> %p\n",
               loops, sp_before, sp_after);
        CHECK(sp_before == sp_after, "stack pointer moved: %p -> %p", sp_before, sp_after);
        CHECK(bad == 0, "%d direct-call iterations gave wrong answers", bad);
    }
#endif

    /* ---- [7] shutdown, unload ------------------------------------------- */
    r = api.shutdown();
    printf("[7] ywx_shutdown: status %s\n", status_of(r, st, sizeof st));
    CHECK(strcmp(st, "0") == 0, "shutdown: %s", r);
    api.free_(r);
#ifndef YWX_LINKED
    CHECK(FreeLibrary(dll), "FreeLibrary failed");
#endif

    if (failures) {
        printf("WINTEST FAILED: %d check(s)\n", failures);
        return 1;
    }
    printf("WINTEST PASSED\n");
    return 0;
}
