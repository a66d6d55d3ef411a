//! TOML to typed values with source positions: a thin, strict reader over `toml`'s spanned
//! document that records a [`Problem`] (with line and column) instead of stopping at the first.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One thing wrong with a lesson file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub line: usize,
    pub col: usize,
    pub severity: Severity,
    pub message: String,
}

/// Whether a problem keeps the lesson from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Severity {
    /// The file is refused: `lectern check` fails and `serve` does not load it.
    #[default]
    Error,
    /// Worth fixing, but the lesson is valid and loads (an objective no question assesses).
    Warning,
}

/// Collects problems for one source text, turning byte offsets into line and column.
pub struct Problems<'s> {
    source: &'s str,
    list: Vec<Problem>,
}

impl<'s> Problems<'s> {
    pub fn new(source: &'s str) -> Self {
        Problems {
            source,
            list: Vec::new(),
        }
    }

    /// Records the error `message` at the start of the byte range `span`.
    pub fn at(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.push(span, Severity::Error, message.into());
    }

    /// Records the warning `message` at the start of the byte range `span`.
    pub fn warn(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.push(span, Severity::Warning, message.into());
    }

    fn push(&mut self, span: &Range<usize>, severity: Severity, message: String) {
        let (line, col) = line_col(self.source, span.start);
        self.list.push(Problem {
            line,
            col,
            severity,
            message,
        });
    }

    /// Whether any error (not a warning) has been recorded.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|p| p.severity == Severity::Error)
    }

    /// The problems, errors and warnings, sorted by position.
    pub fn into_sorted(mut self) -> Vec<Problem> {
        self.list.sort();
        self.list.dedup();
        self.list
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Parses a whole document, reporting every syntax error the parser recovers from.
/// Returns `None` when the document has syntax errors (they are in `problems`).
pub fn parse_document<'i>(
    source: &'i str,
    problems: &mut Problems<'_>,
) -> Option<Spanned<DeTable<'i>>> {
    let (table, errors) = DeTable::parse_recoverable(source);
    if errors.is_empty() {
        return Some(table);
    }
    for error in errors {
        let span = error.span().unwrap_or(0..0);
        problems.at(&span, format!("TOML syntax: {}", error.message().trim()));
    }
    None
}

/// The name of a TOML value's type, for "expected X, found Y" messages.
fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A table being read: the keys it allows, where it starts (for "missing key" problems) and a
/// path prefix for messages (`sections[2].`).
pub struct Fields<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    path: String,
}

/// A value read from a table, with where it is.
pub type At<T> = (T, Range<usize>);

impl<'a, 'i> Fields<'a, 'i> {
    /// Reads `table`, reporting every key not in `allowed` as unknown.
    pub fn new(
        table: &'a DeTable<'i>,
        span: Range<usize>,
        path: impl Into<String>,
        allowed: &[&str],
        problems: &mut Problems<'_>,
    ) -> Self {
        let fields = Fields {
            table,
            span,
            path: path.into(),
        };
        for key in table.keys() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let known = allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                problems.at(
                    &key.span(),
                    format!(
                        "unknown key `{}{}` (expected one of {known})",
                        fields.path,
                        key.get_ref()
                    ),
                );
            }
        }
        fields
    }

    /// Where the table starts.
    pub fn span(&self) -> &Range<usize> {
        &self.span
    }

    /// `path` + `key`, for messages.
    pub fn name(&self, key: &str) -> String {
        format!("{}{key}", self.path)
    }

    /// The raw value at `key`.
    pub fn raw(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    fn missing(&self, key: &str, problems: &mut Problems<'_>) {
        problems.at(
            &self.span,
            format!("missing required key `{}`", self.name(key)),
        );
    }

    fn wrong_type(
        &self,
        key: &str,
        expected: &str,
        value: &Spanned<DeValue<'_>>,
        problems: &mut Problems<'_>,
    ) {
        problems.at(
            &value.span(),
            format!(
                "`{}` must be {expected}, found {}",
                self.name(key),
                type_name(value.get_ref())
            ),
        );
    }

    /// The value at `key` when `extract` accepts it; otherwise a problem saying the value must
    /// be `expected`. `required` reports its absence.
    fn typed<T>(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
        expected: &str,
        extract: impl FnOnce(&'a DeValue<'i>) -> Option<T>,
    ) -> Option<At<T>> {
        let value = self.get(key, required, problems)?;
        match extract(value.get_ref()) {
            Some(v) => Some((v, value.span())),
            None => {
                self.wrong_type(key, expected, value, problems);
                None
            }
        }
    }

    /// A string; `required` reports its absence.
    pub fn string(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<String>> {
        self.typed(key, required, problems, "a string", |v| match v {
            DeValue::String(s) => Some(s.to_string()),
            _ => None,
        })
    }

    /// A string that must not be blank.
    pub fn text(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<String>> {
        let (text, span) = self.string(key, required, problems)?;
        if text.trim().is_empty() {
            problems.at(&span, format!("`{}` must not be empty", self.name(key)));
            return None;
        }
        Some((text, span))
    }

    /// An integer.
    pub fn integer(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<i64>> {
        let (parsed, span) = self.typed(key, required, problems, "an integer", |v| match v {
            DeValue::Integer(i) => Some(parse_integer(i)),
            _ => None,
        })?;
        match parsed {
            Some(n) => Some((n, span)),
            None => {
                problems.at(&span, format!("`{}` is out of range", self.name(key)));
                None
            }
        }
    }

    /// A number (integer or float).
    pub fn number(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<f64>> {
        let (parsed, span) = self.typed(key, required, problems, "a number", |v| match v {
            DeValue::Integer(i) => Some(parse_integer(i).map(|n| n as f64)),
            DeValue::Float(f) => Some(f.as_str().replace('_', "").parse::<f64>().ok()),
            _ => None,
        })?;
        match parsed {
            Some(n) if n.is_finite() => Some((n, span)),
            _ => {
                problems.at(
                    &span,
                    format!("`{}` must be a finite number", self.name(key)),
                );
                None
            }
        }
    }

    /// A boolean.
    pub fn boolean(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<bool>> {
        self.typed(key, required, problems, "true or false", |v| match v {
            DeValue::Boolean(b) => Some(*b),
            _ => None,
        })
    }

    /// A calendar date, written as a TOML date or a `"YYYY-MM-DD"` string.
    pub fn date(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<String>> {
        let (text, span) = self.typed(
            key,
            required,
            problems,
            "a date (YYYY-MM-DD)",
            |v| match v {
                DeValue::Datetime(d) if d.date.is_some() && d.time.is_none() => Some(d.to_string()),
                DeValue::String(s) => Some(s.to_string()),
                _ => None,
            },
        )?;
        if parse_partial_date(&text) != Some(DatePrecision::Day) {
            problems.at(
                &span,
                format!(
                    "`{}` must be a real date written YYYY-MM-DD, found `{text}`",
                    self.name(key)
                ),
            );
            return None;
        }
        Some((text, span))
    }

    /// An array of values.
    pub fn array(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<&'a [Spanned<DeValue<'i>>]>> {
        self.typed(key, required, problems, "an array", |v| match v {
            DeValue::Array(items) => Some(&items[..]),
            _ => None,
        })
    }

    /// A sub-table (`[quiz]`).
    pub fn table(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<&'a DeTable<'i>>> {
        self.typed(key, required, problems, "a table", |v| match v {
            DeValue::Table(t) => Some(t),
            _ => None,
        })
    }

    /// An array of tables (`[[sections]]`), each with its index and span.
    pub fn tables(
        &self,
        key: &str,
        problems: &mut Problems<'_>,
    ) -> Vec<(usize, &'a DeTable<'i>, Range<usize>)> {
        let Some((items, _)) = self.array(key, false, problems) else {
            return Vec::new();
        };
        let mut tables = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => tables.push((index, t, item.span())),
                other => problems.at(
                    &item.span(),
                    format!(
                        "each `{}` entry must be a table, found {}",
                        self.name(key),
                        type_name(other)
                    ),
                ),
            }
        }
        tables
    }

    /// A list of strings, each non-blank.
    pub fn strings(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<At<Vec<At<String>>>> {
        let (items, span) = self.array(key, required, problems)?;
        let mut out = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) if !s.trim().is_empty() => {
                    out.push((s.to_string(), item.span()))
                }
                DeValue::String(_) => problems.at(
                    &item.span(),
                    format!("`{}` must not contain empty strings", self.name(key)),
                ),
                other => problems.at(
                    &item.span(),
                    format!(
                        "`{}` must contain strings, found {}",
                        self.name(key),
                        type_name(other)
                    ),
                ),
            }
        }
        Some((out, span))
    }

    fn get(
        &self,
        key: &str,
        required: bool,
        problems: &mut Problems<'_>,
    ) -> Option<&'a Spanned<DeValue<'i>>> {
        let value = self.table.get(key);
        if value.is_none() && required {
            self.missing(key, problems);
        }
        value
    }
}

/// A TOML integer literal (any radix, `_` separators) as `i64`; `None` when out of range.
fn parse_integer(i: &toml::de::DeInteger<'_>) -> Option<i64> {
    i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
}

/// How precise a timeline date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePrecision {
    Year,
    Month,
    Day,
}

/// Checks `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, rejecting impossible dates (`1994-02-30`).
pub fn parse_partial_date(text: &str) -> Option<DatePrecision> {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let year = parts
        .first()
        .filter(|y| digits(y, 4))?
        .parse::<i16>()
        .ok()?;
    match parts.as_slice() {
        [_] => Some(DatePrecision::Year),
        [_, m] if digits(m, 2) => {
            let month = m.parse::<i8>().ok()?;
            (1..=12).contains(&month).then_some(DatePrecision::Month)
        }
        [_, m, d] if digits(m, 2) && digits(d, 2) => {
            jiff::civil::Date::new(year, m.parse().ok()?, d.parse().ok()?).ok()?;
            Some(DatePrecision::Day)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_from_one() {
        let src = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        // "bé = " is 6 bytes but 5 characters.
        assert_eq!(line_col(src, 12), (2, 6));
    }

    #[test]
    fn partial_dates_accept_year_month_day_and_reject_impossible_ones() {
        let check = |text: &str, expected: Option<DatePrecision>| {
            assert_eq!(parse_partial_date(text), expected, "{text}");
        };
        check("1988", Some(DatePrecision::Year));
        check("1988-02", Some(DatePrecision::Month));
        check("1988-02-20", Some(DatePrecision::Day));
        check("1988-02-30", None);
        check("1988-13", None);
        check("88", None);
        check("1988-2-20", None);
        check("February 1988", None);
    }
}
