// Flow.cs — 用 bindings/csharp/Ywx.cs 走完整的签名流程（测试用，也是示例）。
// The full signing flow through the C# binding, run by tests/bindings.rs with
// mono against ywx-sim (doctors sign by themselves after 500 ms).
//
//   mcs -langversion:4 -out:flow.exe Ywx.cs test/Flow.cs
//   LD_LIBRARY_PATH=target/debug mono flow.exe BASE_URL WORK_DIR [utf-8|gbk]
//
// Prints one line per step; exit status 0 only when every step held.
using System;
using System.Diagnostics;
using System.IO;
using Ywx;

static class Flow
{
    const string Doctor = "aa69bbd2b150006aq5164wfe4dybd786d1a";

    static void Expect(bool cond, string what)
    {
        if (cond) return;
        Console.WriteLine("[FAIL] " + what);
        Environment.Exit(1);
    }

    static string Get(string json, string path) { return YwxJson.Get(json, path); }

    static bool IsPng(byte[] b) { return b.Length > 4 && b[0] == 0x89 && b[1] == (byte)'P' && b[2] == (byte)'N' && b[3] == (byte)'G'; }

    static int Main(string[] args)
    {
        Console.OutputEncoding = new System.Text.UTF8Encoding(false);
        string baseUrl = args[0], work = args[1];
        string encoding = args.Length > 2 ? args[2] : "utf-8";

        Console.WriteLine("[1] ywx_init");
        string config = "{\"baseUrl\":" + YwxJson.Quote(baseUrl)
            + ",\"clientId\":\"2017070411003376\",\"clientSecret\":\"2017070411003360\",\"sysTag\":\"HIS\""
            + ",\"encoding\":" + YwxJson.Quote(encoding)
            + ",\"log\":{\"dir\":" + YwxJson.Quote(Path.Combine(work, "logs")) + "}"
            + ",\"outbox\":{\"path\":" + YwxJson.Quote(Path.Combine(work, "ywx-outbox.db")) + "}"
            + ",\"fileDir\":" + YwxJson.Quote(Path.Combine(work, "files")) + "}";
        using (YwxClient ywx = new YwxClient(config))
        {
            Console.WriteLine("    version=" + YwxClient.Version + " encoding=" + Get(ywx.ConfigEnvelope, "data.encoding")
                + " clientSecret=" + Get(ywx.ConfigEnvelope, "data.clientSecret"));

            Console.WriteLine("[2] doctor_search");
            string r = ywx.DoctorSearch("{\"body\":{\"openId\":\"" + Doctor + "\"}}");
            Console.WriteLine("    doctor=" + Get(r, "data.userName") + " process=" + Get(r, "data.process"));

            Console.WriteLine("[3] sign_data");
            string urId = "cs" + DateTime.Now.ToString("yyyyMMddHHmmss") + Process.GetCurrentProcess().Id;
            string body = "\"urId\":\"" + urId + "\",\"openId\":\"" + Doctor + "\",\"patientName\":\"天猫\","
                + "\"patientAge\":\"11\",\"patientSex\":\"男\",\"patientCard\":\"535689193101071814\","
                + "\"patientCardType\":\"SF\",\"recipeTime\":\"" + DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss") + "\","
                + "\"subject\":\"门诊病历\",\"originData\":\"主诉：发热三天。诊断：上呼吸道感染。\"";
            r = ywx.SignData("{\"signType\":0,\"msg\":{\"head\":{\"templateId\":\"hash_001\"},\"body\":{" + body + "}}}");
            string uniqueId = Get(r, "data.uniqueId");
            Console.WriteLine("    uniqueId=" + uniqueId);

            Console.WriteLine("[4] sign_wait");
            r = ywx.SignWait("{\"uniqueId\":\"" + uniqueId + "\",\"timeoutSeconds\":30,\"intervalMs\":200}");
            Console.WriteLine("    status=" + Get(r, "data.status"));
            Expect(Get(r, "data.status") == "2", "not signed: " + r);

            Console.WriteLine("[5] sign_result");
            r = ywx.SignResult("{\"body\":{\"uniqueId\":\"" + uniqueId + "\",\"isP1\":false}}");
            Console.WriteLine("    signedData=" + Get(r, "data.signedData").Substring(0, 8) + "...");
            r = ywx.SignResult("{\"body\":{\"uniqueId\":\"" + uniqueId + "\",\"isP1\":true}}");
            Console.WriteLine("    p1=" + Get(r, "data.p1").Substring(0, 8) + "... cert=" + Get(r, "data.cert").Substring(0, 8) + "...");

            Console.WriteLine("[6] verify_data");
            string head = "\"head\":{\"templateId\":\"hash_001\",\"uniqueId\":\"" + uniqueId + "\"}";
            r = ywx.VerifyData("{" + head + ",\"body\":{" + body + "}}");
            Console.WriteLine("    verifyResult=" + Get(r, "data.verifyResult"));
            Expect(Get(r, "data.verifyResult") == "true", "verify: " + r);
            r = ywx.VerifyData("{" + head + ",\"body\":{" + body.Replace("天猫", "天狗") + "}}");
            Console.WriteLine("    tampered verifyResult=" + Get(r, "data.verifyResult"));
            Expect(Get(r, "data.verifyResult") == "false", "tampered: " + r);

            Console.WriteLine("[7] verify_timestamp");
            r = ywx.VerifyTimestamp("{\"body\":{\"uniqueId\":\"" + uniqueId + "\"}}");
            Console.WriteLine("    timestamp verifyResult=" + Get(r, "data.verifyResult"));

            Console.WriteLine("[8] errors");
            try
            {
                ywx.SignData("{\"signType\":0,\"msg\":{\"head\":{\"templateId\":\"hash_001\"},\"body\":{"
                    + body.Replace(urId, "HIS-001") + "}}}");
                Expect(false, "bad urId accepted");
            }
            catch (YwxException e)
            {
                Console.WriteLine("    " + e.Status + " " + e.Code + " " + e.Field + " ywx=" + e.IsYwxError + " message=" + e.ErrorMessage);
            }
            try
            {
                ywx.SignStatus("{\"body\":{\"uniqueId\":\"0123456789abcdef0123456789abcdef\"}}");
                Expect(false, "unknown order found");
            }
            catch (YwxException e)
            {
                Console.WriteLine("    gateway status=" + e.Status + " ywx=" + e.IsYwxError + " message=" + e.ErrorMessage);
            }

            Console.WriteLine("[9] oauth_authorize QR code");
            r = ywx.OauthAuthorize("{\"sysTag\":\"HIS\"}");
            byte[] png = Convert.FromBase64String(Get(r, "data.imgBase64"));
            Console.WriteLine("    imgBase64 " + (IsPng(png) ? "PNG" : "?") + " " + png.Length + " bytes");
            string imgFile = Get(r, "data.imgFile");
            Console.WriteLine("    imgFile " + (IsPng(File.ReadAllBytes(imgFile)) ? "PNG" : "?") + " " + imgFile);

            Console.WriteLine("[10] call");
            r = ywx.Call("doctor_pending", "{\"openId\":\"" + Doctor + "\"}");
            Console.WriteLine("    call status=" + Get(r, "status"));

            Console.WriteLine("[11] outbox_list");
            r = ywx.Call("outbox_list", null);
            Console.WriteLine("    envelope status=" + Get(r, "status"));

            Console.WriteLine("[12] shutdown");
            r = ywx.Shutdown();
            Console.WriteLine("    status=" + Get(r, "status"));
        }
        Console.WriteLine("ALL STEPS PASSED");
        return 0;
    }
}
