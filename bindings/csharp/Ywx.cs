// Ywx.cs — 医网信（51trust）移动签名网关 ywx 库的 C# 封装（P/Invoke，单文件）。
//
// 把本文件加入项目即可：.NET Framework 4.0+（C# 4 语法）、.NET Core / .NET 5+、mono。
// 把 ywx.dll（Windows，32 位程序配 32 位 DLL）或 libywx.so（Linux）放在程序旁边。
//
//   using (var ywx = new Ywx.YwxClient(configJson))          // ywx_init
//   {
//       string reply = ywx.SignData(requestJson);             // status "0"，否则抛 YwxException
//       string uniqueId = Ywx.YwxJson.Get(reply, "data.uniqueId");
//   }                                                          // ywx_shutdown
//
// Ownership: every IntPtr that an ywx_* function returns (except ywx_version,
// a static string) is owned by the caller and must be passed to ywx_free
// exactly once. YwxClient does this in one place, Take(); nothing else here
// frees, so nothing is leaked or freed twice. Requests are passed as
// NUL-terminated byte[] (pinned for the call only, never kept by ywx).
//
// Encoding: strings cross the boundary in the library's configured
// "encoding": "utf-8" (default; what .NET programs should use) or "gbk"
// (GB18030). YwxClient learns it from ywx_init's reply (data.encoding) and
// converts both ways itself, so the system's ANSI code page never matters.

using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Ywx
{
    /// <summary>
    /// The C exports of include/ywx.h, one to one. Returned IntPtr: free with
    /// ywx_free (except ywx_version). byte[] arguments: NUL-terminated text in
    /// the configured encoding, or null for NULL. StdCall is what 32-bit
    /// ywx.dll uses; on x64 and on Linux it is ignored.
    /// </summary>
    public static class NativeMethods
    {
        /// <summary>ywx.dll on Windows, libywx.so on Linux, libywx.dylib on macOS.</summary>
        public const string Lib = "ywx";
        const CallingConvention Cc = CallingConvention.StdCall;

        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_version();
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_init(byte[] configJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_shutdown();
        [DllImport(Lib, CallingConvention = Cc)] public static extern void ywx_free(IntPtr s);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_call(byte[] method, byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern int ywx_call_buf(byte[] method, byte[] requestJson, byte[] output, int outSize);

        // ---- generated [imports] by cargo run -p ywx-gen: do not edit ----
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_doctor_search(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_oauth_authorize(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_oauth_tokeninfo(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_selfsign_request(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_selfsign_result(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_selfsign_quit(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_digest(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_sign_data(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_sign_business(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_sign_status(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_sign_list(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_sign_result(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_doctor_pending(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_sign_delete(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_verify_data(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_verify_timestamp(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_verify_local(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_sign_wait(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_selfsign_wait(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_oauth_wait(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_outbox_list(byte[] requestJson);
        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_outbox_flush(byte[] requestJson);
        // ---- end generated [imports] ----
    }

    /// <summary>
    /// An envelope whose status is not "0": ywx's own error (Status
    /// "YWX-1002", Code "INVALID_ARGUMENT", Field "body.urId") or the
    /// gateway's (Status "3001", Code null). Message is the Chinese message.
    /// </summary>
    public class YwxException : Exception
    {
        public string Status { get; private set; }
        public string Code { get; private set; }
        public string Field { get; private set; }
        /// <summary>The envelope's message alone (Message is "status message").</summary>
        public string ErrorMessage { get; private set; }
        /// <summary>The whole reply (JSON).</summary>
        public string Envelope { get; private set; }
        /// <summary>True for ywx's own errors (YWX-xxxx, see README 错误码), false for the gateway's.</summary>
        public bool IsYwxError { get { return Status != null && Status.StartsWith("YWX-", StringComparison.Ordinal); } }

        public YwxException(string envelope)
            : base(YwxJson.Get(envelope, "status") + " " + YwxJson.Get(envelope, "message"))
        {
            Envelope = envelope;
            Status = YwxJson.Get(envelope, "status");
            Code = YwxJson.Get(envelope, "error.code");
            Field = YwxJson.Get(envelope, "error.field");
            ErrorMessage = YwxJson.Get(envelope, "message");
        }
    }

    /// <summary>
    /// The ywx library, configured. The library's state is per process:
    /// create one client at start-up and share it (every method is
    /// thread-safe). Each method takes the request JSON and returns the reply
    /// JSON when its status is "0", or throws YwxException.
    /// </summary>
    public sealed class YwxClient : IDisposable
    {
        bool disposed;

        /// <summary>The encoding of the strings crossing the boundary (config "encoding").</summary>
        public Encoding Encoding { get; private set; }

        /// <summary>ywx_init's reply: the effective config, clientSecret masked.</summary>
        public string ConfigEnvelope { get; private set; }

        /// <summary>
        /// ywx_init(configJson); null loads ywx.json beside the library.
        /// Throws YwxException (YWX-1004) when the config is unusable.
        /// </summary>
        public YwxClient(string configJson)
        {
            Encoding = new UTF8Encoding(false);
            // ywx_init accepts the config in UTF-8 whatever its "encoding".
            byte[] raw = TakeBytes(NativeMethods.ywx_init(configJson == null ? null : Nul(Encoding.GetBytes(configJson))));
            // data.encoding is ASCII: read it before knowing how to decode the rest.
            string enc = YwxJson.Get(Latin1(raw), "data.encoding");
            if (enc == "gbk") Encoding = Gbk();
            ConfigEnvelope = Check(Encoding.GetString(raw));
        }

        /// <summary>ywx_version(): a static string, never freed.</summary>
        public static string Version
        {
            get { return Marshal.PtrToStringAnsi(NativeMethods.ywx_version()); }
        }

        /// <summary>ywx_call: any method by name ("sign_data"...); returns the envelope whatever its status.</summary>
        public string Call(string method, string requestJson)
        {
            return Take(NativeMethods.ywx_call(Nul(Encoding.ASCII.GetBytes(method)), Bytes(requestJson)));
        }

        // ---- generated [methods] by cargo run -p ywx-gen: do not edit ----
        /// <summary>ywx_doctor_search: 同步医师结果查询</summary>
        public string DoctorSearch(string requestJson) { return Check(Take(NativeMethods.ywx_doctor_search(Bytes(requestJson)))); }
        /// <summary>ywx_oauth_authorize: OAuth 登录认证请求（二维码）</summary>
        public string OauthAuthorize(string requestJson) { return Check(Take(NativeMethods.ywx_oauth_authorize(Bytes(requestJson)))); }
        /// <summary>ywx_oauth_tokeninfo: OAuth 获取用户信息</summary>
        public string OauthTokeninfo(string requestJson) { return Check(Take(NativeMethods.ywx_oauth_tokeninfo(Bytes(requestJson)))); }
        /// <summary>ywx_selfsign_request: 请求自动签名授权（二维码）</summary>
        public string SelfsignRequest(string requestJson) { return Check(Take(NativeMethods.ywx_selfsign_request(Bytes(requestJson)))); }
        /// <summary>ywx_selfsign_result: 获取自动签名授权结果</summary>
        public string SelfsignResult(string requestJson) { return Check(Take(NativeMethods.ywx_selfsign_result(Bytes(requestJson)))); }
        /// <summary>ywx_selfsign_quit: 退出自动签名授权</summary>
        public string SelfsignQuit(string requestJson) { return Check(Take(NativeMethods.ywx_selfsign_quit(Bytes(requestJson)))); }
        /// <summary>ywx_digest: 数据摘要 SHA1/SHA256/SM3，本地计算；remote 时由网关计算</summary>
        public string Digest(string requestJson) { return Check(Take(NativeMethods.ywx_digest(Bytes(requestJson)))); }
        /// <summary>ywx_sign_data: 数据签名（摘要模板、personRolesPdf）</summary>
        public string SignData(string requestJson) { return Check(Take(NativeMethods.ywx_sign_data(Bytes(requestJson)))); }
        /// <summary>ywx_sign_business: 商务办公类数据签名</summary>
        public string SignBusiness(string requestJson) { return Check(Take(NativeMethods.ywx_sign_business(Bytes(requestJson)))); }
        /// <summary>ywx_sign_status: 签名状态查询（按订单）</summary>
        public string SignStatus(string requestJson) { return Check(Take(NativeMethods.ywx_sign_status(Bytes(requestJson)))); }
        /// <summary>ywx_sign_list: 签名状态查询（按时间）</summary>
        public string SignList(string requestJson) { return Check(Take(NativeMethods.ywx_sign_list(Bytes(requestJson)))); }
        /// <summary>ywx_sign_result: 获取签名结果（P7 / P1 + 证书）</summary>
        public string SignResult(string requestJson) { return Check(Take(NativeMethods.ywx_sign_result(Bytes(requestJson)))); }
        /// <summary>ywx_doctor_pending: 查询医师是否有待签数据</summary>
        public string DoctorPending(string requestJson) { return Check(Take(NativeMethods.ywx_doctor_pending(Bytes(requestJson)))); }
        /// <summary>ywx_sign_delete: 删除待签数据</summary>
        public string SignDelete(string requestJson) { return Check(Take(NativeMethods.ywx_sign_delete(Bytes(requestJson)))); }
        /// <summary>ywx_verify_data: 验证签名结果</summary>
        public string VerifyData(string requestJson) { return Check(Take(NativeMethods.ywx_verify_data(Bytes(requestJson)))); }
        /// <summary>ywx_verify_timestamp: 验证时间戳</summary>
        public string VerifyTimestamp(string requestJson) { return Check(Take(NativeMethods.ywx_verify_timestamp(Bytes(requestJson)))); }
        /// <summary>ywx_verify_local: 本地离线验签：P7、P1 + 证书、时间戳（SM2/ECDSA/RSA），不连网关</summary>
        public string VerifyLocal(string requestJson) { return Check(Take(NativeMethods.ywx_verify_local(Bytes(requestJson)))); }
        /// <summary>ywx_sign_wait: 等待医师签名：订单离开 0/10 状态或超时</summary>
        public string SignWait(string requestJson) { return Check(Take(NativeMethods.ywx_sign_wait(Bytes(requestJson)))); }
        /// <summary>ywx_selfsign_wait: 等待自动签授权结果：grantStep 为 1 或 2，或超时</summary>
        public string SelfsignWait(string requestJson) { return Check(Take(NativeMethods.ywx_selfsign_wait(Bytes(requestJson)))); }
        /// <summary>ywx_oauth_wait: 等待医师扫码登录：只在“未授权（未扫码）”时继续等</summary>
        public string OauthWait(string requestJson) { return Check(Take(NativeMethods.ywx_oauth_wait(Bytes(requestJson)))); }
        /// <summary>ywx_outbox_list: 列出离线发件箱（按 urId、state 过滤）; requestJson may be null</summary>
        public string OutboxList(string requestJson) { return Check(Take(NativeMethods.ywx_outbox_list(Bytes(requestJson)))); }
        /// <summary>ywx_outbox_flush: 立即推送离线发件箱中等待的签名请求; requestJson may be null</summary>
        public string OutboxFlush(string requestJson) { return Check(Take(NativeMethods.ywx_outbox_flush(Bytes(requestJson)))); }
        // ---- end generated [methods] ----

        /// <summary>ywx_shutdown: stops background work; call before unloading. Dispose calls it once.</summary>
        public string Shutdown()
        {
            disposed = true;
            return Take(NativeMethods.ywx_shutdown());
        }

        public void Dispose()
        {
            if (!disposed) Shutdown();
        }

        // ---- the one place where returned memory is read and freed ----------

        string Take(IntPtr p)
        {
            return Encoding.GetString(TakeBytes(p));
        }

        /// <summary>Copies the NUL-terminated bytes at p, then ywx_free(p), exactly once.</summary>
        static byte[] TakeBytes(IntPtr p)
        {
            if (p == IntPtr.Zero) throw new InvalidOperationException("ywx returned NULL"); // never (header contract)
            try
            {
                int n = 0;
                while (Marshal.ReadByte(p, n) != 0) n++;
                byte[] bytes = new byte[n];
                Marshal.Copy(p, bytes, 0, n);
                return bytes;
            }
            finally
            {
                NativeMethods.ywx_free(p);
            }
        }

        static string Check(string envelope)
        {
            if (YwxJson.Get(envelope, "status") != "0") throw new YwxException(envelope);
            return envelope;
        }

        byte[] Bytes(string s)
        {
            return s == null ? null : Nul(Encoding.GetBytes(s));
        }

        static byte[] Nul(byte[] b)
        {
            byte[] z = new byte[b.Length + 1];
            Buffer.BlockCopy(b, 0, z, 0, b.Length);
            return z;
        }

        static string Latin1(byte[] b)
        {
            char[] c = new char[b.Length];
            for (int i = 0; i < b.Length; i++) c[i] = (char)b[i];
            return new string(c);
        }

        /// <summary>
        /// GB18030 (code page 54936, the superset of GBK the library uses).
        /// .NET Core / .NET 5+ need CodePagesEncodingProvider, registered
        /// here by reflection so that this file also builds for .NET
        /// Framework; mono needs its I18N.CJK assembly.
        /// </summary>
        static Encoding Gbk()
        {
            Type provider = Type.GetType("System.Text.CodePagesEncodingProvider, System.Text.Encoding.CodePages");
            if (provider != null)
            {
                object instance = provider.GetProperty("Instance").GetValue(null, null);
                typeof(Encoding).GetMethod("RegisterProvider").Invoke(null, new object[] { instance });
            }
            return Encoding.GetEncoding(54936);
        }
    }

    /// <summary>
    /// A tiny JSON reader and writer for envelopes, so that this file needs no
    /// JSON library (.NET Framework has none built in). Use your own JSON
    /// library (Newtonsoft.Json, System.Text.Json) when you have one.
    /// </summary>
    public static class YwxJson
    {
        /// <summary>
        /// The value at a dotted path ("data.uniqueId"): a string's text, a
        /// number's or true/false's literal text, an object's or array's JSON
        /// text; null when absent or JSON null.
        /// </summary>
        public static string Get(string json, string path)
        {
            if (json == null) return null;
            int i = 0;
            foreach (string key in path.Split('.'))
            {
                Ws(json, ref i);
                if (i >= json.Length || json[i] != '{') return null;
                i++;
                bool found = false;
                while (true)
                {
                    Ws(json, ref i);
                    if (i >= json.Length || json[i] == '}') return null;
                    if (json[i] == ',') { i++; continue; }
                    string k = ReadString(json, ref i);
                    Ws(json, ref i);
                    if (k == null || i >= json.Length || json[i] != ':') return null;
                    i++;
                    Ws(json, ref i);
                    if (k == key) { found = true; break; }
                    if (!Skip(json, ref i)) return null;
                }
                if (!found) return null;
            }
            if (i >= json.Length) return null;
            if (json[i] == '"') return ReadString(json, ref i);
            int start = i;
            if (!Skip(json, ref i)) return null;
            string raw = json.Substring(start, i - start).Trim();
            return raw == "null" ? null : raw;
        }

        /// <summary>s as a JSON string literal, quotes included ("null" for null).</summary>
        public static string Quote(string s)
        {
            if (s == null) return "null";
            StringBuilder b = new StringBuilder(s.Length + 2).Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': b.Append("\\\""); break;
                    case '\\': b.Append("\\\\"); break;
                    case '\n': b.Append("\\n"); break;
                    case '\r': b.Append("\\r"); break;
                    case '\t': b.Append("\\t"); break;
                    default:
                        if (c < ' ') b.Append("\\u").Append(((int)c).ToString("x4"));
                        else b.Append(c);
                        break;
                }
            }
            return b.Append('"').ToString();
        }

        static void Ws(string s, ref int i)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        }

        static string ReadString(string s, ref int i)
        {
            if (i >= s.Length || s[i] != '"') return null;
            StringBuilder b = new StringBuilder();
            for (i++; i < s.Length; i++)
            {
                char c = s[i];
                if (c == '"') { i++; return b.ToString(); }
                if (c != '\\' || i + 1 >= s.Length) { b.Append(c); continue; }
                char e = s[++i];
                switch (e)
                {
                    case 'n': b.Append('\n'); break;
                    case 'r': b.Append('\r'); break;
                    case 't': b.Append('\t'); break;
                    case 'b': b.Append('\b'); break;
                    case 'f': b.Append('\f'); break;
                    case 'u':
                        if (i + 4 >= s.Length) return null;
                        b.Append((char)Convert.ToInt32(s.Substring(i + 1, 4), 16));
                        i += 4;
                        break;
                    default: b.Append(e); break;
                }
            }
            return null;
        }

        /// <summary>Moves i past one value; false on malformed JSON.</summary>
        static bool Skip(string s, ref int i)
        {
            Ws(s, ref i);
            if (i >= s.Length) return false;
            if (s[i] == '"') return ReadString(s, ref i) != null;
            if (s[i] == '{' || s[i] == '[')
            {
                int depth = 0;
                for (; i < s.Length; i++)
                {
                    char c = s[i];
                    if (c == '"') { if (ReadString(s, ref i) == null) return false; i--; }
                    else if (c == '{' || c == '[') depth++;
                    else if ((c == '}' || c == ']') && --depth == 0) { i++; return true; }
                }
                return false;
            }
            while (i < s.Length && ",}] \t\r\n".IndexOf(s[i]) < 0) i++;
            return true;
        }
    }
}
