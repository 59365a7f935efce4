//! Config parsing, fuzzed: `ywx::config::Config::parse` with any text.
//!
//! Besides crashes, a refusal in the parser's English ("invalid type",
//! "missing field", "expected ...") fails the run: every config error is
//! a Chinese message naming the key (the input's own text aside, which a
//! message may quote as the name of an unknown key).

#![no_main]

use libfuzzer_sys::fuzz_target;

const PARSER_ENGLISH: &[&str] = &[
    "missing field",
    "invalid type",
    "invalid value",
    "unknown field",
    "unknown variant",
    "expected",
    "at line",
    "EOF while",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ywx::config::Config::parse(text, None) {
        Ok(config) => {
            let masked = config.masked();
            assert!(masked.is_object());
            let _ = config.warnings();
        }
        Err(e) => {
            for w in PARSER_ENGLISH {
                assert!(
                    !e.message.contains(w) || text.contains(w),
                    "parser English {w:?} in: {}",
                    e.message
                );
            }
        }
    }
});
