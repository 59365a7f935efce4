//! Each binding's declarations and wrappers of the methods with a request,
//! in generated blocks of the hand-written files. The lifecycle and
//! boundary functions (`ywx_init`, `ywx_call_buf`, ...) have signatures of
//! their own and stay hand-written; tests/bindings.rs checks that every
//! binding declares every export of the header.

use std::path::Path;

use ywx::methods::Entry;

use crate::splice::{self, Enc, Run};
use crate::{File, pascal, with_request};

pub fn generate(root: &Path) -> Result<Vec<File>, String> {
    let entries: Vec<&Entry> = with_request().collect();
    Ok(vec![
        csharp(root, &entries)?,
        delphi(root, &entries)?,
        powerbuilder(root, &entries)?,
        vb6(root, &entries)?,
        python(root, &entries)?,
    ])
}

fn read(root: &Path, path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(root.join(path)).map_err(|e| format!("{path}: {e}"))
}

/// The blocks of one file, spliced in order.
fn blocks(
    root: &Path,
    path: &str,
    enc: Enc,
    blocks: &[(&str, Vec<String>)],
) -> Result<Vec<u8>, String> {
    let mut bytes = read(root, path)?;
    for (name, body) in blocks {
        bytes = splice::block(path, &bytes, name, body, enc)?;
    }
    Ok(bytes)
}

fn lines(entries: &[&Entry], f: impl Fn(&Entry) -> String) -> Vec<String> {
    entries.iter().map(|e| f(e)).collect()
}

fn csharp(root: &Path, entries: &[&Entry]) -> Result<File, String> {
    let path = "bindings/csharp/Ywx.cs";
    let imports = lines(entries, |e| {
        format!(
            "        [DllImport(Lib, CallingConvention = Cc)] public static extern IntPtr ywx_{}(byte[] requestJson);",
            e.method.name
        )
    });
    let mut methods = Vec::new();
    for e in entries {
        let n = e.method.name;
        let null = if e.null_is_empty {
            "; requestJson may be null"
        } else {
            ""
        };
        let title = e.method.title.replace('&', "&amp;").replace('<', "&lt;");
        methods.push(format!(
            "        /// <summary>ywx_{n}: {title}{null}</summary>"
        ));
        methods.push(format!(
            "        public string {}(string requestJson) {{ return Check(Take(NativeMethods.ywx_{n}(Bytes(requestJson)))); }}",
            pascal(n)
        ));
    }
    let bytes = blocks(
        root,
        path,
        Enc::Utf8,
        &[("imports", imports), ("methods", methods)],
    )?;
    Ok(File {
        path: path.into(),
        bytes,
    })
}

fn delphi(root: &Path, entries: &[&Entry]) -> Result<File, String> {
    let path = "bindings/delphi/ywx.pas";
    let externals = lines(entries, |e| {
        let null = if e.null_is_empty {
            "   { NULL allowed }"
        } else {
            ""
        };
        format!(
            "function ywx_{}(RequestJson: PAnsiChar): PAnsiChar; stdcall; external YwxLib;{null}",
            e.method.name
        )
    });
    let wrappers = lines(entries, |e| {
        let null = if e.null_is_empty {
            "   { '' = NULL }"
        } else {
            ""
        };
        format!(
            "function Ywx{}(const RequestJson: string): string;{null}",
            pascal(e.method.name)
        )
    });
    let bodies = lines(entries, |e| {
        format!(
            "function Ywx{}(const RequestJson: string): string; begin Result := Run(ywx_{}, RequestJson); end;",
            pascal(e.method.name),
            e.method.name
        )
    });
    let bytes = blocks(
        root,
        path,
        Enc::Utf8,
        &[
            ("externals", externals),
            ("wrappers", wrappers),
            ("wrapper bodies", bodies),
        ],
    )?;
    Ok(File {
        path: path.into(),
        bytes,
    })
}

/// PowerBuilder: the external functions in a marked block of `type
/// prototypes`; the `of_<method> (string as_request)` functions, which PB
/// keeps in sections where a comment line may not stand, found by their
/// signature (no hand-written function has it).
fn powerbuilder(root: &Path, entries: &[&Entry]) -> Result<File, String> {
    let path = "bindings/powerbuilder/n_ywx.sru";
    let externals = lines(entries, |e| {
        let n = e.method.name;
        format!(
            "FUNCTION ulong ywx_{n}(string request_json) LIBRARY \"ywx.dll\" ALIAS FOR \"ywx_{n};Ansi\""
        )
    });
    let mut bytes = blocks(root, path, Enc::Gbk, &[("externals", externals)])?;

    let prototype = |l: &str| {
        l.starts_with("public function string of_") && l.ends_with(" (string as_request)")
    };
    let prototypes = lines(entries, |e| {
        format!(
            "public function string of_{} (string as_request)",
            e.method.name
        )
    });
    let run = Run {
        what: "of_<method> prototypes",
        generated: &prototype,
        last: &prototype,
        foreign: &|l| !prototype(l),
    };
    bytes = splice::run(path, &bytes, &run, &prototypes, Enc::Gbk)?;

    let header = |l: &str| {
        l.starts_with("public function string of_") && l.contains(" (string as_request);")
    };
    let mut functions = Vec::new();
    for e in entries {
        let n = e.method.name;
        if !functions.is_empty() {
            functions.push(String::new());
        }
        functions.push(format!(
            "public function string of_{n} (string as_request);// ywx_{n}：{}（经由 ywx_call_buf）",
            e.method.title
        ));
        functions.push(format!("return of_call(\"{n}\", as_request)"));
        functions.push("end function".into());
    }
    let run = Run {
        what: "of_<method> functions",
        generated: &header,
        last: &|l| l == "end function",
        foreign: &|l| l.starts_with("public ") && !header(l),
    };
    bytes = splice::run(path, &bytes, &run, &functions, Enc::Gbk)?;
    Ok(File {
        path: path.into(),
        bytes,
    })
}

fn vb6(root: &Path, entries: &[&Entry]) -> Result<File, String> {
    let path = "bindings/vb6/ywx.bas";
    let declares = lines(entries, |e| {
        format!(
            "Public Declare Function ywx_{} Lib \"ywx.dll\" (ByVal request_json As String) As Long",
            e.method.name
        )
    });
    let mut wrappers = Vec::new();
    for e in entries {
        let (n, f) = (e.method.name, format!("Ywx{}", pascal(e.method.name)));
        if !wrappers.is_empty() {
            wrappers.push(String::new());
        }
        wrappers.push(format!(
            "' ywx_{n}：{}（经由 ywx_call_buf）",
            e.method.title
        ));
        wrappers.push(format!(
            "Public Function {f}(ByVal request_json As String) As String"
        ));
        wrappers.push(format!("    {f} = YwxCall(\"{n}\", request_json)"));
        wrappers.push("End Function".into());
    }
    let bytes = blocks(
        root,
        path,
        Enc::Gbk,
        &[("declares", declares), ("wrappers", wrappers)],
    )?;
    Ok(File {
        path: path.into(),
        bytes,
    })
}

fn python(root: &Path, entries: &[&Entry]) -> Result<File, String> {
    let path = "bindings/python/ywx.py";
    let names = lines(entries, |e| format!("    \"{}\",", e.method.name));
    let bytes = blocks(root, path, Enc::Utf8, &[("exports", names)])?;
    Ok(File {
        path: path.into(),
        bytes,
    })
}
