"""flow.py — 用 bindings/python/ywx.py 走完整的签名流程（测试用，也是示例）。
The full signing flow through the Python binding, run by tests/bindings.rs
against ywx-sim (doctors sign by themselves after 500 ms).

usage: python3 flow.py BASE_URL WORK_DIR [utf-8|gbk]
Prints one line per step; exit status 0 only when every step held.
"""
import base64
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ywx  # noqa: E402

DOCTOR = "aa69bbd2b150006aq5164wfe4dybd786d1a"
PNG = b"\x89PNG"


def expect(cond, what):
    if not cond:
        print("[FAIL] " + what)
        sys.exit(1)


def main():
    base_url, work = sys.argv[1], sys.argv[2]
    encoding = sys.argv[3] if len(sys.argv) > 3 else "utf-8"
    print("[1] ywx_init")
    client = ywx.Client({
        "baseUrl": base_url, "clientId": "2017070411003376",
        "clientSecret": "2017070411003360", "sysTag": "HIS", "encoding": encoding,
        "log": {"dir": os.path.join(work, "logs")},
        "outbox": {"path": os.path.join(work, "ywx-outbox.db")},
        "fileDir": os.path.join(work, "files"),
    })
    print("    version=%s encoding=%s clientSecret=%s"
          % (client.version, client.config["data"]["encoding"], client.config["data"]["clientSecret"]))

    print("[2] doctor_search")
    r = client.doctor_search({"body": {"openId": DOCTOR}})
    print("    doctor=%s process=%s" % (r["data"]["userName"], r["data"]["process"]))

    print("[3] sign_data")
    ur_id = "py%d%d" % (int(time.time()), os.getpid())
    body = {"urId": ur_id, "openId": DOCTOR, "patientName": "天猫", "patientAge": "11",
            "patientSex": "男", "patientCard": "535689193101071814", "patientCardType": "SF",
            "recipeTime": time.strftime("%Y-%m-%d %H:%M:%S"), "subject": "门诊病历",
            "originData": "主诉：发热三天。诊断：上呼吸道感染。"}
    r = client.sign_data({"signType": 0, "msg": {"head": {"templateId": "hash_001"}, "body": body}})
    unique_id = r["data"]["uniqueId"]
    print("    uniqueId=%s" % unique_id)

    print("[4] sign_wait")
    r = client.sign_wait({"uniqueId": unique_id, "timeoutSeconds": 30, "intervalMs": 200})
    print("    status=%s" % r["data"]["status"])
    expect(str(r["data"]["status"]) == "2", "not signed: %r" % r)

    print("[5] sign_result")
    r = client.sign_result({"body": {"uniqueId": unique_id, "isP1": False}})
    print("    signedData=%s..." % r["data"]["signedData"][:8])
    r = client.sign_result({"body": {"uniqueId": unique_id, "isP1": True}})
    print("    p1=%s... cert=%s..." % (r["data"]["p1"][:8], r["data"]["cert"][:8]))

    print("[6] verify_data")
    head = {"templateId": "hash_001", "uniqueId": unique_id}
    r = client.verify_data({"head": head, "body": body})
    print("    verifyResult=%s" % str(r["data"]["verifyResult"]).lower())
    expect(r["data"]["verifyResult"] is True, "verify: %r" % r)
    r = client.verify_data({"head": head, "body": dict(body, patientName="天狗")})
    print("    tampered verifyResult=%s" % str(r["data"]["verifyResult"]).lower())
    expect(r["data"]["verifyResult"] is False, "tampered: %r" % r)

    print("[7] verify_timestamp")
    r = client.verify_timestamp({"body": {"uniqueId": unique_id}})
    print("    timestamp verifyResult=%s" % str(r["data"]["verifyResult"]).lower())

    print("[8] errors")
    try:
        client.sign_data({"signType": 0, "msg": {"head": {"templateId": "hash_001"},
                                                 "body": dict(body, urId="HIS-001")}})
        expect(False, "bad urId accepted")
    except ywx.YwxError as e:
        print("    %s %s %s ywx=%s message=%s" % (e.status, e.code, e.field, e.is_ywx_error, e.message))
    try:
        client.sign_status({"body": {"uniqueId": "0123456789abcdef0123456789abcdef"}})
        expect(False, "unknown order found")
    except ywx.YwxError as e:
        print("    gateway status=%s ywx=%s message=%s" % (e.status, e.is_ywx_error, e.message))

    print("[9] oauth_authorize QR code")
    r = client.oauth_authorize({"sysTag": "HIS"})
    png = base64.b64decode(r["data"]["imgBase64"])
    print("    imgBase64 %s %d bytes" % ("PNG" if png.startswith(PNG) else "?", len(png)))
    with open(r["data"]["imgFile"], "rb") as f:
        print("    imgFile %s %s" % ("PNG" if f.read(4) == PNG else "?", r["data"]["imgFile"]))

    print("[10] call_buf")
    r, n = client.call_buf("doctor_pending", {"openId": DOCTOR}, size=16)
    print("    call_buf needed=%d status=%s" % (n, r["status"]))

    print("[11] outbox_list")
    r = client.call("outbox_list")
    print("    envelope status=%s" % r["status"])

    print("[12] shutdown")
    r = client.shutdown()
    print("    status=%s" % r["status"])
    print("ALL STEPS PASSED")


if __name__ == "__main__":
    main()
