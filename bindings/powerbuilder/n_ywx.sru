$PBExportHeader$n_ywx.sru
$PBExportComments$ywx（医网信移动签名）封装：经由 ywx_call_buf 调用，缓冲区由本对象分配，不需要释放 DLL 的内存
forward
global type n_ywx from nonvisualobject
end type
end forward

global type n_ywx from nonvisualobject autoinstantiate
end type

type prototypes
// ywx.dll 的全部导出函数（include/ywx.h）。PB 10 及以后的 string 是 Unicode，
// ALIAS FOR "...;Ansi" 让 PB 按 ANSI（中文 Windows 即 GBK）传递字符串，
// 所以配置里要写 "encoding": "gbk"。PB 9 本身是 ANSI：去掉每行的 ";Ansi"。
//
// 推荐只用 ywx_call_buf（本对象的 of_call 等函数）：结果写进 PB 分配的缓冲区，
// 不涉及 DLL 内存的释放。
FUNCTION long ywx_call_buf(string method, string request_json, ref string out, long out_size) LIBRARY "ywx.dll" ALIAS FOR "ywx_call_buf;Ansi"
// 静态字符串，PB 复制一份即可，不需要（也不能）释放
FUNCTION string ywx_version() LIBRARY "ywx.dll" ALIAS FOR "ywx_version;Ansi"

// 下面的函数返回 char *（这里声明为 ulong 指针，64 位 PB 2019+ 请改为 longptr）：
// 返回的每个指针都必须且只能用 ywx_free 释放一次。PB 读取指针内容不方便，
// 一般不要直接调用它们，用 of_call / of_init / of_sign_data 等函数代替。
FUNCTION ulong ywx_init(string config_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_init;Ansi"
FUNCTION ulong ywx_shutdown() LIBRARY "ywx.dll"
SUBROUTINE ywx_free(ulong s) LIBRARY "ywx.dll"
FUNCTION ulong ywx_call(string method, string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_call;Ansi"
// 每个带请求的方法一个外部函数和一个 of_<方法> (string as_request) 函数：都由
// cargo run -p ywx-gen 从方法表生成（下面的块和文件后部的 of_<方法> 函数），请勿手工修改。
// ---- generated [externals] by cargo run -p ywx-gen: do not edit ----
FUNCTION ulong ywx_doctor_search(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_doctor_search;Ansi"
FUNCTION ulong ywx_oauth_authorize(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_oauth_authorize;Ansi"
FUNCTION ulong ywx_oauth_tokeninfo(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_oauth_tokeninfo;Ansi"
FUNCTION ulong ywx_selfsign_request(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_selfsign_request;Ansi"
FUNCTION ulong ywx_selfsign_result(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_selfsign_result;Ansi"
FUNCTION ulong ywx_selfsign_quit(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_selfsign_quit;Ansi"
FUNCTION ulong ywx_digest(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_digest;Ansi"
FUNCTION ulong ywx_sign_data(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_sign_data;Ansi"
FUNCTION ulong ywx_sign_business(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_sign_business;Ansi"
FUNCTION ulong ywx_sign_status(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_sign_status;Ansi"
FUNCTION ulong ywx_sign_list(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_sign_list;Ansi"
FUNCTION ulong ywx_sign_result(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_sign_result;Ansi"
FUNCTION ulong ywx_doctor_pending(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_doctor_pending;Ansi"
FUNCTION ulong ywx_sign_delete(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_sign_delete;Ansi"
FUNCTION ulong ywx_verify_data(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_verify_data;Ansi"
FUNCTION ulong ywx_verify_timestamp(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_verify_timestamp;Ansi"
FUNCTION ulong ywx_verify_local(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_verify_local;Ansi"
FUNCTION ulong ywx_sign_wait(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_sign_wait;Ansi"
FUNCTION ulong ywx_selfsign_wait(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_selfsign_wait;Ansi"
FUNCTION ulong ywx_oauth_wait(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_oauth_wait;Ansi"
FUNCTION ulong ywx_outbox_list(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_outbox_list;Ansi"
FUNCTION ulong ywx_outbox_flush(string request_json) LIBRARY "ywx.dll" ALIAS FOR "ywx_outbox_flush;Ansi"
// ---- end generated [externals] ----
end prototypes

type variables
// 第一次调用使用的缓冲区大小（字节）。结果更长时，ywx_call_buf 返回所需长度，
// of_call 按该长度重新分配缓冲区，取回库里保存的结果（不会重新执行请求）。
long il_buffer_size = 8192
end variables

forward prototypes
public function string of_call (string as_method, string as_request)
public function string of_init (string as_config)
public function string of_shutdown ()
public function string of_version ()
public function string of_status (string as_json)
public function string of_get (string as_json, string as_key)
public function boolean of_ok (string as_json)
public function string of_doctor_search (string as_request)
public function string of_oauth_authorize (string as_request)
public function string of_oauth_tokeninfo (string as_request)
public function string of_selfsign_request (string as_request)
public function string of_selfsign_result (string as_request)
public function string of_selfsign_quit (string as_request)
public function string of_digest (string as_request)
public function string of_sign_data (string as_request)
public function string of_sign_business (string as_request)
public function string of_sign_status (string as_request)
public function string of_sign_list (string as_request)
public function string of_sign_result (string as_request)
public function string of_doctor_pending (string as_request)
public function string of_sign_delete (string as_request)
public function string of_verify_data (string as_request)
public function string of_verify_timestamp (string as_request)
public function string of_verify_local (string as_request)
public function string of_sign_wait (string as_request)
public function string of_selfsign_wait (string as_request)
public function string of_oauth_wait (string as_request)
public function string of_outbox_list (string as_request)
public function string of_outbox_flush (string as_request)
end prototypes

public function string of_call (string as_method, string as_request);// 调用任意方法（ywx_call 的方法名，如 "sign_data"），返回应答 JSON（信封）。
// 缓冲区不够时按返回的长度重试一次：第二次调用用 "last_result" 取回保存的结果，
// 请求不会被执行两次（签名推送不会重复推送）。
string ls_out
long ll_len

ls_out = Space(il_buffer_size)
ll_len = ywx_call_buf(as_method, as_request, ls_out, il_buffer_size)
IF ll_len >= il_buffer_size THEN
	ls_out = Space(ll_len + 1)
	ll_len = ywx_call_buf("last_result", "", ls_out, ll_len + 1)
END IF
IF ll_len < 0 THEN
	return '{"status":"YWX-1002","message":"ywx_call_buf 参数错误","data":null}'
END IF
return ls_out
end function

public function string of_init (string as_config);// 设置配置（ywx_init）；as_config 为空串时读取 DLL 旁边的 ywx.json。
// 返回生效的配置（密钥已打码）；失败时 status 为 YWX-1004，message 说明原因。
return of_call("init", as_config)
end function

public function string of_shutdown ();// 程序退出前调用（ywx_shutdown）
return of_call("shutdown", "")
end function

public function string of_version ();return ywx_version()
end function

public function string of_status (string as_json);// 应答的 status："0" 成功；"YWX-xxxx" 是 ywx 的错误（见 README 错误码）；其他是网关的
return of_get(as_json, "status")
end function

public function boolean of_ok (string as_json);return of_status(as_json) = "0"
end function

public function string of_get (string as_json, string as_key);// 取第一个名为 as_key 的字符串或数字值，例如 of_get(ls_reply, "uniqueId")。
// 只是简单的查找，不是完整的 JSON 解析；PB 2017 R2 及以后请用 JsonParser。
long ll_pos, ll_end
string ls_value, ls_ch

ll_pos = Pos(as_json, '"' + as_key + '"')
IF ll_pos = 0 THEN return ""
ll_pos = Pos(as_json, ":", ll_pos + Len(as_key) + 2)
IF ll_pos = 0 THEN return ""
ll_pos++
DO WHILE Mid(as_json, ll_pos, 1) = " "
	ll_pos++
LOOP
IF Mid(as_json, ll_pos, 1) = '"' THEN
	ll_pos++
	ls_value = ""
	DO WHILE ll_pos <= Len(as_json)
		ls_ch = Mid(as_json, ll_pos, 1)
		IF ls_ch = '"' THEN EXIT
		IF ls_ch = "\" THEN
			ll_pos++
			ls_ch = Mid(as_json, ll_pos, 1)
			IF ls_ch = "n" THEN ls_ch = "~n"
		END IF
		ls_value += ls_ch
		ll_pos++
	LOOP
	return ls_value
END IF
ll_end = ll_pos
DO WHILE ll_end <= Len(as_json) AND Pos(",}] ", Mid(as_json, ll_end, 1)) = 0
	ll_end++
LOOP
ls_value = Mid(as_json, ll_pos, ll_end - ll_pos)
IF ls_value = "null" THEN return ""
return ls_value
end function

public function string of_doctor_search (string as_request);// ywx_doctor_search：同步医师结果查询（经由 ywx_call_buf）
return of_call("doctor_search", as_request)
end function

public function string of_oauth_authorize (string as_request);// ywx_oauth_authorize：OAuth 登录认证请求（二维码）（经由 ywx_call_buf）
return of_call("oauth_authorize", as_request)
end function

public function string of_oauth_tokeninfo (string as_request);// ywx_oauth_tokeninfo：OAuth 获取用户信息（经由 ywx_call_buf）
return of_call("oauth_tokeninfo", as_request)
end function

public function string of_selfsign_request (string as_request);// ywx_selfsign_request：请求自动签名授权（二维码）（经由 ywx_call_buf）
return of_call("selfsign_request", as_request)
end function

public function string of_selfsign_result (string as_request);// ywx_selfsign_result：获取自动签名授权结果（经由 ywx_call_buf）
return of_call("selfsign_result", as_request)
end function

public function string of_selfsign_quit (string as_request);// ywx_selfsign_quit：退出自动签名授权（经由 ywx_call_buf）
return of_call("selfsign_quit", as_request)
end function

public function string of_digest (string as_request);// ywx_digest：数据摘要 SHA1/SHA256/SM3，本地计算；remote 时由网关计算（经由 ywx_call_buf）
return of_call("digest", as_request)
end function

public function string of_sign_data (string as_request);// ywx_sign_data：数据签名（摘要模板、personRolesPdf）（经由 ywx_call_buf）
return of_call("sign_data", as_request)
end function

public function string of_sign_business (string as_request);// ywx_sign_business：商务办公类数据签名（经由 ywx_call_buf）
return of_call("sign_business", as_request)
end function

public function string of_sign_status (string as_request);// ywx_sign_status：签名状态查询（按订单）（经由 ywx_call_buf）
return of_call("sign_status", as_request)
end function

public function string of_sign_list (string as_request);// ywx_sign_list：签名状态查询（按时间）（经由 ywx_call_buf）
return of_call("sign_list", as_request)
end function

public function string of_sign_result (string as_request);// ywx_sign_result：获取签名结果（P7 / P1 + 证书）（经由 ywx_call_buf）
return of_call("sign_result", as_request)
end function

public function string of_doctor_pending (string as_request);// ywx_doctor_pending：查询医师是否有待签数据（经由 ywx_call_buf）
return of_call("doctor_pending", as_request)
end function

public function string of_sign_delete (string as_request);// ywx_sign_delete：删除待签数据（经由 ywx_call_buf）
return of_call("sign_delete", as_request)
end function

public function string of_verify_data (string as_request);// ywx_verify_data：验证签名结果（经由 ywx_call_buf）
return of_call("verify_data", as_request)
end function

public function string of_verify_timestamp (string as_request);// ywx_verify_timestamp：验证时间戳（经由 ywx_call_buf）
return of_call("verify_timestamp", as_request)
end function

public function string of_verify_local (string as_request);// ywx_verify_local：本地离线验签：P7、P1 + 证书、时间戳（SM2/ECDSA/RSA），不连网关（经由 ywx_call_buf）
return of_call("verify_local", as_request)
end function

public function string of_sign_wait (string as_request);// ywx_sign_wait：等待医师签名：订单离开 0/10 状态或超时（经由 ywx_call_buf）
return of_call("sign_wait", as_request)
end function

public function string of_selfsign_wait (string as_request);// ywx_selfsign_wait：等待自动签授权结果：grantStep 为 1 或 2，或超时（经由 ywx_call_buf）
return of_call("selfsign_wait", as_request)
end function

public function string of_oauth_wait (string as_request);// ywx_oauth_wait：等待医师扫码登录：只在“未授权（未扫码）”时继续等（经由 ywx_call_buf）
return of_call("oauth_wait", as_request)
end function

public function string of_outbox_list (string as_request);// ywx_outbox_list：列出离线发件箱（按 urId、state 过滤）（经由 ywx_call_buf）
return of_call("outbox_list", as_request)
end function

public function string of_outbox_flush (string as_request);// ywx_outbox_flush：立即推送离线发件箱中等待的签名请求（经由 ywx_call_buf）
return of_call("outbox_flush", as_request)
end function

on n_ywx.create
call super::create
TriggerEvent( this, "constructor" )
end on

on n_ywx.destroy
TriggerEvent( this, "destructor" )
call super::destroy
end on
