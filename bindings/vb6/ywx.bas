Attribute VB_Name = "ywx"
' ywx.bas — 医网信（51trust）移动签名网关 ywx.dll 的 VB6 声明与封装（单文件模块）。
'
' 把本模块加入工程即可。VB6 以 ANSI 传字符串（中文 Windows 即 GBK），
' 所以 ywx.json / YwxInit 的配置要写 "encoding": "gbk"。ywx.dll 必须是 32 位的。
'
' 推荐用 YwxCall / YwxInit / YwxSignData 等函数：它们经由 ywx_call_buf，
' 结果写进 VB 分配的缓冲区，不涉及 DLL 内存。
' 直接调用返回 Long（char * 指针）的声明时，每个指针都必须且只能交给 YwxTake
' （读出内容并 ywx_free）一次；ywx_version 的指针是静态的，不能释放。
Option Explicit

' ---- ywx.dll 的全部导出函数（include/ywx.h），32 位 stdcall ------------------
Public Declare Function ywx_call_buf Lib "ywx.dll" (ByVal method As String, ByVal request_json As String, ByVal out_buf As String, ByVal out_size As Long) As Long
Public Declare Function ywx_version Lib "ywx.dll" () As Long
Public Declare Function ywx_init Lib "ywx.dll" (ByVal config_json As String) As Long
Public Declare Function ywx_shutdown Lib "ywx.dll" () As Long
Public Declare Sub ywx_free Lib "ywx.dll" (ByVal s As Long)
Public Declare Function ywx_call Lib "ywx.dll" (ByVal method As String, ByVal request_json As String) As Long
' ---- generated [declares] by cargo run -p ywx-gen: do not edit ----
Public Declare Function ywx_doctor_search Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_oauth_authorize Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_oauth_tokeninfo Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_selfsign_request Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_selfsign_result Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_selfsign_quit Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_digest Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_sign_data Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_sign_business Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_sign_status Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_sign_list Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_sign_result Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_doctor_pending Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_sign_delete Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_verify_data Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_verify_timestamp Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_verify_local Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_sign_wait Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_selfsign_wait Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_oauth_wait Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_outbox_list Lib "ywx.dll" (ByVal request_json As String) As Long
Public Declare Function ywx_outbox_flush Lib "ywx.dll" (ByVal request_json As String) As Long
' ---- end generated [declares] ----

Private Declare Function lstrlenA Lib "kernel32" (ByVal p As Long) As Long
Private Declare Sub CopyMemory Lib "kernel32" Alias "RtlMoveMemory" (ByVal dst As String, ByVal src As Long, ByVal n As Long)

' 第一次调用使用的缓冲区大小（字节）
Private Const YWX_BUFFER_SIZE As Long = 8192

' 调用任意方法（ywx_call 的方法名，如 "sign_data"），返回应答 JSON（信封）。
' 缓冲区不够时，ywx_call_buf 返回所需字节数，结果保存在库里；这里按该长度重新
' 分配缓冲区，用 "last_result" 取回，请求不会被执行两次（签名推送不会重复推送）。
Public Function YwxCall(ByVal method As String, ByVal request_json As String) As String
    Dim buf As String, n As Long
    buf = String$(YWX_BUFFER_SIZE, vbNullChar)
    n = ywx_call_buf(method, request_json, buf, YWX_BUFFER_SIZE)
    If n >= YWX_BUFFER_SIZE Then
        buf = String$(n + 1, vbNullChar)
        n = ywx_call_buf("last_result", vbNullString, buf, n + 1)
    End If
    If n < 0 Then
        YwxCall = "{""status"":""YWX-1002"",""message"":""ywx_call_buf 参数错误"",""data"":null}"
        Exit Function
    End If
    ' n 是 GBK 字节数，不是字符数：按 NUL 截断
    YwxCall = Left$(buf, InStr(buf, vbNullChar) - 1)
End Function

' 设置配置（ywx_init）；config_json 为 "" 时读取 DLL 旁边的 ywx.json
Public Function YwxInit(ByVal config_json As String) As String
    YwxInit = YwxCall("init", config_json)
End Function

' 程序退出前调用（ywx_shutdown）
Public Function YwxShutdown() As String
    YwxShutdown = YwxCall("shutdown", "")
End Function

Public Function YwxVersion() As String
    YwxVersion = PtrToString(ywx_version())   ' 静态字符串：不释放
End Function

' ---- generated [wrappers] by cargo run -p ywx-gen: do not edit ----
' ywx_doctor_search：同步医师结果查询（经由 ywx_call_buf）
Public Function YwxDoctorSearch(ByVal request_json As String) As String
    YwxDoctorSearch = YwxCall("doctor_search", request_json)
End Function

' ywx_oauth_authorize：OAuth 登录认证请求（二维码）（经由 ywx_call_buf）
Public Function YwxOauthAuthorize(ByVal request_json As String) As String
    YwxOauthAuthorize = YwxCall("oauth_authorize", request_json)
End Function

' ywx_oauth_tokeninfo：OAuth 获取用户信息（经由 ywx_call_buf）
Public Function YwxOauthTokeninfo(ByVal request_json As String) As String
    YwxOauthTokeninfo = YwxCall("oauth_tokeninfo", request_json)
End Function

' ywx_selfsign_request：请求自动签名授权（二维码）（经由 ywx_call_buf）
Public Function YwxSelfsignRequest(ByVal request_json As String) As String
    YwxSelfsignRequest = YwxCall("selfsign_request", request_json)
End Function

' ywx_selfsign_result：获取自动签名授权结果（经由 ywx_call_buf）
Public Function YwxSelfsignResult(ByVal request_json As String) As String
    YwxSelfsignResult = YwxCall("selfsign_result", request_json)
End Function

' ywx_selfsign_quit：退出自动签名授权（经由 ywx_call_buf）
Public Function YwxSelfsignQuit(ByVal request_json As String) As String
    YwxSelfsignQuit = YwxCall("selfsign_quit", request_json)
End Function

' ywx_digest：数据摘要 SHA1/SHA256/SM3，本地计算；remote 时由网关计算（经由 ywx_call_buf）
Public Function YwxDigest(ByVal request_json As String) As String
    YwxDigest = YwxCall("digest", request_json)
End Function

' ywx_sign_data：数据签名（摘要模板、personRolesPdf）（经由 ywx_call_buf）
Public Function YwxSignData(ByVal request_json As String) As String
    YwxSignData = YwxCall("sign_data", request_json)
End Function

' ywx_sign_business：商务办公类数据签名（经由 ywx_call_buf）
Public Function YwxSignBusiness(ByVal request_json As String) As String
    YwxSignBusiness = YwxCall("sign_business", request_json)
End Function

' ywx_sign_status：签名状态查询（按订单）（经由 ywx_call_buf）
Public Function YwxSignStatus(ByVal request_json As String) As String
    YwxSignStatus = YwxCall("sign_status", request_json)
End Function

' ywx_sign_list：签名状态查询（按时间）（经由 ywx_call_buf）
Public Function YwxSignList(ByVal request_json As String) As String
    YwxSignList = YwxCall("sign_list", request_json)
End Function

' ywx_sign_result：获取签名结果（P7 / P1 + 证书）（经由 ywx_call_buf）
Public Function YwxSignResult(ByVal request_json As String) As String
    YwxSignResult = YwxCall("sign_result", request_json)
End Function

' ywx_doctor_pending：查询医师是否有待签数据（经由 ywx_call_buf）
Public Function YwxDoctorPending(ByVal request_json As String) As String
    YwxDoctorPending = YwxCall("doctor_pending", request_json)
End Function

' ywx_sign_delete：删除待签数据（经由 ywx_call_buf）
Public Function YwxSignDelete(ByVal request_json As String) As String
    YwxSignDelete = YwxCall("sign_delete", request_json)
End Function

' ywx_verify_data：验证签名结果（经由 ywx_call_buf）
Public Function YwxVerifyData(ByVal request_json As String) As String
    YwxVerifyData = YwxCall("verify_data", request_json)
End Function

' ywx_verify_timestamp：验证时间戳（经由 ywx_call_buf）
Public Function YwxVerifyTimestamp(ByVal request_json As String) As String
    YwxVerifyTimestamp = YwxCall("verify_timestamp", request_json)
End Function

' ywx_verify_local：本地离线验签：P7、P1 + 证书、时间戳（SM2/ECDSA/RSA），不连网关（经由 ywx_call_buf）
Public Function YwxVerifyLocal(ByVal request_json As String) As String
    YwxVerifyLocal = YwxCall("verify_local", request_json)
End Function

' ywx_sign_wait：等待医师签名：订单离开 0/10 状态或超时（经由 ywx_call_buf）
Public Function YwxSignWait(ByVal request_json As String) As String
    YwxSignWait = YwxCall("sign_wait", request_json)
End Function

' ywx_selfsign_wait：等待自动签授权结果：grantStep 为 1 或 2，或超时（经由 ywx_call_buf）
Public Function YwxSelfsignWait(ByVal request_json As String) As String
    YwxSelfsignWait = YwxCall("selfsign_wait", request_json)
End Function

' ywx_oauth_wait：等待医师扫码登录：只在“未授权（未扫码）”时继续等（经由 ywx_call_buf）
Public Function YwxOauthWait(ByVal request_json As String) As String
    YwxOauthWait = YwxCall("oauth_wait", request_json)
End Function

' ywx_outbox_list：列出离线发件箱（按 urId、state 过滤）（经由 ywx_call_buf）
Public Function YwxOutboxList(ByVal request_json As String) As String
    YwxOutboxList = YwxCall("outbox_list", request_json)
End Function

' ywx_outbox_flush：立即推送离线发件箱中等待的签名请求（经由 ywx_call_buf）
Public Function YwxOutboxFlush(ByVal request_json As String) As String
    YwxOutboxFlush = YwxCall("outbox_flush", request_json)
End Function
' ---- end generated [wrappers] ----

' 读出 ywx 返回的 char * 并用 ywx_free 释放（每个指针只能交给它一次）
Public Function YwxTake(ByVal p As Long) As String
    YwxTake = PtrToString(p)
    If p <> 0 Then ywx_free p
End Function

Private Function PtrToString(ByVal p As Long) As String
    Dim n As Long, s As String
    If p = 0 Then Exit Function
    n = lstrlenA(p)
    s = String$(n, vbNullChar)
    CopyMemory s, p, n   ' ANSI 字节 -> VB 字符串（GBK 解码由 VB 完成）
    PtrToString = Left$(s, InStr(s & vbNullChar, vbNullChar) - 1)
End Function

' 应答的 status："0" 成功；"YWX-xxxx" 是 ywx 的错误（见 README 错误码）；其他是网关的
Public Function YwxStatus(ByVal json As String) As String
    YwxStatus = YwxGet(json, "status")
End Function

' 取第一个名为 key 的字符串或数字值，例如 YwxGet(reply, "uniqueId")。
' 只是简单查找，不是完整的 JSON 解析。
Public Function YwxGet(ByVal json As String, ByVal key As String) As String
    Dim p As Long, e As Long, ch As String, v As String
    p = InStr(json, """" & key & """")
    If p = 0 Then Exit Function
    p = InStr(p + Len(key) + 2, json, ":")
    If p = 0 Then Exit Function
    p = p + 1
    Do While Mid$(json, p, 1) = " "
        p = p + 1
    Loop
    If Mid$(json, p, 1) = """" Then
        p = p + 1
        Do While p <= Len(json)
            ch = Mid$(json, p, 1)
            If ch = """" Then Exit Do
            If ch = "\" Then
                p = p + 1
                ch = Mid$(json, p, 1)
                If ch = "n" Then ch = vbLf
            End If
            v = v & ch
            p = p + 1
        Loop
        YwxGet = v
        Exit Function
    End If
    e = p
    Do While e <= Len(json) And InStr(",}] ", Mid$(json, e, 1)) = 0
        e = e + 1
    Loop
    v = Mid$(json, p, e - p)
    If v <> "null" Then YwxGet = v
End Function
