//! The seed file format and its validation. Parsing and validation finish before anything
//! touches the database, so a bad file imports nothing. Every error names the file, the
//! line and column, and the field path (`promise[2].municipalities[0]`).

use std::{collections::HashSet, fmt};

use chrono::NaiveDate;
use entity::{CommitmentStatus, OrganisationKind, ResponsibleParty, TargetPeriod};
use serde::Deserialize;
use toml::Spanned;

use crate::domain::{kommunkod, period, response_target};

/// A problem in a seed file, located precisely enough to fix by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedError {
    pub file: String,
    /// 1-based; 0 when the whole file is concerned (for example it cannot be read).
    pub line: usize,
    pub column: usize,
    /// Path of the offending field, such as `promise[0].valid_to`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: field `{}`: {}",
                self.file, self.line, self.column, self.field, self.message
            )
        }
    }
}

impl std::error::Error for SeedError {}

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    #[serde(default)]
    pub municipality: Vec<MunicipalitySeed>,
    #[serde(default)]
    pub police_area: Vec<PoliceAreaSeed>,
    #[serde(default)]
    pub contact: Vec<ContactSeed>,
    #[serde(default)]
    pub promise: Vec<PromiseSeed>,
    #[serde(default)]
    pub routing_rule: Vec<RoutingRuleSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MunicipalitySeed {
    pub code: S<String>,
    pub name: S<String>,
    /// Official name in running text, e.g. "Melleruds kommun".
    pub official_name: S<String>,
    pub slug: S<String>,
    pub county: S<String>,
    /// Working days within which residents are promised an answer (default 5).
    #[serde(default)]
    pub response_days: Option<S<i32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliceAreaSeed {
    pub key: S<String>,
    pub name: S<String>,
    #[serde(default)]
    pub municipalities: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSeed {
    pub key: S<String>,
    pub name: S<String>,
    pub role: S<String>,
    pub organisation_kind: OrganisationKind,
    pub organisation: S<String>,
    pub phone: Option<S<String>>,
    pub email: Option<S<String>>,
    #[serde(default)]
    pub email_is_placeholder: bool,
    #[serde(default)]
    pub placeholder: bool,
    #[serde(default)]
    pub municipalities: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromiseSeed {
    pub key: S<String>,
    pub title: S<String>,
    pub municipalities: S<Vec<S<String>>>,
    pub police_area: Option<S<String>>,
    pub valid_from: S<toml::value::Datetime>,
    pub valid_to: S<toml::value::Datetime>,
    pub summary: S<String>,
    pub situation: Option<String>,
    pub goal: Option<String>,
    pub follow_up: Option<String>,
    pub renewal_note: Option<String>,
    pub signed_on: Option<S<toml::value::Datetime>>,
    pub signed_place: Option<String>,
    #[serde(default = "yes")]
    pub published: bool,
    #[serde(default)]
    pub contacts: Vec<S<String>>,
    #[serde(default)]
    pub source: Vec<SourceSeed>,
    #[serde(default)]
    pub section: Vec<SectionSeed>,
    #[serde(default)]
    pub signatory: Vec<SignatorySeed>,
    #[serde(default)]
    pub focus_area: Vec<FocusAreaSeed>,
    #[serde(default)]
    pub commitment: Vec<CommitmentSeed>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSeed {
    pub title: S<String>,
    pub publisher: Option<String>,
    pub url: Option<S<String>>,
    pub updated_on: Option<S<toml::value::Datetime>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionSeed {
    pub heading: S<String>,
    pub body: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatorySeed {
    pub name: S<String>,
    pub title: S<String>,
    pub organisation: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusAreaSeed {
    pub key: S<String>,
    pub title: S<String>,
    pub description: Option<String>,
    pub contact: Option<S<String>>,
    #[serde(default)]
    pub commitment: Vec<CommitmentSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentSeed {
    pub text: S<String>,
    pub responsible: ResponsibleParty,
    #[serde(default = "planned")]
    pub status: CommitmentStatus,
    pub target: Option<S<TargetSeed>>,
    pub contact: Option<S<String>>,
}

fn planned() -> CommitmentStatus {
    CommitmentStatus::Planned
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSeed {
    pub quantity: i32,
    pub unit: String,
    pub period: TargetPeriod,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleSeed {
    pub municipality: S<String>,
    /// `<promise key>/<focus area key>`; absent for the municipality's default rule.
    pub focus_area: Option<S<String>>,
    pub contact: S<String>,
}

/// Resolve a TOML date literal (`2023-01-01`) into a calendar date.
pub fn toml_date(value: &toml::value::Datetime) -> Option<NaiveDate> {
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
}

/// Collects validation errors while walking the file; the first one is reported.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn error(&self, span: std::ops::Range<usize>, field: String, message: String) -> SeedError {
        let (line, column) = line_column(self.text, span.start);
        SeedError {
            file: self.file.to_owned(),
            line,
            column,
            field,
            message,
        }
    }

    fn non_empty(&self, value: &S<String>, field: impl Fn() -> String) -> Result<(), SeedError> {
        if value.get_ref().trim().is_empty() {
            return Err(self.error(value.span(), field(), "must not be empty".into()));
        }
        Ok(())
    }

    fn date(
        &self,
        value: &S<toml::value::Datetime>,
        field: impl Fn() -> String,
    ) -> Result<NaiveDate, SeedError> {
        toml_date(value.get_ref()).ok_or_else(|| {
            self.error(
                value.span(),
                field(),
                "must be a plain date such as 2023-01-01".into(),
            )
        })
    }

    fn reference(
        &self,
        value: &S<String>,
        known: &HashSet<&str>,
        what: &str,
        field: impl Fn() -> String,
    ) -> Result<(), SeedError> {
        if !known.contains(value.get_ref().as_str()) {
            return Err(self.error(
                value.span(),
                field(),
                format!("unknown {what} \"{}\"", value.get_ref()),
            ));
        }
        Ok(())
    }

    fn unique<'k>(
        &self,
        seen: &mut HashSet<&'k str>,
        value: &'k S<String>,
        field: impl Fn() -> String,
    ) -> Result<(), SeedError> {
        if !seen.insert(value.get_ref().as_str()) {
            return Err(self.error(
                value.span(),
                field(),
                format!("\"{}\" is defined twice", value.get_ref()),
            ));
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl SeedFile {
    /// Parse and validate. `name` is used in error messages.
    pub fn parse(name: &str, text: &str) -> Result<Self, SeedError> {
        let located = |span: Option<std::ops::Range<usize>>, field: String, message: String| {
            let (line, column) = span.map_or((1, 1), |s| line_column(text, s.start));
            SeedError {
                file: name.to_owned(),
                line,
                column,
                field,
                message,
            }
        };
        let deserializer = toml::de::Deserializer::parse(text)
            .map_err(|err| located(err.span(), String::new(), err.message().to_owned()))?;
        let file: SeedFile = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            // Spanned values add an internal segment to the path; it means nothing to a user.
            let field = err
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "");
            let inner = err.into_inner();
            located(inner.span(), field, inner.message().to_owned())
        })?;
        file.validate(&Checker { file: name, text })?;
        Ok(file)
    }

    fn validate(&self, c: &Checker<'_>) -> Result<(), SeedError> {
        let mut codes = HashSet::new();
        let mut slugs = HashSet::new();
        for (i, m) in self.municipality.iter().enumerate() {
            let f = |name: &'static str| move || format!("municipality[{i}].{name}");
            kommunkod::Kommunkod::parse(m.code.get_ref())
                .map_err(|msg| c.error(m.code.span(), f("code")(), msg))?;
            c.unique(&mut codes, &m.code, f("code"))?;
            if !kommunkod::is_valid_slug(m.slug.get_ref()) {
                return Err(c.error(
                    m.slug.span(),
                    f("slug")(),
                    "must be lower-case ASCII letters, digits and hyphens".into(),
                ));
            }
            c.unique(&mut slugs, &m.slug, f("slug"))?;
            c.non_empty(&m.name, f("name"))?;
            c.non_empty(&m.official_name, f("official_name"))?;
            c.non_empty(&m.county, f("county"))?;
            if let Some(days) = &m.response_days
                && !response_target::is_valid(*days.get_ref())
            {
                return Err(c.error(
                    days.span(),
                    f("response_days")(),
                    format!(
                        "must be a number of working days from {} to {}",
                        response_target::MIN_DAYS,
                        response_target::MAX_DAYS
                    ),
                ));
            }
        }

        let mut area_keys = HashSet::new();
        for (i, a) in self.police_area.iter().enumerate() {
            c.unique(&mut area_keys, &a.key, || format!("police_area[{i}].key"))?;
            c.non_empty(&a.name, || format!("police_area[{i}].name"))?;
            for (j, code) in a.municipalities.iter().enumerate() {
                c.reference(code, &codes, "municipality", || {
                    format!("police_area[{i}].municipalities[{j}]")
                })?;
            }
        }

        let mut contact_keys = HashSet::new();
        for (i, contact) in self.contact.iter().enumerate() {
            let f = |name: &'static str| move || format!("contact[{i}].{name}");
            c.unique(&mut contact_keys, &contact.key, f("key"))?;
            c.non_empty(&contact.name, f("name"))?;
            c.non_empty(&contact.role, f("role"))?;
            c.non_empty(&contact.organisation, f("organisation"))?;
            if let Some(email) = &contact.email
                && crate::domain::email_address::EmailAddress::parse(email.get_ref()).is_err()
            {
                return Err(c.error(
                    email.span(),
                    f("email")(),
                    format!("\"{}\" is not a valid email address", email.get_ref()),
                ));
            }
            for (j, code) in contact.municipalities.iter().enumerate() {
                c.reference(code, &codes, "municipality", || {
                    format!("contact[{i}].municipalities[{j}]")
                })?;
            }
        }

        let mut promise_keys = HashSet::new();
        let mut focus_area_refs: HashSet<String> = HashSet::new();
        for (i, p) in self.promise.iter().enumerate() {
            let f = |name: &'static str| move || format!("promise[{i}].{name}");
            c.unique(&mut promise_keys, &p.key, f("key"))?;
            c.non_empty(&p.title, f("title"))?;
            c.non_empty(&p.summary, f("summary"))?;
            if p.municipalities.get_ref().is_empty() {
                return Err(c.error(
                    p.municipalities.span(),
                    f("municipalities")(),
                    "a promise needs at least one municipality".into(),
                ));
            }
            let mut seen = HashSet::new();
            for (j, code) in p.municipalities.get_ref().iter().enumerate() {
                let field = || format!("promise[{i}].municipalities[{j}]");
                c.reference(code, &codes, "municipality", field)?;
                c.unique(&mut seen, code, field)?;
            }
            if let Some(area) = &p.police_area {
                c.reference(area, &area_keys, "police area", f("police_area"))?;
            }
            let from = c.date(&p.valid_from, f("valid_from"))?;
            let to = c.date(&p.valid_to, f("valid_to"))?;
            period::validate(from, to)
                .map_err(|msg| c.error(p.valid_to.span(), f("valid_to")(), msg))?;
            if let Some(signed) = &p.signed_on {
                c.date(signed, f("signed_on"))?;
            }
            let mut seen = HashSet::new();
            for (j, key) in p.contacts.iter().enumerate() {
                let field = || format!("promise[{i}].contacts[{j}]");
                c.reference(key, &contact_keys, "contact", field)?;
                c.unique(&mut seen, key, field)?;
            }
            for (j, s) in p.source.iter().enumerate() {
                c.non_empty(&s.title, || format!("promise[{i}].source[{j}].title"))?;
                if let Some(url) = &s.url
                    && !(url.get_ref().starts_with("https://")
                        || url.get_ref().starts_with("http://"))
                {
                    return Err(c.error(
                        url.span(),
                        format!("promise[{i}].source[{j}].url"),
                        "must be an http(s) URL".into(),
                    ));
                }
                if let Some(updated) = &s.updated_on {
                    c.date(updated, || format!("promise[{i}].source[{j}].updated_on"))?;
                }
            }
            for (j, s) in p.section.iter().enumerate() {
                c.non_empty(&s.heading, || format!("promise[{i}].section[{j}].heading"))?;
                c.non_empty(&s.body, || format!("promise[{i}].section[{j}].body"))?;
            }
            for (j, s) in p.signatory.iter().enumerate() {
                c.non_empty(&s.name, || format!("promise[{i}].signatory[{j}].name"))?;
                c.non_empty(&s.title, || format!("promise[{i}].signatory[{j}].title"))?;
            }
            let mut fa_keys = HashSet::new();
            for (j, fa) in p.focus_area.iter().enumerate() {
                let f = |name: &'static str| move || format!("promise[{i}].focus_area[{j}].{name}");
                c.unique(&mut fa_keys, &fa.key, f("key"))?;
                c.non_empty(&fa.title, f("title"))?;
                if let Some(contact) = &fa.contact {
                    c.reference(contact, &contact_keys, "contact", f("contact"))?;
                }
                for (k, commitment) in fa.commitment.iter().enumerate() {
                    let path = format!("promise[{i}].focus_area[{j}].commitment[{k}]");
                    check_commitment(c, commitment, &contact_keys, &path)?;
                }
                focus_area_refs.insert(format!("{}/{}", p.key.get_ref(), fa.key.get_ref()));
            }
            for (k, commitment) in p.commitment.iter().enumerate() {
                let path = format!("promise[{i}].commitment[{k}]");
                check_commitment(c, commitment, &contact_keys, &path)?;
            }
        }

        let focus_area_refs: HashSet<&str> = focus_area_refs.iter().map(String::as_str).collect();
        let mut defaults = HashSet::new();
        for (i, r) in self.routing_rule.iter().enumerate() {
            let f = |name: &'static str| move || format!("routing_rule[{i}].{name}");
            c.reference(&r.municipality, &codes, "municipality", f("municipality"))?;
            c.reference(&r.contact, &contact_keys, "contact", f("contact"))?;
            match &r.focus_area {
                Some(fa) => c.reference(
                    fa,
                    &focus_area_refs,
                    "focus area (promise/focus area)",
                    f("focus_area"),
                )?,
                None => c.unique(&mut defaults, &r.municipality, || {
                    format!("routing_rule[{i}].municipality (default rule)")
                })?,
            }
        }
        Ok(())
    }
}

fn check_commitment(
    c: &Checker<'_>,
    commitment: &CommitmentSeed,
    contacts: &HashSet<&str>,
    path: &str,
) -> Result<(), SeedError> {
    c.non_empty(&commitment.text, || format!("{path}.text"))?;
    if let Some(target) = &commitment.target {
        let t = target.get_ref();
        if t.quantity <= 0 || t.unit.trim().is_empty() {
            return Err(c.error(
                target.span(),
                format!("{path}.target"),
                "a target needs a positive quantity and a unit".into(),
            ));
        }
    }
    if let Some(contact) = &commitment.contact {
        c.reference(contact, contacts, "contact", || format!("{path}.contact"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[municipality]]
code = "0765"
name = "Älmhult"
official_name = "Älmhults kommun"
slug = "almhult"
county = "Kronobergs län"

[[promise]]
key = "p"
title = "Löfte"
municipalities = ["0765"]
valid_from = 2021-01-01
valid_to = 2021-12-31
summary = "Text"
"#;

    #[test]
    fn the_shipped_file_is_valid() {
        let file = SeedFile::parse("seed", crate::seed::EMBEDDED).expect("valid seed");
        assert_eq!(file.municipality.len(), 6);
        assert_eq!(file.promise.len(), 4);
    }

    #[test]
    fn minimal_file_parses() {
        assert!(SeedFile::parse("x.toml", MINIMAL).is_ok());
    }

    #[test]
    fn type_errors_name_file_line_and_field() {
        let bad = MINIMAL.replace("code = \"0765\"", "code = 765");
        let err = SeedFile::parse("x.toml", &bad).expect_err("must fail");
        assert_eq!((err.file.as_str(), err.line), ("x.toml", 3));
        assert_eq!(err.field, "municipality[0].code");
        assert!(err.to_string().starts_with("x.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let bad = MINIMAL.replace("summary = \"Text\"", "summary = \"Text\"\nsumary = \"x\"");
        let err = SeedFile::parse("x.toml", &bad).expect_err("must fail");
        assert!(err.message.contains("sumary"), "{err}");
    }

    #[test]
    fn semantic_errors_are_located() {
        let bad = MINIMAL.replace("municipalities = [\"0765\"]", "municipalities = [\"1461\"]");
        let err = SeedFile::parse("x.toml", &bad).expect_err("must fail");
        assert_eq!(err.line, 12);
        assert_eq!(err.field, "promise[0].municipalities[0]");
        assert!(err.message.contains("1461"));

        let bad = MINIMAL.replace("valid_to = 2021-12-31", "valid_to = 2020-12-31");
        let err = SeedFile::parse("x.toml", &bad).expect_err("must fail");
        assert_eq!((err.line, err.field.as_str()), (14, "promise[0].valid_to"));
    }

    #[test]
    fn syntax_errors_are_located() {
        let bad = MINIMAL.replace("title = \"Löfte\"", "title = \"Löfte");
        let err = SeedFile::parse("x.toml", &bad).expect_err("must fail");
        assert_eq!(err.line, 11);
    }
}
