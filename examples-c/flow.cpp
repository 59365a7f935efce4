// flow.cpp — the same HIS flow as flow.c, in C++11: every string ywx
// returns is owned by a std::unique_ptr whose deleter is ywx_free, and
// copied into std::string at once.
//
// 用法 / usage:  flow_cpp BASE_URL [WORK_DIR|-] [CA_FILE]
//
// Build (Linux):
//   c++ -std=c++11 -Wall -Wextra -Iinclude examples-c/flow.cpp -Ltarget/debug -lywx
//       -Wl,-rpath,$PWD/target/debug -o flow_cpp
//
// Exit status 0 only when every step's expectation held.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
#ifdef _WIN32
#include <process.h>
static long flow_getpid() { return static_cast<long>(_getpid()); }
#else
#include <unistd.h>
static long flow_getpid() { return static_cast<long>(getpid()); }
#endif

#include "ywx.h"

namespace {

const char *const kClientId = "2017070411003376";
const char *const kClientSecret = "2017070411003360";
const std::string kDoctor = "aa69bbd2b150006aq5164wfe4dybd786d1a";

// RAII owner of a string returned by ywx.
struct YwxFree {
    void operator()(char *p) const { ywx_free(p); }
};
typedef std::unique_ptr<char, YwxFree> YwxString;

// Takes ownership of a ywx result and copies it into a std::string; the
// ywx allocation is released when `owned` goes out of scope.
std::string take(char *raw) {
    YwxString owned(raw);
    return owned ? std::string(owned.get()) : std::string();
}

// A deliberately tiny JSON reader (see flow.c): the value of the first
// "key": after the previous segment of a dotted path. Not a parser; good
// enough for ywx's small envelopes.
bool find_key(const std::string &json, std::string::size_type &pos, const std::string &key) {
    const std::string quoted = "\"" + key + "\"";
    for (;;) {
        pos = json.find(quoted, pos);
        if (pos == std::string::npos) return false;
        std::string::size_type q = json.find_first_not_of(" \t\r\n", pos + quoted.size());
        if (q != std::string::npos && json[q] == ':') {
            pos = json.find_first_not_of(" \t\r\n", q + 1);
            return pos != std::string::npos;
        }
        pos += quoted.size();
    }
}

// String contents (simple escapes undone), raw token, or "{" / "[";
// `found` tells whether the key exists.
std::string jget(const std::string &json, const std::string &path, bool *found = 0) {
    std::string::size_type pos = 0, start = 0;
    if (found) *found = false;
    for (;;) {
        std::string::size_type dot = path.find('.', start);
        std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!find_key(json, pos, seg)) return std::string();
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (found) *found = true;
    std::string out;
    if (json[pos] == '"') {
        for (std::string::size_type i = pos + 1; i < json.size() && json[i] != '"'; ++i) {
            char c = json[i];
            if (c == '\\' && i + 1 < json.size()) {
                char e = json[++i];
                switch (e) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                case 'u': out += '\\'; c = 'u'; break;  // keep \uXXXX literally
                default: c = e; break;
                }
            }
            out += c;
        }
    } else if (json[pos] == '{' || json[pos] == '[') {
        out = json.substr(pos, 1);
    } else {
        std::string::size_type end = json.find_first_of(",}] \t\r\n", pos);
        out = json.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    }
    return out;
}

std::string json_str(const char *s) {
    if (!s) return "null";
    std::string out = "\"";
    for (; *s; ++s) {
        if (*s == '"' || *s == '\\') out += '\\';
        out += *s;
    }
    return out + "\"";
}

bool is_ok(const std::string &env) {
    bool found = false;
    return jget(env, "status", &found) == "0" && found;
}

void show(const std::string &env) {
    std::printf("    <- status=%s message=%s\n", jget(env, "status").c_str(),
                jget(env, "message").c_str());
}

void show_b64(const char *name, const std::string &env, const std::string &path) {
    bool found = false;
    std::string v = jget(env, path, &found);
    if (!found)
        std::printf("    %s: (缺失 / missing)\n", name);
    else
        std::printf("    %s: %s... (%lu 字节 / bytes)\n", name, v.substr(0, 32).c_str(),
                    static_cast<unsigned long>(v.size()));
}

struct StepFailed : std::runtime_error {
    int step;
    StepFailed(int s, const std::string &why) : std::runtime_error(why), step(s) {}
};

void expect(int step, bool cond, const std::string &why) {
    if (!cond) throw StepFailed(step, why);
}

std::string replace_once(std::string s, const std::string &from, const std::string &to) {
    std::string::size_type at = s.find(from);
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

void run(const char *base_url, const char *work_dir, const char *ca_file) {
    // ---- [1] ywx_init
    std::string outbox = "{\"enabled\":false}", log_dir = "null";
    if (work_dir) {
        log_dir = json_str((std::string(work_dir) + "/logs").c_str());
        outbox = "{\"path\":" + json_str((std::string(work_dir) + "/ywx-outbox.db").c_str()) + "}";
    }
    const std::string config = std::string("{\"baseUrl\":") + json_str(base_url) +
                               ",\"clientId\":\"" + kClientId + "\",\"clientSecret\":\"" +
                               kClientSecret + "\",\"sysTag\":\"HIS\",\"log\":{\"dir\":" + log_dir +
                               ",\"level\":\"info\"},\"outbox\":" + outbox +
                               ",\"tls\":{\"caFile\":" + json_str(ca_file) + "}}";
    std::printf("[1] 初始化 / ywx_init\n    -> %s\n", config.c_str());
    std::string res = take(ywx_init(config.c_str()));
    show(res);
    expect(1, is_ok(res), "ywx_init 失败：" + res);
    std::printf("    生效配置 / effective config: clientSecret=%s (已打码 / masked)\n",
                jget(res, "data.clientSecret").c_str());

    // ---- [2] 查询医师状态 2.3.2
    std::string req = "{\"body\":{\"openId\":\"" + kDoctor + "\"}}";
    std::printf("\n[2] 查询医师状态 / ywx_doctor_search (2.3.2)\n    -> %s\n", req.c_str());
    res = take(ywx_doctor_search(req.c_str()));
    show(res);
    expect(2, is_ok(res), "查询医师失败：" + res);
    const std::string process = jget(res, "data.process");
    const bool can_sign = std::atoi(process.c_str()) == YWX_DOCTOR_PROCESS_STAMP_SET;
    std::printf("    医师 / doctor: %s  stampStatus=%s  process=%s %s\n",
                jget(res, "data.userName").c_str(), jget(res, "data.stampStatus").c_str(),
                process.c_str(), can_sign ? "可签名 / can sign" : "不可签名 / cannot sign");
    expect(2, can_sign, "医师 process=" + process + "，不是 2（设置签章）");

    // ---- [3] 数据签名 4.3.5
    const std::time_t now = std::time(0);
    char ur_id[64], recipe_time[32];
    std::snprintf(ur_id, sizeof ur_id, "cpp%ld%ld", static_cast<long>(now), flow_getpid());
    std::strftime(recipe_time, sizeof recipe_time, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
    const std::string patient =
        std::string("\"urId\":\"") + ur_id + "\",\"openId\":\"" + kDoctor +
        "\",\"patientName\":\"天猫\",\"patientAge\":\"11\",\"patientSex\":\"男\","
        "\"patientCard\":\"535689193101071814\",\"patientCardType\":\"SF\",\"recipeTime\":\"" +
        recipe_time +
        "\",\"originData\":\"主诉：发热三天。诊断：上呼吸道感染。处理：对症治疗。\","
        "\"subject\":\"门诊病历\"";
    req = "{\"signType\":0,\"msg\":{\"head\":{\"templateId\":\"hash_001\"},\"body\":{" + patient + "}}}";
    std::printf("\n[3] 推送待签数据 / ywx_sign_data (4.3.5) urId=%s\n    -> %s\n", ur_id, req.c_str());
    std::printf("    (originData 由 ywx 在本地做 SM3 摘要，原文不出医院 / hashed locally with SM3)\n");
    res = take(ywx_sign_data(req.c_str()));
    show(res);
    expect(3, is_ok(res), "推送失败：" + res);
    const std::string unique_id = jget(res, "data.uniqueId");
    expect(3, !unique_id.empty(), "应答没有 data.uniqueId：" + res);
    std::printf("    uniqueId=%s\n", unique_id.c_str());
    show_b64("timeStampSignData", res, "data.timeStampSignData");

    // ---- [4] 等待医师签名 4.3.7
    req = "{\"uniqueId\":\"" + unique_id + "\",\"timeoutSeconds\":30,\"intervalMs\":200}";
    std::printf("\n[4] 等待医师在手机上签名 / ywx_sign_wait (4.3.7)\n    -> %s\n", req.c_str());
    res = take(ywx_sign_wait(req.c_str()));
    show(res);
    expect(4, is_ok(res), "等待签名失败：" + res);
    const std::string status = jget(res, "data.status");
    const bool signed_ = std::atoi(status.c_str()) == YWX_SIGN_STATUS_SIGNED;
    std::printf("    status=%s %s\n", status.c_str(), signed_ ? "已签名 / signed" : "");
    expect(4, signed_, "订单状态是 " + status + "，不是 2（已签名）");

    // ---- [5] 获取签名结果 5.1.2
    req = "{\"body\":{\"uniqueId\":\"" + unique_id + "\",\"isP1\":false}}";
    std::printf("\n[5] 获取签名结果 P7 / ywx_sign_result (5.1.2)\n    -> %s\n", req.c_str());
    res = take(ywx_sign_result(req.c_str()));
    show(res);
    expect(5, is_ok(res), "获取 P7 失败：" + res);
    show_b64("signedData (P7)", res, "data.signedData");
    expect(5, !jget(res, "data.signedData").empty(), "没有 signedData：" + res);

    req = "{\"body\":{\"uniqueId\":\"" + unique_id + "\",\"isP1\":true}}";
    std::printf("    -> %s\n", req.c_str());
    res = take(ywx_sign_result(req.c_str()));
    show(res);
    expect(5, is_ok(res), "获取 P1 失败：" + res);
    show_b64("p1", res, "data.p1");
    show_b64("cert", res, "data.cert");
    expect(5, !jget(res, "data.p1").empty() && !jget(res, "data.cert").empty(),
           "没有 p1 或 cert：" + res);

    // ---- [6] 验证签名结果 6.1.1
    const std::string head = "{\"head\":{\"templateId\":\"hash_001\",\"uniqueId\":\"" + unique_id + "\"},";
    req = head + "\"body\":{" + patient + "}}";
    std::printf("\n[6] 验证签名 / ywx_verify_data (6.1.1)\n    -> %s\n", req.c_str());
    res = take(ywx_verify_data(req.c_str()));
    show(res);
    expect(6, is_ok(res), "验签调用失败：" + res);
    std::string verdict = jget(res, "data.verifyResult");
    std::printf("    原样数据 / unchanged data: verifyResult=%s\n", verdict.c_str());
    expect(6, verdict == "true", "原样数据验签应为 true，实际 " + verdict);

    req = head + "\"body\":{" + replace_once(patient, "天猫", "天狗") + "}}";
    std::printf("    -> (patientName 改为 天狗 / patientName changed)\n");
    res = take(ywx_verify_data(req.c_str()));
    show(res);
    expect(6, is_ok(res), "验签调用失败：" + res);
    verdict = jget(res, "data.verifyResult");
    std::printf("    篡改数据 / tampered data: verifyResult=%s\n", verdict.c_str());
    expect(6, verdict == "false", "篡改后验签应为 false，实际 " + verdict);

    // ---- [7] 验证时间戳 6.1.2
    req = "{\"body\":{\"uniqueId\":\"" + unique_id + "\"}}";
    std::printf("\n[7] 验证时间戳 / ywx_verify_timestamp (6.1.2)\n    -> %s\n", req.c_str());
    res = take(ywx_verify_timestamp(req.c_str()));
    show(res);
    expect(7, is_ok(res), "时间戳验证调用失败：" + res);
    verdict = jget(res, "data.verifyResult");
    std::printf("    时间戳 / timestamp: verifyResult=%s\n", verdict.c_str());
    expect(7, verdict == "true", "时间戳验证应为 true，实际 " + verdict);

    // ---- [8] ywx_call_buf
    req = "{\"openId\":\"" + kDoctor + "\"}";
    std::printf("\n[8] 调用方缓冲区 / ywx_call_buf(\"doctor_pending\") (5.1.3)\n    -> %s\n", req.c_str());
    std::vector<char> small(16, 'x');
    const int n = ywx_call_buf("doctor_pending", req.c_str(), &small[0], static_cast<int>(small.size()));
    std::printf("    缓冲区 %d 字节 -> 返回 %d：结果需要 %d+1 字节，out=\"%s\"\n"
                "    (buffer of %d bytes -> returns %d: the result needs %d+1 bytes; out is empty)\n",
                static_cast<int>(small.size()), n, n, &small[0], static_cast<int>(small.size()), n, n);
    expect(8, n >= static_cast<int>(small.size()), "小缓冲区应返回所需长度");
    expect(8, small[0] == '\0', "缓冲区不足时 out 应为空串");
    std::vector<char> big(static_cast<std::size_t>(n) + 1);
    const int n2 = ywx_call_buf("doctor_pending", req.c_str(), &big[0], n + 1);
    const std::string kept(&big[0]);
    std::printf("    缓冲区 %d 字节 -> 返回 %d：取回保存的结果，不重新请求网关\n"
                "    (buffer of %d bytes -> returns %d: the kept result, the request is not run again)\n"
                "    <- %s\n",
                n + 1, n2, n + 1, n2, kept.c_str());
    expect(8, n2 == n && static_cast<int>(kept.size()) == n, "第二次应返回同样长度的完整结果");
    expect(8, is_ok(kept), "doctor_pending 失败：" + kept);

    // ---- [9] ywx_shutdown
    std::printf("\n[9] 关闭 / ywx_shutdown\n");
    res = take(ywx_shutdown());
    show(res);
    expect(9, is_ok(res), "ywx_shutdown 失败：" + res);
}

}  // namespace

int main(int argc, char **argv) {
    const char *base_url = argc > 1 ? argv[1] : 0;
    const char *work_dir = (argc > 2 && std::string(argv[2]) != "-") ? argv[2] : 0;
    const char *ca_file = argc > 3 ? argv[3] : 0;
    if (!base_url || !std::strstr(base_url, "://")) {
        std::fprintf(stderr, "用法 / usage: %s BASE_URL [WORK_DIR|-] [CA_FILE]\n", argv[0]);
        return 2;
    }
    std::printf("ywx %s — 医网信移动签名流程示例 (C++11) / 51trust signing flow\n", ywx_version());
    std::printf("网关 / gateway: %s\n\n", base_url);
    try {
        run(base_url, work_dir, ca_file);
    } catch (const StepFailed &e) {
        take(ywx_shutdown());  // let the library stop its background work
        std::printf("\n[FAIL] 第 %d 步失败 / step %d failed: %s\n", e.step, e.step, e.what());
        return 1;
    }
    std::printf("\n全部步骤通过 / ALL STEPS PASSED\n");
    return 0;
}
