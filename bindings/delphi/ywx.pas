{ ywx.pas — 医网信（51trust）移动签名网关 ywx 库的 Delphi / Free Pascal 单元（单文件）。

  把本文件加入工程，uses ywx; 即可。支持：
  - Delphi 7 ~ 2007（string = AnsiString）：字符串原样按 ANSI 传给 DLL，
    中文 Windows 上就是 GBK，所以 ywx.json / YwxInit 的配置要写 "encoding": "gbk"。
  - Delphi 2009 及以后（string = UnicodeString）：本单元用 UTF8String 转换，
    配置要写 "encoding": "utf-8"（默认值）。
  - Free Pascal $mode delphi（AnsiString，字节原样传递）和 $mode delphiunicode。

  Ownership: every PAnsiChar an ywx_* function returns (except ywx_version,
  a static string) belongs to the caller and must be given to ywx_free
  exactly once. The wrapper functions (YwxXxx) do that in one place, Take();
  they return ordinary Pascal strings you own. If you call the raw ywx_*
  declarations yourself, free every result with ywx_free (never FreeMem,
  StrDispose or the like). Request strings are only read during the call.

  Errors: YwxInit and the YwxXxx functions raise EYwx when the reply's status
  is not "0" (ywx's own YWX-xxxx errors and the gateway's); YwxCall returns
  every envelope as it is. Every function is thread-safe. }
unit ywx;

{$IFDEF FPC}
  {$IFNDEF UNICODE}{$MODE DELPHI}{$ENDIF}
  {$H+}
  {$IFDEF UNICODE}{$DEFINE YWX_UNICODE}{$ENDIF}
{$ELSE}
  {$IF CompilerVersion >= 20.0}   { Delphi 2009+: string is UnicodeString }
    {$DEFINE YWX_UNICODE}
  {$IFEND}
{$ENDIF}

interface

uses
  SysUtils;

const
{$IFDEF MSWINDOWS}
  YwxLib = 'ywx.dll';
{$ELSE}
  YwxLib = 'ywx';   { libywx.so / libywx.dylib }
{$ENDIF}

{ ---- the C exports of include/ywx.h, one to one (stdcall on 32-bit Windows) ---- }

function ywx_version: PAnsiChar; stdcall; external YwxLib;   { static: never free }
function ywx_init(ConfigJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_shutdown: PAnsiChar; stdcall; external YwxLib;
procedure ywx_free(S: PAnsiChar); stdcall; external YwxLib;
function ywx_call(Method, RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_call_buf(Method, RequestJson: PAnsiChar; Output: PAnsiChar; OutSize: Integer): Integer; stdcall; external YwxLib;
{ ---- generated [externals] by cargo run -p ywx-gen: do not edit ---- }
function ywx_doctor_search(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_oauth_authorize(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_oauth_tokeninfo(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_selfsign_request(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_selfsign_result(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_selfsign_quit(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_digest(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_sign_data(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_sign_business(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_sign_status(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_sign_list(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_sign_result(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_doctor_pending(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_sign_delete(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_verify_data(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_verify_timestamp(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_verify_local(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_sign_wait(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_selfsign_wait(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_oauth_wait(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;
function ywx_outbox_list(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;   { NULL allowed }
function ywx_outbox_flush(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;   { NULL allowed }
{ ---- end generated [externals] ---- }

{ ---- the wrapper ---------------------------------------------------------- }

type
  { An envelope whose status is not "0". Status: 'YWX-1002' (ywx's own error,
    see Code and Field) or the gateway's ('3001'...); Message: status and
    the Chinese message; Envelope: the whole reply (JSON). }
  EYwx = class(Exception)
  private
    FStatus, FCode, FField, FEnvelope: string;
  public
    constructor CreateEnvelope(const AEnvelope: string);
    function IsYwxError: Boolean;   { True for YWX-xxxx, False for the gateway's }
    property Status: string read FStatus;
    property Code: string read FCode;
    property Field: string read FField;
    property Envelope: string read FEnvelope;
  end;

  { the raw signature of the one-request exports }
  TYwxExport = function(RequestJson: PAnsiChar): PAnsiChar; stdcall;

{ ywx_init; ConfigJson = '' loads ywx.json beside the DLL. Returns the
  effective config (clientSecret masked); raises EYwx (YWX-1004) on a bad one. }
function YwxInit(const ConfigJson: string): string;
function YwxVersion: string;
{ ywx_shutdown: call before FreeLibrary / at program end. }
function YwxShutdown: string;
{ ywx_call: any method by name ('sign_data'...); returns the envelope whatever its status. }
function YwxCall(const Method, RequestJson: string): string;

{ One per export: the reply when its status is "0", else raises EYwx. }
{ ---- generated [wrappers] by cargo run -p ywx-gen: do not edit ---- }
function YwxDoctorSearch(const RequestJson: string): string;
function YwxOauthAuthorize(const RequestJson: string): string;
function YwxOauthTokeninfo(const RequestJson: string): string;
function YwxSelfsignRequest(const RequestJson: string): string;
function YwxSelfsignResult(const RequestJson: string): string;
function YwxSelfsignQuit(const RequestJson: string): string;
function YwxDigest(const RequestJson: string): string;
function YwxSignData(const RequestJson: string): string;
function YwxSignBusiness(const RequestJson: string): string;
function YwxSignStatus(const RequestJson: string): string;
function YwxSignList(const RequestJson: string): string;
function YwxSignResult(const RequestJson: string): string;
function YwxDoctorPending(const RequestJson: string): string;
function YwxSignDelete(const RequestJson: string): string;
function YwxVerifyData(const RequestJson: string): string;
function YwxVerifyTimestamp(const RequestJson: string): string;
function YwxVerifyLocal(const RequestJson: string): string;
function YwxSignWait(const RequestJson: string): string;
function YwxSelfsignWait(const RequestJson: string): string;
function YwxOauthWait(const RequestJson: string): string;
function YwxOutboxList(const RequestJson: string): string;   { '' = NULL }
function YwxOutboxFlush(const RequestJson: string): string;   { '' = NULL }
{ ---- end generated [wrappers] ---- }

{ A tiny JSON reader and writer (Delphi 7 has no JSON library):
  YwxJsonGet(Reply, 'data.uniqueId') is the value at a dotted path: a
  string's text, a number's or true/false's literal, an object's or array's
  JSON text; '' when absent or null. YwxJsonQuote(S) is S as a JSON string
  literal with its quotes, for building requests. }
function YwxJsonGet(const Json, Path: string): string;
function YwxJsonQuote(const S: string): string;

implementation

type
{$IFDEF YWX_UNICODE}
  TNative = UTF8String;   { what crosses the boundary: UTF-8 }
{$ELSE}
  TNative = AnsiString;   { the caller's ANSI bytes as they are (GBK on Chinese Windows) }
{$ENDIF}

function ToNative(const S: string): TNative;
begin
  Result := TNative(S);
end;

{ nil for '', so that optional requests are NULL }
function NativePtr(const N: TNative): PAnsiChar;
begin
  if Length(N) = 0 then Result := nil else Result := PAnsiChar(N);
end;

{ Copies the NUL-terminated text at P (not freeing it). }
function FromNative(P: PAnsiChar): string;
var
  N: TNative;
  Len: Integer;
begin
  Len := 0;
  if P <> nil then Len := StrLen(P);
  SetLength(N, Len);
  if Len > 0 then Move(P^, N[1], Len);   { bytes as they are: no code page guess }
  Result := string(N);
end;

{ The one place where returned memory is read and freed: exactly once. }
function Take(P: PAnsiChar): string;
begin
  try
    Result := FromNative(P);
  finally
    ywx_free(P);
  end;
end;

function Check(const Envelope: string): string;
begin
  if YwxJsonGet(Envelope, 'status') <> '0' then
    raise EYwx.CreateEnvelope(Envelope);
  Result := Envelope;
end;

function Run(F: TYwxExport; const RequestJson: string): string;
var
  N: TNative;
begin
  N := ToNative(RequestJson);
  Result := Check(Take(F(NativePtr(N))));
end;

{ EYwx }

constructor EYwx.CreateEnvelope(const AEnvelope: string);
begin
  FEnvelope := AEnvelope;
  FStatus := YwxJsonGet(AEnvelope, 'status');
  FCode := YwxJsonGet(AEnvelope, 'error.code');
  FField := YwxJsonGet(AEnvelope, 'error.field');
  inherited Create(FStatus + ' ' + YwxJsonGet(AEnvelope, 'message'));
end;

function EYwx.IsYwxError: Boolean;
begin
  Result := Copy(FStatus, 1, 4) = 'YWX-';
end;

{ functions }

function YwxInit(const ConfigJson: string): string;
var
  N: TNative;
begin
  N := ToNative(ConfigJson);
  Result := Check(Take(ywx_init(NativePtr(N))));
{$IFDEF YWX_UNICODE}
  if YwxJsonGet(Result, 'data.encoding') <> 'utf-8' then
    raise EYwx.Create('YWX-1004 Delphi 2009 及以后版本（Unicode string）请在配置中使用 "encoding": "utf-8"');
{$ENDIF}
end;

function YwxVersion: string;
begin
  Result := FromNative(ywx_version);   { static: not freed }
end;

function YwxShutdown: string;
begin
  Result := Take(ywx_shutdown);
end;

function YwxCall(const Method, RequestJson: string): string;
var
  M, R: TNative;
begin
  M := ToNative(Method);
  R := ToNative(RequestJson);
  Result := Take(ywx_call(PAnsiChar(M), NativePtr(R)));
end;

{ ---- generated [wrapper bodies] by cargo run -p ywx-gen: do not edit ---- }
function YwxDoctorSearch(const RequestJson: string): string; begin Result := Run(ywx_doctor_search, RequestJson); end;
function YwxOauthAuthorize(const RequestJson: string): string; begin Result := Run(ywx_oauth_authorize, RequestJson); end;
function YwxOauthTokeninfo(const RequestJson: string): string; begin Result := Run(ywx_oauth_tokeninfo, RequestJson); end;
function YwxSelfsignRequest(const RequestJson: string): string; begin Result := Run(ywx_selfsign_request, RequestJson); end;
function YwxSelfsignResult(const RequestJson: string): string; begin Result := Run(ywx_selfsign_result, RequestJson); end;
function YwxSelfsignQuit(const RequestJson: string): string; begin Result := Run(ywx_selfsign_quit, RequestJson); end;
function YwxDigest(const RequestJson: string): string; begin Result := Run(ywx_digest, RequestJson); end;
function YwxSignData(const RequestJson: string): string; begin Result := Run(ywx_sign_data, RequestJson); end;
function YwxSignBusiness(const RequestJson: string): string; begin Result := Run(ywx_sign_business, RequestJson); end;
function YwxSignStatus(const RequestJson: string): string; begin Result := Run(ywx_sign_status, RequestJson); end;
function YwxSignList(const RequestJson: string): string; begin Result := Run(ywx_sign_list, RequestJson); end;
function YwxSignResult(const RequestJson: string): string; begin Result := Run(ywx_sign_result, RequestJson); end;
function YwxDoctorPending(const RequestJson: string): string; begin Result := Run(ywx_doctor_pending, RequestJson); end;
function YwxSignDelete(const RequestJson: string): string; begin Result := Run(ywx_sign_delete, RequestJson); end;
function YwxVerifyData(const RequestJson: string): string; begin Result := Run(ywx_verify_data, RequestJson); end;
function YwxVerifyTimestamp(const RequestJson: string): string; begin Result := Run(ywx_verify_timestamp, RequestJson); end;
function YwxVerifyLocal(const RequestJson: string): string; begin Result := Run(ywx_verify_local, RequestJson); end;
function YwxSignWait(const RequestJson: string): string; begin Result := Run(ywx_sign_wait, RequestJson); end;
function YwxSelfsignWait(const RequestJson: string): string; begin Result := Run(ywx_selfsign_wait, RequestJson); end;
function YwxOauthWait(const RequestJson: string): string; begin Result := Run(ywx_oauth_wait, RequestJson); end;
function YwxOutboxList(const RequestJson: string): string; begin Result := Run(ywx_outbox_list, RequestJson); end;
function YwxOutboxFlush(const RequestJson: string): string; begin Result := Run(ywx_outbox_flush, RequestJson); end;
{ ---- end generated [wrapper bodies] ---- }

{ JSON }

procedure SkipWs(const S: string; var I: Integer);
begin
  while (I <= Length(S)) and ((S[I] = ' ') or (S[I] = #9) or (S[I] = #10) or (S[I] = #13)) do
    Inc(I);
end;

{ Reads the string literal at S[I] ('"'); I moves past it. False if malformed. }
function ReadStr(const S: string; var I: Integer; out Value: string): Boolean;
var
  C: Char;
  Code: Integer;
begin
  Result := False;
  Value := '';
  if (I > Length(S)) or (S[I] <> '"') then Exit;
  Inc(I);
  while I <= Length(S) do
  begin
    C := S[I];
{$IFNDEF YWX_UNICODE}
    if (C in LeadBytes) and (I < Length(S)) then
    begin
      { a GBK character: its second byte may be '\' (0x5C) and is no escape }
      Value := Value + C + S[I + 1];
      Inc(I, 2);
      Continue;
    end;
{$ENDIF}
    if C = '"' then
    begin
      Inc(I);
      Result := True;
      Exit;
    end;
    if (C = '\') and (I < Length(S)) then
    begin
      Inc(I);
      case S[I] of
        'n': Value := Value + #10;
        'r': Value := Value + #13;
        't': Value := Value + #9;
        'b': Value := Value + #8;
        'f': Value := Value + #12;
        'u':
          begin
            Code := StrToIntDef('$' + Copy(S, I + 1, 4), 63);
{$IFDEF YWX_UNICODE}
            Value := Value + Char(Code);
{$ELSE}
            if Code < 128 then Value := Value + Chr(Code) else Value := Value + '?';
{$ENDIF}
            Inc(I, 4);
          end;
      else
        Value := Value + S[I];
      end;
    end
    else
      Value := Value + C;
    Inc(I);
  end;
end;

{ Moves I past one value. }
function SkipValue(const S: string; var I: Integer): Boolean;
var
  Depth: Integer;
  Dummy: string;
begin
  SkipWs(S, I);
  Result := False;
  if I > Length(S) then Exit;
  if S[I] = '"' then
  begin
    Result := ReadStr(S, I, Dummy);
    Exit;
  end;
  if (S[I] = '{') or (S[I] = '[') then
  begin
    Depth := 0;
    while I <= Length(S) do
    begin
      if S[I] = '"' then
      begin
        if not ReadStr(S, I, Dummy) then Exit;
        Continue;
      end;
      if (S[I] = '{') or (S[I] = '[') then Inc(Depth)
      else if (S[I] = '}') or (S[I] = ']') then
      begin
        Dec(Depth);
        if Depth = 0 then
        begin
          Inc(I);
          Result := True;
          Exit;
        end;
      end;
      Inc(I);
    end;
    Exit;
  end;
  while (I <= Length(S)) and (Pos(S[I], ',}] '#9#10#13) = 0) do
    Inc(I);
  Result := True;
end;

function YwxJsonGet(const Json, Path: string): string;
var
  I, Start, Dot: Integer;
  Rest, Key, K: string;
  Found: Boolean;
begin
  Result := '';
  I := 1;
  Rest := Path;
  while Rest <> '' do
  begin
    Dot := Pos('.', Rest);
    if Dot > 0 then
    begin
      Key := Copy(Rest, 1, Dot - 1);
      Rest := Copy(Rest, Dot + 1, MaxInt);
    end
    else
    begin
      Key := Rest;
      Rest := '';
    end;
    SkipWs(Json, I);
    if (I > Length(Json)) or (Json[I] <> '{') then Exit;
    Inc(I);
    Found := False;
    while not Found do
    begin
      SkipWs(Json, I);
      if (I > Length(Json)) or (Json[I] = '}') then Exit;
      if Json[I] = ',' then
      begin
        Inc(I);
        Continue;
      end;
      if not ReadStr(Json, I, K) then Exit;
      SkipWs(Json, I);
      if (I > Length(Json)) or (Json[I] <> ':') then Exit;
      Inc(I);
      SkipWs(Json, I);
      if K = Key then
        Found := True
      else if not SkipValue(Json, I) then
        Exit;
    end;
  end;
  if I > Length(Json) then Exit;
  if Json[I] = '"' then
  begin
    ReadStr(Json, I, Result);
    Exit;
  end;
  Start := I;
  if not SkipValue(Json, I) then Exit;
  Result := Trim(Copy(Json, Start, I - Start));
  if Result = 'null' then Result := '';
end;

function YwxJsonQuote(const S: string): string;
var
  I: Integer;
begin
  Result := '"';
  I := 1;
  while I <= Length(S) do
  begin
{$IFNDEF YWX_UNICODE}
    if (S[I] in LeadBytes) and (I < Length(S)) then
    begin
      Result := Result + S[I] + S[I + 1];   { a GBK character, copied whole }
      Inc(I, 2);
      Continue;
    end;
{$ENDIF}
    case S[I] of
      '"': Result := Result + '\"';
      '\': Result := Result + '\\';
      #10: Result := Result + '\n';
      #13: Result := Result + '\r';
      #9: Result := Result + '\t';
    else
      if Ord(S[I]) < 32 then
        Result := Result + '\u' + IntToHex(Ord(S[I]), 4)
      else
        Result := Result + S[I];
    end;
    Inc(I);
  end;
  Result := Result + '"';
end;

end.
