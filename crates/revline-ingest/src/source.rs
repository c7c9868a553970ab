//! Step "decode": reading a file of any supported format into rows of text, with the
//! line each row came from. Encodings other than UTF-8 are decoded on the fly; a byte
//! sequence that is not valid in the file's encoding stops the file at that line.

use calamine::{Data, Reader};
use encoding_rs::Encoding;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Fields longer than this are refused (a runaway quote or a blob in a cell).
pub const FIELD_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
    Xlsx,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        if ext == "gz" {
            // Compressed text: `touchpoints.csv.gz`, `events.ndjson.gz`.
            return match Format::from_path(Path::new(path.file_stem()?))? {
                Format::Xlsx => None,
                text => Some(text),
            };
        }
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Whether a whole file is valid UTF-8 (read in blocks; a character split between two
/// blocks is carried over).
pub fn is_valid_utf8(path: &Path) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut carry = 0;
    loop {
        let n = file.read(&mut buf[carry..])?;
        let end = carry + n;
        match std::str::from_utf8(&buf[..end]) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() && n > 0 => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..end, 0);
                carry = end - valid;
            }
            Err(_) => return Ok(false),
        }
        if n == 0 {
            return Ok(carry == 0);
        }
    }
}

/// How to read text files.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub encoding: &'static Encoding,
    /// `None`: detected from the header line.
    pub delimiter: Option<u8>,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            encoding: encoding_rs::UTF_8,
            delimiter: None,
        }
    }
}

/// A problem that stops reading a file (rows before it were delivered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("line {line}: not valid {encoding} text{hint}")]
    BadEncoding {
        line: u64,
        encoding: &'static str,
        hint: String,
    },
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
    #[error("{0}")]
    Io(String),
    #[error("the file is empty (no header line)")]
    Empty,
    /// An NDJSON file without a single object (an empty export, like an empty CSV).
    #[error("the file is empty (no JSON object)")]
    NoObjects,
}

impl SourceError {
    pub fn line(&self) -> u64 {
        match self {
            SourceError::BadEncoding { line, .. } | SourceError::Malformed { line, .. } => *line,
            SourceError::Io(_) | SourceError::Empty | SourceError::NoObjects => 0,
        }
    }
}

/// One row of text.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// 1-based line (CSV, NDJSON) or sheet row (XLSX) where the row starts.
    pub line: u64,
    pub fields: Vec<String>,
    /// Set when the row is refused while reading (ragged, huge field).
    pub problem: Option<(Option<String>, revline_core::RejectReason)>,
}

/// A source of rows with a header. NDJSON rows carry their own keys, so the header
/// may change from row to row; `header()` is the one that applies to the last row.
pub trait RowSource {
    fn header(&self) -> &Arc<Vec<String>>;
    fn next_row(&mut self) -> Option<Result<RawRow, SourceError>>;

    /// Reads the next row into `row`, whose buffers a source may reuse: the CSV source
    /// writes each cell into the string already there, so a long file is read without
    /// allocating per cell.
    fn read_row(&mut self, row: &mut RawRow) -> Option<Result<(), SourceError>> {
        Some(self.next_row()?.map(|next| *row = next))
    }
}

impl RawRow {
    pub fn empty() -> RawRow {
        RawRow {
            line: 0,
            fields: Vec::new(),
            problem: None,
        }
    }
}

/// Sets cell `i` of `fields` (which has at least `i` cells) to `text`, reusing the
/// string that is there.
fn set_cell(fields: &mut Vec<String>, i: usize, text: &str) {
    match fields.get_mut(i) {
        Some(cell) => {
            cell.clear();
            cell.push_str(text);
        }
        None => fields.push(text.to_string()),
    }
}

/// Counts bytes as they are read, for progress.
pub struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decodes a legacy encoding to UTF-8 as it streams, failing on the first malformed
/// sequence with the line it is on.
struct DecodeReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
    lines: u64,
    /// A malformed sequence was met after the text in `out`: fail once that is read.
    failed_at_line: Option<u64>,
}

#[derive(Debug)]
struct EncodingFailure {
    line: u64,
}
impl std::fmt::Display for EncodingFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed text on line {}", self.line)
    }
}
impl std::error::Error for EncodingFailure {}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if let Some(line) = self.failed_at_line {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    EncodingFailure { line },
                ));
            }
            if self.eof {
                return Ok(0);
            }
            self.raw.resize(64 * 1024, 0);
            let n = self.inner.read(&mut self.raw)?;
            self.raw.truncate(n);
            let last = n == 0;
            self.eof = last;
            let mut text = String::with_capacity(n * 2 + 16);
            let mut consumed = 0;
            loop {
                text.reserve(
                    self.decoder
                        .max_utf8_buffer_length_without_replacement(n - consumed)
                        .unwrap_or(n * 3),
                );
                let (result, read) = self.decoder.decode_to_string_without_replacement(
                    &self.raw[consumed..],
                    &mut text,
                    last,
                );
                consumed += read;
                match result {
                    encoding_rs::DecoderResult::InputEmpty => break,
                    encoding_rs::DecoderResult::OutputFull => continue,
                    encoding_rs::DecoderResult::Malformed(_, _) => {
                        // Hand out the good text first; fail when it has been read.
                        let newlines = text.bytes().filter(|b| *b == b'\n').count() as u64;
                        self.failed_at_line = Some(self.lines + newlines + 1);
                        break;
                    }
                }
            }
            self.lines += text.bytes().filter(|b| *b == b'\n').count() as u64;
            self.out = text.into_bytes();
            self.out_pos = 0;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Byte offsets of the newlines a CSV reader has been given, so that a record's start
/// offset can be turned into its line. (The csv crate counts a CRLF file's lines one
/// short after the header, so the count is kept here instead.)
#[derive(Default)]
struct LineIndex {
    pending: std::collections::VecDeque<u64>,
    passed: u64,
    offset: u64,
}

impl LineIndex {
    /// The 1-based line of a record starting at `byte` (a record "starts" at the
    /// newline that ends the line before it when that newline follows a CR).
    fn line_at(&mut self, byte: u64) -> u64 {
        while self.pending.front().is_some_and(|nl| *nl <= byte) {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

struct IndexingReader<R> {
    inner: R,
    index: std::rc::Rc<std::cell::RefCell<LineIndex>>,
}

impl<R: Read> Read for IndexingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut index = self.index.borrow_mut();
        let start = index.offset;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                index.pending.push_back(start + i as u64);
            }
        }
        index.offset += n as u64;
        Ok(n)
    }
}

/// The name of a file without its format and compression extensions
/// (`touchpoints.csv.gz` -> `touchpoints`): what names its record kind.
pub fn kind_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    match name.rfind('.') {
        Some(dot) if dot > 0 => name[..dot].to_string(),
        _ => name.to_string(),
    }
}

/// The most a compressed file of `stored` bytes may expand to: text exports compress
/// 5 to 50 times, a "zip bomb" a thousand times.
pub fn decompressed_limit(stored: u64) -> u64 {
    stored.saturating_mul(200).max(1 << 30)
}

/// Fails once more than `left` bytes have come out.
struct CappedReader<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::other(
                "the compressed file expands to more than 200 times its size (or 1 GiB); \
                 decompress it and import the plain file if it is genuine",
            )
        })?;
        Ok(n)
    }
}

/// Opens a file for reading, decompressing `.gz` files on the fly. Progress counts the
/// bytes of the file as stored.
fn open_text(path: &Path, counter: Arc<AtomicU64>) -> Result<Box<dyn Read>, SourceError> {
    let file = open_counting(path, counter)?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gz {
        let stored = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Box::new(CappedReader {
            inner: BufReader::new(flate2::read::MultiGzDecoder::new(file)),
            left: decompressed_limit(stored),
        })
    } else {
        Box::new(file)
    })
}

/// Picks the delimiter that occurs most often outside quotes in the header line.
pub fn detect_delimiter(first_line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in first_line {
        match b {
            b'"' => quoted = !quoted,
            b'\n' => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

pub struct CsvSource {
    reader: csv::Reader<Box<dyn Read>>,
    /// Why each refused line was refused (`framing`).
    refusals: crate::framing::Refusals,
    lines: Option<std::rc::Rc<std::cell::RefCell<LineIndex>>>,
    header: Arc<Vec<String>>,
    record: csv::ByteRecord,
    encoding: &'static Encoding,
    utf8: bool,
    done: bool,
}

fn open_counting(
    path: &Path,
    counter: Arc<AtomicU64>,
) -> Result<CountingReader<BufReader<File>>, SourceError> {
    let file = File::open(path).map_err(|e| SourceError::Io(format!("cannot open: {e}")))?;
    Ok(CountingReader {
        inner: BufReader::with_capacity(256 * 1024, file),
        counter,
    })
}

fn encoding_hint(encoding: &'static Encoding) -> String {
    if encoding == encoding_rs::UTF_8 {
        " (if the file comes from Excel, try --encoding windows-1250 or another code page)"
            .to_string()
    } else {
        String::new()
    }
}

impl CsvSource {
    pub fn open(
        path: &Path,
        options: TextOptions,
        counter: Arc<AtomicU64>,
    ) -> Result<CsvSource, SourceError> {
        let mut input = open_text(path, counter)?;
        // Look at the start for a BOM and the delimiter, then chain it back in front.
        let mut head = vec![0u8; 64 * 1024];
        let mut filled = 0;
        while filled < head.len() {
            let n = input
                .read(&mut head[filled..])
                .map_err(|e| SourceError::Io(e.to_string()))?;
            if n == 0 {
                break;
            }
            filled += n;
            if head[..filled].contains(&b'\n') {
                break;
            }
        }
        head.truncate(filled);
        let mut encoding = options.encoding;
        let mut skip = 0;
        if let Some((bom_encoding, len)) = Encoding::for_bom(&head) {
            encoding = bom_encoding;
            skip = len;
        }
        let delimiter = options
            .delimiter
            .unwrap_or_else(|| detect_delimiter(&head[skip..]));
        let has_cr = head.contains(&b'\r');
        let chained: Box<dyn Read> = Box::new(io::Cursor::new(head.split_off(skip)).chain(input));
        let utf8 = encoding == encoding_rs::UTF_8;
        let stream: Box<dyn Read> = if utf8 {
            chained
        } else {
            Box::new(DecodeReader {
                inner: chained,
                decoder: encoding.new_decoder_without_bom_handling(),
                raw: Vec::new(),
                out: Vec::new(),
                out_pos: 0,
                eof: false,
                lines: 0,
                failed_at_line: None,
            })
        };
        // No record may grow without bound: a runaway quote or a huge line is refused
        // where it starts and reading goes on at the next line.
        let (framed, refusals) = crate::framing::FramingReader::new(stream, delimiter, Some(b'"'));
        let stream: Box<dyn Read> = Box::new(framed);
        let (stream, lines): (Box<dyn Read>, _) = if has_cr {
            let index = std::rc::Rc::new(std::cell::RefCell::new(LineIndex::default()));
            (
                Box::new(IndexingReader {
                    inner: stream,
                    index: index.clone(),
                }),
                Some(index),
            )
        } else {
            (stream, None)
        };
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(256 * 1024)
            .from_reader(stream);
        let mut source = CsvSource {
            reader,
            refusals,
            lines,
            header: Arc::new(Vec::new()),
            record: csv::ByteRecord::new(),
            encoding,
            utf8,
            done: false,
        };
        let mut row = RawRow::empty();
        match source.read_record(&mut row) {
            None => return Err(SourceError::Empty),
            Some(Err(e)) => return Err(e),
            Some(Ok(())) => {
                if let Some((_, reason)) = row.problem.take() {
                    return Err(SourceError::Malformed {
                        line: 1,
                        message: format!("the header line is refused: {reason}"),
                    });
                }
                if row.fields.iter().all(|f| f.trim().is_empty()) {
                    return Err(SourceError::Empty);
                }
                source.header = Arc::new(row.fields);
            }
        }
        Ok(source)
    }

    fn read_record(&mut self, row: &mut RawRow) -> Option<Result<(), SourceError>> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let line = match (&self.lines, self.record.position()) {
                    (Some(index), Some(p)) => index.borrow_mut().line_at(p.byte()),
                    (None, Some(p)) => p.line(),
                    (_, None) => 0,
                };
                row.line = line;
                row.problem = None;
                if self.record.len() == 1
                    && &self.record[0] == crate::framing::REFUSED_LINE.as_bytes()
                {
                    if let Some(refusal) = self.refusals.borrow_mut().pop_front() {
                        row.line = refusal.line();
                        let column = match &refusal {
                            crate::framing::Refusal::RunawayQuote { field, .. } => {
                                self.header.get(*field).cloned()
                            }
                            crate::framing::Refusal::LineTooLong { .. } => None,
                        };
                        row.problem = Some((
                            column,
                            revline_core::RejectReason::Malformed(refusal.message()),
                        ));
                    }
                    row.fields.truncate(1);
                    set_cell(&mut row.fields, 0, "");
                    return Some(Ok(()));
                }
                let fields = &mut row.fields;
                let n = self.record.len();
                fields.truncate(n);
                for (i, raw) in self.record.iter().enumerate() {
                    if raw.len() > FIELD_LIMIT {
                        let column = self.header.get(i).cloned();
                        row.problem = Some((
                            column,
                            revline_core::RejectReason::FieldTooLarge {
                                bytes: raw.len(),
                                limit: FIELD_LIMIT,
                            },
                        ));
                        set_cell(fields, i, "");
                        continue;
                    }
                    // ASCII (nearly every cell) is told by an inlined check.
                    let text = if raw.is_ascii() {
                        // SAFETY: ASCII is valid UTF-8.
                        Ok(unsafe { std::str::from_utf8_unchecked(raw) })
                    } else {
                        std::str::from_utf8(raw)
                    };
                    match text {
                        Ok(s) => set_cell(fields, i, s),
                        Err(_) => {
                            self.done = true;
                            return Some(Err(SourceError::BadEncoding {
                                line,
                                encoding: self.encoding.name(),
                                hint: encoding_hint(self.encoding),
                            }));
                        }
                    }
                }
                Some(Ok(()))
            }
            Err(e) => {
                self.done = true;
                let line = e.position().map_or(0, |p| p.line());
                if let csv::ErrorKind::Io(io) = e.kind() {
                    if let Some(failure) = io
                        .get_ref()
                        .and_then(|inner| inner.downcast_ref::<EncodingFailure>())
                    {
                        return Some(Err(SourceError::BadEncoding {
                            line: failure.line,
                            encoding: self.encoding.name(),
                            hint: String::new(),
                        }));
                    }
                    return Some(Err(SourceError::Io(io.to_string())));
                }
                Some(Err(SourceError::Malformed {
                    line,
                    message: e.to_string(),
                }))
            }
        }
    }
}

impl RowSource for CsvSource {
    fn header(&self) -> &Arc<Vec<String>> {
        &self.header
    }

    fn next_row(&mut self) -> Option<Result<RawRow, SourceError>> {
        let mut row = RawRow::empty();
        Some(self.read_row(&mut row)?.map(|()| row))
    }

    fn read_row(&mut self, row: &mut RawRow) -> Option<Result<(), SourceError>> {
        loop {
            if let Err(e) = self.read_record(row)? {
                return Some(Err(e));
            }
            // Blank lines (often at the end of spreadsheet exports) are not rows.
            if row.problem.is_none()
                && row.fields.len() <= 1
                && row.fields.iter().all(|f| f.trim().is_empty())
            {
                continue;
            }
            if row.fields.len() != self.header.len() && row.problem.is_none() {
                row.problem = Some((
                    None,
                    revline_core::RejectReason::RaggedRow {
                        expected: self.header.len(),
                        found: row.fields.len(),
                    },
                ));
            }
            let _ = self.utf8;
            return Some(Ok(()));
        }
    }
}

/// One JSON object per line; the keys of each object are its header.
pub struct NdjsonSource {
    lines: io::Lines<BufReader<Box<dyn Read>>>,
    header: Arc<Vec<String>>,
    line: u64,
    /// Whether any line held something, so that an empty file is told apart.
    seen_any: bool,
}

impl NdjsonSource {
    pub fn open(path: &Path, counter: Arc<AtomicU64>) -> Result<NdjsonSource, SourceError> {
        Ok(Self::from_reader(open_text(path, counter)?))
    }

    pub fn from_reader(input: Box<dyn Read>) -> NdjsonSource {
        use io::BufRead;
        // Lines are bounded as CSV records are: a huge one is refused as it streams.
        let (framed, _) = crate::framing::FramingReader::new(input, b'\n', None);
        let input: Box<dyn Read> = Box::new(framed);
        NdjsonSource {
            lines: BufReader::new(input).lines(),
            header: Arc::new(Vec::new()),
            line: 0,
            seen_any: false,
        }
    }
}

/// The text of a JSON value as a cell: strings as they are, numbers as written,
/// null as empty, objects and arrays as JSON.
pub fn json_cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

impl RowSource for NdjsonSource {
    fn header(&self) -> &Arc<Vec<String>> {
        &self.header
    }

    fn next_row(&mut self) -> Option<Result<RawRow, SourceError>> {
        loop {
            let Some(next) = self.lines.next() else {
                if self.seen_any {
                    return None;
                }
                self.seen_any = true;
                return Some(Err(SourceError::NoObjects));
            };
            let text = match next {
                Ok(t) => t,
                Err(e) => {
                    self.line += 1;
                    let line = self.line;
                    return Some(Err(if e.kind() == io::ErrorKind::InvalidData {
                        SourceError::BadEncoding {
                            line,
                            encoding: "UTF-8",
                            hint: String::new(),
                        }
                    } else {
                        SourceError::Io(e.to_string())
                    }));
                }
            };
            self.line += 1;
            let trimmed = text.trim();
            if trimmed.is_empty() {
                continue;
            }
            self.seen_any = true;
            let line = self.line;
            if trimmed == crate::framing::REFUSED_LINE.trim() {
                let refusal = crate::framing::Refusal::LineTooLong { line };
                return Some(Ok(RawRow {
                    line,
                    fields: Vec::new(),
                    problem: Some((
                        None,
                        revline_core::RejectReason::Malformed(refusal.message()),
                    )),
                }));
            }
            let object = match serde_json::from_str::<serde_json::Value>(trimmed) {
                Ok(serde_json::Value::Object(map)) => map,
                Ok(_) => {
                    return Some(Ok(RawRow {
                        line,
                        fields: Vec::new(),
                        problem: Some((
                            None,
                            revline_core::RejectReason::Malformed(
                                "line is not a JSON object".into(),
                            ),
                        )),
                    }));
                }
                Err(e) => {
                    return Some(Ok(RawRow {
                        line,
                        fields: Vec::new(),
                        problem: Some((
                            None,
                            revline_core::RejectReason::Malformed(format!("invalid JSON: {e}")),
                        )),
                    }));
                }
            };
            return Some(Ok(object_row(&object, line, &mut self.header)));
        }
    }
}

/// One JSON object as a row: its keys are the header (kept when unchanged), its values
/// the cells; a value over the field limit refuses the row.
fn object_row(
    object: &serde_json::Map<String, serde_json::Value>,
    line: u64,
    header: &mut Arc<Vec<String>>,
) -> RawRow {
    if !header.iter().eq(object.keys()) {
        *header = Arc::new(object.keys().cloned().collect());
    }
    let mut problem = None;
    let fields = object
        .iter()
        .map(|(k, v)| {
            let cell = json_cell(v);
            if cell.len() > FIELD_LIMIT {
                problem = Some((
                    Some(k.clone()),
                    revline_core::RejectReason::FieldTooLarge {
                        bytes: cell.len(),
                        limit: FIELD_LIMIT,
                    },
                ));
                String::new()
            } else {
                cell
            }
        })
        .collect();
    RawRow {
        line,
        fields,
        problem,
    }
}

/// JSON objects already in memory (a batch posted to the API), read as an NDJSON file
/// of them would be: object N is line N.
pub struct ObjectSource {
    objects: Arc<Vec<serde_json::Map<String, serde_json::Value>>>,
    next: usize,
    header: Arc<Vec<String>>,
}

impl ObjectSource {
    pub fn new(objects: Arc<Vec<serde_json::Map<String, serde_json::Value>>>) -> ObjectSource {
        ObjectSource {
            objects,
            next: 0,
            header: Arc::new(Vec::new()),
        }
    }
}

impl RowSource for ObjectSource {
    fn header(&self) -> &Arc<Vec<String>> {
        &self.header
    }

    fn next_row(&mut self) -> Option<Result<RawRow, SourceError>> {
        let object = self.objects.get(self.next)?;
        self.next += 1;
        Some(Ok(object_row(object, self.next as u64, &mut self.header)))
    }
}

/// One sheet of a workbook; the first non-empty row is the header.
pub struct SheetSource {
    rows: std::vec::IntoIter<RawRow>,
    header: Arc<Vec<String>>,
}

/// The sheets of a workbook by name, in workbook order.
pub fn sheet_names(path: &Path) -> Result<Vec<String>, SourceError> {
    let workbook = calamine::open_workbook_auto(path)
        .map_err(|e| SourceError::Io(format!("cannot open workbook: {e}")))?;
    Ok(workbook.sheet_names())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            match (h, mi, s, ms) {
                (0, 0, 0, 0) => format!("{y:04}-{mo:02}-{d:02}"),
                (_, _, _, 0) => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
                _ => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}"),
            }
        }
        Data::DateTime(dt) => dt.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

impl SheetSource {
    pub fn open(
        path: &Path,
        sheet: &str,
        counter: Arc<AtomicU64>,
    ) -> Result<SheetSource, SourceError> {
        let mut workbook = calamine::open_workbook_auto(path)
            .map_err(|e| SourceError::Io(format!("cannot open workbook: {e}")))?;
        let range = workbook
            .worksheet_range(sheet)
            .map_err(|e| SourceError::Io(format!("cannot read sheet '{sheet}': {e}")))?;
        counter.fetch_add(
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            Ordering::Relaxed,
        );
        let first_row = range.start().map_or(0, |(r, _)| r as u64);
        let mut rows = range.rows().enumerate().map(|(i, cells)| RawRow {
            line: first_row + i as u64 + 1,
            fields: cells.iter().map(cell_text).collect(),
            problem: None,
        });
        let header = loop {
            match rows.next() {
                None => return Err(SourceError::Empty),
                Some(r) if r.fields.iter().all(|f| f.trim().is_empty()) => continue,
                Some(r) => break r.fields,
            }
        };
        // Trailing empty header cells come from formatting, not data.
        let width = header
            .iter()
            .rposition(|h| !h.trim().is_empty())
            .map_or(0, |i| i + 1);
        let header: Vec<String> = header.into_iter().take(width).collect();
        let body: Vec<RawRow> = rows
            .filter(|r| !r.fields.iter().all(|f| f.trim().is_empty()))
            .map(|mut r| {
                r.fields.truncate(width);
                r.fields.resize(width, String::new());
                r
            })
            .collect();
        Ok(SheetSource {
            rows: body.into_iter(),
            header: Arc::new(header),
        })
    }
}

impl RowSource for SheetSource {
    fn header(&self) -> &Arc<Vec<String>> {
        &self.header
    }
    fn next_row(&mut self) -> Option<Result<RawRow, SourceError>> {
        self.rows.next().map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    fn rows(source: &mut dyn RowSource) -> Vec<Result<RawRow, SourceError>> {
        std::iter::from_fn(|| source.next_row()).collect()
    }

    #[test]
    fn compressed_files_are_named_by_their_inner_format() {
        assert_eq!(
            Format::from_path(Path::new("a/touchpoints.csv.gz")),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_path(Path::new("events.ndjson.gz")),
            Some(Format::Ndjson)
        );
        assert_eq!(Format::from_path(Path::new("book.xlsx.gz")), None);
        assert_eq!(Format::from_path(Path::new("notes.gz")), None);
        assert_eq!(kind_stem(Path::new("a/touchpoints.csv.gz")), "touchpoints");
        assert_eq!(kind_stem(Path::new("deals.xlsx")), "deals");
    }

    #[test]
    fn reads_gzip_compressed_csv() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(b"id,name\n1,a\n2,b\n").unwrap();
        gz.finish().unwrap();
        let mut src = CsvSource::open(&path, TextOptions::default(), Arc::default()).unwrap();
        let got: Vec<Vec<String>> = rows(&mut src)
            .into_iter()
            .map(|r| r.unwrap().fields)
            .collect();
        assert_eq!(got, vec![vec!["1", "a"], vec!["2", "b"]]);
    }

    #[test]
    fn detects_delimiters() {
        assert_eq!(detect_delimiter(b"a,b,c\n"), b',');
        assert_eq!(detect_delimiter(b"a;b;c\n1,5;2\n"), b';');
        assert_eq!(detect_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(detect_delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(detect_delimiter(b"single\n"), b',');
    }

    #[test]
    fn reads_polish_excel_exports() {
        let dir = tempfile::tempdir().unwrap();
        // "Łódź" in windows-1250, semicolons, CRLF.
        let bytes = b"name;city\r\nAnna;\xa3\xf3d\x9f\r\n";
        let path = write(dir.path(), "a.csv", bytes);
        let options = TextOptions {
            encoding: Encoding::for_label(b"windows-1250").unwrap(),
            delimiter: None,
        };
        let mut src = CsvSource::open(&path, options, Arc::default()).unwrap();
        assert_eq!(
            *src.header().as_ref(),
            vec!["name".to_string(), "city".to_string()]
        );
        let got = rows(&mut src);
        assert_eq!(got[0].as_ref().unwrap().fields, vec!["Anna", "Łódź"]);
        assert_eq!(got[0].as_ref().unwrap().line, 2);
    }

    #[test]
    fn counts_lines_of_crlf_files_and_multiline_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.csv",
            b"id,note\r\n1,a\r\n2,\"two\r\nlines\"\r\n3,c\r\n",
        );
        let mut src = CsvSource::open(&path, TextOptions::default(), Arc::default()).unwrap();
        let lines: Vec<u64> = rows(&mut src)
            .into_iter()
            .map(|r| r.unwrap().line)
            .collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn names_the_first_line_in_the_wrong_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.csv",
            b"name,city\nAnna,Krakow\nJan,\xa3\xf3d\x9f\nOla,Gdansk\n",
        );
        let mut src = CsvSource::open(&path, TextOptions::default(), Arc::default()).unwrap();
        let got = rows(&mut src);
        assert_eq!(got[0].as_ref().unwrap().fields, vec!["Anna", "Krakow"]);
        match &got[1] {
            Err(SourceError::BadEncoding { line, .. }) => assert_eq!(*line, 3),
            other => panic!("{other:?}"),
        }
        assert_eq!(got.len(), 2, "reading stops at the bad line");
    }

    #[test]
    fn bad_bytes_in_a_declared_legacy_encoding_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        // windows-1250 maps nearly every byte; Shift_JIS has invalid sequences to test with.
        let path = write(dir.path(), "a.csv", b"a,b\n1,2\n3,\x81\x20\n");
        let options = TextOptions {
            encoding: Encoding::for_label(b"shift_jis").unwrap(),
            delimiter: None,
        };
        let mut src = CsvSource::open(&path, options, Arc::default()).unwrap();
        let got = rows(&mut src);
        assert!(
            matches!(
                got.last(),
                Some(Err(SourceError::BadEncoding { line: 3, .. }))
            ),
            "{got:?}"
        );
    }

    #[test]
    fn strips_bom_and_flags_ragged_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.csv",
            "\u{feff}id,name\n1,a\n2\n3,c,extra\n\n".as_bytes(),
        );
        let mut src = CsvSource::open(&path, TextOptions::default(), Arc::default()).unwrap();
        assert_eq!(src.header()[0], "id");
        let got: Vec<RawRow> = rows(&mut src).into_iter().map(Result::unwrap).collect();
        assert_eq!(got.len(), 3);
        assert!(got[0].problem.is_none());
        assert!(matches!(
            got[1].problem,
            Some((
                _,
                revline_core::RejectReason::RaggedRow {
                    expected: 2,
                    found: 1
                }
            ))
        ));
        assert_eq!(got[2].line, 4);
    }

    #[test]
    fn empty_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "a.csv", b"");
        assert!(matches!(
            CsvSource::open(&path, TextOptions::default(), Arc::default()),
            Err(SourceError::Empty)
        ));
        let path = write(dir.path(), "b.csv", b"\n\n");
        assert!(matches!(
            CsvSource::open(&path, TextOptions::default(), Arc::default()),
            Err(SourceError::Empty)
        ));
    }

    #[test]
    fn ndjson_rows_carry_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.ndjson",
            b"{\"id\":\"1\",\"amount\":12.5,\"x\":null}\n\n[1]\n{\"id\":2}\n",
        );
        let mut src = NdjsonSource::open(&path, Arc::default()).unwrap();
        let first = src.next_row().unwrap().unwrap();
        assert_eq!(first.fields, vec!["1", "12.5", ""]);
        assert_eq!(src.header().len(), 3);
        let second = src.next_row().unwrap().unwrap();
        assert_eq!(second.line, 3);
        assert!(second.problem.is_some());
        let third = src.next_row().unwrap().unwrap();
        assert_eq!(
            (third.line, src.header().as_ref().clone()),
            (4, vec!["id".to_string()])
        );
    }
}
