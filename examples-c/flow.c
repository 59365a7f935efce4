/*
 * flow.c — 一个最小的 HIS 程序：用 ywx 走完医网信（51trust）移动签名的完整流程。
 * A minimal HIS program (C99) walking the whole 51trust signing flow through
 * ywx: init, doctor search, push a hash order, wait for the doctor's
 * signature, fetch P7 and P1, verify (and tamper), verify the timestamp,
 * the caller-buffer API, shutdown.
 *
 * 用法 / usage:  flow BASE_URL [WORK_DIR|-] [CA_FILE]
 *   BASE_URL  网关地址，例如 http://127.0.0.1:8080（ywx-sim 或院内网关）
 *   WORK_DIR  日志和离线发件箱所在目录；"-" 或省略：不写日志、不用发件箱
 *   CA_FILE   HTTPS 网关的 CA 证书（PEM），例如 ywx-sim --tls DIR 写出的 ca.pem
 *
 * Build (Linux):
 *   cc -std=c99 -Wall -Wextra -Iinclude examples-c/flow.c -Ltarget/debug -lywx \
 *      -Wl,-rpath,$PWD/target/debug -o flow
 * `cargo run --example demo` does this for you against a simulator whose
 * doctors sign by themselves (ywx-sim --auto-sign 500).
 *
 * The source is UTF-8 (MSVC: compile with /utf-8). Exit status 0 only when
 * every step's expectation held; otherwise the failed step is printed.
 *
 * Every string ywx returns is freed with ywx_free, exactly once.
 */
#define _POSIX_C_SOURCE 200112L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <process.h>
#define flow_getpid() ((long)_getpid())
#else
#include <unistd.h>
#define flow_getpid() ((long)getpid())
#endif

#include "ywx.h"

#define CLIENT_ID "2017070411003376"
#define CLIENT_SECRET "2017070411003360"
#define DOCTOR "aa69bbd2b150006aq5164wfe4dybd786d1a"

/* ------------------------------------------------------------------------
 * A deliberately tiny JSON reader. Not a parser: it finds "key" (followed by
 * ':') by strstr, each segment of a dotted path searched after the previous
 * one ("data.status" = the first "status" key after the first "data" key).
 * Good enough for the small envelopes {"status","message","data"} that ywx
 * returns; a real program would use its JSON library.
 * ------------------------------------------------------------------------ */

/* Where the value of key `key` starts, searching from `from`; NULL if absent. */
static const char *find_key(const char *from, const char *key, size_t key_len)
{
    const char *p = from;
    while ((p = strstr(p, "\"")) != NULL) {
        const char *k = p + 1;
        if (strncmp(k, key, key_len) == 0 && k[key_len] == '"') {
            const char *q = k + key_len + 1;
            while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                q++;
            if (*q == ':') {
                q++;
                while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                    q++;
                return q;
            }
        }
        /* skip this whole string token so that we never match inside values */
        p = k;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            p++;
        }
        if (*p == '"')
            p++;
    }
    return NULL;
}

/*
 * Copies the value at dotted `path` into out (at most cap-1 bytes, always
 * NUL-terminated): a string's contents (simple escapes undone, \uXXXX kept
 * as is), or the raw token of a number/true/false/null, or "{" / "[" for
 * objects and arrays. Returns the value's full length, or -1 if absent.
 */
static long jget(const char *json, const char *path, char *out, size_t cap)
{
    const char *pos = json;
    const char *seg = path;
    long len = 0;
    if (cap > 0)
        out[0] = '\0';
    if (json == NULL)
        return -1;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t seg_len = dot ? (size_t)(dot - seg) : strlen(seg);
        pos = find_key(pos, seg, seg_len);
        if (pos == NULL)
            return -1;
        if (!dot)
            break;
        seg = dot + 1;
    }
    if (*pos == '"') {
        const char *s = pos + 1;
        while (*s && *s != '"') {
            char c = *s;
            if (c == '\\' && s[1]) {
                s++;
                switch (*s) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                case 'u': c = '\\'; s--; break; /* keep \uXXXX literally */
                default: c = *s; break;
                }
            }
            if ((size_t)len + 1 < cap)
                out[len] = c;
            len++;
            s++;
        }
    } else if (*pos == '{' || *pos == '[') {
        if (cap > 1)
            out[0] = *pos;
        len = 1;
    } else {
        while (pos[len] && strchr(",}] \t\r\n", pos[len]) == NULL) {
            if ((size_t)len + 1 < cap)
                out[len] = pos[len];
            len++;
        }
    }
    if (cap > 0)
        out[(size_t)len < cap ? (size_t)len : cap - 1] = '\0';
    return len;
}

/* Writes s as a JSON string literal ("null" for NULL) into dst. */
static void json_str(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    if (s == NULL) {
        snprintf(dst, cap, "null");
        return;
    }
    if (cap < 3) {
        dst[0] = '\0';
        return;
    }
    dst[n++] = '"';
    for (; *s && n + 3 < cap; s++) {
        if (*s == '"' || *s == '\\')
            dst[n++] = '\\';
        dst[n++] = *s;
    }
    dst[n++] = '"';
    dst[n] = '\0';
}

/* ------------------------------------------------------------------------ */

static int failed_step = 0;
static char failed_why[512];

/* Records the first failed step and why (longer reasons are cut). */
static void fail(int step, const char *fmt, ...)
{
    va_list ap;
    failed_step = step;
    va_start(ap, fmt);
    vsnprintf(failed_why, sizeof failed_why, fmt, ap);
    va_end(ap);
}

#define FAIL(step, ...)                                                  \
    do {                                                                 \
        fail((step), __VA_ARGS__);                                       \
        goto done;                                                       \
    } while (0)

#define EXPECT(step, cond, ...)                                          \
    do {                                                                 \
        if (!(cond))                                                     \
            FAIL(step, __VA_ARGS__);                                     \
    } while (0)

/* Prints "    ← status=0 message=success" for an envelope. */
static void show(const char *env)
{
    char status[64], message[256];
    jget(env, "status", status, sizeof status);
    jget(env, "message", message, sizeof message);
    printf("    <- status=%s message=%s\n", status, message);
}

/* Prints a long base64 value as its head and length. */
static void show_b64(const char *name, const char *env, const char *path)
{
    char head[40];
    long n = jget(env, path, head, sizeof head);
    if (n < 0)
        printf("    %s: (缺失 / missing)\n", name);
    else
        printf("    %s: %s... (%ld 字节 / bytes)\n", name, head, n);
}

static int is_ok(const char *env)
{
    char status[64];
    return jget(env, "status", status, sizeof status) >= 0 && strcmp(status, "0") == 0;
}

int main(int argc, char **argv)
{
    const char *base_url = argc > 1 ? argv[1] : NULL;
    const char *work_dir = (argc > 2 && strcmp(argv[2], "-") != 0) ? argv[2] : NULL;
    const char *ca_file = argc > 3 ? argv[3] : NULL;
    char config[4096], url_js[600], log_js[600], outbox_js[600], ca_js[600], tmp[1200];
    char req[4096], patient[1024], unique_id[128], ur_id[80], recipe_time[32];
    char v[512];
    char small[16];
    char *res = NULL;
    char *big = NULL;
    int n, n2;
    time_t now = time(NULL);

    if (base_url == NULL || strstr(base_url, "://") == NULL) {
        fprintf(stderr, "用法 / usage: %s BASE_URL [WORK_DIR|-] [CA_FILE]\n"
                        "  例如 / e.g.: %s http://127.0.0.1:8080 /tmp/ywx-work\n",
                argv[0], argv[0]);
        return 2;
    }

    printf("ywx %s — 医网信移动签名流程示例 (C99) / 51trust signing flow\n", ywx_version());
    printf("网关 / gateway: %s\n\n", base_url);

    /* ---- [1] ywx_init ------------------------------------------------- */
    json_str(url_js, sizeof url_js, base_url);
    json_str(ca_js, sizeof ca_js, ca_file);
    if (work_dir) {
        snprintf(tmp, sizeof tmp, "%s/logs", work_dir);
        json_str(log_js, sizeof log_js, tmp);
        snprintf(tmp, sizeof tmp, "%s/ywx-outbox.db", work_dir);
        json_str(outbox_js, sizeof outbox_js, tmp);
        snprintf(tmp, sizeof tmp, "{\"path\":%s}", outbox_js);
    } else {
        snprintf(log_js, sizeof log_js, "null");
        snprintf(tmp, sizeof tmp, "{\"enabled\":false}");
    }
    snprintf(config, sizeof config,
             "{\"baseUrl\":%s,\"clientId\":\"" CLIENT_ID "\",\"clientSecret\":\"" CLIENT_SECRET "\","
             "\"sysTag\":\"HIS\",\"log\":{\"dir\":%s,\"level\":\"info\"},\"outbox\":%s,"
             "\"tls\":{\"caFile\":%s}}",
             url_js, log_js, tmp, ca_js);
    printf("[1] 初始化 / ywx_init\n    -> %s\n", config);
    res = ywx_init(config);
    show(res);
    EXPECT(1, is_ok(res), "ywx_init 失败：%s", res);
    jget(res, "data.clientSecret", v, sizeof v);
    printf("    生效配置 / effective config: clientSecret=%s (已打码 / masked)\n", v);
    ywx_free(res);
    res = NULL;

    /* ---- [2] 查询医师状态 2.3.2 ---------------------------------------- */
    snprintf(req, sizeof req, "{\"body\":{\"openId\":\"" DOCTOR "\"}}");
    printf("\n[2] 查询医师状态 / ywx_doctor_search (2.3.2)\n    -> %s\n", req);
    res = ywx_doctor_search(req);
    show(res);
    EXPECT(2, is_ok(res), "查询医师失败：%s", res);
    jget(res, "data.userName", v, sizeof v);
    printf("    医师 / doctor: %s", v);
    jget(res, "data.stampStatus", v, sizeof v);
    printf("  stampStatus=%s", v);
    jget(res, "data.process", v, sizeof v);
    printf("  process=%s %s\n", v,
           atoi(v) == YWX_DOCTOR_PROCESS_STAMP_SET ? "可签名 / can sign" : "不可签名 / cannot sign");
    EXPECT(2, atoi(v) == YWX_DOCTOR_PROCESS_STAMP_SET, "医师 process=%s，不是 2（设置签章）", v);
    ywx_free(res);
    res = NULL;

    /* ---- [3] 数据签名 4.3.5 -------------------------------------------- */
    snprintf(ur_id, sizeof ur_id, "c%ld%ld", (long)now, flow_getpid());
    strftime(recipe_time, sizeof recipe_time, "%Y-%m-%d %H:%M:%S", localtime(&now));
    /* the fields pushed, reused as-is for verification in step 6 */
    snprintf(patient, sizeof patient,
             "\"urId\":\"%s\",\"openId\":\"" DOCTOR "\",\"patientName\":\"%s\","
             "\"patientAge\":\"11\",\"patientSex\":\"男\",\"patientCard\":\"535689193101071814\","
             "\"patientCardType\":\"SF\",\"recipeTime\":\"%s\","
             "\"originData\":\"主诉：发热三天。诊断：上呼吸道感染。处理：对症治疗。\","
             "\"subject\":\"门诊病历\"",
             ur_id, "天猫", recipe_time);
    snprintf(req, sizeof req,
             "{\"signType\":%d,\"msg\":{\"head\":{\"templateId\":\"hash_001\"},\"body\":{%s}}}",
             YWX_SIGN_TYPE_PUSH, patient);
    printf("\n[3] 推送待签数据 / ywx_sign_data (4.3.5) urId=%s\n    -> %s\n", ur_id, req);
    printf("    (originData 由 ywx 在本地做 SM3 摘要，原文不出医院 / hashed locally with SM3)\n");
    res = ywx_sign_data(req);
    show(res);
    EXPECT(3, is_ok(res), "推送失败：%s", res);
    EXPECT(3, jget(res, "data.uniqueId", unique_id, sizeof unique_id) > 0,
           "应答没有 data.uniqueId：%s", res);
    printf("    uniqueId=%s\n", unique_id);
    show_b64("timeStampSignData", res, "data.timeStampSignData");
    ywx_free(res);
    res = NULL;

    /* ---- [4] 等待医师签名 4.3.7 ---------------------------------------- */
    snprintf(req, sizeof req, "{\"uniqueId\":\"%s\",\"timeoutSeconds\":30,\"intervalMs\":200}",
             unique_id);
    printf("\n[4] 等待医师在手机上签名 / ywx_sign_wait (4.3.7)\n    -> %s\n", req);
    res = ywx_sign_wait(req);
    show(res);
    EXPECT(4, is_ok(res), "等待签名失败：%s", res);
    jget(res, "data.status", v, sizeof v);
    printf("    status=%s %s\n", v, atoi(v) == YWX_SIGN_STATUS_SIGNED ? "已签名 / signed" : "");
    EXPECT(4, atoi(v) == YWX_SIGN_STATUS_SIGNED, "订单状态是 %s，不是 2（已签名）", v);
    ywx_free(res);
    res = NULL;

    /* ---- [5] 获取签名结果 5.1.2 ---------------------------------------- */
    snprintf(req, sizeof req, "{\"body\":{\"uniqueId\":\"%s\",\"isP1\":false}}", unique_id);
    printf("\n[5] 获取签名结果 P7 / ywx_sign_result (5.1.2)\n    -> %s\n", req);
    res = ywx_sign_result(req);
    show(res);
    EXPECT(5, is_ok(res), "获取 P7 失败：%s", res);
    show_b64("signedData (P7)", res, "data.signedData");
    EXPECT(5, jget(res, "data.signedData", v, sizeof v) > 0, "没有 signedData：%s", res);
    ywx_free(res);
    res = NULL;

    snprintf(req, sizeof req, "{\"body\":{\"uniqueId\":\"%s\",\"isP1\":true}}", unique_id);
    printf("    -> %s\n", req);
    res = ywx_sign_result(req);
    show(res);
    EXPECT(5, is_ok(res), "获取 P1 失败：%s", res);
    show_b64("p1", res, "data.p1");
    show_b64("cert", res, "data.cert");
    EXPECT(5, jget(res, "data.p1", v, sizeof v) > 0, "没有 p1：%s", res);
    EXPECT(5, jget(res, "data.cert", v, sizeof v) > 0, "没有 cert：%s", res);
    ywx_free(res);
    res = NULL;

    /* ---- [6] 验证签名结果 6.1.1 ---------------------------------------- */
    snprintf(req, sizeof req,
             "{\"head\":{\"templateId\":\"hash_001\",\"uniqueId\":\"%s\"},\"body\":{%s}}", unique_id,
             patient);
    printf("\n[6] 验证签名 / ywx_verify_data (6.1.1)\n    -> %s\n", req);
    res = ywx_verify_data(req);
    show(res);
    EXPECT(6, is_ok(res), "验签调用失败：%s", res);
    jget(res, "data.verifyResult", v, sizeof v);
    printf("    原样数据 / unchanged data: verifyResult=%s\n", v);
    EXPECT(6, strcmp(v, "true") == 0, "原样数据验签应为 true，实际 %s", v);
    ywx_free(res);
    res = NULL;

    {
        /* the same fields with another patientName: must not verify */
        char tampered[1024];
        char *at = strstr(patient, "天猫");
        size_t head_len = (size_t)(at - patient);
        snprintf(tampered, sizeof tampered, "%.*s%s%s", (int)head_len, patient, "天狗",
                 at + strlen("天猫"));
        snprintf(req, sizeof req,
                 "{\"head\":{\"templateId\":\"hash_001\",\"uniqueId\":\"%s\"},\"body\":{%s}}",
                 unique_id, tampered);
    }
    printf("    -> (patientName 改为 天狗 / patientName changed)\n");
    res = ywx_verify_data(req);
    show(res);
    EXPECT(6, is_ok(res), "验签调用失败：%s", res);
    jget(res, "data.verifyResult", v, sizeof v);
    printf("    篡改数据 / tampered data: verifyResult=%s\n", v);
    EXPECT(6, strcmp(v, "false") == 0, "篡改后验签应为 false，实际 %s", v);
    ywx_free(res);
    res = NULL;

    /* ---- [7] 验证时间戳 6.1.2 ------------------------------------------ */
    snprintf(req, sizeof req, "{\"body\":{\"uniqueId\":\"%s\"}}", unique_id);
    printf("\n[7] 验证时间戳 / ywx_verify_timestamp (6.1.2)\n    -> %s\n", req);
    res = ywx_verify_timestamp(req);
    show(res);
    EXPECT(7, is_ok(res), "时间戳验证调用失败：%s", res);
    jget(res, "data.verifyResult", v, sizeof v);
    printf("    时间戳 / timestamp: verifyResult=%s\n", v);
    EXPECT(7, strcmp(v, "true") == 0, "时间戳验证应为 true，实际 %s", v);
    ywx_free(res);
    res = NULL;

    /* ---- [8] 调用方缓冲区 ywx_call_buf（PowerBuilder / VB6 的用法）------ */
    snprintf(req, sizeof req, "{\"openId\":\"" DOCTOR "\"}");
    printf("\n[8] 调用方缓冲区 / ywx_call_buf(\"doctor_pending\") (5.1.3)\n    -> %s\n", req);
    n = ywx_call_buf("doctor_pending", req, small, (int)sizeof small);
    printf("    缓冲区 %d 字节 -> 返回 %d：结果需要 %d+1 字节，out=\"%s\"\n"
           "    (buffer of %d bytes -> returns %d: the result needs %d+1 bytes; out is empty)\n",
           (int)sizeof small, n, n, small, (int)sizeof small, n, n);
    EXPECT(8, n >= (int)sizeof small, "小缓冲区应返回所需长度（>= %d），实际 %d", (int)sizeof small, n);
    EXPECT(8, small[0] == '\0', "缓冲区不足时 out 应为空串");
    big = (char *)malloc((size_t)n + 1);
    EXPECT(8, big != NULL, "内存不足");
    n2 = ywx_call_buf("doctor_pending", req, big, n + 1);
    printf("    缓冲区 %d 字节 -> 返回 %d：取回保存的结果，不重新请求网关\n"
           "    (buffer of %d bytes -> returns %d: the kept result, the request is not run again)\n"
           "    <- %s\n",
           n + 1, n2, n + 1, n2, big);
    EXPECT(8, n2 == n, "第二次应返回同样的长度 %d，实际 %d", n, n2);
    EXPECT(8, (int)strlen(big) == n, "结果长度 %d 与返回值 %d 不符", (int)strlen(big), n);
    EXPECT(8, is_ok(big), "doctor_pending 失败：%s", big);
    free(big);
    big = NULL;

    /* ---- [9] ywx_shutdown --------------------------------------------- */
    printf("\n[9] 关闭 / ywx_shutdown\n");
    res = ywx_shutdown();
    show(res);
    EXPECT(9, is_ok(res), "ywx_shutdown 失败：%s", res);
    ywx_free(res);
    res = NULL;

done:
    if (res)
        ywx_free(res);
    free(big);
    if (failed_step) {
        /* still let the library stop its background work before exiting */
        res = ywx_shutdown();
        ywx_free(res);
        printf("\n[FAIL] 第 %d 步失败 / step %d failed: %s\n", failed_step, failed_step, failed_why);
        return 1;
    }
    printf("\n全部步骤通过 / ALL STEPS PASSED\n");
    return 0;
}
