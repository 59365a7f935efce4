//! The fuzzers' seed corpus (`fuzz/corpus/`, run by `scripts/fuzz.sh`):
//! a request seed per method the fuzz target can call (its entry's
//! example; `METHOD\nJSON`: the target calls `ywx_call` with the first line
//! as the method, so names are fuzzed too), and configs as implementers
//! write them.

use ywx::methods::{Run, TABLE};

use crate::File;

/// Configs as implementers write them: the design's full example, the
/// smallest, one with every key.
const CONFIGS: &[(&str, &str)] = &[
    (
        "minimal",
        r#"{"baseUrl":"http://test.51trust.com","clientId":"2017070411003376","clientSecret":"2017070411003360"}"#,
    ),
    (
        "design",
        r#"{
  "baseUrl": "http://test.51trust.com",
  "clientId": "2017070411003376",
  "clientSecret": "2017070411003360",
  "sysTag": "HIS",
  "encoding": "utf-8",
  "connectTimeoutMs": 3000,
  "timeoutMs": 15000,
  "retry": {"attempts": 3, "backoffMs": 200},
  "proxy": null,
  "tls": {"caFile": null, "systemStore": true, "insecure": false},
  "maxRequestBytes": 16777216,
  "outbox": {"path": "ywx-outbox.db", "enabled": true, "background": true,
             "retryIntervalMs": 5000, "purgeAfterHours": 168},
  "log": {"dir": "logs", "level": "info"},
  "fileDir": null
}"#,
    ),
    (
        "every-key",
        r#"{"baseUrl":"https://his:pw@[::1]:8443/","clientId":2017070411003376,"clientSecret":"2021112519000550","sysTag":"his","encoding":"GBK","connectTimeoutMs":"500","timeoutMs":600000,"retry":{"attempts":10,"backoffMs":0},"proxy":"http://u:p@10.0.0.1:3128","tls":{"caFile":"ca.pem","systemStore":false,"insecure":true},"maxRequestBytes":1024,"outbox":{"path":"o.db","enabled":false,"background":"false","retryIntervalMs":100,"purgeAfterHours":0,"maxAttempts":1000,"reconcileWindowMinutes":1440},"log":{"dir":null,"level":"debug"},"fileDir":"files"}"#,
    ),
];

pub fn generate() -> Result<Vec<File>, String> {
    let mut files = Vec::new();
    for e in TABLE {
        if matches!(e.method.run, Run::Lifecycle(_) | Run::Boundary) {
            continue;
        }
        let name = e.method.name;
        let example: serde_json::Value = serde_json::from_str(e.example)
            .map_err(|err| format!("{name}: .example(...) is not JSON ({err})"))?;
        files.push(File {
            path: format!("fuzz/corpus/request/seed-{name}"),
            bytes: format!("{name}\n{example}").into_bytes(),
        });
    }
    for (name, config) in CONFIGS {
        files.push(File {
            path: format!("fuzz/corpus/config/seed-{name}.json"),
            bytes: config.as_bytes().to_vec(),
        });
    }
    Ok(files)
}
