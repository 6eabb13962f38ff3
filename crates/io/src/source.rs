//! Reading import files row by row: CSV (any common delimiter, quoted
//! newlines), vCard (many cards per file) and JSON (an array of objects, or
//! one object per line). Files stream: only the current row is in memory.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::decode::Utf8Reader;
use crate::problem::Problem;
use crate::vcard;

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Vcard,
    /// A JSON array of objects, or JSON Lines (one object per line).
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "vcard" | "vcf" | "vcards" => Some(Format::Vcard),
            "json" | "jsonl" | "ndjson" | "json-lines" | "jsonlines" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Vcard => "vcard",
            Format::Json => "json",
        }
    }

    /// From a file name's extension.
    pub fn from_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1;
        Format::parse(ext)
    }

    /// From a media type (`text/csv`, `text/vcard`, `application/json`, ...).
    pub fn from_media_type(ct: &str) -> Option<Format> {
        let ct = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match ct.as_str() {
            "text/csv" | "text/tab-separated-values" | "application/csv" | "application/vnd.ms-excel" => Some(Format::Csv),
            "text/vcard" | "text/x-vcard" | "text/directory" => Some(Format::Vcard),
            "application/json" | "application/x-ndjson" | "application/jsonl" | "application/json-lines" => Some(Format::Json),
            _ => None,
        }
    }

    /// From the first characters of the (decoded) file.
    pub fn sniff(text: &str) -> Format {
        let t = text.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('[') || t.starts_with('{') {
            Format::Json
        } else if t.len() >= 11 && t[..11].eq_ignore_ascii_case("BEGIN:VCARD") {
            Format::Vcard
        } else {
            Format::Csv
        }
    }
}

/// One value of a row, with the source column it came from.
#[derive(Debug, Clone)]
pub struct Cell {
    pub column: Arc<str>,
    /// 1-based position of the column in the file's header.
    pub number: usize,
    pub value: Json,
}

/// The row as it was in the file, for the reject file.
#[derive(Debug, Clone)]
pub enum Original {
    Fields(Vec<String>),
    Json(Json),
}

#[derive(Debug, Clone)]
pub struct Row {
    /// CSV: the row number a spreadsheet shows (the header is row 1).
    /// JSON and vCard: the position of the object or card, from 1.
    pub number: u64,
    pub cells: Vec<Cell>,
    pub original: Original,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// One row (an object, a card) cannot be read; the rest of the file may be.
    #[error("row {row}: {problem}")]
    Row { row: u64, problem: Problem },
    #[error("{0}")]
    Format(String),
}

type Rows = Box<dyn Iterator<Item = Result<Row, SourceError>> + Send>;

/// An open import file: what it is, its columns, and its rows.
pub struct RowReader {
    pub format: Format,
    /// The encoding found, as shown to people.
    pub encoding: String,
    /// The CSV delimiter found.
    pub delimiter: Option<u8>,
    /// The column names: the CSV header; the fixed vCard columns; the keys of the first JSON object.
    pub columns: Vec<String>,
    rows: Rows,
}

impl Iterator for RowReader {
    type Item = Result<Row, SourceError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

/// Picks the delimiter of a CSV sample: the candidate found the same
/// (non-zero) number of times on the most lines, outside quotes.
pub fn sniff_delimiter(sample: &str) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    // Split the sample into records, honouring quotes, on at most 50 records.
    let mut records: Vec<[usize; 4]> = Vec::new();
    let mut counts = [0usize; 4];
    let mut quoted = false;
    let bytes = sample.as_bytes();
    let mut i = 0;
    while i < bytes.len() && records.len() < 50 {
        let b = bytes[i];
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && (b == b'\n' || b == b'\r') {
            if counts.iter().any(|c| *c > 0) || records.is_empty() {
                records.push(counts);
            }
            counts = [0; 4];
            if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else if !quoted && let Some(k) = CANDIDATES.iter().position(|c| *c == b) {
            counts[k] += 1;
        }
        i += 1;
    }
    // The last line may be cut short by the sample's end: count it only when it is alone.
    if records.is_empty() {
        records.push(counts);
    }
    let header = records[0];
    let mut best = (0usize, 0usize, b',');
    for (k, c) in CANDIDATES.iter().enumerate() {
        if header[k] == 0 {
            continue;
        }
        let consistent = records.iter().filter(|r| r[k] == header[k]).count();
        let score = (consistent, header[k]);
        if score > (best.0, best.1) {
            best = (consistent, header[k], *c);
        }
    }
    best.2
}

/// Opens an import file. `format` wins; else the file name's extension; else its content.
pub fn open(input: impl Read + Send + 'static, name: Option<&str>, format: Option<Format>) -> Result<RowReader, SourceError> {
    let decoded = Utf8Reader::new(input)?;
    let encoding = decoded.encoding_label();
    let mut buffered = BufReader::with_capacity(64 * 1024, decoded);
    // A sample of the decoded text, for the format and the delimiter.
    let mut sample = Vec::new();
    while sample.len() < 16 * 1024 {
        let chunk = buffered.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        sample.extend_from_slice(chunk);
        buffered.consume(n);
    }
    let text = String::from_utf8_lossy(&sample).into_owned();
    let format = format.or_else(|| name.and_then(Format::from_name)).unwrap_or_else(|| Format::sniff(&text));
    let reader: Box<dyn BufRead + Send> = Box::new(BufReader::new(Cursor::new(sample).chain(buffered)));
    match format {
        Format::Csv => open_csv(reader, &text, encoding),
        Format::Json => open_json(reader, encoding),
        Format::Vcard => Ok(RowReader {
            format,
            encoding,
            delimiter: None,
            columns: vcard::COLUMNS.iter().map(|c| c.to_string()).collect(),
            rows: Box::new(vcard::CardReader::new(reader)),
        }),
    }
}

fn open_csv(reader: Box<dyn BufRead + Send>, sample: &str, encoding: String) -> Result<RowReader, SourceError> {
    let delimiter = sniff_delimiter(sample);
    let mut csv = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(reader);
    let mut header = csv::StringRecord::new();
    if !csv.read_record(&mut header).map_err(csv_error)? {
        return Err(SourceError::Format("the file is empty".into()));
    }
    let columns: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = h.trim_start_matches('\u{feff}').trim();
            if h.is_empty() { format!("Column {}", i + 1) } else { h.to_string() }
        })
        .collect();
    let names: Vec<Arc<str>> = columns.iter().map(|c| Arc::from(c.as_str())).collect();
    let mut number = 1u64;
    let rows = std::iter::from_fn(move || {
        let mut rec = csv::StringRecord::new();
        loop {
            number += 1;
            match csv.read_record(&mut rec) {
                Ok(false) => return None,
                Err(e) => {
                    let code = if matches!(e.kind(), csv::ErrorKind::Io(_)) { "unreadable_file" } else { "unreadable_row" };
                    return Some(Err(SourceError::Row { row: number, problem: Problem::new(code, csv_error(e).to_string()) }));
                }
                Ok(true) => {
                    // A line with nothing on it is not a row.
                    if rec.iter().all(|f| f.trim().is_empty()) {
                        continue;
                    }
                    let cells = rec
                        .iter()
                        .enumerate()
                        .take(names.len())
                        .map(|(i, v)| Cell { column: names[i].clone(), number: i + 1, value: Json::String(v.to_string()) })
                        .collect();
                    let original = Original::Fields(rec.iter().map(str::to_string).collect());
                    return Some(Ok(Row { number, cells, original }));
                }
            }
        }
    });
    Ok(RowReader { format: Format::Csv, encoding, delimiter: Some(delimiter), columns, rows: Box::new(rows) })
}

fn csv_error(e: csv::Error) -> SourceError {
    match e.kind() {
        csv::ErrorKind::Io(_) => SourceError::Format(format!("cannot read the file: {e}")),
        _ => SourceError::Format(format!("malformed CSV: {e}")),
    }
}

/// Skips whitespace and returns the next byte without consuming it.
fn peek_byte(r: &mut dyn BufRead) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        let Some(&b) = buf.first() else { return Ok(None) };
        if b.is_ascii_whitespace() {
            r.consume(1);
        } else {
            return Ok(Some(b));
        }
    }
}

fn object_row(number: u64, value: Json) -> Result<Row, SourceError> {
    let Json::Object(map) = value else {
        return Err(SourceError::Row { row: number, problem: Problem::new("not_a_json_object", "expected a JSON object") });
    };
    let cells = map
        .iter()
        .enumerate()
        .map(|(i, (k, v))| Cell { column: Arc::from(k.as_str()), number: i + 1, value: v.clone() })
        .collect();
    Ok(Row { number, cells, original: Original::Json(Json::Object(map)) })
}

/// Streams the items of a top-level JSON array, or the objects of JSON Lines.
struct JsonRows {
    reader: Box<dyn BufRead + Send>,
    array: bool,
    number: u64,
    done: bool,
}

impl JsonRows {
    fn next_value(&mut self) -> Result<Option<Json>, SourceError> {
        let at = |problem: Problem, n: u64| SourceError::Row { row: n, problem };
        match peek_byte(&mut self.reader)? {
            None if self.array => Err(at(Problem::new("json_array_not_closed", "the JSON array is not closed"), self.number + 1)),
            None => Ok(None),
            Some(b']') if self.array => {
                self.reader.consume(1);
                Ok(None)
            }
            Some(b',') if self.array && self.number > 0 => {
                self.reader.consume(1);
                self.value()
            }
            Some(_) if self.array && self.number > 0 => {
                Err(at(Problem::new("json_items_not_separated", "expected ',' or ']' between items"), self.number + 1))
            }
            Some(_) => self.value(),
        }
    }

    fn value(&mut self) -> Result<Option<Json>, SourceError> {
        if peek_byte(&mut self.reader)?.is_none() {
            return Ok(None);
        }
        let n = self.number + 1;
        let mut de = serde_json::Deserializer::from_reader(&mut self.reader);
        let v = Json::deserialize(&mut de).map_err(|e| {
            let message = format!("malformed JSON (line {}, column {}): {e}", e.line(), e.column());
            let problem = Problem::new("malformed_json", message).with("line", e.line()).with("column", e.column());
            SourceError::Row { row: n, problem }
        })?;
        Ok(Some(v))
    }
}

impl Iterator for JsonRows {
    type Item = Result<Row, SourceError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_value() {
            Ok(Some(v)) => {
                self.number += 1;
                Some(object_row(self.number, v))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                // Past a syntax error the position in the stream is lost.
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn open_json(mut reader: Box<dyn BufRead + Send>, encoding: String) -> Result<RowReader, SourceError> {
    let array = peek_byte(&mut reader)? == Some(b'[');
    if array {
        reader.consume(1);
    }
    let mut rows = JsonRows { reader, array, number: 0, done: false };
    // The first object names the columns.
    let first = rows.next();
    let columns = match &first {
        Some(Ok(r)) => r.cells.iter().map(|c| c.column.to_string()).collect(),
        _ => vec![],
    };
    let rows: Rows = Box::new(first.into_iter().chain(rows));
    Ok(RowReader { format: Format::Json, encoding, delimiter: None, columns, rows })
}

/// The keys of a JSON object in a stable order (for reject files and suggestions).
pub fn keys(map: &Map<String, Json>) -> Vec<String> {
    map.keys().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_rows(bytes: &'static [u8], format: Option<Format>) -> (RowReader, Vec<Row>) {
        let mut r = open(bytes, None, format).unwrap();
        let rows: Vec<Row> = r.by_ref().map(|x| x.unwrap()).collect();
        (r, rows)
    }

    fn text(row: &Row, col: &str) -> String {
        row.cells.iter().find(|c| &*c.column == col).and_then(|c| c.value.as_str()).unwrap_or_default().to_string()
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n\"1,5\";2;3\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2,5\t3\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b\n1|2\n"), b'|');
        assert_eq!(sniff_delimiter("name\nAda\n"), b',');
    }

    #[test]
    fn csv_with_bom_semicolons_and_quoted_newlines() {
        let data = "\u{feff}Name;Notes;City\n\"Ada\";\"line one\nline two\";Paris\nBob;;\"Lyon\"\n\n";
        let (r, rows) = read_rows(Box::leak(data.as_bytes().to_vec().into_boxed_slice()), None);
        assert_eq!(r.format, Format::Csv);
        assert_eq!(r.delimiter, Some(b';'));
        assert_eq!(r.columns, vec!["Name", "Notes", "City"]);
        assert_eq!(rows.len(), 2);
        assert_eq!(text(&rows[0], "Notes"), "line one\nline two");
        assert_eq!(rows[0].number, 2);
        assert_eq!(rows[1].number, 3);
        assert_eq!(text(&rows[1], "City"), "Lyon");
    }

    #[test]
    fn json_arrays_and_lines_stream() {
        let (r, rows) = read_rows(b" [ {\"a\": 1, \"b\": \"x\"}, {\"a\": 2} ,{\"a\":3}]", None);
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.columns, vec!["a", "b"]);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].cells[0].value, Json::from(3));
        let (_, rows) = read_rows(b"{\"a\": 1}\n{\"a\": 2}\n\n{\"a\": 3}\n", None);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].number, 2);
        let mut r = open(&b"[{\"a\": 1}, 2]"[..], None, None).unwrap();
        assert!(r.next().unwrap().is_ok());
        match r.next() {
            Some(Err(SourceError::Row { row: 2, problem })) => assert_eq!(problem.code, "not_a_json_object"),
            other => panic!("a number is no row: {other:?}"),
        }
        let mut r = open(&b"[{\"a\": 1}, {\"a\": "[..], None, None).unwrap();
        assert!(r.next().unwrap().is_ok());
        match r.next() {
            Some(Err(SourceError::Row { row: 2, problem })) => {
                assert_eq!(problem.code, "malformed_json");
                assert_eq!(problem.args[0].0, "line");
                assert!(problem.message.starts_with("malformed JSON (line 1, column"), "{}", problem.message);
            }
            other => panic!("a cut object is a malformed row: {other:?}"),
        }
        assert!(r.next().is_none());
        let mut r = open(&b"[{\"a\": 1} {\"a\": 2}]"[..], None, None).unwrap();
        assert!(r.next().unwrap().is_ok());
        assert!(matches!(r.next(), Some(Err(SourceError::Row { problem, .. })) if problem.code == "json_items_not_separated"));
    }
}
