//! The tables that restate the code, checked against it: the README's error
//! codes, exports and config keys, the header's exports, and the method
//! table. A code, method or key added in one place only fails here.

use ywx::config::{KEYS, Kind};
use ywx::methods::{self, Run};
use ywx_testkit::{include_dir, repo_root};

/// The rows of the README table whose header row starts with `first`:
/// each row's cells, trimmed, backquotes removed.
fn readme_table(first: &str) -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with(&format!("| {first} |")))
        .unwrap_or_else(|| panic!("README has no table starting with | {first} |"));
    lines[start + 2..]
        .iter()
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().replace('`', ""))
                .collect()
        })
        .collect()
}

/// Every export the library must have: the exported methods and the boundary.
fn expected_exports() -> Vec<String> {
    let mut names: Vec<String> = methods::ALL
        .iter()
        .filter(|m| m.exported)
        .map(|m| format!("ywx_{}", m.name))
        .collect();
    names.extend(methods::BOUNDARY.iter().map(|(n, _)| format!("ywx_{n}")));
    names.sort();
    names
}

#[test]
fn the_readme_error_table_is_the_code_table() {
    let rows = readme_table("status");
    let readme: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let code: Vec<(String, String)> = ywx::codes::ALL
        .iter()
        .map(|c| (c.status(), c.name.to_string()))
        .collect();
    assert_eq!(readme, code, "README 的错误码表与 src/codes.rs 不一致");
}

#[test]
fn the_readme_export_table_is_the_method_table() {
    let rows = readme_table("导出函数");
    let mut names: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
    names.sort();
    assert_eq!(
        names,
        expected_exports(),
        "README 的导出函数表与 src/methods.rs 不一致"
    );
    for m in methods::ALL.iter().filter(|m| m.exported) {
        let export = format!("ywx_{}", m.name);
        let row = rows.iter().find(|r| r[0] == export).unwrap();
        assert_eq!(
            row[1], m.title,
            "{export}: the title differs from methods.rs"
        );
        let endpoint = m.endpoint.map_or("—".to_string(), methods::endpoint_cell);
        assert_eq!(
            row[2], endpoint,
            "{export}: the endpoint differs from endpoints.rs"
        );
    }
}

#[test]
fn the_header_declares_exactly_the_exports() {
    let header = std::fs::read_to_string(include_dir().join("ywx.h")).unwrap();
    let mut declared: Vec<String> = header
        .lines()
        .filter_map(|l| {
            l.split_once("YWX_CALL ")?
                .1
                .split_once('(')
                .map(|(n, _)| n.trim().to_string())
        })
        .collect();
    declared.sort();
    assert_eq!(
        declared,
        expected_exports(),
        "include/ywx.h 与 src/methods.rs 不一致"
    );
}

#[test]
fn the_readme_config_table_is_the_key_table() {
    let rows = readme_table("配置项");
    let readme: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let code: Vec<(String, String)> = KEYS
        .iter()
        .filter(|k| !matches!(k.kind, Kind::Section))
        .map(|k| (k.path.to_string(), k.default.to_string()))
        .collect();
    assert_eq!(
        readme, code,
        "README 的配置项表与 src/config/keys.rs 不一致"
    );
}

#[test]
fn every_method_is_reachable_and_runs_as_its_row_says() {
    for m in methods::ALL {
        assert_eq!(
            methods::find(m.name).map(|f| f.name),
            Some(m.name),
            "{} is not found by name",
            m.name
        );
        match m.run {
            Run::Gateway => assert!(
                m.endpoint.is_some(),
                "{}: a gateway method names its endpoint",
                m.name
            ),
            Run::Boundary => assert!(!m.exported, "{}", m.name),
            Run::Local(_) | Run::Lifecycle(_) => {}
        }
    }
    let mut names = methods::names();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), methods::ALL.len(), "two methods share a name");
}
