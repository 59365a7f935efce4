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

Public Function YwxSignData(ByVal request_json As String) As String
    YwxSignData = YwxCall("sign_data", request_json)
End Function

Public Function YwxSignWait(ByVal request_json As String) As String
    YwxSignWait = YwxCall("sign_wait", request_json)
End Function

Public Function YwxSignResult(ByVal request_json As String) As String
    YwxSignResult = YwxCall("sign_result", request_json)
End Function

Public Function YwxDoctorSearch(ByVal request_json As String) As String
    YwxDoctorSearch = YwxCall("doctor_search", request_json)
End Function

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
