//! Turns the text of a roster file (YAML list or CSV with a header row) into entries keyed by
//! lower-cased login id, refusing anything the gateway could misread: unknown columns, missing
//! login ids, duplicate members, mobile numbers that are not phone numbers.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::csv::read_rows;
use super::normalize::{login_key, mobile_e164, non_blank};
use super::RosterEntry;

/// Entries of one roster file, keyed by [`login_key`].
pub(super) type Entries = HashMap<String, RosterEntry>;

/// How a roster file is written, decided by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RosterFormat {
    Yaml,
    Csv,
}

impl RosterFormat {
    /// The format for `path`, `None` when the extension is neither YAML nor CSV.
    pub(super) fn for_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "yaml" | "yml" => Some(Self::Yaml),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

/// Parses `text`; the error says where in the file (line or entry) the problem is.
pub(super) fn parse_roster(text: &str, format: RosterFormat) -> Result<Entries, String> {
    match format {
        RosterFormat::Yaml => parse_yaml(text),
        RosterFormat::Csv => parse_csv(text),
    }
}

/// The CSV header names, which are also the YAML keys.
const COLUMNS: [&str; 4] = ["login_id", "name", "email", "mobile"];

/// One member as written in the file, before normalisation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenEntry {
    #[serde(default, deserialize_with = "scalar_text")]
    login_id: Option<String>,
    #[serde(default, deserialize_with = "scalar_text")]
    name: Option<String>,
    #[serde(default, deserialize_with = "scalar_text")]
    email: Option<String>,
    #[serde(default, deserialize_with = "scalar_text")]
    mobile: Option<String>,
}

fn parse_yaml(text: &str) -> Result<Entries, String> {
    // An empty document deserializes to `None`: refuse it, because a file caught half-written
    // would otherwise silently drop every member's contact details.
    let written: Option<Vec<WrittenEntry>> =
        serde_yaml::from_str(text).map_err(|error| error.to_string())?;
    let written =
        written.ok_or("the file has no list of members (write [] for an empty roster)")?;
    let mut builder = EntriesBuilder::default();
    for (index, entry) in written.into_iter().enumerate() {
        builder.add(format!("entry {}", index + 1), entry)?;
    }
    Ok(builder.entries)
}

fn parse_csv(text: &str) -> Result<Entries, String> {
    let mut rows = read_rows(text)?.into_iter();
    let header = rows
        .next()
        .ok_or("the file is empty (it needs the header row login_id,name,email,mobile)")?;
    let columns = header_columns(&header.fields)
        .map_err(|problem| format!("line {}: {problem}", header.line))?;
    let mut builder = EntriesBuilder::default();
    for row in rows {
        if row.fields.len() != columns.len() {
            return Err(format!(
                "line {}: {} fields, but the header has {}",
                row.line,
                row.fields.len(),
                columns.len()
            ));
        }
        let mut entry = WrittenEntry::default();
        for (column, value) in columns.iter().zip(row.fields) {
            let slot = match *column {
                "login_id" => &mut entry.login_id,
                "name" => &mut entry.name,
                "email" => &mut entry.email,
                _ => &mut entry.mobile,
            };
            *slot = Some(value);
        }
        builder.add(format!("line {}", row.line), entry)?;
    }
    Ok(builder.entries)
}

/// The column names in header order; every one known, none repeated, `login_id` present.
fn header_columns(header: &[String]) -> Result<Vec<&'static str>, String> {
    let mut columns = Vec::with_capacity(header.len());
    for name in header {
        let wanted = name.trim().to_ascii_lowercase();
        let column = COLUMNS
            .into_iter()
            .find(|column| *column == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown column \"{}\" (the header row is login_id,name,email,mobile)",
                    name.trim()
                )
            })?;
        if columns.contains(&column) {
            return Err(format!("column \"{column}\" appears twice"));
        }
        columns.push(column);
    }
    if !columns.contains(&"login_id") {
        return Err(
            "the header row has no login_id column (the header row is login_id,name,email,mobile)"
                .into(),
        );
    }
    Ok(columns)
}

/// Collects normalised entries, remembering where each came from to report duplicates.
#[derive(Default)]
struct EntriesBuilder {
    entries: Entries,
    places: HashMap<String, String>,
}

impl EntriesBuilder {
    fn add(&mut self, place: String, written: WrittenEntry) -> Result<(), String> {
        let login_id = non_blank(written.login_id.as_deref())
            .ok_or_else(|| format!("{place}: login_id is empty"))?;
        let mobile = match written.mobile.as_deref() {
            Some(raw) => mobile_e164(raw).map_err(|problem| {
                format!("{place} (login_id \"{login_id}\"): mobile {problem}")
            })?,
            None => None,
        };
        let key = login_key(&login_id);
        if let Some(first) = self.places.get(&key) {
            return Err(format!("{place}: login_id \"{login_id}\" is already listed at {first} (login ids ignore case)"));
        }
        let entry = RosterEntry {
            login_id,
            name: non_blank(written.name.as_deref()),
            email: non_blank(written.email.as_deref()),
            mobile,
        };
        self.places.insert(key.clone(), place);
        self.entries.insert(key, entry);
        Ok(())
    }
}

/// Reads a YAML scalar as text: strings as they are, numbers as their digits (an unquoted phone
/// number or numeric login id is a number to YAML), null as absent.
fn scalar_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct ScalarText;

    impl<'de> Visitor<'de> for ScalarText {
        type Value = Option<String>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a text value")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            Ok(Some(value.to_owned()))
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(Some(value.to_string()))
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(Some(value.to_string()))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_any(ScalarText)
        }
    }

    deserializer.deserialize_any(ScalarText)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jdoe() -> RosterEntry {
        RosterEntry {
            login_id: "JDoe".into(),
            name: Some("Jane Doe".into()),
            email: Some("jane.doe@example.com".into()),
            mobile: Some("+12035550142".into()),
        }
    }

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(
            RosterFormat::for_path(Path::new("/etc/r.yaml")),
            Some(RosterFormat::Yaml)
        );
        assert_eq!(
            RosterFormat::for_path(Path::new("r.YML")),
            Some(RosterFormat::Yaml)
        );
        assert_eq!(
            RosterFormat::for_path(Path::new("r.Csv")),
            Some(RosterFormat::Csv)
        );
        assert_eq!(RosterFormat::for_path(Path::new("r.txt")), None);
        assert_eq!(RosterFormat::for_path(Path::new("roster")), None);
    }

    #[test]
    fn yaml_entries_are_normalised_and_keyed_by_lower_case_login() {
        let text = "- login_id: JDoe\n  name: Jane Doe\n  email: ' jane.doe@example.com '\n  mobile: (203) 555-0142\n\
                    - login_id: 42\n  mobile: 2035550187\n  email: ''\n";
        let entries = parse_roster(text, RosterFormat::Yaml).expect("valid roster");
        assert_eq!(entries["jdoe"], jdoe());
        let numeric = &entries["42"];
        assert_eq!(numeric.mobile.as_deref(), Some("+12035550187"));
        assert_eq!(
            (numeric.name.as_ref(), numeric.email.as_ref()),
            (None, None)
        );
    }

    #[test]
    fn yaml_empty_list_is_an_empty_roster_but_an_empty_file_is_refused() {
        assert!(parse_roster("# nobody yet\n[]\n", RosterFormat::Yaml)
            .expect("empty list")
            .is_empty());
        let error = parse_roster("# truncated\n", RosterFormat::Yaml).expect_err("no document");
        assert!(error.contains("no list of members"), "{error}");
    }

    #[test]
    fn yaml_errors_say_where() {
        let error = parse_roster("- login_id: a\n  phone: 1\n", RosterFormat::Yaml)
            .expect_err("unknown key");
        assert!(
            error.contains("phone") && error.contains("line 2"),
            "{error}"
        );
        let error =
            parse_roster("- login_id: a\n- name: B\n", RosterFormat::Yaml).expect_err("no login");
        assert_eq!(error, "entry 2: login_id is empty");
        let error = parse_roster("- login_id: a\n  mobile: '12'\n", RosterFormat::Yaml)
            .expect_err("bad mobile");
        assert!(
            error.starts_with("entry 1 (login_id \"a\"): mobile \"12\" is not a mobile number"),
            "{error}"
        );
        let error = parse_roster("- login_id: a\n  name: [x]\n", RosterFormat::Yaml)
            .expect_err("list as name");
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn duplicates_are_refused_ignoring_case() {
        let error = parse_roster("- login_id: jdoe\n- login_id: JDOE\n", RosterFormat::Yaml)
            .expect_err("duplicate");
        assert_eq!(
            error,
            "entry 2: login_id \"JDOE\" is already listed at entry 1 (login ids ignore case)"
        );
        let error =
            parse_roster("login_id\njdoe\nJDoe\n", RosterFormat::Csv).expect_err("duplicate");
        assert_eq!(
            error,
            "line 3: login_id \"JDoe\" is already listed at line 2 (login ids ignore case)"
        );
    }

    #[test]
    fn csv_reads_the_header_in_any_order() {
        let text = "Mobile, login_id ,email,name\r\n203.555.0142,JDoe,jane.doe@example.com,\"Jane Doe\"\r\n\r\n,bob,,\r\n";
        let entries = parse_roster(text, RosterFormat::Csv).expect("valid roster");
        assert_eq!(entries["jdoe"], jdoe());
        assert_eq!(
            entries["bob"],
            RosterEntry {
                login_id: "bob".into(),
                name: None,
                email: None,
                mobile: None
            }
        );
    }

    #[test]
    fn csv_errors_name_the_line() {
        let cases = [
            ("", "the file is empty"),
            ("login_id,phone\n", "line 1: unknown column \"phone\""),
            (
                "name,email\n",
                "line 1: the header row has no login_id column",
            ),
            (
                "login_id,email,Email\n",
                "line 1: column \"email\" appears twice",
            ),
            (
                "login_id,name,email,mobile\njdoe,Jane\n",
                "line 2: 2 fields, but the header has 4",
            ),
            (
                "login_id,mobile\n\njdoe,555\n",
                "line 3 (login_id \"jdoe\"): mobile \"555\" is not",
            ),
            ("login_id,name\n ,x\n", "line 2: login_id is empty"),
        ];
        for (text, expected) in cases {
            let error = parse_roster(text, RosterFormat::Csv).expect_err(text);
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }
}
