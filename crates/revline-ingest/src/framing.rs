//! Step "frame": the text of a CSV or NDJSON file is cut into records before the parser
//! sees it, so that no record can grow without bound.
//!
//! A record (a line, or several when a quoted field holds newlines) longer than
//! `RECORD_LIMIT` is refused where it starts, and reading goes on at the next line: one
//! runaway quote on line 2 no longer swallows the million rows after it, and a gigabyte
//! in one cell (say, in a small `.csv.gz`) is skipped as it streams, never held in
//! memory. The refused line reaches the parser as `REFUSED_LINE`, and the reason waits
//! in `Refusals` for the source to attach to that row.
//!
//! Quotes are followed as the CSV parser follows them: a quote opens a quoted field only
//! at the start of a field, `""` inside one is a quote, and only a newline outside
//! quotes ends a record.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

/// The longest record read: four fields at `source::FIELD_LIMIT`.
pub const RECORD_LIMIT: usize = 4 * crate::source::FIELD_LIMIT;

/// What stands in for a refused line: text no export writes.
pub const REFUSED_LINE: &str = "\u{0}revline:refused-line\u{0}";

/// Why a line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A quote opened in field `field` (0-based) of the record starting on `line` was
    /// still open `RECORD_LIMIT` bytes later, on `until_line` (`None`: at the end of
    /// the file).
    RunawayQuote {
        line: u64,
        field: usize,
        until_line: Option<u64>,
    },
    /// The line alone is longer than `RECORD_LIMIT`.
    LineTooLong { line: u64 },
}

impl Refusal {
    pub fn line(&self) -> u64 {
        match self {
            Refusal::RunawayQuote { line, .. } | Refusal::LineTooLong { line } => *line,
        }
    }

    pub fn message(&self) -> String {
        let limit = RECORD_LIMIT >> 20;
        match self {
            Refusal::RunawayQuote {
                until_line: Some(until),
                ..
            } => format!(
                "a quote opened on this line is still open {limit} MiB later (line {until}); \
                 this line is refused and reading goes on at the next one"
            ),
            Refusal::RunawayQuote {
                until_line: None, ..
            } => "a quote opened on this line is never closed; this line is refused and \
                  reading goes on at the next one"
                .to_string(),
            Refusal::LineTooLong { .. } => {
                format!("the line is longer than {limit} MiB; it is refused unread")
            }
        }
    }
}

/// The reasons for refused lines, in order, shared with the source reading the rows.
pub type Refusals = Rc<RefCell<VecDeque<Refusal>>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StartField,
    InField,
    InQuoted,
    /// A quote inside a quoted field: the end of it, or the first of `""`.
    QuoteInQuoted,
}

pub struct FramingReader<R> {
    inner: R,
    quote: Option<u8>,
    delimiter: u8,
    state: State,
    /// The field being read (0-based) and the one whose quote is open.
    field: usize,
    quoted_field: usize,
    /// The line of the next byte, and the line the current record starts on.
    line: u64,
    record_line: u64,
    /// Scanned bytes not handed out yet; those before `boundary` are whole records.
    pending: Vec<u8>,
    boundary: usize,
    /// Bytes to hand out.
    ready: Vec<u8>,
    ready_pos: usize,
    /// Input to scan again after a refusal (what followed the refused line).
    rescan: Vec<u8>,
    /// Dropping the rest of a line too long to keep.
    skipping: bool,
    eof: bool,
    buf: Vec<u8>,
    refusals: Refusals,
}

impl<R: Read> FramingReader<R> {
    /// `quote: None` for NDJSON, whose records are lines.
    pub fn new(inner: R, delimiter: u8, quote: Option<u8>) -> (FramingReader<R>, Refusals) {
        let refusals = Refusals::default();
        let reader = FramingReader {
            inner,
            quote,
            delimiter,
            state: State::StartField,
            field: 0,
            quoted_field: 0,
            line: 1,
            record_line: 1,
            pending: Vec::with_capacity(64 * 1024),
            boundary: 0,
            ready: Vec::with_capacity(64 * 1024),
            ready_pos: 0,
            rescan: Vec::new(),
            skipping: false,
            eof: false,
            buf: vec![0; 64 * 1024],
            refusals: refusals.clone(),
        };
        (reader, refusals)
    }

    fn start_record(&mut self) {
        self.state = State::StartField;
        self.field = 0;
        self.record_line = self.line;
    }

    /// Scans `chunk`; on a refusal the rest of it goes to `rescan`.
    fn scan(&mut self, chunk: &[u8]) {
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            i += 1;
            if self.skipping {
                if b == b'\n' {
                    self.skipping = false;
                    self.line += 1;
                    self.start_record();
                }
                continue;
            }
            self.pending.push(b);
            let is_quote = Some(b) == self.quote;
            self.state = match (self.state, b) {
                (State::InQuoted, _) if is_quote => State::QuoteInQuoted,
                (State::InQuoted, b'\n') => {
                    self.line += 1;
                    State::InQuoted
                }
                (State::InQuoted, _) => State::InQuoted,
                (State::QuoteInQuoted, _) if is_quote => State::InQuoted,
                (State::StartField, _) if is_quote => {
                    self.quoted_field = self.field;
                    State::InQuoted
                }
                (_, b'\n') => {
                    self.line += 1;
                    self.boundary = self.pending.len();
                    self.field = 0;
                    self.record_line = self.line;
                    State::StartField
                }
                (_, d) if d == self.delimiter && self.quote.is_some() => {
                    self.field += 1;
                    State::StartField
                }
                _ => State::InField,
            };
            if self.pending.len() - self.boundary > RECORD_LIMIT {
                self.refuse(&chunk[i..]);
                return;
            }
        }
    }

    /// Refuses the record being read: the records before it are handed out, then the
    /// stand-in line; what followed its first line is read again from the top.
    fn refuse(&mut self, rest: &[u8]) {
        let record = &self.pending[self.boundary..];
        let first_newline = record.iter().position(|b| *b == b'\n');
        let refusal = match self.state {
            State::InQuoted | State::QuoteInQuoted if first_newline.is_some() => {
                Refusal::RunawayQuote {
                    line: self.record_line,
                    field: self.quoted_field,
                    until_line: (!rest.is_empty() || !self.eof).then_some(self.line),
                }
            }
            _ => Refusal::LineTooLong {
                line: self.record_line,
            },
        };
        self.refusals.borrow_mut().push_back(refusal);
        let mut again = Vec::new();
        match first_newline {
            Some(nl) => {
                again.extend_from_slice(&record[nl + 1..]);
                self.line = self.record_line + 1;
            }
            // The line goes on past the limit: drop the rest of it as it streams.
            None => self.skipping = true,
        }
        again.extend_from_slice(rest);
        self.ready.extend_from_slice(&self.pending[..self.boundary]);
        self.ready.extend_from_slice(REFUSED_LINE.as_bytes());
        self.ready.push(b'\n');
        self.pending.clear();
        self.boundary = 0;
        self.rescan = again;
        if !self.skipping {
            self.start_record();
        }
    }

    /// Fills `ready` with whole records (or everything, at the end).
    fn fill(&mut self) -> io::Result<()> {
        self.ready.clear();
        self.ready_pos = 0;
        while self.ready.is_empty() {
            if !self.rescan.is_empty() {
                let chunk = std::mem::take(&mut self.rescan);
                self.scan(&chunk);
            } else if self.eof {
                if self.pending.is_empty() {
                    return Ok(());
                }
                self.finish();
                continue;
            } else {
                let n = self.inner.read(&mut self.buf)?;
                if n == 0 {
                    self.eof = true;
                    continue;
                }
                let chunk = std::mem::take(&mut self.buf);
                self.scan(&chunk[..n]);
                self.buf = chunk;
            }
            if self.boundary > 0 {
                self.ready.extend_from_slice(&self.pending[..self.boundary]);
                self.pending.drain(..self.boundary);
                self.boundary = 0;
            }
        }
        Ok(())
    }

    /// At the end of the input: a quote still open over several lines is refused like
    /// a runaway one; anything else is handed out as it is.
    fn finish(&mut self) {
        let record = &self.pending[self.boundary..];
        if self.state == State::InQuoted && record.contains(&b'\n') {
            self.refuse(&[]);
            return;
        }
        self.ready.extend_from_slice(&self.pending);
        self.pending.clear();
        self.boundary = 0;
    }
}

impl<R: Read> Read for FramingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.ready_pos >= self.ready.len() {
            self.fill()?;
        }
        let n = out.len().min(self.ready.len() - self.ready_pos);
        out[..n].copy_from_slice(&self.ready[self.ready_pos..self.ready_pos + n]);
        self.ready_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(input: &[u8]) -> (String, Vec<Refusal>) {
        let (mut reader, refusals) = FramingReader::new(input, b',', Some(b'"'));
        let mut out = String::new();
        reader.read_to_string(&mut out).unwrap();
        let refusals = refusals.borrow().iter().cloned().collect();
        (out, refusals)
    }

    #[test]
    fn whole_records_pass_unchanged() {
        let text = "a,b\n1,\"x\ny\"\n2,\"say \"\"hi\"\"\"\n3,5\" tall\n";
        assert_eq!(framed(text.as_bytes()), (text.to_string(), vec![]));
    }

    #[test]
    fn a_quote_never_closed_refuses_its_line_only() {
        let text = "a,b\n1,\"open\n2,x\n3,y\n";
        let (out, refusals) = framed(text.as_bytes());
        assert_eq!(out, format!("a,b\n{REFUSED_LINE}\n2,x\n3,y\n"));
        assert_eq!(
            refusals,
            [Refusal::RunawayQuote {
                line: 2,
                field: 1,
                until_line: None
            }]
        );
    }

    #[test]
    fn a_runaway_quote_is_cut_at_the_limit_and_reading_goes_on() {
        let mut text = String::from("a,b\n1,\"open\n");
        let row = "2,some text that fills the file\n";
        let rows = RECORD_LIMIT / row.len() + 100;
        for _ in 0..rows {
            text.push_str(row);
        }
        text.push_str("3,\"closes\"\n");
        let (out, refusals) = framed(text.as_bytes());
        assert_eq!(out.lines().filter(|l| *l == row.trim_end()).count(), rows);
        assert_eq!(out.lines().nth(1), Some(REFUSED_LINE));
        assert!(out.ends_with("3,\"closes\"\n"));
        assert!(matches!(
            refusals[..],
            [Refusal::RunawayQuote {
                line: 2,
                field: 1,
                until_line: Some(_)
            }]
        ));
    }

    #[test]
    fn a_line_too_long_is_dropped_as_it_streams() {
        let mut text = String::from("a,b\n1,");
        text.push_str(&"x".repeat(RECORD_LIMIT + 10));
        text.push_str("\n2,y\n");
        let (out, refusals) = framed(text.as_bytes());
        assert_eq!(out, format!("a,b\n{REFUSED_LINE}\n2,y\n"));
        assert_eq!(refusals, [Refusal::LineTooLong { line: 2 }]);
    }
}
