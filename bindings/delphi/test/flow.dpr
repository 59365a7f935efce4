{ flow.dpr — 用 bindings/delphi/ywx.pas 走完整的签名流程（测试用，也是示例）。
  The full signing flow through the Delphi unit, compiled by tests/bindings.rs
  with Free Pascal (mode delphi, and mode delphiunicode with -dYWX_FLOW_UNICODE)
  and run against ywx-sim (doctors sign by themselves after 500 ms).

    fpc -Fu.. -Fl<dir of libywx.so> -k-rpath=<dir> test/flow.dpr
    ./flow BASE_URL WORK_DIR

  Prints one line per step; exit status 0 only when every step held. }
program flow;

{$IFDEF FPC}
  {$IFDEF YWX_FLOW_UNICODE}{$MODE DELPHIUNICODE}{$CODEPAGE UTF8}{$ELSE}{$MODE DELPHI}{$ENDIF}
{$ENDIF}
{$IFNDEF FPC}{$APPTYPE CONSOLE}{$ENDIF}

uses
  {$IFDEF UNIX}{$IFDEF YWX_FLOW_UNICODE}cwstring,{$ENDIF}{$ENDIF}   { FPC: UTF-8 <-> UTF-16 on Unix }
  SysUtils, Classes, ywx;

const
  Doctor = 'aa69bbd2b150006aq5164wfe4dybd786d1a';

procedure Expect(Cond: Boolean; const What: string);
begin
  if not Cond then
  begin
    WriteLn('[FAIL] ', What);
    Halt(1);
  end;
end;

function FileIsPng(const Path: string): Boolean;
var
  F: TFileStream;
  B: array[0..3] of Byte;
begin
  F := TFileStream.Create(Path, fmOpenRead);
  try
    Result := (F.Read(B, 4) = 4) and (B[0] = $89) and (B[1] = Ord('P')) and (B[2] = Ord('N')) and (B[3] = Ord('G'));
  finally
    F.Free;
  end;
end;

var
  BaseUrl, Work, Config, R, UrId, UniqueId, Body, Head, Img: string;
begin
  BaseUrl := ParamStr(1);
  Work := ParamStr(2);

  WriteLn('[1] ywx_init');
  Config := '{"baseUrl":' + YwxJsonQuote(BaseUrl) +
    ',"clientId":"2017070411003376","clientSecret":"2017070411003360","sysTag":"HIS","encoding":"utf-8"' +
    ',"log":{"dir":' + YwxJsonQuote(Work + '/logs') + '}' +
    ',"outbox":{"path":' + YwxJsonQuote(Work + '/ywx-outbox.db') + '}' +
    ',"fileDir":' + YwxJsonQuote(Work + '/files') + '}';
  R := YwxInit(Config);
  WriteLn('    version=', YwxVersion, ' encoding=', YwxJsonGet(R, 'data.encoding'),
    ' clientSecret=', YwxJsonGet(R, 'data.clientSecret'));
  try
    WriteLn('[2] doctor_search');
    R := YwxDoctorSearch('{"body":{"openId":"' + Doctor + '"}}');
    WriteLn('    doctor=', YwxJsonGet(R, 'data.userName'), ' process=', YwxJsonGet(R, 'data.process'));

    WriteLn('[3] sign_data');
    Randomize;
    UrId := 'pas' + FormatDateTime('yyyymmddhhnnss', Now) + IntToStr(Random(1000000));
    Body := '"urId":"' + UrId + '","openId":"' + Doctor + '","patientName":"天猫",' +
      '"patientAge":"11","patientSex":"男","patientCard":"535689193101071814",' +
      '"patientCardType":"SF","recipeTime":"' + FormatDateTime('yyyy-mm-dd hh:nn:ss', Now) + '",' +
      '"subject":"门诊病历","originData":"主诉：发热三天。诊断：上呼吸道感染。"';
    R := YwxSignData('{"signType":0,"msg":{"head":{"templateId":"hash_001"},"body":{' + Body + '}}}');
    UniqueId := YwxJsonGet(R, 'data.uniqueId');
    WriteLn('    uniqueId=', UniqueId);

    WriteLn('[4] sign_wait');
    R := YwxSignWait('{"uniqueId":"' + UniqueId + '","timeoutSeconds":30,"intervalMs":200}');
    WriteLn('    status=', YwxJsonGet(R, 'data.status'));
    Expect(YwxJsonGet(R, 'data.status') = '2', 'not signed: ' + R);

    WriteLn('[5] sign_result');
    R := YwxSignResult('{"body":{"uniqueId":"' + UniqueId + '","isP1":false}}');
    WriteLn('    signedData=', Copy(YwxJsonGet(R, 'data.signedData'), 1, 8), '...');
    R := YwxSignResult('{"body":{"uniqueId":"' + UniqueId + '","isP1":true}}');
    WriteLn('    p1=', Copy(YwxJsonGet(R, 'data.p1'), 1, 8), '... cert=', Copy(YwxJsonGet(R, 'data.cert'), 1, 8), '...');

    WriteLn('[6] verify_data');
    Head := '"head":{"templateId":"hash_001","uniqueId":"' + UniqueId + '"}';
    R := YwxVerifyData('{' + Head + ',"body":{' + Body + '}}');
    WriteLn('    verifyResult=', YwxJsonGet(R, 'data.verifyResult'));
    Expect(YwxJsonGet(R, 'data.verifyResult') = 'true', 'verify: ' + R);
    R := YwxVerifyData('{' + Head + ',"body":{' + StringReplace(Body, '天猫', '天狗', []) + '}}');
    WriteLn('    tampered verifyResult=', YwxJsonGet(R, 'data.verifyResult'));
    Expect(YwxJsonGet(R, 'data.verifyResult') = 'false', 'tampered: ' + R);

    WriteLn('[7] verify_timestamp');
    R := YwxVerifyTimestamp('{"body":{"uniqueId":"' + UniqueId + '"}}');
    WriteLn('    timestamp verifyResult=', YwxJsonGet(R, 'data.verifyResult'));

    WriteLn('[8] errors');
    try
      YwxSignData('{"signType":0,"msg":{"head":{"templateId":"hash_001"},"body":{' +
        StringReplace(Body, UrId, 'HIS-001', []) + '}}}');
      Expect(False, 'bad urId accepted');
    except
      on E: EYwx do
        WriteLn('    ', E.Status, ' ', E.Code, ' ', E.Field, ' ywx=', BoolToStr(E.IsYwxError, True),
          ' message=', YwxJsonGet(E.Envelope, 'message'));
    end;
    try
      YwxSignStatus('{"body":{"uniqueId":"0123456789abcdef0123456789abcdef"}}');
      Expect(False, 'unknown order found');
    except
      on E: EYwx do
        WriteLn('    gateway status=', E.Status, ' ywx=', BoolToStr(E.IsYwxError, True),
          ' message=', YwxJsonGet(E.Envelope, 'message'));
    end;

    WriteLn('[9] oauth_authorize QR code');
    R := YwxOauthAuthorize('{"sysTag":"HIS"}');
    if Copy(YwxJsonGet(R, 'data.imgBase64'), 1, 8) = 'iVBORw0K' then Img := 'PNG' else Img := '?';
    WriteLn('    imgBase64 ', Img, ' ', Length(YwxJsonGet(R, 'data.imgBase64')), ' base64 chars');
    Img := YwxJsonGet(R, 'data.imgFile');
    if FileIsPng(Img) then WriteLn('    imgFile PNG ', Img) else WriteLn('    imgFile ? ', Img);

    WriteLn('[10] call');
    R := YwxCall('doctor_pending', '{"openId":"' + Doctor + '"}');
    WriteLn('    call status=', YwxJsonGet(R, 'status'));

    WriteLn('[11] outbox_list');
    R := YwxCall('outbox_list', '');
    WriteLn('    envelope status=', YwxJsonGet(R, 'status'));
  except
    on E: Exception do
    begin
      WriteLn('[FAIL] ', E.ClassName, ': ', E.Message);
      YwxShutdown;
      Halt(1);
    end;
  end;

  WriteLn('[12] shutdown');
  R := YwxShutdown;
  WriteLn('    status=', YwxJsonGet(R, 'status'));
  WriteLn('ALL STEPS PASSED');
end.
